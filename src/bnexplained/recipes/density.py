"""Chapter 6's recipes: the Figure 3 and Figure 4 experiments, each at a CPU scale and the paper's scale.

:func:`figure3_scale` and :func:`figure4_scale` choose the scale from the device (the paper's on
CUDA); a scale unpacks into the experiment's arguments (``figure3(X, **figure3_scale(device))``) and
``scale.shrink()`` keeps its branch at toy sizes (:mod:`bnexplained.recipes.scales`).

The concentration itself (grid counts, local and sampled estimators) is :mod:`bnexplained.density`'s;
these functions build the figures' random networks, in each of the three initialization settings,
and count around the data.
"""
from __future__ import annotations

import dataclasses
import math

import torch

from ..density import SETTINGS, facet_concentration, facet_distances, gaussian_like
from ..device import as_tensor
from ..partition import Grid
from .scales import ExperimentScale, scale_name

__all__ = ["Figure3Scale", "FIGURE3_SCALES", "figure3_scale", "figure3", "Figure4Scale", "FIGURE4_SCALES",
           "figure4_scale", "figure4"]


def _positive(eps) -> float:
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be positive and finite, got {eps!r}")
    return eps


@dataclasses.dataclass(frozen=True)
class Figure3Scale(ExperimentScale):
    """The Figure 3 experiment's size: ``depth`` layers of ``width`` units, a ``resolution²`` grid, discs of
    radius ``eps``; the sign maps are built in bands of about ``max_floats`` pre-activations."""

    width: int
    depth: int
    resolution: int
    eps: float
    max_floats: int = 2 ** 24

    #: toy sizes that keep the paper branch's code path: two 64-bit sign words per pixel (width > 64),
    #: all 11 layers, and sign maps built in many bands of rows, as 11 × 1024 units are on a 400² grid
    TINY = dict(width=80, resolution=32, eps=0.25, max_floats=2 ** 14)

    def __str__(self) -> str:
        return (f"{self.scale} scale: {self.depth} layers of {self.width} units, {self.resolution}² grid, "
                f"ε = {self.eps}")


#: the CPU scale (a 2-core laptop: about a minute) and the paper's (11 × 1024 units on a 400² grid, a GPU)
FIGURE3_SCALES = {"cpu": Figure3Scale("cpu", width=256, depth=11, resolution=200, eps=0.05),
                  "paper": Figure3Scale("paper", width=1024, depth=11, resolution=400, eps=0.05)}


def figure3_scale(device=None, *, scale: str | None = None) -> Figure3Scale:
    """The Figure 3 experiment's size for ``device``: the paper's 11 layers × 1024 units on a 400² grid on a
    CUDA device, 11 × 256 on a 200² grid elsewhere (the same code either way; ``scale`` chooses by hand)."""
    return FIGURE3_SCALES[scale_name(device, scale=scale)]


def figure3(X, *, width: int = 256, depth: int = 11, layers=(1, 7, 11), eps: float = 0.05,
            resolution: int = 200, seed: int = 0, extent=None, activation: str = "leaky_relu",
            settings=SETTINGS, device=None, progress: bool = True, scale: str | None = None,
            max_floats: int = 2 ** 24) -> dict:
    """Figure 3: concentration maps of ``depth`` layers of ``width`` units with random weights, on a 2-D
    data set ``X``, in each initialization setting (zero bias, random bias, BN with statistics of all
    of ``X``). The same seed gives the same weights in every setting. Returns
    ``{setting: GridConcentration}`` (tensors on the CPU). ``scale`` is accepted and ignored, so that
    ``figure3(X, **figure3_scale())`` works; ``max_floats`` bounds the pre-activations held at once
    (:func:`~bnexplained.density.sign_maps`).
    """
    from ..networks import SplineMLP
    from ..partition import data_extent

    X = as_tensor(X, name="X", dtype=torch.float32)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be 2-D data of shape (N ≥ 2, 2), got {tuple(X.shape)}")
    extent = data_extent(X) if extent is None else extent
    dev = torch.device(device) if device is not None else X.device
    out = {}
    it = settings
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(settings, desc=f"Figure 3, {depth} x {width}")
    for setting in it:
        net = SplineMLP([2] + [width] * depth, activation, setting, seed=seed, device=dev)
        if setting == "bn":
            net.fit_statistics(X.to(dev))
        conc = facet_concentration(net, extent, eps, layers=list(layers), resolution=resolution,
                                   max_floats=max_floats)
        conc.counts = conc.counts.cpu()
        conc.grid = Grid(conc.grid.xs.cpu(), conc.grid.ys.cpu(), conc.grid.points.cpu())
        out[setting] = conc
    return out


@dataclasses.dataclass(frozen=True)
class Figure4Scale(ExperimentScale):
    """The Figure 4 experiment's size: a ResNet9 of ``width``, ``probes`` random directions per image for
    the gradient norms, ``n`` data images and ``n`` random ones."""

    width: int
    probes: int
    n: int = 100

    #: toy sizes: the paper branch's ResNet9 and estimator, two channels wide, a few images
    TINY = dict(width=2, probes=4, n=4)

    def __str__(self) -> str:
        return (f"{self.scale} scale: ResNet9 of width {self.width}, {self.probes} random directions per image, "
                f"{self.n} images")


#: the CPU scale and the paper's (ResNet9 of width 64, as Figure 4; a GPU)
FIGURE4_SCALES = {"cpu": Figure4Scale("cpu", width=16, probes=16),
                  "paper": Figure4Scale("paper", width=64, probes=64)}


def figure4_scale(device=None, *, scale: str | None = None) -> Figure4Scale:
    """The Figure 4 experiment's size for ``device``: ResNet9 of width 64 with 64 random probes per image on
    a CUDA device, width 16 with 16 probes elsewhere (``scale`` chooses by hand)."""
    return FIGURE4_SCALES[scale_name(device, scale=scale)]


def figure4(X, *, width: int = 16, n: int = 100, eps=None, probes: int | None = 16, seed: int = 0,
            settings=SETTINGS, device=None, progress: bool = True, scale: str | None = None) -> dict:
    """Figure 4: average concentration (:func:`~bnexplained.density.local_concentration`) of a random-weight ``ResNet9``
    around ``n`` training images drawn from ``X`` (shape ``(N, C, H, W)``) and around ``n``
    :func:`~bnexplained.density.gaussian_like` images, in each setting; BN statistics come from all of ``X``.

    Returns a dict: ``eps`` (E,), ``units`` (units per layer, (L,)), and ``data`` / ``random``, each
    ``{setting: (E, L) mean count per layer}``; everything on the CPU.
    """
    from ..convnets import ResNet9

    X = as_tensor(X, name="X", dtype=torch.float32)
    if X.ndim != 4:
        raise ValueError(f"X must be images of shape (N, C, H, W), got {tuple(X.shape)}")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= X.shape[0]:
        raise ValueError(f"n must be an int in 1..{X.shape[0]} (the number of images), got {n!r}")
    eps = torch.logspace(-1.5, 0.5, 9).tolist() if eps is None else [_positive(e) for e in eps]
    dev = torch.device(device) if device is not None else X.device
    gen = torch.Generator().manual_seed(seed)
    data = X[torch.randperm(X.shape[0], generator=gen)[:n]]
    rand = gaussian_like(X, n, seed=seed + 1)
    out = {"eps": torch.tensor(eps), "data": {}, "random": {}}
    it = settings
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(settings, desc=f"Figure 4, ResNet9 width {width}")
    for setting in it:
        net = ResNet9(X.shape[1], 10, width=width, mode=setting, seed=seed, device=dev)
        if setting == "bn":
            net.fit_statistics(X)
        for name, imgs in (("data", data), ("random", rand)):
            dist = facet_distances(net, imgs.to(dev), probes=probes, seed=seed)
            e = torch.as_tensor(eps, dtype=dist[0].dtype, device=dist[0].device)
            counts = torch.stack([(d[None] <= e[:, None, None]).sum(-1) for d in dist], -1)   # (E, N, L)
            out[name][setting] = counts.float().mean(1).cpu()
        out["units"] = torch.tensor([d.shape[1] for d in dist])
    return out
