"""Chapter 7's recipes: Section 4's experiment (Figures 5 and 10), Proposition 3's classifier, the exercise network.

Section 4's experiment: three initializations of the same weights, trained by SGD.

For every seed one set of random weights is drawn; it starts SGD three ways
(:mod:`bnexplained.initialization`: zero bias, random bias, or BN statistics of the whole
training set folded in), and no BN is used during training. Each initialization gets a
learning-rate sweep over several seeds (:func:`bnexplained.training.sweep`): the rate is
chosen on a validation split, and the test accuracy per epoch at that rate is averaged over
seeds — the protocol of Figure 10. The same code runs at two scales:

* :data:`CPU`:   a six-layer leaky-ReLU MLP on scikit-learn's 8×8 digits, 3 seeds, a few epochs
  (10 to 20 s on a shared 2-core CPU);
* :data:`PAPER`: the ResNet9 of Figure 10 (width 64) on CIFAR-100 with a GPU (no data augmentation).

:func:`choose_scale` picks one from the device (and whether CIFAR-100 is on disk); ``scale.shrink()``
keeps a scale's branch at toy sizes (the tests run :data:`PAPER` that way on CIFAR-format files they write);
:data:`RESNET9_CPU` runs a narrow ResNet9 on the digits (a minute or two on a 2-core CPU). A small 2-D task
(:func:`trajectories`) keeps a snapshot of the model after every epoch, to watch the
partition and the decision boundary move.

Two protocols for the BN start. The book's (``initialize(net, "bn", X)``) folds the frozen
statistics into trainable weights and biases, ``w' = w/σ``, ``c' = −μ/σ``. The paper's trains
``W`` *under* frozen ``μ, σ`` (:class:`FrozenStatistics`): the offsets stay where BN put them
unless ``W`` moves them, and a step of size η on ``w`` is a step of η/σ² on ``w'``.
:func:`compare_protocols` runs both sweeps from the same seeds.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import torch

from .. import data as datasets
from ..cache import cached
from ..convnets import ResNet9
from ..device import device as default_device
from ..device import single_thread
from ..initialization import INITIALIZATIONS, initialize
from ..networks import SplineMLP
from ..training import Split, split as make_split, sweep, train
from .scales import scale_name

__all__ = ["Scale", "CPU", "RESNET9_CPU", "PAPER", "choose_scale", "load_split", "template", "run",
           "final_accuracies", "accuracy_table", "trajectories", "proposition_3_network", "fold_exercise_network",
           "FrozenStatistics", "frozen_bn", "PROTOCOLS", "compare_protocols", "frozen_sigmas"]


@dataclass(frozen=True)
class Scale:
    """One configuration of the experiment: data, model, learning-rate grid, seeds, epochs."""

    name: str
    data: str                     # "digits" or "cifar100"
    model: str                    # "resnet9" or "mlp"
    width: int                    # ResNet9: channels of its first unit; MLP: units per layer
    lrs: tuple
    seeds: tuple
    epochs: int
    depth: int = 0                # MLP only: number of hidden layers
    batch_size: int = 128
    momentum: float = 0.9
    bias_std: float = 1.0         # the random-bias initialization's N(0, bias_std²)
    alpha: float = 0.1            # leaky-ReLU slope (the paper's ResNet)

    def config(self) -> dict:
        return dataclasses.asdict(self)

    def shrink(self, **sizes) -> "Scale":
        """The same branch (data set, model, protocol) at toy sizes: width 4 (an MLP of at most two
        layers), the first two learning rates, one seed, one epoch, batches of 32; ``sizes`` override."""
        tiny = dict(width=4, lrs=self.lrs[:2], seeds=self.seeds[:1], epochs=1, batch_size=32)
        if self.model == "mlp":
            tiny["depth"] = min(self.depth, 2)
        return dataclasses.replace(self, **{**tiny, **sizes})

    def __str__(self) -> str:
        model = (f"ResNet9 (width {self.width})" if self.model == "resnet9"
                 else f"MLP ({self.depth} layers of {self.width})")
        return (f"{self.name} scale: {model} on {self.data}\n"
                f"learning rates {list(self.lrs)}, {len(self.seeds)} seeds, {self.epochs} epochs, "
                f"batches of {self.batch_size}")


CPU = Scale("cpu", "digits", "mlp", width=128, depth=6, lrs=(0.01, 0.03, 0.1), seeds=(0, 1, 2), epochs=6)
RESNET9_CPU = Scale("cpu", "digits", "resnet9", width=8, lrs=(0.01, 0.03, 0.1), seeds=(0, 1, 2), epochs=6)
PAPER = Scale("paper", "cifar100", "resnet9", width=64, lrs=(0.003, 0.01, 0.03, 0.1), seeds=(0, 1, 2), epochs=30)


def _cifar_present(root) -> bool:
    import pathlib

    folder = pathlib.Path(root).expanduser() / "cifar-100-python"
    return (folder / "train").is_file() and (folder / "test").is_file()


def choose_scale(device=None, *, root="~/data", scale: str | None = None) -> tuple[Scale, str]:
    """``(scale, why)``: :data:`PAPER` on a GPU with CIFAR-100 under ``root``, else :data:`CPU`.

    ``scale="cpu"`` or ``"paper"`` forces one (paper scale without CIFAR-100 raises
    ``FileNotFoundError`` later, in :func:`load_split`, with instructions).
    """
    if scale is not None:
        return (PAPER if scale_name(scale=scale) == "paper" else CPU), "chosen by hand"
    if scale_name(device) != "paper":
        return CPU, "no GPU: the CPU scale runs"
    if not _cifar_present(root):
        return CPU, (f"a GPU is present but CIFAR-100 is not under {root!r}: the CPU scale runs "
                     "(bnx.data.cifar('cifar100', root, download=True) fetches it, with torchvision)")
    return PAPER, "a GPU and CIFAR-100 are present: the paper scale runs"


def load_split(scale: Scale, *, root="~/data", seed: int = 0) -> Split:
    """Train / validation / test data for ``scale``: digits split 60/20/20 (stratified), or CIFAR-100's
    training set split 90/10 into train and validation, with its own test set."""
    if scale.data == "digits":
        X, y = datasets.digits(flatten=scale.model == "mlp")
        return make_split(X, y, val=0.2, test=0.2, seed=seed)
    if scale.data == "cifar100":
        X, y = datasets.cifar("cifar100", root=root, train=True)
        part = make_split(X, y, val=0.1, test=0.0, seed=seed)
        return Split(part.train, part.val, datasets.cifar("cifar100", root=root, train=False))
    raise ValueError(f"scale.data must be 'digits' or 'cifar100', got {scale.data!r}")


def template(scale: Scale, seed: int, *, in_shape: tuple, classes: int, device=None):
    """The BN network holding seed ``seed``'s random weights (all three initializations start from it)."""
    if scale.model == "resnet9":
        return ResNet9(in_shape[0], classes, width=scale.width, alpha=scale.alpha, seed=seed, device=device)
    if scale.model == "mlp":
        widths = [in_shape[0]] + [scale.width] * scale.depth
        return SplineMLP(widths, "leaky_relu", "bn", alpha=scale.alpha, out_features=classes, seed=seed,
                         device=device)
    raise ValueError(f"scale.model must be 'resnet9' or 'mlp', got {scale.model!r}")


def run(scale: Scale, split: Split | None = None, *, root="~/data", device=None, progress: bool = True,
        refresh: bool = False) -> dict:
    """Figure 10's protocol for every initialization: ``{init: SweepResult}`` (cached on disk).

    Each sweep trains ``len(scale.lrs) × len(scale.seeds)`` runs; ``result.best_lr`` is chosen on
    validation accuracy and ``result.curve("test_acc")`` gives (mean, std) over seeds per epoch.
    On the CPU the sweeps run on one thread (:func:`bnexplained.device.single_thread`).
    """
    if not isinstance(scale, Scale):
        raise TypeError(f"scale must be a bnx.recipes.smart_init.Scale, got {type(scale).__name__}")
    device = torch.device(device) if device is not None else default_device()
    split = load_split(scale, root=root) if split is None else split
    Xtr, ytr = split.train
    classes = int(ytr.max()) + 1
    results = {}
    with single_thread(enabled=device.type == "cpu"):
        for init in INITIALIZATIONS:
            def make_model(seed, init=init):
                net = template(scale, seed, in_shape=tuple(Xtr.shape[1:]), classes=classes, device=device)
                return initialize(net, init, Xtr.to(device) if init == "bn" else None, bias_std=scale.bias_std,
                                  seed=seed)

            results[init] = sweep(make_model, split, lrs=list(scale.lrs), seeds=list(scale.seeds),
                                  epochs=scale.epochs, name=f"smart-init-{scale.data}-{scale.model}-{init}",
                                  config=dict(scale.config(), init=init), batch_size=scale.batch_size,
                                  momentum=scale.momentum, progress=progress, refresh=refresh)
    return results


class FrozenStatistics(torch.nn.Module):
    """The paper's BN start: a BN network evaluated with its stored (frozen) statistics, always.

    ``h_ℓ = (W_ℓ z_{ℓ−1} − μ_ℓ) / σ_ℓ`` with ``μ_ℓ, σ_ℓ`` fixed buffers: SGD trains the weights
    ``W_ℓ`` (and the read-out), never ``μ`` or ``σ``, and no BN runs during training (the model
    is not in mode ``"bn"``, so :func:`bnexplained.training.train` does not refit statistics).
    """

    def __init__(self, net):
        super().__init__()
        if not (callable(getattr(net, "statistics_set", None)) and net.statistics_set()):
            raise ValueError("net must have stored statistics: call net.fit_statistics(X) first")
        self.net = net

    def forward(self, x):
        return self.net(x, statistics="stored")


@torch.no_grad()
def frozen_bn(net, X, *, batch_size: int = 256) -> FrozenStatistics:
    """The paper's protocol of Section 4: a copy of the BN template ``net`` with whole-set statistics
    of ``X`` fitted and frozen (``γ = 1, β = 0`` stay fixed), ready for :func:`~bnexplained.training.train`.

    At initialization it computes the same function as ``initialize(net, "bn", X)`` (the folded start).
    """
    from ..initialization import bn_normalizations, fit_whole_set

    template = copy.deepcopy(net)
    for norm in bn_normalizations(template):     # validates: a BN template with γ = 1, β = 0
        norm.gamma.requires_grad_(False)         # learnable γ, β (if any) stay at 1 and 0
        norm.beta.requires_grad_(False)
    fit_whole_set(template, X, batch_size)
    return FrozenStatistics(template).train()


PROTOCOLS = ("folded", "frozen")


def compare_protocols(scale: Scale, split: Split | None = None, *, root="~/data", device=None,
                      progress: bool = True, refresh: bool = False, results: dict | None = None) -> dict:
    """The BN start under both protocols, same seeds, learning rates and mini-batch order:
    ``{"folded": SweepResult, "frozen": SweepResult}`` (cached on disk).

    ``"folded"`` trains ``w/σ`` and ``−μ/σ`` (the book's :func:`run`; pass its ``results`` to reuse
    the ``"bn"`` sweep), ``"frozen"`` trains ``W`` under frozen ``μ, σ`` (:func:`frozen_bn`).
    """
    if not isinstance(scale, Scale):
        raise TypeError(f"scale must be a bnx.smart_init.Scale, got {type(scale).__name__}")
    device = torch.device(device) if device is not None else default_device()
    split = load_split(scale, root=root) if split is None else split
    if results is None or "bn" not in results:
        results = run(scale, split, root=root, device=device, progress=progress, refresh=refresh)
    Xtr, ytr = split.train
    classes = int(ytr.max()) + 1

    def make_model(seed):
        net = template(scale, seed, in_shape=tuple(Xtr.shape[1:]), classes=classes, device=device)
        return frozen_bn(net, Xtr.to(device))

    with single_thread(enabled=device.type == "cpu"):
        frozen = sweep(make_model, split, lrs=list(scale.lrs), seeds=list(scale.seeds), epochs=scale.epochs,
                       name=f"smart-init-{scale.data}-{scale.model}-frozen-bn",
                       config=dict(scale.config(), init="bn", protocol="frozen"), batch_size=scale.batch_size,
                       momentum=scale.momentum, progress=progress, refresh=refresh)
    return {"folded": results["bn"], "frozen": frozen}


@torch.no_grad()
def frozen_sigmas(scale: Scale, split: Split | None = None, *, seed: int = 0, root="~/data",
                  device=None) -> torch.Tensor:
    """Every unit's whole-training-set ``σ_{ℓ,k}`` of seed ``seed``'s random network, one flat CPU tensor.

    Under the paper's protocol a step η on ``w`` is a step η/σ² on the folded ``w/σ``: these are the σ.
    """
    if not isinstance(scale, Scale):
        raise TypeError(f"scale must be a bnx.smart_init.Scale, got {type(scale).__name__}")
    device = torch.device(device) if device is not None else default_device()
    split = load_split(scale, root=root) if split is None else split
    Xtr, ytr = split.train
    net = template(scale, seed, in_shape=tuple(Xtr.shape[1:]), classes=int(ytr.max()) + 1, device=device)
    frozen = frozen_bn(net, Xtr.to(device))
    return torch.cat([s.flatten().float().cpu() for s in frozen.net.sigma])


def final_accuracies(results: dict, epoch: int | None = None) -> dict:
    """``{init: (best lr, mean, std)}`` of the test accuracy at ``epoch`` (default: the last)."""
    out = {}
    for init, res in results.items():
        mean, std = res.curve("test_acc")
        e = len(mean) - 1 if epoch is None else epoch
        out[init] = (res.best_lr, float(mean[e]), float(std[e]))
    return out


def accuracy_table(results: dict, epochs=(1, 2, None)) -> str:
    """A text table: per initialization, the chosen learning rate and the test accuracy (mean ± std over
    seeds) at each of ``epochs`` (``None``: the last)."""
    last = next(iter(results.values())).epochs
    epochs = [last if e is None else e for e in epochs]
    head = f"{'start':12s} {'lr':>6s} " + " ".join(f"{'epoch ' + str(e):>15s}" for e in epochs)
    rows = [head]
    for init in results:
        if results[init].best_lr is None:
            rows.append(f"{init:12s} every learning rate diverged")
            continue
        cells = []
        for e in epochs:
            lr, mean, std = final_accuracies({init: results[init]}, e)[init]
            cells.append(f"{mean:.3f} ± {std:.3f}".rjust(15))
        rows.append(f"{init:12s} {lr:6g} " + " ".join(cells))
    return "\n".join(rows)


def trajectories(X, y, widths, *, lr: float, epochs: int, seed: int = 0, batch_size: int = 32,
                 bias_std: float = 1.0, name: str = "smart-init-2d", progress: bool = False) -> dict:
    """The three initializations of one random MLP trained on a labelled 2-D task, epoch by epoch.

    ``X`` of shape ``(N, 2)``, ``y`` of shape ``(N,)``; ``widths = [2, D_1, ..., D_L]`` (leaky-ReLU,
    two-logit read-out). Returns ``{init: (snapshots, test_acc)}``: plain networks after epochs
    ``0..epochs`` (0 = the initialization) and their test accuracies. Cached on disk.
    """
    X = torch.as_tensor(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {tuple(X.shape)}")
    part = make_split(X, y, val=0.0, test=0.3, seed=seed)
    config = dict(widths=list(widths), lr=lr, epochs=epochs, seed=seed, batch_size=batch_size, bias_std=bias_std,
                  data=[float(X.double().sum()), float(X.double().pow(2).sum()), int(torch.as_tensor(y).sum()),
                        len(X)])

    def compute():
        net = SplineMLP(list(widths), "leaky_relu", "bn", out_features=2, seed=seed)
        out = {}
        with single_thread():
            for init in INITIALIZATIONS:
                model = initialize(net, init, part.train[0], bias_std=bias_std, seed=seed)
                states = []
                history = train(model, part, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
                                progress=progress,
                                callback=lambda h, m: states.append(copy.deepcopy(m.state_dict())))
                out[init] = (states, list(history.test_acc))
        return out

    raw = cached(name, config, compute)
    result = {}
    for init, (states, acc) in raw.items():
        snaps = []
        for state in states:
            model = initialize(SplineMLP(list(widths), "leaky_relu", "bn", out_features=2, seed=seed), "zero_bias")
            model.load_state_dict(state)
            snaps.append(model.eval())
        result[init] = (snaps, acc)
    return result


def proposition_3_network(width: int, seed: int = 0, hidden=(8, 8), alpha: float = 0.1) -> SplineMLP:
    """Proposition 3's classifier on a 2-D input: BN leaky-ReLU layers ``[2, *hidden, width]``, a one-unit
    read-out with zero bias (the same family :func:`~bnexplained.decision_boundary.one_sided_rates` searches)."""
    return SplineMLP([2, *hidden, width], "leaky_relu", "bn", alpha=alpha, out_features=1, seed=seed,
                     dtype=torch.float64)


def fold_exercise_network() -> SplineMLP:
    """Exercise 1's template (fold BN by hand): random weights, BN mode (float64 for an exact comparison)."""
    return SplineMLP([2, 5, 4], "leaky_relu", "bn", out_features=2, seed=7, dtype=torch.float64)
