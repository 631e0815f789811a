"""ATNet (SPEC section 5): spatial ResNet-10, temporal LSTM, each L2-normalised, concatenated,
dropout 0.5, linear 3. `method` picks the streams: "atnet" (fusion), "spatial", "temporal"; and
"micro-attention", the paper's apex-frame baseline: ResNet-10 with attention units, L2, linear 3."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .resnet10 import ResNet10
from .temporal import TemporalLSTM

METHODS = ("spatial", "temporal", "atnet", "micro-attention")


class ATNet(nn.Module):
    def __init__(self, method: str = "atnet", n_classes: int = 3, hidden: int = 512, adm_dim: int = 128,
                 dropout: float = 0.5):
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.spatial = (ResNet10(attention=method == "micro-attention")
                        if method in ("spatial", "atnet", "micro-attention") else None)
        self.temporal = TemporalLSTM(adm_dim, hidden) if method in ("temporal", "atnet") else None
        dim = (self.spatial.out_dim if self.spatial else 0) + (self.temporal.out_dim if self.temporal else 0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, n_classes)

    def forward_features(self, image: torch.Tensor | None, adm: torch.Tensor | None) -> torch.Tensor:
        """image (B, 1, H, W), adm (B, 64, 128) -> (B, 1024) for fusion (512 per stream)."""
        feats = []
        if self.spatial is not None:
            feats.append(F.normalize(self.spatial(image), dim=1))
        if self.temporal is not None:
            feats.append(F.normalize(self.temporal(adm), dim=1))
        return torch.cat(feats, dim=1)

    def forward(self, image: torch.Tensor | None = None, adm: torch.Tensor | None = None) -> torch.Tensor:
        """-> (B, n_classes) logits."""
        return self.head(self.dropout(self.forward_features(image, adm)))


__all__ = ["ATNet", "ResNet10", "TemporalLSTM", "METHODS"]
