"""Pure feature functions (numpy in, numpy out): optical flow backends and the ADM feature."""
from .adm import adm, assemble, window_pairs
from .flow import BACKENDS, flow

__all__ = ["adm", "assemble", "window_pairs", "flow", "BACKENDS"]
