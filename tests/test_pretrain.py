"""Pretraining the spatial stream: the ImageNet mapping, save/load of pretrained weights, and
--init-spatial starting the spatial stream of the micro-expression networks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from atnet.app import api
from atnet.app.cli import main
from atnet.app.pretrain import imagenet_to_resnet10, load_imagenet, load_spatial_init
from atnet.core.errors import CorpusError
from atnet.models import ATNet
from atnet.models.resnet10 import ResNet10


def resnet18_state(seed: int = 0) -> dict:
    """A randomly initialised state dict with torchvision's ResNet-18 keys and shapes."""
    g = torch.Generator().manual_seed(seed)
    out = {"conv1.weight": torch.randn(64, 3, 7, 7, generator=g)}

    def bn(name: str, c: int):
        for p in ("weight", "bias", "running_mean", "running_var"):
            out[f"{name}.{p}"] = torch.rand(c, generator=g) + 0.5
        out[f"{name}.num_batches_tracked"] = torch.tensor(7)

    bn("bn1", 64)
    cin = 64
    for k, c in enumerate((64, 128, 256, 512), 1):
        for b in (0, 1):
            first = cin if b == 0 else c
            out[f"layer{k}.{b}.conv1.weight"] = torch.randn(c, first, 3, 3, generator=g)
            bn(f"layer{k}.{b}.bn1", c)
            out[f"layer{k}.{b}.conv2.weight"] = torch.randn(c, c, 3, 3, generator=g)
            bn(f"layer{k}.{b}.bn2", c)
            if b == 0 and k > 1:
                out[f"layer{k}.0.downsample.0.weight"] = torch.randn(c, cin, 1, 1, generator=g)
                bn(f"layer{k}.0.downsample.1", c)
        cin = c
    out["fc.weight"], out["fc.bias"] = torch.randn(1000, 512, generator=g), torch.randn(1000, generator=g)
    return out


def test_the_imagenet_mapping_fills_every_resnet10_tensor_but_the_input_bn(tmp_path):
    state = resnet18_state()
    torch.save(state, tmp_path / "r18.pth")
    mapped = load_imagenet(tmp_path / "r18.pth")
    net = ResNet10()
    result = net.load_state_dict(mapped, strict=False)
    assert sorted(result.missing_keys) == ["bn_in.bias", "bn_in.running_mean", "bn_in.running_var", "bn_in.weight"]
    assert not result.unexpected_keys
    sd = net.state_dict()
    assert torch.equal(sd["stem.weight"], state["conv1.weight"].sum(1, keepdim=True))
    assert torch.equal(sd["stages.2.conv1.weight"], state["layer3.0.conv1.weight"])
    assert torch.equal(sd["stages.3.shortcut.weight"], state["layer4.0.downsample.0.weight"])
    assert torch.equal(sd["stages.1.bn1.running_var"], state["layer1.0.bn2.running_var"])
    assert torch.equal(sd["stages.1.bn2.weight"], state["layer2.0.bn1.weight"])
    assert torch.equal(sd["bn_out.bias"], state["layer4.0.bn2.bias"])
    del state["layer2.0.downsample.0.weight"]
    with pytest.raises(CorpusError, match="no 'layer2.0.downsample.0.weight'; pass a torchvision ResNet-18"):
        imagenet_to_resnet10(state)
    (tmp_path / "junk.pth").write_bytes(b"not a pickle")
    with pytest.raises(CorpusError, match="junk.pth: not a readable PyTorch state dict"):
        load_imagenet(tmp_path / "junk.pth")


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    from atnet.data.datasets.synthetic_macro import synthesize_macro
    folder = tmp_path_factory.mktemp("macro")
    roots = synthesize_macro(folder / "corpora", subjects=2, takes=1, jobs=1)
    torch.save(resnet18_state(), folder / "r18.pth")
    out = folder / "pre.safetensors"
    main(["pretrain", "--ckplus", str(roots["ckplus"]), "--jaffe", str(roots["jaffe"]), "--mug", str(roots["mug"]),
          "--face", "haar", "--size", "64", "--preset", "demo", "--epochs", "2", "--jobs", "1",
          "--init-imagenet", str(folder / "r18.pth"), "--cache", str(folder / "cache"), "--out", str(out)])
    return out


def test_pretrained_weights_load_into_every_spatial_network(pretrained, capsys):
    main(["info", str(pretrained)])
    info = capsys.readouterr().out
    assert "method spatial, classes anger, disgust, fear, happiness, sadness, surprise, neutral" in info
    from safetensors.torch import load_file
    saved = load_file(str(pretrained))
    for method in ("spatial", "atnet", "micro-attention"):
        net = ATNet(method)
        load_spatial_init(net.spatial, pretrained)
        for k, v in net.spatial.state_dict().items():
            if "attention" not in k:
                assert torch.equal(v, saved[f"spatial.{k}"]), (method, k)
    with pytest.raises(CorpusError, match="pre.safetensors: holds a spatial stream pretrained on macro-expressions"):
        api.load_model(pretrained)


def test_init_spatial_starts_evaluate_and_is_part_of_the_fold_key(pretrained, tiny_corpus, tmp_path):
    base = ["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--method", "spatial",
            "--protocol", "hde", "--size", "64", "--face", "haar", "--image-size", "32", "--epochs", "1",
            "--jobs", "1", "--out", str(tmp_path / "run")]
    main(base)
    main(base + ["--init-spatial", str(pretrained)])
    folds = sorted(p.name for p in (tmp_path / "run" / "folds").glob("*.npy"))
    assert len(folds) == 6, folds          # 3 HDE folds each, under two different keys
    with pytest.raises(SystemExit, match="missing.safetensors: not found; pass a weights file written by `atnet pretrain`"):
        main(base + ["--init-spatial", str(tmp_path / "missing.safetensors")])
    assert np.isfinite(np.load(tmp_path / "run" / "folds" / folds[0])).all()
