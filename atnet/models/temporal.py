"""Temporal stream: a 2-layer LSTM over the 64 x 128 ADM matrix, outputs averaged over time (SPEC 5)."""
from __future__ import annotations

import torch
from torch import nn


class TemporalLSTM(nn.Module):
    def __init__(self, in_dim: int = 128, hidden: int = 512, layers: int = 2):
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, batch_first=True)
        self.out_dim = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 128) -> (B, hidden): the mean of the T outputs (the release averages all 64)."""
        out, _ = self.lstm(x)                          # (B, T, hidden)
        return out.mean(dim=1)                         # (B, hidden)
