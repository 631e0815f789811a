"""The CUDA path (skipped without a CUDA device): the same training on CPU and GPU gives the same
predictions within float tolerance, and --amp trains."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from atnet.training import TrainConfig, fit, predict

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU path is not tested")]


def arrays(n=48, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    apex = rng.integers(0, 255, (n, 64, 64), dtype=np.uint8)
    apex[:, 20:40, 20:40] = (y[:, None, None] * 80).astype(np.uint8)       # a class cue to learn
    adm = rng.normal(size=(n, 64, 16)).astype(np.float32) + y[:, None, None]
    return apex, adm, y


@pytest.mark.parametrize("method", ["spatial", "temporal", "atnet"])
def test_cuda_training_matches_cpu(method):
    apex, adm, y = arrays()
    # no dropout and no augmentation: the CPU and CUDA random streams differ, the arithmetic should not
    cfg = dict(epochs=3, batch_size=8, image_size=32, hidden=16, dropout=0.0, aug_p=0.0)
    cpu = predict(fit(method, apex, adm, y, TrainConfig(device="cpu", **cfg)), apex, adm, TrainConfig(image_size=32))
    gpu = predict(fit(method, apex, adm, y, TrainConfig(device="cuda", **cfg)), apex, adm, TrainConfig(image_size=32))
    assert np.abs(cpu - gpu).max() < 2e-3
    assert (cpu.argmax(1) == gpu.argmax(1)).mean() >= 0.95


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_amp_trains(amp):
    apex, adm, y = arrays()
    cfg = TrainConfig(device="cuda", amp=amp, epochs=15, batch_size=8, image_size=32, hidden=16, lr=0.02)
    probs = predict(fit("atnet", apex, adm, y, cfg), apex, adm, cfg)
    assert np.isfinite(probs).all() and (probs.argmax(1) == y).mean() > 0.8
