"""Drawing chapter 2's training experiment: learned versus fixed γ, β (the paper's Table 1, small scale)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .core import BLUE, GREY, RED

__all__ = ["plot_affine_comparison"]


def plot_affine_comparison(result, *, axes=None):
    """Left: test accuracy per epoch, mean ± one standard deviation over seeds, each setting at its best
    learning rate. Right: every seed's final test accuracy, with the mean. ``result`` is an
    :class:`~bnexplained.recipes.parameters.AffineComparison`. Returns the axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.4), gridspec_kw=dict(width_ratios=[1.6, 1]),
                               layout="constrained")
    colors = [GREY, BLUE]
    rows = result.summary()
    lo = 1.0
    for (name, lr, mean_acc, _, accs), color, (_, sw) in zip(rows, colors, result.sweeps.items()):
        mean, std = sw.curve("test_acc")
        epochs = np.arange(len(mean))
        axes[0].plot(epochs, mean, color=color, lw=2, label=f"{name} (lr {lr:g})")
        axes[0].fill_between(epochs, mean - std, mean + std, color=color, alpha=0.25, lw=0)
        lo = min(lo, float((mean - std)[min(2, len(mean) - 1):].min()))   # the first epochs start low
    axes[0].set_ylim(max(0.0, lo - 0.01), 1.0)
    axes[0].set_xlabel("epoch", fontsize=10)
    axes[0].set_ylabel("test accuracy", fontsize=10)
    axes[0].legend(fontsize=9, loc="lower right")
    for i, ((name, _, mean_acc, std_acc, accs), color) in enumerate(zip(rows, colors)):
        jitter = np.linspace(-0.12, 0.12, len(accs))
        axes[1].scatter(i + jitter, accs, color=color, s=28, zorder=3, edgecolor="black", linewidth=0.4)
        axes[1].errorbar(i + 0.3, mean_acc, yerr=std_acc, fmt="_", color=RED, ms=16, capsize=4, lw=1.4)
    axes[1].set_xticks(range(len(rows)), [r[0] for r in rows], fontsize=9)
    axes[1].set_xlim(-0.5, len(rows) - 0.3)
    axes[1].set_ylabel("final test accuracy", fontsize=10)
    for ax in axes:
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.3)
    return axes
