"""How large an experiment of the book runs: a CPU scale, or the paper's scale when CUDA is present.

Every experiment with two sizes describes each by a small frozen dataclass, its *scale*, and one
function picks the scale from the device (:func:`scale_name`: the paper's on a CUDA device, the CPU
one elsewhere); the same code runs either. A scale's :meth:`~ExperimentScale.shrink` keeps its branch
(the paper's data, model and code path) at toy sizes: the tests run every paper-scale branch on a
CPU in seconds that way, and ``make gpu-check`` runs one short step of each on a GPU.

A scale reads like a dict of the experiment's keyword arguments (``figure3(X, **scale)``) and
prints as one line.
"""
from __future__ import annotations

import dataclasses

import torch

from ..device import device as default_device

__all__ = ["SCALE_NAMES", "scale_name", "ExperimentScale"]

#: the two sizes of every experiment: ``"cpu"`` (minutes on a 2-core laptop) and ``"paper"`` (a GPU)
SCALE_NAMES = ("cpu", "paper")


def scale_name(device=None, *, scale: str | None = None) -> str:
    """``"paper"`` when ``device`` (default :func:`bnexplained.device`) is a CUDA device, else ``"cpu"``;
    ``scale="cpu"`` or ``"paper"`` chooses by hand."""
    if scale is not None:
        if scale not in SCALE_NAMES:
            raise ValueError(f"scale must be None, 'cpu' or 'paper', got {scale!r}")
        return scale
    dev = torch.device(device) if device is not None else default_device()
    return "paper" if dev.type == "cuda" else "cpu"


@dataclasses.dataclass(frozen=True)
class ExperimentScale:
    """Base of the experiments' scales: ``scale`` names the branch (``"cpu"`` or ``"paper"``); subclasses
    add the sizes and list in ``TINY`` the sizes :meth:`shrink` sets."""

    scale: str

    TINY = {}

    def __post_init__(self):
        if self.scale not in SCALE_NAMES:
            raise ValueError(f"scale must be one of {SCALE_NAMES}, got {self.scale!r}")

    def shrink(self, **sizes) -> "ExperimentScale":
        """The same branch (``scale``, data, model) at toy sizes (``TINY``, then ``sizes``), for tests and
        ``make gpu-check``."""
        return dataclasses.replace(self, **{**self.TINY, **sizes})

    # a scale unpacks into the experiment's keyword arguments: ``figure3(X, **scale)``
    def keys(self):
        return [f.name for f in dataclasses.fields(self)]

    def __getitem__(self, key: str):
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)
