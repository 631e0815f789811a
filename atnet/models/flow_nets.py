"""Networks on the onset-apex flow image (B, 3, F, F): u, v and optical strain.

STSTNet (Liong et al., 2019) as its authors' PyTorch release builds it: three parallel 3x3
convolutions of 3, 5 and 8 filters (padding 2), each ReLU, BatchNorm, 3x3/3 max-pool (padding 1)
and dropout 0.5, concatenated (16 channels), 2x2/2 average pool, flattened (5 x 5 x 16 = 400 at
28 px) and one linear layer to 3 classes. It expects 28 x 28 inputs.

FlowCNN: atnet's own flow stream (beyond the paper; used alone by the `oaflow` method and beside
the apex stream by `atnet-oa`): three stages of two 3x3 conv-BN-ReLU and a 2x2 max-pool (32, 64,
128 channels), global average pooling -> 128 features. The flow is standardised by the training
clips' per-channel mean and spread (buffers set by training, saved with the weights), so
magnitudes survive: a per-clip min-max, as the published flow images are scaled, would not keep
them."""
from __future__ import annotations

import torch
from torch import nn

STSTNET_SIZE = 28


class STSTNet(nn.Module):
    def __init__(self, n_classes: int = 3, size: int = STSTNET_SIZE):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv2d(3, k, 3, padding=2), nn.ReLU(), nn.BatchNorm2d(k),
                          nn.MaxPool2d(3, stride=3, padding=1), nn.Dropout(0.5)) for k in (3, 5, 8))
        side = ((size + 2) + 2 - 3) // 3 + 1   # conv with padding 2 grows the side by 2; pool 3/3 with padding 1
        self.pool = nn.AvgPool2d(2, stride=2)
        self.head = nn.Linear(16 * (side // 2) ** 2, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 28, 28) -> (B, n_classes) logits."""
        x = torch.cat([b(x) for b in self.branches], dim=1)
        return self.head(torch.flatten(self.pool(x), 1))


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.MaxPool2d(2))


class FlowCNN(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3))
        self.register_buffer("std", torch.ones(3))
        self.features = nn.Sequential(_stage(3, width), _stage(width, 2 * width), _stage(2 * width, 4 * width))
        self.out_dim = 4 * width

    def set_statistics(self, flow: torch.Tensor) -> None:
        """The training clips' per-channel mean and spread (B, 3, F, F); a flat channel keeps spread 1."""
        self.mean.copy_(flow.mean(dim=(0, 2, 3)))
        std = flow.std(dim=(0, 2, 3))
        self.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, F, F) -> (B, out_dim)."""
        x = (x - self.mean[:, None, None]) / self.std[:, None, None]
        return self.features(x).mean(dim=(2, 3))
