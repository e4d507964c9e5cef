"""Chapter 2's recipes: the paper's Table 1 experiment at a small, offline scale (Appendix C), and the
two-layer network of the chapter's exercise on absorbing ``γ``.

Does BN need its learned ``γ, β``?

Two otherwise identical BN networks are trained by SGD on the same split of scikit-learn's
digits: one with ``γ = 1, β = 0`` fixed (the setting of the paper's theory), one with ``γ, β``
learned. Each is trained for several seeds at several learning rates (:func:`bnexplained.training.sweep`,
the learning rate picked on validation accuracy), and the test accuracies are compared with
their spread over seeds. The scale follows the device: on a CPU a small MLP, on a GPU a ResNet9
on the digits as 8×8 images; the same code runs both, and everything is cached on disk.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .. import data, training
from ..convnets import ResNet9
from ..device import device as default_device
from ..device import single_thread
from ..networks import SplineMLP
from .scales import scale_name

__all__ = ["SCALES", "TINY", "AffineComparison", "compare_learnable_affine", "SETTINGS", "gamma_beta_network"]

#: the two settings compared, as in Table 1 ("No" / "Yes")
SETTINGS = {"fixed γ = 1, β = 0": False, "learned γ, β": True}

#: the experiment's size on each kind of device ("gpu": the paper scale, chosen on a CUDA device)
SCALES = {
    "cpu": dict(model="mlp", widths=[64, 128, 128, 128], seeds=[0, 1, 2, 3, 4], epochs=10, lrs=[0.03, 0.1, 0.3]),
    "gpu": dict(model="resnet9", width=64, seeds=list(range(8)), epochs=20, lrs=[0.01, 0.03, 0.1]),
}
#: toy sizes that keep each scale's model and protocol (``tiny=True``): one seed, one epoch, two rates
TINY = {
    "cpu": dict(widths=[64, 8], seeds=[0], epochs=1, lrs=[0.1, 0.3]),
    "gpu": dict(width=4, seeds=[0], epochs=1, lrs=[0.03, 0.1]),
}


@dataclass
class AffineComparison:
    """The sweeps of both settings (``{setting: SweepResult}``) and what was run."""

    scale: str
    config: dict
    sweeps: dict
    split_sizes: dict
    from_cache: bool = field(default=False)

    def summary(self) -> list:
        """Rows ``(setting, best lr, final test accuracy mean, std over seeds, per-seed accuracies)``."""
        rows = []
        for name, sw in self.sweeps.items():
            accs = np.array([h.test_acc[-1] for h in sw.runs()])
            rows.append((name, sw.best_lr, float(accs.mean()), float(accs.std()), accs))
        return rows

    def difference(self) -> tuple:
        """Learned minus fixed final test accuracy: ``(mean difference, its standard error)``."""
        (_, _, m0, s0, a0), (_, _, m1, s1, a1) = self.summary()
        if min(len(a0), len(a1)) < 2:                     # one seed: no spread to estimate
            return m1 - m0, float("nan")
        return m1 - m0, float(np.sqrt(a0.var(ddof=1) / len(a0) + a1.var(ddof=1) / len(a1)))

    def __str__(self) -> str:
        cfg = self.config
        size = f"widths {cfg['widths']}" if cfg["model"] == "mlp" else f"width {cfg['width']}"
        n = self.split_sizes
        lines = [f"{self.scale} scale: {cfg['model']} ({size}) on the digits",
                 f"split: {n['train']} train, {n['val']} validation, {n['test']} test images",
                 f"{len(cfg['seeds'])} seeds × learning rates {cfg['lrs']} × {cfg['epochs']} epochs per setting"]
        for name, lr, mean, std, _ in self.summary():
            lines.append(f"  {name:18s} best lr {lr:<5g} final test accuracy {100 * mean:.2f} ± {100 * std:.2f} %")
        diff, se = self.difference()
        lines.append(f"  learned − fixed: {100 * diff:+.2f} ± {100 * se:.2f} points (standard error over seeds)")
        return "\n".join(lines)

    __repr__ = __str__

    def shift_summary(self) -> str:
        """One line per layer: median and 90th percentile of ``|β/γ|`` (see :meth:`hyperplane_shifts`)."""
        return "\n".join(f"layer {i}: |β/γ| median {np.median(s):.3f}, 90th percentile {np.quantile(s, 0.9):.3f}"
                         for i, s in enumerate(self.hyperplane_shifts(), start=1))

    def hyperplane_shifts(self) -> list:
        """For the learned setting at its best lr: per layer, every unit's ``|β_k / γ_k|`` over seeds.

        ``|β/γ|`` is how far training moved unit ``k``'s zero set away from BN's TLS-optimal
        hyperplane, in units of the data's root-mean-square distance to it, ``σ_k/‖w_k‖``
        (chapter 3: ``⟨w_k, z⟩ = μ_k − σ_k β_k/γ_k``). Needs the kept models (MLP scale).
        """
        runs = self.sweeps["learned γ, β"].runs()
        if any(h.model is None for h in runs):
            raise ValueError("the trained models were not kept; run compare_learnable_affine(keep_models=True)")
        per_layer = []
        for h in runs:
            norms = [m for m in h.model.modules() if getattr(m, "mode", None) == "bn" and hasattr(m, "gamma")]
            for i, norm in enumerate(norms):
                shift = (norm.beta / norm.gamma).abs().detach().cpu().numpy()
                if len(per_layer) <= i:
                    per_layer.append([])
                per_layer[i].append(shift)
        return [np.concatenate(p) for p in per_layer]


def _make(cfg: dict, learnable: bool, device):
    if cfg["model"] == "mlp":
        return lambda seed: SplineMLP(cfg["widths"], "leaky_relu", "bn", out_features=10,
                                      learnable_affine=learnable, seed=seed, device=device)
    return lambda seed: ResNet9(1, 10, width=cfg["width"], learnable_affine=learnable, seed=seed, device=device)


def compare_learnable_affine(scale: str | None = None, *, progress: bool = True, keep_models: bool = True,
                             device=None, tiny: bool = False, **overrides) -> AffineComparison:
    """Train both settings of :data:`SETTINGS` on the digits and return an :class:`AffineComparison`.

    ``scale`` is ``"cpu"`` or ``"gpu"`` (default: ``"gpu"`` when CUDA is available); ``overrides``
    replace entries of :data:`SCALES` (``seeds``, ``epochs``, ``lrs``, ...); ``tiny=True`` runs the scale's
    branch at the toy sizes of :data:`TINY` first (for tests and ``make gpu-check``). The split (60/20/20,
    stratified, seed 0) is the same for every run; a run's seed sets its initial weights and its
    mini-batch order. Results are cached (:func:`bnexplained.cache.cached`) per setting.
    """
    device = default_device() if device is None else torch.device(device)
    if scale is None:
        scale = "gpu" if scale_name(device) == "paper" else "cpu"
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    unknown = set(overrides) - set(SCALES[scale])
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; the {scale!r} scale has {sorted(SCALES[scale])}")
    cfg = {**SCALES[scale], **(TINY[scale] if tiny else {}), **overrides}
    X, y = data.digits(flatten=cfg["model"] == "mlp")
    split = training.split(X, y, val=0.2, test=0.2, seed=0)
    sweeps, cached_all = {}, True
    with single_thread(enabled=device.type == "cpu"):
        for name, learnable in SETTINGS.items():
            sw = training.sweep(_make(cfg, learnable, device), split, lrs=cfg["lrs"], seeds=cfg["seeds"],
                                epochs=cfg["epochs"], name=f"learnable-affine-{scale}",
                                config=dict(cfg, learnable_affine=learnable, data="digits"),
                                progress=progress, keep_models=keep_models)
            cached_all &= sw.from_cache
            sweeps[name] = sw
    return AffineComparison(scale, cfg, sweeps, split.sizes(), from_cache=cached_all)


def gamma_beta_network() -> SplineMLP:
    """Exercise 2 of chapter 2: a ``[2, 3, 2]`` leaky-ReLU BN classifier (seed 4, float64) with learned
    ``γ_1 = (0.5, 2, 1.5)``, ``β_1 = (0.3, −0.2, 0.1)`` and statistics fitted on 50 points of two moons."""
    net = SplineMLP([2, 3, 2], "leaky_relu", "bn", learnable_affine=True, out_features=2, seed=4,
                    dtype=torch.float64)
    with torch.no_grad():
        net.layers[0].norm.gamma.copy_(torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64))
        net.layers[0].norm.beta.copy_(torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64))
    return net.fit_statistics(data.moons(50, dtype=torch.float64))
