"""The spatial stream's starting weights from a file (`--init-spatial`): an `atnet pretrain` weights
file, or a model file whose network has a spatial stream."""
from __future__ import annotations

from pathlib import Path

from ..core.errors import CorpusError
from ..core.readers import existing_file, one_line
from ..models import refuse_nonfinite


def load_spatial_init(spatial, path: str | Path, partial: bool = False) -> tuple[int, int]:
    """Load a pretrained spatial stream (an `atnet pretrain` weights file, or a model file whose
    network has a spatial stream) into `spatial`; returns (tensors loaded, tensors of the stream).
    Micro-Attention's attention units are not counted (a pretrained ResNet-10 has none: they start
    new), nor BatchNorm's batch counters (a scalar fits any network). Every tensor of the file must
    be finite; a file that fills none of the stream is refused, and one that fills part of it unless
    `partial` (--init-partial): the rest would start new."""
    from safetensors.torch import load_file
    fix = "pass a file written by `atnet pretrain` (or `atnet train --method spatial|atnet`) to --init-spatial"
    path = existing_file(path, "a weights file", "pass a weights file written by `atnet pretrain` to --init-spatial")
    try:
        state = load_file(str(path), device="cpu")
    except Exception as e:
        raise CorpusError(f"{path}: not a weights file of `atnet pretrain` ({one_line(e)}); {fix}.") from None
    refuse_nonfinite(state, path, f"the pretraining diverged or the file is damaged; {fix}")
    own = {k[len("spatial."):]: v for k, v in state.items() if k.startswith("spatial.")}
    target = spatial.state_dict()
    core = [k for k in target if "attention" not in k and not k.endswith("num_batches_tracked")]   # BN counters fit any file
    fits = {k: v for k, v in own.items() if k in target and tuple(target[k].shape) == tuple(v.shape)}
    loaded = sum(k in fits for k in core)
    if loaded == 0:
        first = next((k for k in own if k not in fits), None)
        why = ("no tensor is named spatial.*" if not own else "it holds batch counters and attention units only"
               if first is None else
               f"spatial.{first} is not one of its tensors" if first not in target else
               f"spatial.{first} has shape {tuple(own[first].shape)}, the stream {tuple(target[first].shape)}")
        raise CorpusError(f"{path}: none of its {len(state)} tensors fits the spatial stream ({why}); {fix}.")
    if loaded < len(core) and not partial:
        gap = [k for k in core if k not in fits]
        raise CorpusError(f"{path}: fills only {loaded} of the spatial stream's {len(core)} tensors (spatial.{gap[0]} "
                          f"and {len(gap) - 1} more are missing or of another shape); {fix}, or add --init-partial "
                          f"to start the rest new.")
    spatial.load_state_dict(fits, strict=False)
    return loaded, len(core)
