"""Spatial stream: pre-activation ResNet-10 on a 1-channel apex frame (SPEC section 5).

Input BatchNorm, 7x7/2 conv 64, 3x3/2 max-pool, one pre-activation basic block per stage
(64, 128, 256, 512; [1, 1, 1, 1]), BN-ReLU, global average pool -> 512 features.

With `attention=True` it is the Micro-Attention baseline's network (the paper's ref. [19], SPEC 5):
each block gets a residual attention unit: the block input (through the shortcut, so shapes match)
and both conv outputs, concatenated -> 1x1 conv -> ReLU -> 1x1 conv to one channel -> sigmoid, a
spatial mask that multiplies the residual branch."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AttentionUnit(nn.Module):
    """cat(input, conv1 out, conv2 out) (B, 3C, H, W) -> 1x1 conv -> ReLU -> 1x1 conv -> sigmoid (B, 1, H, W)."""

    def __init__(self, channels: int):
        super().__init__()
        self.reduce = nn.Conv2d(3 * channels, max(channels // 4, 8), 1)
        self.mask = nn.Conv2d(max(channels // 4, 8), 1, 1)

    def forward(self, x, o1, o2):
        return torch.sigmoid(self.mask(F.relu(self.reduce(torch.cat([x, o1, o2], dim=1)))))


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3 + shortcut (1x1 conv on the pre-activated input when the shape
    changes); with `attention`, the residual branch is multiplied by an AttentionUnit's mask."""

    def __init__(self, cin: int, cout: int, stride: int = 1, attention: bool = False):
        super().__init__()
        self.attention = AttentionUnit(cout) if attention else None
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(x))
        short = self.shortcut(out) if self.shortcut is not None else x
        o1 = self.conv1(out)
        o2 = self.conv2(F.relu(self.bn2(o1)))
        if self.attention is not None:
            o2 = o2 * self.attention(short, o1, o2)    # (B, C, H, W) * (B, 1, H, W)
        return o2 + short


class ResNet10(nn.Module):
    def __init__(self, in_channels: int = 1, widths=(64, 128, 256, 512), attention: bool = False):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(in_channels)
        self.stem = nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        self.pool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(PreActBlock(cin, w, stride=1 if i == 0 else 2, attention=attention))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.bn_out = nn.BatchNorm2d(cin)
        self.out_dim = cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, 512)."""
        x = self.pool(self.stem(self.bn_in(x)))        # (B, 64, H/4, W/4)
        x = F.relu(self.bn_out(self.stages(x)))        # (B, 512, H/32, W/32)
        return x.mean(dim=(2, 3))                      # (B, 512)

    forward_features = forward   # the stream's features, as MiniXception names them
