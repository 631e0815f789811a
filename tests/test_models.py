import numpy as np
import pytest
import torch

from atnet.models import METHODS, ATNet
from atnet.training import TrainConfig, augment, epoch_order, fit, predict


@pytest.mark.parametrize("method", METHODS)
def test_every_parameter_receives_a_gradient(method):
    torch.manual_seed(0)
    model = ATNet(method, hidden=32)
    img = torch.rand(4, 1, 64, 64)
    seq = torch.randn(4, 64, 128)
    seq[:, :10] = 0                         # zero rows first, as the release lays them out
    flow = torch.randn(4, 3, 28, 28)        # the onset-apex flow: u, v, strain
    logits = model(img, seq, flow)
    assert logits.shape == (4, 3) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 0])).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{method}: {name} got no gradient"


def test_fusion_features_are_two_unit_vectors():
    model = ATNet("atnet", hidden=16).eval()
    f = model.forward_features(torch.rand(3, 1, 64, 64), torch.randn(3, 64, 128))
    assert f.shape == (3, 512 + 16)
    np.testing.assert_allclose(f[:, :512].norm(dim=1).detach(), 1, atol=1e-5)
    np.testing.assert_allclose(f[:, 512:].norm(dim=1).detach(), 1, atol=1e-5)


def test_paper_sizes_by_default():
    model = ATNet("atnet")
    assert model.temporal.lstm.hidden_size == 512 and model.temporal.lstm.num_layers == 2
    assert model.head.in_features == 1024 and model.dropout.p == 0.5
    with pytest.raises(ValueError, match="temporal"):
        ATNet("lstm")


def test_balanced_epoch_draws_every_class_to_the_majority_count():
    labels = np.array([0] * 10 + [1] * 3 + [2] * 1)
    order = epoch_order(labels, True, np.random.default_rng(0))
    assert np.bincount(labels[order]).tolist() == [10, 10, 10]
    assert sorted(epoch_order(labels, False, np.random.default_rng(0))) == list(range(14))


def test_augment_keeps_shape_and_moves_pixels():
    cfg = TrainConfig(aug_p=1.0)
    x = torch.rand(8, 1, 32, 32)
    y = augment(x, cfg, torch.Generator().manual_seed(0), src_size=32)
    assert y.shape == x.shape and not torch.allclose(x, y)
    assert torch.equal(augment(x, TrainConfig(aug_p=0.0), torch.Generator().manual_seed(0), 32), x)


def test_training_learns_a_separable_toy_problem_and_is_seeded():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 12)
    adm = rng.normal(0, 0.1, (36, 64, 128)).astype(np.float32)
    adm[:, -20:, :8] += y[:, None, None]          # the class is in the last rows, as flows are
    apex = rng.integers(0, 255, (36, 32, 32), dtype=np.uint8)
    cfg = TrainConfig(epochs=15, lr=0.1, lr_step=100, hidden=16, image_size=32, dropout=0.0, device="cpu")
    probs = predict(fit("temporal", apex, adm, y, cfg), apex, adm, cfg)
    assert probs.shape == (36, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert (probs.argmax(1) == y).mean() > 0.9
    again = predict(fit("temporal", apex, adm, y, cfg), apex, adm, cfg)
    np.testing.assert_allclose(probs, again, atol=1e-6)


def test_micro_attention_has_a_unit_per_stage_and_masks_in_0_1():
    model = ATNet("micro-attention", hidden=16).eval()
    units = [b.attention for b in model.spatial.stages]
    assert len(units) == 4 and all(u is not None for u in units) and model.temporal is None
    assert model.head.in_features == 512
    masks = []
    hooks = [u.register_forward_hook(lambda m, i, o: masks.append(o)) for u in units]
    logits = model(torch.rand(2, 1, 64, 64), None)
    for h in hooks:
        h.remove()
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()
    assert [m.shape[1] for m in masks] == [1, 1, 1, 1] and all(((m > 0) & (m < 1)).all() for m in masks)
    assert all(b.attention is None for b in ATNet("spatial").spatial.stages)
