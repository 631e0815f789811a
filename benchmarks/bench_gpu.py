"""Training throughput at the paper's settings on the device (CUDA if present, else the CPU), with
and without --amp, atnet's trainer beside a bare PyTorch loop of the same model and batch, and the
projected time of a full CDE and of the default reproduction.

    .venv/bin/python benchmarks/bench_gpu.py [--device cuda] [--images 256] [--epochs 2]

Paper settings: 224 px apex frames, batch 16, LSTM(512) on 64 x 128 ADMs. Projection: the MEGC 2019
composite (442 clips; class-balanced epochs of 3 x 250 images), 50 epochs, 68 CDE folds (each
training on 67/68 of the clips) and 3 HDE folds (each on two corpora, about 2/3 of the clips);
the default reproduction is 4 networks x 3 seeds x both protocols."""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F

from atnet.models import ATNet
from atnet.training import TrainConfig, fit

METHODS = ("spatial", "temporal", "atnet", "micro-attention")
BALANCED_EPOCH = 3 * 250          # MEGC 2019 composite: negative 250 is the majority class
CDE_IMAGES = 50 * BALANCED_EPOCH * 67 / 68 * 68
HDE_IMAGES = 50 * BALANCED_EPOCH * 2 / 3 * 3


def bare_loop(method: str, apex: np.ndarray, adm: np.ndarray, y: np.ndarray, cfg: TrainConfig, device) -> float:
    """images/s of plain forward, backward and SGD steps on the same model and batches, no augmentation."""
    torch.manual_seed(0)
    model = ATNet(method, 3, hidden=cfg.hidden, adm_dim=adm.shape[-1]).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    images = F.interpolate(torch.from_numpy(apex).float().div(255).unsqueeze(1), size=(224, 224)).to(device)
    seqs, labels = torch.from_numpy(adm).to(device), torch.from_numpy(y).to(device)
    n = 0
    sync(device)
    t = time.perf_counter()
    for _ in range(cfg.epochs):
        for i in range(0, len(y), cfg.batch_size):
            b = slice(i, i + cfg.batch_size)
            loss = F.cross_entropy(model(images[b] if model.spatial else None, seqs[b] if model.temporal else None),
                                   labels[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n += len(labels[b])
    sync(device)
    return n / (time.perf_counter() - t)


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    apex = rng.integers(0, 255, (args.images, 224, 224), dtype=np.uint8)
    adm = rng.normal(size=(args.images, 64, 128)).astype(np.float32)
    y = np.arange(args.images) % 3
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    print(f"device: {args.device} ({name}), torch {torch.__version__}; {args.images} images x {args.epochs} epochs, "
          f"batch 16, 224 px, LSTM(512)")
    print("| method | amp | atnet fit images/s | bare loop images/s | fit / bare | projected CDE (h) | "
          "its share of the default reproduction, 3 seeds x (CDE + HDE) (h) |")
    print("|" + " --- |" * 7)
    for method in METHODS:
        for amp in (("off", "bf16") if device.type == "cuda" else ("off",)):
            cfg = TrainConfig(epochs=args.epochs, batch_size=16, image_size=224, device=args.device, amp=amp,
                              balance=False)
            fit(method, apex[:32], adm[:32], y[:32], TrainConfig(epochs=1, batch_size=16, device=args.device, amp=amp))
            sync(device)
            t = time.perf_counter()
            fit(method, apex, adm, y, cfg)
            sync(device)
            ours = args.images * args.epochs / (time.perf_counter() - t)
            bare = bare_loop(method, apex, adm, y, cfg, device) if amp == "off" else float("nan")
            cde_h = CDE_IMAGES / ours / 3600
            repro_h = 3 * (CDE_IMAGES + HDE_IMAGES) / ours / 3600
            print(f"| {method} | {amp} | {ours:.1f} | {bare:.1f} | {ours / bare:.2f} | {cde_h:.2f} | {repro_h:.2f} |")


if __name__ == "__main__":
    main()
