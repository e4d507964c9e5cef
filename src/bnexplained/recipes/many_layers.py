"""Chapters 4 and 5's recipes: the networks of Figure 2 and Figure 9."""
from __future__ import annotations

import torch

from ..device import single_thread
from ..networks import SplineMLP

__all__ = ["figure2_network", "figure9_network"]


def figure2_network(X, *, activation: str = "leaky_relu", units: int = 8, seed: int = 0) -> SplineMLP:
    """Figure 2's network: 2-D input, two BN layers of ``units`` units, random weights, statistics
    fitted on ``X`` (float64, so the geometry is exact to rounding)."""
    net = SplineMLP([2, units, units], activation, "bn", seed=seed, dtype=torch.float64)
    return net.fit_statistics(torch.as_tensor(X).to(torch.float64))


@single_thread
def figure9_network(*, n: int = 200, widths=(8, 8, 8, 8), epochs: int = 25, lr: float = 0.1, seed: int = 0,
                    progress: bool = False):
    """Figure 9's toy network: 2-D input, four leaky-ReLU BN layers (``widths``), a linear read-out,
    trained by SGD (``bnx.training.train``, batches of 32) on ``n`` points of two moons; statistics then
    fitted on the training points. The trained weights are cached (``bnx.cache``). Training runs on one
    CPU thread: for a network this small, extra threads only add overhead (:func:`~bnexplained.device.single_thread`).
    Returns ``(net, split, history)``
    with ``history`` a dict of the per-epoch ``train_loss`` and ``test_acc``.
    """
    from .. import data, training
    from ..cache import cached

    X, y = data.moons(n, noise=0.1, seed=seed, labels=True, dtype=torch.float64)
    split = training.split(X, y, val=0.2, test=0.2, seed=seed)
    shape = [2] + list(widths)

    def build():
        return SplineMLP(shape, "leaky_relu", "bn", out_features=2, seed=seed, dtype=torch.float64)

    def compute():
        net = build()
        h = training.train(net, split, lr=lr, epochs=epochs, batch_size=32, seed=seed, progress=progress)
        return {"state": net.state_dict(), "train_loss": h.train_loss, "test_acc": h.test_acc}

    config = {"n": n, "widths": shape, "epochs": epochs, "lr": lr, "seed": seed}
    result = cached("figure9-network", config, compute)
    net = build()
    net.load_state_dict(result["state"])
    net.eval()
    net.fit_statistics(split.train[0])
    return net, split, {"train_loss": result["train_loss"], "test_acc": result["test_acc"]}
