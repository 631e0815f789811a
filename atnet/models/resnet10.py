"""Spatial stream: pre-activation ResNet-10 on a 1-channel apex frame (SPEC section 5).

Input BatchNorm, 7x7/2 conv 64, 3x3/2 max-pool, one pre-activation basic block per stage
(64, 128, 256, 512; [1, 1, 1, 1]), BN-ReLU, global average pool -> 512 features."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3 + shortcut (1x1 conv on the pre-activated input when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(x))
        short = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + short


class ResNet10(nn.Module):
    def __init__(self, in_channels: int = 1, widths=(64, 128, 256, 512)):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(in_channels)
        self.stem = nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        self.pool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(PreActBlock(cin, w, stride=1 if i == 0 else 2))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.bn_out = nn.BatchNorm2d(cin)
        self.out_dim = cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, 512)."""
        x = self.pool(self.stem(self.bn_in(x)))        # (B, 64, H/4, W/4)
        x = F.relu(self.bn_out(self.stages(x)))        # (B, 512, H/32, W/32)
        return x.mean(dim=(2, 3))                      # (B, 512)
