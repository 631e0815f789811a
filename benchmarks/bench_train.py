"""Training throughput (images/s: forward + backward + SGD step, augmentation included) per stream,
at the paper's sizes and at the demo's, beside batch size as the obvious lever.

Run: .venv/bin/python benchmarks/bench_train.py   (CPU, all cores; CUDA too when one is present)
"""
from __future__ import annotations

import platform
import time

import numpy as np
import torch
import torch.nn.functional as F

from atnet.app.runs import DEMO_TRAIN
from atnet.models import ATNet
from atnet.training import TrainConfig, augment, resolve_device, to_images

SECONDS = 4.0


def throughput(method: str, cfg: TrainConfig, device: torch.device) -> float:
    torch.manual_seed(0)
    model = ATNet(method, hidden=cfg.hidden).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(0)
    apex = to_images(rng.integers(0, 255, (cfg.batch_size, 224, 224), dtype=np.uint8), cfg.image_size)
    seq = torch.randn(cfg.batch_size, 64, 128)
    y = torch.from_numpy(rng.integers(0, 3, cfg.batch_size))
    gen = torch.Generator().manual_seed(0)

    def step():
        img = augment(apex, cfg, gen, 224).to(device) if model.spatial is not None else None
        s = seq.to(device) if model.temporal is not None else None
        loss = F.cross_entropy(model(img, s), y.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < SECONDS:
        step()
        n += cfg.batch_size
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t)


def main() -> None:
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"machine: {platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads; "
          f"{SECONDS:.0f} s of steps per row\n")
    print("| device | stream | input px | LSTM hidden | batch | images/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    settings = [("paper", TrainConfig()), ("demo", TrainConfig(**DEMO_TRAIN)),
                ("demo, batch 16", TrainConfig(**{**DEMO_TRAIN, "batch_size": 16}))]
    for device in devices:
        for name, cfg in settings:
            for method in ("spatial", "temporal", "atnet"):
                ips = throughput(method, cfg, device)
                print(f"| {device.type} | {method} ({name}) | {cfg.image_size} | {cfg.hidden} | {cfg.batch_size} "
                      f"| {ips:.0f} |", flush=True)


if __name__ == "__main__":
    main()
