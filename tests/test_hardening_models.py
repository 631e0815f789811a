"""Model files, weights files and initialisation, as a hostile but realistic user meets them: every
header field checked on read (naming the file and the field, never a flag the user did not pass),
every tensor loaded and every probability written finite, and --init-spatial saying how much of the
spatial stream it fills (refusing a file that fills none, or part without --init-partial). Each case
runs through the CLI and checks the sentence."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from atnet.app import api
from atnet.app.cli import main
from atnet.core.errors import CorpusError
from atnet.data.datasets import load_corpora, synthetic
from atnet.data.prepare import PrepConfig
from atnet.methods.modelfile import header, read_meta
from atnet.models import ATNet
from atnet.models.resnet10 import ResNet10
from atnet.training import KEY_NEUTRAL, TrainConfig, fit

PREP = PrepConfig(size=64, face="haar")
TRAIN = TrainConfig(epochs=1, image_size=32, hidden=4, batch_size=8)
DAMAGED = "the file is damaged or was not written by atnet train."
CORPUS = {"samples": 3, "subjects": 1, "counts": {"casme2": {"negative": 1, "positive": 1, "surprise": 1}},
          "digest": "0" * 64}
SMALL = ["--size", "64", "--face", "haar", "--image-size", "32", "--epochs", "1", "--hidden", "4", "--jobs", "1"]


def state_of(net) -> dict:
    return {k: v.detach().contiguous().clone() for k, v in net.state_dict().items()}


def good_meta(method: str = "temporal") -> dict:
    return header(method=method, prep=asdict(PREP), train=asdict(TRAIN), adm_dim=2 * PREP.grid ** 2, corpus=CORPUS)


def write(path: Path, meta, state: dict | None = None, method: str = "temporal") -> Path:
    """A model file written as a damaged or foreign writer would: no check on the way out."""
    if state is None:
        state = state_of(ATNet(method, 3, hidden=TRAIN.hidden, adm_dim=2 * PREP.grid ** 2, pretrained=False))
    text = meta if isinstance(meta, str) else json.dumps(meta)
    save_file(state, str(path), metadata={"atnet": text})
    return path


def changed(key_path: str, value) -> dict:
    meta = json.loads(json.dumps(good_meta()))
    *parents, last = key_path.split(".")
    target = meta
    for p in parents:
        target = target[p]
    target[last] = value
    return meta


def refused(argv, capsys) -> str:
    """The one line a refused command prints (no traceback: SystemExit with the message)."""
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    message = str(e.value.code)
    assert message.startswith("error: ") and "\n" not in message and "Traceback" not in message, message
    return message[len("error: "):]


# ------------------------------------------------------------------------------------ headers

HEADERS = [   # (what is changed, its new value, the sentence after "m.safetensors: ")
    ("prep.size", "big", "header field prep.size is 'big', not a whole number"),
    ("prep.size", -5, "header field prep.size is -5, not at least 32"),
    ("prep.size", 64.5, "header field prep.size is 64.5, not a whole number"),
    ("prep.flow", "magic", "header field prep.flow is 'magic', not one of 'dis', 'farneback' or 'tvl1'"),
    ("prep.face", 3, "header field prep.face is 3, not one of 'dlib', 'haar' or 'manual'"),
    ("prep.align", "yes", "header field prep.align is 'yes', not true or false"),
    ("prep.margin", float("inf"), "header field prep.margin is inf, not a finite number"),
    ("prep.shape", 1, "header field prep.shape is not a setting this atnet knows"),
    ("prep", [64, "haar"], "header field prep is [64, 'haar'], not a mapping"),
    ("train.lr", float("nan"), "header field train.lr is nan, not a finite number"),
    ("train.lr", 0, "header field train.lr is 0, not above 0.0"),
    ("train.hidden", "512", "header field train.hidden is '512', not a whole number"),
    ("train.balance", 1, "header field train.balance is 1, not true or false"),
    ("train.device", "tpu", "header field train.device is 'tpu', not auto, cpu, cuda, cuda:N or a list of those"),
    ("train.amp", "fp8", "header field train.amp is 'fp8', not one of 'off', 'bf16' or 'fp16'"),
    ("train.spatial_backbone", "vgg", "header field train.spatial_backbone is 'vgg', not one of 'resnet10' or "
                                      "'fer-xception'"),
    ("train", None, "header field train is None, not a mapping"),
    ("corpus", {}, "header field corpus.samples is missing"),
    ("corpus.counts", [1], "header field corpus.counts is [1], not a mapping"),
    ("corpus.counts.casme2.negative", "1", "header field corpus.counts.casme2.negative is '1', not a whole number"),
    ("classes", "negative", "header field classes is 'negative', not a list"),
    ("adm_dim", "x", "header field adm_dim is 'x', not a whole number"),
    ("adm_dim", 7, "header field adm_dim is 7, and prep.grid 8 makes 128"),
    ("prep.grid", 20, "header fields prep.grid 20 and prep.size 64 do not fit together (an ADM cell must be at "
                      "least 4 px)"),
    ("packages", ["torch"], "header field packages is ['torch'], not a mapping"),
    ("method", 3, "header field method is 3, not text"),
]


@pytest.mark.parametrize("where,value,sentence", HEADERS, ids=[f"{w}={v!r}" for w, v, _ in HEADERS])
def test_a_bad_header_field_is_named_by_info_predict_and_spot(where, value, sentence, tmp_path, capsys):
    path = write(tmp_path / "m.safetensors", changed(where, value))
    want = f"{path}: {sentence}; {DAMAGED}"
    assert refused(["info", path], capsys) == want
    assert refused(["predict", path, tmp_path, "--out", tmp_path / "p.csv"], capsys) == want
    assert refused(["spot", tmp_path, "--model", path, "--fps", "30", "--out", tmp_path / "s.csv"], capsys) == want
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "s.csv").exists()


def test_a_bad_header_field_is_never_reported_as_a_flag(tmp_path, capsys):
    """The case of the issue: prep.size -5 was `--size -5: must be at least 32`, a flag never passed."""
    path = write(tmp_path / "m.safetensors", changed("prep.size", -5))
    assert "--size" not in refused(["predict", path, tmp_path, "--out", tmp_path / "p.csv"], capsys)
    meta = changed("train.spatial_backbone", "fer-xception")
    meta["train"]["init_spatial"] = "pre.safetensors"
    path = write(tmp_path / "m.safetensors", meta)
    message = refused(["info", path], capsys)
    assert "--" not in message
    assert message == (f"{path}: header fields train.spatial_backbone fer-xception and train.init_spatial "
                       f"'pre.safetensors' do not fit together; {DAMAGED}")


@pytest.mark.parametrize("text,sentence", [
    ("{not json", "its metadata is not JSON"),
    ("[1, 2]", "its metadata is [1, 2], not a mapping"),
    ("1" * 5000, "its metadata is not JSON"),           # past Python's int-string limit: a ValueError
    ("[" * 100000 + "]" * 100000, "its metadata is not JSON"),   # nested past the recursion limit
])
def test_metadata_that_is_not_a_json_mapping_is_one_sentence(text, sentence, tmp_path, capsys):
    path = write(tmp_path / "m.safetensors", text)
    assert refused(["info", path], capsys).startswith(f"{path}: {sentence}")


def test_a_header_declaring_a_huge_network_allocates_nothing(tmp_path, capsys):
    path = write(tmp_path / "m.safetensors", changed("train.hidden", 10 ** 9))
    message = refused(["predict", path, tmp_path, "--out", tmp_path / "p.csv"], capsys)   # past TrainConfig's range
    assert message.startswith(f"{path}: header field train.hidden is 1000000000, not at most 8192; ")
    path = write(tmp_path / "m.safetensors", changed("train.hidden", 5000))
    assert refused(["predict", path, tmp_path, "--out", tmp_path / "p.csv"], capsys).startswith(
        f"{path}: its weights do not fit a temporal network of its header's settings (temporal.lstm.weight_ih_l0 has "
        f"shape (16, 128), the network (20000, 128))")


def test_a_good_header_is_read_as_written(tmp_path, capsys):
    path = write(tmp_path / "m.safetensors", good_meta())
    main(["info", str(path)])
    assert "method temporal" in capsys.readouterr().out
    meta = read_meta(path)
    assert meta["prep"] == asdict(PREP) and "kind" not in meta
    model = api.load_model(path)
    assert model.prep == PREP and model.train.hidden == 4 and model.path == str(path)


# ------------------------------------------------------------------------------------ non-finite numbers

def test_nan_or_inf_weights_in_a_model_file_are_refused_on_read(tmp_path, capsys):
    state = state_of(ATNet("temporal", 3, hidden=4, adm_dim=128, pretrained=False))
    state["head.weight"][0, 0] = float("nan")
    state["temporal.lstm.bias_hh_l0"][1] = float("inf")
    path = write(tmp_path / "m.safetensors", good_meta(), state)
    n = len(state)
    want = (f"{path}: 2 of its {n} tensors hold NaN or infinite values (e.g. head.weight); the training "
            f"diverged or the file is damaged; train it again with `atnet train`, or pass a model file that "
            f"`atnet train` wrote.")
    assert refused(["predict", path, tmp_path, "--out", tmp_path / "p.csv"], capsys) == want
    assert refused(["spot", tmp_path, "--model", path, "--fps", "30", "--out", tmp_path / "s.csv"], capsys) == want
    assert not (tmp_path / "p.csv").exists()


def test_a_network_with_nan_weights_is_never_written(tmp_path):
    net = ATNet("temporal", 3, hidden=4, adm_dim=128, pretrained=False)
    with torch.no_grad():
        net.head.weight.fill_(float("nan"))
    model = api.Model(net, PREP, TRAIN, good_meta())
    with pytest.raises(CorpusError) as e:
        model.save(tmp_path / "m.safetensors")
    assert str(e.value) == (f"{tmp_path / 'm.safetensors'}: not written: 1 of the model's {len(net.state_dict())} "
                            f"tensors hold NaN or infinite values (e.g. head.weight), so the training diverged; "
                            f"train again with a lower --lr.")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.mark.slow
def test_train_that_diverges_writes_no_model(tiny_corpus, cache, tmp_path, capsys, monkeypatch):
    from atnet.methods import networks

    def diverged(*args, **kwargs):
        net = fit(*args, **kwargs)
        with torch.no_grad():
            next(net.parameters()).fill_(float("nan"))
        return net
    monkeypatch.setattr(networks, "fit_network", diverged)
    out = tmp_path / "m.safetensors"
    message = refused(["train", "--synthetic", tiny_corpus, "--method", "temporal", "--cache", cache, *SMALL,
                       "--out", out], capsys)
    assert message.startswith(f"{out}: not written: 1 of the model's ") and message.endswith(
        "tensors hold NaN or infinite values (e.g. temporal.lstm.weight_ih_l0), so the training diverged; train "
        "again with a lower --lr.")
    assert not out.exists()


@pytest.mark.slow
def test_predict_never_writes_a_non_finite_probability(tiny_corpus, cache, tmp_path, capsys):
    """Finite weights that overflow: logits of inf - inf give NaN probabilities."""
    net = ATNet("spatial", 3, hidden=4, adm_dim=128, pretrained=False)
    with torch.no_grad():
        net.head.weight.fill_(3e38)
        net.head.weight[1].fill_(-3e38)
    path = write(tmp_path / "m.safetensors", good_meta("spatial"), state_of(net))
    s = load_corpora(synthetic.roots(tiny_corpus)).samples[0]
    clip = Path(s.frames[0]).parent
    out = tmp_path / "p.csv"
    message = refused(["predict", path, clip, "--apex", s.apex, "--onset", s.onset, "--offset", s.offset,
                       "--cache", cache, "--jobs", "1", "--device", "cpu", "--out", out], capsys)
    assert message == (f"{path}: its class probabilities are NaN or infinite for 1 of 1 clip(s) (e.g. "
                       f"input/{clip.name}/{clip.name}), so nothing is labelled; the network overflows on these "
                       f"inputs; train the model again (e.g. with a lower --lr).")
    assert not out.exists()


# ------------------------------------------------------------------------------------ --init-spatial

def spatial_file(path: Path, state: dict) -> Path:
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


def pretrained_state(**kwargs) -> dict:
    return {f"spatial.{k}": v for k, v in state_of(ResNet10(**kwargs)).items()}


STREAM = sum(not k.endswith("num_batches_tracked") for k in ResNet10().state_dict())   # weights and BN statistics


def init_cases(tmp: Path) -> list[tuple[str, Path, str]]:
    whole = pretrained_state()
    nan = dict(whole)
    nan["spatial.stem.weight"] = nan["spatial.stem.weight"].clone().fill_(float("nan"))
    fix = "pass a file written by `atnet pretrain` (or `atnet train --method spatial|atnet`) to --init-spatial"
    return [
        ("unknown names", spatial_file(tmp / "names.safetensors", {f"backbone.{k}": v for k, v in whole.items()}),
         f"none of its {len(whole)} tensors fits the spatial stream (no tensor is named spatial.*); {fix}."),
        ("names under spatial. that it lacks", spatial_file(
            tmp / "other.safetensors", {f"spatial.encoder.{k[8:]}": v for k, v in whole.items()}),
         f"none of its {len(whole)} tensors fits the spatial stream (spatial.encoder.bn_in.num_batches_tracked is not one of its "
         f"tensors); {fix}."),
        ("wrong shapes", spatial_file(tmp / "narrow.safetensors", pretrained_state(widths=(32, 64, 128, 256))),
         f"fills only 4 of the spatial stream's {STREAM} tensors (spatial.stem.weight and {STREAM - 5} more are "
         f"missing or of another shape); {fix}, or add --init-partial to start the rest new."),   # the input BN fits
        ("wrong shapes everywhere", spatial_file(tmp / "transposed.safetensors", {
            k: v.unsqueeze(0) if v.dim() else v for k, v in whole.items()}),
         f"none of its {len(whole)} tensors fits the spatial stream (spatial.bn_in.bias has shape (1, 1), the stream "
         f"(1,)); {fix}."),
        ("one tensor of many", spatial_file(tmp / "one.safetensors", {"spatial.stem.weight": whole["spatial.stem.weight"]}),
         f"fills only 1 of the spatial stream's {STREAM} tensors (spatial.bn_in.weight and {STREAM - 2} more are "
         f"missing or of another shape); {fix}, or add --init-partial to start the rest new."),
        ("NaN", spatial_file(tmp / "nan.safetensors", nan),
         f"1 of its {len(whole)} tensors hold NaN or infinite values (e.g. spatial.stem.weight); the pretraining "
         f"diverged or the file is damaged; {fix}."),
    ]


def test_init_spatial_that_does_not_fill_the_stream_is_refused_before_any_work(tiny_corpus, tmp_path, capsys):
    for name, path, sentence in init_cases(tmp_path):
        for argv in (["train", "--synthetic", tiny_corpus, "--method", "spatial", "--out", tmp_path / "m.safetensors"],
                     ["evaluate", "--synthetic", tiny_corpus, "--method", "atnet", "--out", tmp_path / "run"],
                     ["reproduce", "--synthetic", tiny_corpus, "--method", "micro-attention", "--seeds", "1",
                      "--out", tmp_path / "rep"]):
            message = refused(argv + ["--cache", tmp_path / "cache", *SMALL, "--init-spatial", path], capsys)
            assert message == f"{path}: {sentence}", (name, argv[0])
        assert not (tmp_path / "cache").exists() and not (tmp_path / "m.safetensors").exists()


def test_init_partial_does_not_let_a_file_that_fills_nothing_through(tmp_path, capsys):
    path = spatial_file(tmp_path / "names.safetensors", {f"x.{k}": v for k, v in pretrained_state().items()})
    message = refused(["train", "--method", "spatial", "--init-spatial", path, "--init-partial", "--out",
                       tmp_path / "m.safetensors"], capsys)
    assert message.startswith(f"{path}: none of its {len(pretrained_state())} tensors fits the spatial stream")


def test_init_spatial_with_a_temporal_network_is_refused(tmp_path, capsys):
    path = spatial_file(tmp_path / "pre.safetensors", pretrained_state())
    assert refused(["train", "--method", "temporal", "--init-spatial", path, "--out", tmp_path / "m.safetensors"],
                   capsys) == ("--init-spatial starts a spatial stream, and --method temporal has none; drop "
                               "--init-spatial or pass --method spatial, atnet, micro-attention, atnet-oa.")


def test_the_python_api_refuses_the_same_files(tmp_path):
    for name, path, sentence in init_cases(tmp_path):
        cfg = TrainConfig(epochs=1, image_size=32, batch_size=4, init_spatial=str(path))
        import numpy as np
        apex, adm = np.zeros((4, 64, 64), np.uint8), np.zeros((4, 64, 128), np.float32)
        with pytest.raises(CorpusError) as e:
            fit("spatial", apex, adm, np.array([0, 1, 0, 1]), cfg)
        assert str(e.value) == f"{path}: {sentence}", name


@pytest.mark.slow
def test_init_spatial_says_how_many_tensors_it_loaded(tiny_corpus, cache, tmp_path, capsys):
    whole = spatial_file(tmp_path / "pre.safetensors", pretrained_state())
    out = tmp_path / "m.safetensors"
    base = ["train", "--synthetic", tiny_corpus, "--method", "spatial", "--cache", cache, *SMALL, "--out", out]
    main([str(a) for a in base + ["--init-spatial", whole]])
    printed = capsys.readouterr().out
    assert f"--init-spatial {whole}: {STREAM} of the spatial stream's {STREAM} tensors loaded\n" in printed
    assert read_meta(out)["train"]["init_partial"] is False
    one = spatial_file(tmp_path / "one.safetensors", {"spatial.stem.weight": pretrained_state()["spatial.stem.weight"]})
    main([str(a) for a in base + ["--init-spatial", one, "--init-partial"]])
    printed = capsys.readouterr().out
    assert (f"--init-spatial {one}: 1 of the spatial stream's {STREAM} tensors loaded; the other {STREAM - 1} start "
            f"new (--init-partial)\n") in printed
    meta = read_meta(out)
    assert meta["train"]["init_spatial"] == str(one) and meta["train"]["init_partial"] is True


def test_init_partial_leaves_fold_keys_of_existing_runs_unchanged():
    assert KEY_NEUTRAL["init_partial"] is TrainConfig().init_partial is False
    assert TrainConfig(init_partial=True).init_partial is True


# ------------------------------------------------------------------------------------ --init-imagenet

def imagenet_cases(tmp: Path) -> list[tuple[str, Path, str]]:
    from test_pretrain import resnet18_state
    fix = "save a torchvision ResNet-18's state dict with torch.save(model.state_dict(), path)."
    nan = resnet18_state()
    nan["layer3.0.conv2.weight"][0, 0, 0, 0] = float("inf")
    torch.save(nan, tmp / "nan.pth")
    bottleneck = resnet18_state()   # a ResNet-50's first block has 1x1 convs where ResNet-18 has 3x3
    bottleneck["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    torch.save(bottleneck, tmp / "r50.pth")
    odd = resnet18_state()
    odd["conv1.weight"] = [1.0, 2.0]
    torch.save(odd, tmp / "odd.pth")
    n = len(nan)
    return [("inf", tmp / "nan.pth", f"1 of its {n} tensors hold NaN or infinite values (e.g. layer3.0.conv2.weight); "
                                     f"{fix}"),
            ("shapes", tmp / "r50.pth", f"a tensor mapped to ResNet-10's stages.0.conv1.weight has shape (64, 64, 1, 1), "
                                        f"and ResNet-10's (64, 64, 3, 3): not a ResNet-18; {fix}"),
            ("not a tensor", tmp / "odd.pth", f"'conv1.weight' is a list, not a tensor; {fix}")]


def test_init_imagenet_is_checked_before_any_macro_image_is_read(tmp_path, capsys):
    for name, path, sentence in imagenet_cases(tmp_path):
        message = refused(["pretrain", "--ckplus", tmp_path / "nowhere", "--init-imagenet", path,
                           "--out", tmp_path / "w.safetensors"], capsys)
        assert message == f"{path}: {sentence}", name


def test_init_imagenet_says_how_many_tensors_it_loads(tmp_path, capsys):
    from test_pretrain import resnet18_state
    torch.save(resnet18_state(), tmp_path / "r18.pth")
    message = refused(["pretrain", "--ckplus", tmp_path / "nowhere", "--init-imagenet", tmp_path / "r18.pth",
                       "--out", tmp_path / "w.safetensors"], capsys)
    assert message.startswith(f"{tmp_path / 'nowhere'}: no such folder")   # the macro corpus, after the check
    n = len(ResNet10().state_dict())
    assert capsys.readouterr().out == (f"--init-imagenet {tmp_path / 'r18.pth'}: {n - 5} of ResNet-10's {n} tensors "
                                       f"loaded (its input BN starts new: ResNet-18 has none)\n")


def test_a_missing_init_spatial_file_is_named(tmp_path, capsys):
    assert refused(["train", "--method", "atnet", "--init-spatial", tmp_path / "none.safetensors", "--out",
                    tmp_path / "m.safetensors"], capsys) == (
        f"{tmp_path / 'none.safetensors'}: not found; pass a weights file written by `atnet pretrain` to "
        f"--init-spatial.")
