"""Chapter 8's recipes: Figure 6's networks, Figure 7's setting, and the margin experiment (Section 5).

The machinery is general and lives elsewhere: mini-batch statistics and boundary draws in
:mod:`bnexplained.jitter`, eq. (13) in :mod:`bnexplained.batch_noise`, noise-controlled BN in
:mod:`bnexplained.noisy_bn`, margins in :mod:`bnexplained.margins`.
"""
from __future__ import annotations

import dataclasses

import torch

from ..batch_noise import batch_statistic_laws, sample_batch_statistics
from ..device import single_thread
from ..networks import SplineMLP
from .scales import ExperimentScale, scale_name

__all__ = ["MarginScale", "MARGIN_SCALES", "margin_scale", "figure6_networks", "FIGURE7_MEANS", "FIGURE7_SPREADS",
           "FIGURE7_PRINTED_RANGES", "figure7_training_set", "figure7_distributions", "figure7_range_ratios",
           "margin_experiment", "margin_run_model", "margin_summary", "margin_table"]


def _at_least(n, name: str, low: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < low:
        raise ValueError(f"{name} must be an int ≥ {low}, got {n!r}")
    return n


# ---------------------------------------------------------------------- the margin experiment
@dataclasses.dataclass(frozen=True)
class MarginScale(ExperimentScale):
    """The margin experiment's size: the training seeds of each setting and the epochs of each run."""

    seeds: tuple
    epochs: int = 80

    #: toy sizes: one seed, one epoch
    TINY = dict(seeds=(0,), epochs=1)

    def __str__(self) -> str:
        n, e = len(self.seeds), self.epochs
        return f"{self.scale} scale: {n} seed{'s' * (n != 1)} per setting, {e} epoch{'s' * (e != 1)} per run"


#: five seeds per setting on a CPU, twenty at the paper's scale (on a GPU runtime; the runs are the same)
MARGIN_SCALES = {"cpu": MarginScale("cpu", seeds=tuple(range(5))), "paper": MarginScale("paper", seeds=tuple(range(20)))}


def margin_scale(device=None, *, scale: str | None = None) -> MarginScale:
    """The margin experiment's size for ``device``: 20 seeds per setting on a CUDA device, 5 elsewhere."""
    return MARGIN_SCALES[scale_name(device, scale=scale)]


def _margin_run(split, widths, virtual_batch_size, seed, lr, epochs, batch_size) -> dict:
    """One training run of the margin experiment (see :func:`margin_experiment`)."""
    from ..margins import margin_distances
    from ..noisy_bn import noise_controlled
    from ..training import train

    net = SplineMLP(widths, "leaky_relu", "bn", out_features=2, seed=seed)
    if virtual_batch_size is not None:
        noise_controlled(net, virtual_batch_size, seed=10_000 + seed)
    with single_thread():
        h = train(net, split, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
        noise_controlled(net, None)
        m = margin_distances(net, *split.train)
    return dict(test_acc=h.test_acc[-1], train_loss=h.train_loss[-1], signed=m.signed.float(),
                train_acc=float(m.correct.double().mean()), tolerance=m.tolerance, diverged=h.diverged,
                widths=list(widths), state=net.state_dict())


def margin_run_model(run: dict) -> SplineMLP:
    """The trained classifier of one :func:`margin_experiment` run (eval mode, whole-data statistics)."""
    net = SplineMLP(run["widths"], "leaky_relu", "bn", out_features=2)
    net.load_state_dict(run["state"])
    return net.eval()


def margin_experiment(split, *, virtual_batch_sizes=(None, 8), seeds=range(5), widths=(2, 32, 32, 32),
                      lr: float = 0.05, epochs: int = 80, batch_size: int = 16, name: str = "ch8-margins",
                      config: dict | None = None, progress: bool = True) -> dict:
    """Train a 2-D BN classifier with plain and noise-controlled BN over several seeds; measure margins.

    For each virtual batch size (``None`` = plain BN) and seed: a ``SplineMLP(widths, "leaky_relu",
    "bn", out_features=2)`` trained by :func:`bnexplained.training.train` on ``split`` (evaluated with
    whole-training-set statistics), then the signed margin of every training point
    (:func:`~bnexplained.margins.margin_distances`, grid method) and the test accuracy. Cached with
    :func:`bnexplained.cache.cached` under ``name`` (describe the data in ``config``). Returns
    ``{m: [run, ...]}``, each run a dict with ``test_acc``, ``train_acc``, ``signed`` (``(N_train,)``),
    ``tolerance``, ``widths`` and ``state`` (the trained ``state_dict``; see :func:`margin_run_model`).
    """
    from tqdm.auto import tqdm

    from ..cache import cached

    settings, seeds = list(virtual_batch_sizes), [int(s) for s in seeds]
    for m in settings:
        if m is not None and not (isinstance(m, int) and 2 <= m < batch_size):
            raise ValueError(f"virtual_batch_sizes must hold None or ints in 2..{batch_size - 1} (below batch_size), "
                             f"got {m!r}")
    if len(split.train[1]) % batch_size:
        raise ValueError(f"the training split ({len(split.train[1])} points) must be a multiple of batch_size "
                         f"({batch_size}), so that every mini-batch is larger than the virtual batch")
    key = dict(config=config or {}, settings=settings, seeds=seeds, widths=list(widths), lr=lr, epochs=epochs,
               batch_size=batch_size, margins="exact",
               train=[float(split.train[0].double().sum()), len(split.train[1])])

    def compute():
        bar = tqdm(total=len(settings) * len(seeds), desc="margin experiment", disable=not progress)
        out = {}
        try:
            for m in settings:
                out[m] = []
                for seed in seeds:
                    out[m].append(_margin_run(split, list(widths), m, seed, lr, epochs, batch_size))
                    bar.update(1)
        finally:
            bar.close()
        return out

    return cached(name, key, compute)


def margin_summary(results: dict) -> dict:
    """:func:`margin_experiment`'s results summarized over seeds: ``{m: {quantity: (mean, std)}}`` for
    ``test_acc``, ``train_acc``, ``p10`` (10th percentile of the training points' signed margins) and
    ``median`` (their median); ``m`` is ``None`` for plain BN."""
    import numpy as np

    out = {}
    for m, runs in results.items():
        cols = {"test_acc": [r["test_acc"] for r in runs], "train_acc": [r["train_acc"] for r in runs],
                "p10": [float(r["signed"].quantile(0.1)) for r in runs],
                "median": [float(r["signed"].median()) for r in runs]}
        out[m] = {k: (float(np.mean(v)), float(np.std(v))) for k, v in cols.items()}
    return out


def margin_table(results: dict) -> str:
    """A text table of :func:`margin_experiment`'s results: per setting, mean ± std over seeds of the
    test accuracy, the training accuracy, and the 10th percentile and median of the training points'
    signed margins (:func:`margin_summary`)."""
    rows = [f"{'setting':<12}{'test acc.':>15}{'train acc.':>15}{'margin, 10th pct':>17}{'median margin':>15}"]
    for m, summary in margin_summary(results).items():
        name = "BN" if m is None else f"noisy m = {m}"
        cells = [f"{mean:.3f} ± {std:.3f}" for mean, std in
                 (summary[k] for k in ("test_acc", "train_acc", "p10", "median"))]
        rows.append(f"{name:<12}" + "".join(f"{c:>15}" if i != 2 else f"{c:>17}" for i, c in enumerate(cells)))
    return "\n".join(rows)


def figure6_networks(split, *, widths=(2, 32, 32, 32), lr: float = 0.05, epochs: int = 30, batch_size: int = 32,
                     seed: int = 0, name: str = "ch8-figure6", config: dict | None = None) -> dict:
    """Figure 6's two networks: one BN classifier at initialization and after training on ``split``.

    ``{"at initialization": net, "after training": net}``, both ``SplineMLP(widths, "leaky_relu", "bn",
    out_features=2, seed=seed)`` with stored statistics from the whole training split (the dashed
    reference boundary). Training (:func:`bnexplained.training.train`) is cached under ``name``.
    """
    from ..cache import cached
    from ..training import train

    def make():
        return SplineMLP(list(widths), "leaky_relu", "bn", out_features=2, seed=seed)

    def compute():
        net = make()
        with single_thread():
            train(net, split, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
        return net.state_dict()

    key = dict(config=config or {}, widths=list(widths), lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
               train=[float(split.train[0].double().sum()), len(split.train[1])])
    trained = make()
    trained.load_state_dict(cached(name, key, compute))
    return {"at initialization": make().fit_statistics(split.train[0]).eval(), "after training": trained.eval()}


# ---------------------------------------------------------------------- Figure 7's setting
#: the three units' means in Figure 7, ``W z ~ N([1, 0, −1], ·)``
FIGURE7_MEANS = (1.0, 0.0, -1.0)
#: the caption's numbers ``(1, 3, 0.1)`` read two ways: as variances (the caption) or as standard deviations
FIGURE7_SPREADS = {"variances": (1.0, 3.0 ** 0.5, 0.1 ** 0.5), "standard deviations": (1.0, 3.0, 0.01)}
#: axis ranges printed under Figure 7 (as OCR'd): ``{"mu"|"sigma": [(low, high) per unit]}``
FIGURE7_PRINTED_RANGES = {"mu": [(0.463, 1.552), (-1.362, 1.608), (-1.005, -0.995)],
                          "sigma": [(0.654, 1.362), (1.954, 4.015), (0.006, 0.014)]}


def figure7_training_set(reading: str = "standard deviations", n: int = 1000, *, seed: int = 0) -> torch.Tensor:
    """Figure 7's training set: ``n`` draws of ``W z ~ N(FIGURE7_MEANS, diag(spread²))``, shape ``(n, 3)``.

    ``reading`` picks the spreads of ``FIGURE7_SPREADS``: ``"variances"`` (the caption's
    ``diag([1, 3, 0.1])``) or ``"standard deviations"`` (``(1, 3, 0.01)``, which reproduces the
    printed axis ranges).
    """
    if reading not in FIGURE7_SPREADS:
        raise ValueError(f"reading must be one of {sorted(FIGURE7_SPREADS)}, got {reading!r}")
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(_at_least(n, "n", 2), 3, generator=gen, dtype=torch.float64)
    return torch.tensor(FIGURE7_MEANS, dtype=torch.float64) + z * torch.tensor(FIGURE7_SPREADS[reading],
                                                                                 dtype=torch.float64)


def figure7_distributions(reading: str = "standard deviations", *, batch_size: int = 64,
                          virtual_batch_size: int = 32, batches: int = 3000, n: int = 1000, seed: int = 0) -> dict:
    """Everything Figure 7 draws: empirical, analytic and noise-controlled laws of ``μ_k, σ_k``.

    Mini-batches of ``batch_size`` from :func:`figure7_training_set` (``n`` points) give the
    empirical samples (``"mu"``, ``"sigma"``, each ``(batches, 3)``); the same draws with
    noise-controlled BN at ``virtual_batch_size`` give ``"noisy_mu"``, ``"noisy_sigma"``.
    ``"laws"`` and ``"virtual_laws"`` are eq. (13)'s Gaussian approximations
    (:func:`~bnexplained.batch_noise.batch_statistic_laws`) at the two batch sizes, centred on the training set's own
    mean and spread.
    """
    U = figure7_training_set(reading, n, seed=seed)
    mu, sigma = sample_batch_statistics(U, batch_size, batches, seed=seed + 1)
    nmu, nsigma = sample_batch_statistics(U, batch_size, batches, virtual_batch_size=virtual_batch_size,
                                          seed=seed + 1)
    c = U - U.mean(0)
    s2, phi = c.pow(2).mean(0), c.pow(4).mean(0)
    laws = batch_statistic_laws(s2, phi, batch_size, mean=U.mean(0))
    virtual = batch_statistic_laws(s2, phi, virtual_batch_size, mean=U.mean(0))
    return dict(reading=reading, batch_size=batch_size, virtual_batch_size=virtual_batch_size, training_set=U,
                mu=mu, sigma=sigma, noisy_mu=nmu, noisy_sigma=nsigma, laws=laws, virtual_laws=virtual)


def figure7_range_ratios(reading: str, virtual_batch_size: int = 32) -> torch.Tensor:
    """Half-width of each axis range printed under Figure 7 over the analytic standard deviation.

    Row 0 ``μ_k``, row 1 ``σ_k`` (``k = 1, 2, 3``), the spread taken at the virtual batch (the
    widest law drawn). A reading that reproduces the figure gives similar ratios in all six
    panels (axes span a fixed number of standard deviations). Returns shape ``(2, 3)``.
    """
    if reading not in FIGURE7_SPREADS:
        raise ValueError(f"reading must be one of {sorted(FIGURE7_SPREADS)}, got {reading!r}")
    s2 = torch.tensor(FIGURE7_SPREADS[reading], dtype=torch.float64) ** 2
    laws = batch_statistic_laws(s2, 3 * s2 ** 2, _at_least(virtual_batch_size, "virtual_batch_size", 2))
    half = torch.tensor([[(hi - lo) / 2 for lo, hi in FIGURE7_PRINTED_RANGES[key]] for key in ("mu", "sigma")],
                        dtype=torch.float64)
    return half / torch.stack([laws["mu"][1], laws["sigma"][1]])
