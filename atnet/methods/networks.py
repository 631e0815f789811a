"""The networks (SPEC section 5), each a registered method: ATNet's spatial stream, temporal stream
and fusion, Micro-Attention (the paper's apex-frame baseline), and two rows beyond the paper, the
spatial stream and the fusion with fer's FER2013 mini-Xception as the spatial network (fine-tuned).
Each trains with training.fit on the fold's clips for the fixed recipe (TrainConfig) and is saved
as a model file (its state dict; the header holds the settings)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from importlib.resources import files
from pathlib import Path

from ..core.cache import file_digest
from ..core.readers import existing_file
from ..models import SPATIAL, ATNet, misfit
from ..models.fer_xception import WEIGHTS
from ..training import KEY_NEUTRAL, TrainConfig, fit as fit_network, predict as predict_network
from .registry import Method


@dataclass(frozen=True)
class NetConfig(TrainConfig):
    """The training recipe and the number of classes the head scores (the run's class set)."""
    n_classes: int = 3


def train_config(settings) -> NetConfig:
    return NetConfig(**asdict(settings.train), n_classes=len(settings.classes))


def fer_backbone(settings):
    """spatial-fer and atnet-fer: the run's settings with fer's mini-Xception as the spatial network."""
    return replace(settings, train=replace(settings.train, spatial_backbone="fer-xception", init_spatial=""))


def key(cfg: TrainConfig) -> dict:
    """Every training setting (those added later left out at the default that changes nothing, so
    folds saved before them stay valid), and the content of the weights it starts from."""
    settings = asdict(cfg)
    settings.pop("n_classes", None)   # the clips' class set is in the data's part of the key
    for name, neutral in KEY_NEUTRAL.items():
        if settings[name] == neutral:
            del settings[name]
    if cfg.spatial_backbone == "fer-xception":   # the shipped weights
        settings["fer_weights"] = file_digest(files("atnet.models") / WEIGHTS)
    if cfg.init_spatial:   # the weights' content, not only their file name
        settings["init_spatial"] = file_digest(existing_file(cfg.init_spatial, "a weights file", "pass a weights "
                                                             "file written by `atnet pretrain` to --init-spatial"))
    return settings


def init_text(network: str):
    def text(cfg: TrainConfig) -> str:
        if network not in SPATIAL:
            return "scratch"
        if cfg.spatial_backbone == "fer-xception":
            return "spatial: fer mini-Xception, FER2013 weights, fine-tuned; the rest from scratch"
        if cfg.init_spatial:
            return f"spatial: {Path(cfg.init_spatial).name} (atnet pretrain); the rest from scratch"
        return "scratch"
    return text


def fitter(network: str):
    def fit(x: dict, y, groups, cfg: NetConfig) -> ATNet:
        return fit_network(network, x.get("apex"), x.get("adm"), y, cfg, n_classes=cfg.n_classes, flow=x.get("flow"))
    return fit


def tracer(network: str):
    def fit_trace(x: dict, y, groups, cfg: NetConfig, x_test: dict):
        """fit, and the test clips' scores after every epoch, (epochs, n, k) (--trace-epochs)."""
        seen = []
        net = fit_network(network, x.get("apex"), x.get("adm"), y, cfg, n_classes=cfg.n_classes, flow=x.get("flow"),
                          on_epoch=lambda model, _: seen.append(predict(model, x_test, cfg)))
        return net, np.stack(seen)
    return fit_trace


def predict(net: ATNet, x: dict, cfg: TrainConfig):
    return predict_network(net, x.get("apex"), x.get("adm"), cfg, flow=x.get("flow"))


def save(net: ATNet) -> dict:
    return {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}


def loader(network: str):
    def load(tensors: dict, meta: dict) -> ATNet:
        """The network of a model file, its weights loaded strictly (every tensor, every shape). The
        shapes are compared on a network without storage first, so a header that declares a huge
        network allocates nothing. Raises ValueError saying what does not fit."""
        train = {**asdict(TrainConfig()), **meta["train"]}

        def build():
            return ATNet(network, len(meta["classes"]), hidden=train["hidden"], adm_dim=meta["adm_dim"],
                         dropout=train["dropout"], backbone=train["spatial_backbone"], pretrained=False)
        try:
            why = misfit(build, {k: tuple(v.shape) for k, v in tensors.items()})
        except ValueError as e:   # sizes past what a tensor can hold
            raise ValueError(f"its header's settings make no {network} network ({e})") from None
        if why:
            raise ValueError(f"its weights do not fit a {network} network of its header's settings ({why})")
        net = build()
        net.load_state_dict(tensors, strict=True)
        return net.eval()
    return load


def network(name: str, description: str, inputs: tuple[str, ...], label: str, base: str = "", adjust=None,
            group: str = "paper", key_inputs: tuple[str, ...] = ("apex", "adm")) -> Method:
    net = base or name
    return Method(name, description, inputs, fitter(net), predict, config=train_config, key=key, save=save,
                  load=loader(net), trace=tracer(net), seeded=True, group=group, label=label, init=init_text(net),
                  base=base,
                  key_inputs=key_inputs, adjust=adjust)


METHODS = (
    network("micro-attention", "the paper's apex-frame baseline: ResNet-10 with attention units", ("apex",),
            "Micro-Attention"),
    network("spatial", "ATNet's spatial stream: ResNet-10 on the apex frame", ("apex",), "ATNet spatial"),
    network("temporal", "ATNet's temporal stream: a 2-layer LSTM on the ADM sequence", ("adm",), "ATNet temporal"),
    network("atnet", "ATNet: the spatial and temporal streams fused (the paper's method)", ("apex", "adm"),
            "ATNet fusion"),
    network("spatial-fer", "the spatial stream with fer's FER2013 mini-Xception, fine-tuned (beyond the paper)",
            ("apex",), "spatial, fer mini-Xception (beyond the paper)", base="spatial", adjust=fer_backbone,
            group="beyond"),
    network("atnet-fer", "ATNet with fer's FER2013 mini-Xception as the spatial stream (beyond the paper)",
            ("apex", "adm"), "fusion, fer mini-Xception spatial (beyond the paper)", base="atnet",
            adjust=fer_backbone, group="beyond"),
    # the onset-apex flow (beyond the paper): the flow stream alone, and beside the apex stream
    network("oaflow", "atnet's onset-apex flow network: a 6-layer CNN on u, v and strain, trained with ATNet's "
            "recipe, mirrored flows (beyond the paper)", ("flow",), "onset-apex flow CNN (beyond the paper)",
            group="beyond", key_inputs=()),
    network("atnet-oa", "ATNet with an onset-apex flow stream in place of the LSTM: ResNet-10 on the apex frame "
            "and the flow CNN, fused (beyond the paper)", ("apex", "flow"),
            "ATNet apex + onset-apex flow (beyond the paper)", group="beyond", key_inputs=()),
    network("atnet-oa-fer", "atnet-oa with fer's FER2013 mini-Xception as the apex stream (beyond the paper)",
            ("apex", "flow"), "apex (fer mini-Xception) + onset-apex flow (beyond the paper)", base="atnet-oa",
            adjust=fer_backbone, group="beyond", key_inputs=()),
)
