"""Training by plain SGD, evaluated as the paper prescribes (Section 4, Figures 5 and 10).

* :func:`split` cuts a labelled data set into train / validation / test parts, **stratified**
  (each class keeps its share in every part), from a seed.
* :func:`train` runs SGD with momentum on the cross-entropy over shuffled mini-batches. A BN
  network trains with the statistics of each mini-batch (eq. 3) and is *evaluated* with the
  statistics of the whole training split (``fit_statistics`` before every evaluation), the
  paper's prescription for test time. A run whose loss turns NaN or infinite stops cleanly
  and is recorded as diverged, so learning-rate sweeps survive rates that are too large.
* :func:`sweep` trains ``len(lrs) × len(seeds)`` runs, picks the learning rate with the best
  final validation accuracy (mean over seeds) and gives the test-accuracy curve there (mean and
  standard deviation over seeds), the protocol of Figure 10. Results are cached on disk with
  :func:`bnexplained.cache.cached`.

Histories include **epoch 0**, the untrained model: every per-epoch list has ``epochs + 1``
entries. Runs are deterministic for a seed on the CPU (GPU kernels may differ in the last bits).
"""
from __future__ import annotations

import hashlib
import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .cache import cached
from .device import as_tensor

__all__ = ["Split", "History", "SweepResult", "split", "evaluate", "train", "sweep"]


# ---------------------------------------------------------------------- data splits
@dataclass
class Split:
    """Three labelled parts, each a pair ``(X, y)``: ``X`` of shape ``(n, ...)``, ``y`` int64 ``(n,)``."""

    train: tuple
    val: tuple
    test: tuple

    def sizes(self) -> dict:
        return {part: len(getattr(self, part)[1]) for part in ("train", "val", "test")}

    def __repr__(self) -> str:
        return f"Split({', '.join(f'{k}={v}' for k, v in self.sizes().items())})"


def _labelled(X, y, name: str = "X") -> tuple[torch.Tensor, torch.Tensor]:
    X = as_tensor(X, name=name)
    if not isinstance(y, torch.Tensor):
        if not isinstance(y, (np.ndarray, list, tuple)):
            raise TypeError(f"y must be a torch.Tensor or a NumPy array, got {type(y).__name__}")
        y = torch.as_tensor(np.asarray(y))
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool or y.ndim != 1:
        raise ValueError(f"y must be a 1-D tensor of integer class labels, got dtype {y.dtype}, "
                         f"shape {tuple(y.shape)}")
    if X.ndim < 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{name} must have shape (N, ...) with N = len(y) = {y.shape[0]}, "
                         f"got shape {tuple(X.shape)}")
    if len(y) and int(y.min()) < 0:
        raise ValueError("y must hold class labels ≥ 0")
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X, y.long()


def split(X, y, *, val: float = 0.2, test: float = 0.2, seed: int = 0) -> Split:
    """Stratified random split of ``(X, y)`` into ``train``, ``val`` and ``test`` parts.

    Within each class the points are shuffled from ``seed`` and the first ``≈ test · n_c`` go to
    ``test``, the next ``≈ val · n_c`` to ``val``, the rest to ``train``; each part is then
    shuffled. ``X`` has shape ``(N, ...)`` (points or images), ``y`` shape ``(N,)``.
    ``val`` or ``test`` may be 0 (an empty part).
    """
    X, y = _labelled(X, y)
    for name, frac in (("val", val), ("test", test)):
        if not (isinstance(frac, (int, float)) and 0 <= frac < 1):
            raise ValueError(f"{name} must be a fraction in [0, 1), got {frac!r}")
    if val + test >= 1:
        raise ValueError(f"val + test must be below 1 (something must be left to train on), got {val + test}")
    gen = torch.Generator().manual_seed(int(seed))
    parts = {"train": [], "val": [], "test": []}
    for c in torch.unique(y).tolist():
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        n_test, n_val = round(test * len(idx)), round(val * len(idx))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    out = {}
    for name, chunks in parts.items():
        idx = torch.cat(chunks)
        idx = idx[torch.randperm(len(idx), generator=gen)]
        out[name] = (X[idx], y[idx])
    if len(out["train"][1]) < 2:
        raise ValueError(f"the train part must hold at least 2 points, got {len(out['train'][1])}")
    return Split(**out)


# ---------------------------------------------------------------------- histories
@dataclass
class History:
    """One training run, epoch by epoch (index 0 = before training; ``epochs + 1`` entries).

    ``train_loss[e]``: mean cross-entropy over epoch ``e``'s mini-batches, as the model saw
    them in training mode (BN: batch statistics); for ``e = 0`` the untrained model on the
    same kind of mini-batches, without updates. ``val_acc``, ``test_acc``, ``val_loss``,
    ``test_loss``: the model in evaluation mode (BN: whole-training-split statistics) after
    epoch ``e``; ``nan`` for an empty part. After a divergence at epoch ``diverged_epoch`` (a
    NaN/infinite training or evaluation loss, or a forward pass that fails once SGD has changed
    the weights, e.g. BN's σ overflowing; ``diverged_reason`` says which) the entries from that
    epoch on are ``nan``. ``seconds``: wall time of each epoch's training steps, one entry per
    epoch run (evaluation excluded). ``model``: the trained model (``None`` in sweeps unless kept).
    """

    lr: float
    seed: int
    epochs: int
    train_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    diverged: bool = False
    diverged_epoch: int | None = None
    diverged_reason: str | None = None
    device: str = "cpu"
    model: nn.Module | None = None

    CURVES = ("train_loss", "val_acc", "test_acc", "val_loss", "test_loss")

    def _pad(self) -> None:
        for key in self.CURVES:
            values = getattr(self, key)
            values.extend([math.nan] * (self.epochs + 1 - len(values)))

    def __repr__(self) -> str:
        status = f"diverged at epoch {self.diverged_epoch}" if self.diverged else \
            f"val_acc {self.val_acc[-1]:.3f}, test_acc {self.test_acc[-1]:.3f}"
        return f"History(lr={self.lr:g}, seed={self.seed}, epochs={self.epochs}: {status})"


# ---------------------------------------------------------------------- evaluation
def _model_place(model) -> tuple[torch.device, torch.dtype]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    p = next(model.parameters(), None)
    if p is None:
        raise ValueError("model has no parameters to train")
    return p.device, p.dtype


def _uses_bn(model) -> bool:
    return getattr(model, "mode", None) == "bn" and hasattr(model, "fit_statistics")


def _fit_statistics(model, X: torch.Tensor, batch_size: int) -> None:
    """Whole-training-split statistics (eq. 3 over all of ``X``), streamed when the model can."""
    if "batch_size" in inspect.signature(model.fit_statistics).parameters:
        model.fit_statistics(X, batch_size=batch_size)
    else:
        model.fit_statistics(X)


@torch.no_grad()
def evaluate(model, X, y, *, batch_size: int = 256) -> tuple[float, float]:
    """``(accuracy, mean cross-entropy)`` of ``model`` in eval mode on ``(X, y)``; ``nan`` when empty.

    BN models use their stored statistics: fit them first (``train`` does, on the training split).
    """
    device, dtype = _model_place(model)
    if len(y) == 0:
        return math.nan, math.nan
    model.eval()
    correct, loss = 0, 0.0
    for xb, yb in zip(X.split(batch_size), y.split(batch_size)):
        logits = model(xb.to(device=device, dtype=dtype))
        yb = yb.to(device)
        loss += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
    return correct / len(y), loss / len(y)


# ---------------------------------------------------------------------- training
def _check_args(lr, epochs, batch_size, momentum, weight_decay, seed) -> None:
    if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 2)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an int ≥ {low}, got {value!r}")
    if not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    if not (isinstance(weight_decay, (int, float)) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be ≥ 0, got {weight_decay!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")


def _on(part: tuple, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    X, y = _labelled(*part)
    return X.to(device=device, dtype=dtype), y.to(device)


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list:
    """A fresh shuffle of ``0..n-1`` cut into mini-batches; a last batch of one is dropped (BN needs 2)."""
    chunks = list(torch.randperm(n, generator=gen).split(batch_size))
    return chunks[:-1] if len(chunks[-1]) < 2 else chunks


def _run(model, parts: dict, history: History, opt, gen, batch_size: int, eval_batch_size: int,
         on_epoch: Callable[[History], None]) -> None:
    """The loop behind :func:`train`: epoch 0 (no updates), then ``history.epochs`` epochs of SGD."""
    Xtr, ytr = parts["train"]
    classes = max(int(y.max()) + 1 for _, y in parts.values() if len(y))

    def evaluate_all() -> bool:
        if _uses_bn(model):
            try:
                _fit_statistics(model, Xtr, eval_batch_size)
            except ValueError as err:
                if epoch == 0:                      # the untrained model must work
                    raise
                history.diverged_reason = f"BN statistics failed after training: {err}"
                return False
        for part in ("val", "test"):
            acc, loss = evaluate(model, *parts[part], batch_size=eval_batch_size)
            getattr(history, f"{part}_acc").append(acc)
            getattr(history, f"{part}_loss").append(loss)
        if all(math.isfinite(v) or not len(parts[p][1])
               for v, p in ((history.val_loss[-1], "val"), (history.test_loss[-1], "test"))):
            return True
        history.diverged_reason = "evaluation loss is not finite"
        return False

    for epoch in range(history.epochs + 1):
        model.train()
        t0, total, count, finite = time.perf_counter(), 0.0, 0, True
        for idx in _batches(len(ytr), batch_size, gen):
            idx = idx.to(ytr.device)
            try:
                with torch.set_grad_enabled(epoch > 0):
                    logits = model(Xtr[idx])
            except ValueError as err:
                if epoch == 0:                      # the untrained model must work
                    raise
                # SGD broke the model: NaN weights, or weights so large that BN's σ overflows
                # and the next layer sees a constant (σ = 0)
                history.diverged_reason = f"forward pass failed after training: {err}"
                finite = False
                break
            if logits.ndim != 2 or logits.shape[1] < classes:
                raise ValueError(f"model must output (N, C) logits with C ≥ {classes} classes, "
                                 f"got shape {tuple(logits.shape)}")
            loss = F.cross_entropy(logits, ytr[idx])
            value = loss.item()
            if not math.isfinite(value):
                history.diverged_reason = f"training loss is {value}"
                finite = False
                break
            total, count = total + value * len(idx), count + len(idx)
            if epoch > 0:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        history.seconds.append(time.perf_counter() - t0)
        history.train_loss.append(total / count if finite else math.nan)
        if not (finite and evaluate_all()):
            history.diverged, history.diverged_epoch = True, epoch
            for key in History.CURVES:            # this epoch and later ones read nan
                del getattr(history, key)[epoch:]
            break
        on_epoch(history)
    history._pad()
    model.eval()


def train(model, split: Split, *, lr: float, epochs: int, batch_size: int = 128, momentum: float = 0.9,
          weight_decay: float = 0.0, seed: int = 0, progress: bool = True,
          eval_batch_size: int = 256, callback: Callable | None = None) -> History:
    """Train ``model`` in place by SGD (``momentum``, ``weight_decay``) on the cross-entropy.

    Mini-batches of ``batch_size`` are drawn without replacement each epoch from a generator
    seeded with ``seed`` (which also seeds ``torch``'s global generator, for models with random
    layers). Data move to the device the model lives on. BN models (``mode="bn"``) train with
    batch statistics and are evaluated after ``fit_statistics`` on the whole training split;
    they end in eval mode with those statistics stored. Returns a :class:`History`
    (``epochs + 1`` entries per curve, epoch 0 = untrained). A NaN/infinite loss stops the run:
    ``history.diverged`` is set, nothing is raised. ``callback(history, model)``, if given, runs
    after each epoch's evaluation, epoch 0 included (e.g. to keep snapshots of the model).
    """
    _check_args(lr, epochs, batch_size, momentum, weight_decay, seed)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (history, model) → None, got {type(callback).__name__}")
    if not isinstance(split, Split):
        raise TypeError(f"split must be a bnx.training.Split (see bnx.training.split), got {type(split).__name__}")
    bar = _bar(progress, epochs + 1, f"train lr={lr:g}")

    def on_epoch(h):
        bar.update(1)
        bar.set_postfix(val_acc=f"{h.val_acc[-1]:.3f}")
        if callback is not None:
            callback(h, model)

    try:
        return _train_one(model, split, lr, epochs, batch_size, momentum, weight_decay, seed, eval_batch_size,
                          on_epoch)
    finally:
        bar.close()


def _train_one(model, split, lr, epochs, batch_size, momentum, weight_decay, seed, eval_batch_size, on_epoch):
    device, dtype = _model_place(model)
    parts = {name: _on(getattr(split, name), device, dtype) for name in ("train", "val", "test")}
    if len(parts["train"][1]) < 2:
        raise ValueError("split.train must hold at least 2 points")
    torch.manual_seed(int(seed))
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=momentum,
                          weight_decay=weight_decay)
    history = History(lr=float(lr), seed=int(seed), epochs=int(epochs), device=str(device))
    _run(model, parts, history, opt, gen, batch_size, eval_batch_size, on_epoch)
    history.model = model
    return history


def _bar(progress: bool, total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress, leave=False)


# ---------------------------------------------------------------------- sweeps
@dataclass
class SweepResult:
    """Every run of a learning-rate × seed sweep, and the learning rate chosen on validation.

    ``best_lr``: the ``lr`` whose **final** validation accuracy, averaged over seeds, is highest
    (ties: the first in ``lrs``); a rate at which any seed diverged is never chosen. ``None``
    when every rate diverged.
    """

    name: str
    lrs: list
    seeds: list
    epochs: int
    histories: dict              # {(lr, seed): History}
    best_lr: float | None
    device: str = "cpu"
    from_cache: bool = False

    def runs(self, lr: float | None = None) -> list:
        """The histories at ``lr`` (default ``best_lr``), one per seed."""
        lr = self._lr(lr)
        return [self.histories[(lr, s)] for s in self.seeds]

    def history(self, lr: float, seed: int) -> History:
        return self.histories[(self._lr(lr), seed)]

    def _lr(self, lr):
        if lr is None:
            if self.best_lr is None:
                raise ValueError(f"every learning rate of sweep {self.name!r} diverged: there is no best_lr")
            return self.best_lr
        match = [v for v in self.lrs if math.isclose(v, lr, rel_tol=1e-12)]
        if not match:
            raise ValueError(f"lr must be one of the swept rates {self.lrs}, got {lr!r}")
        return match[0]

    def curve(self, key: str = "test_acc", lr: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` over seeds of curve ``key`` at ``lr`` (default ``best_lr``), shape ``(epochs + 1,)``.

        ``std`` is the population standard deviation over seeds (0 for one seed).
        """
        if key not in History.CURVES:
            raise ValueError(f"key must be one of {History.CURVES}, got {key!r}")
        values = np.array([getattr(h, key) for h in self.runs(lr)], dtype=np.float64)
        return values.mean(0), values.std(0)

    def final(self, key: str = "val_acc") -> dict:
        """``{lr: (mean, std)}`` over seeds of the last entry of curve ``key``."""
        out = {}
        for lr in self.lrs:
            mean, std = self.curve(key, lr)
            out[lr] = (float(mean[-1]), float(std[-1]))
        return out

    def __repr__(self) -> str:
        rows = ", ".join(f"{lr:g}: {m:.3f}" for lr, (m, _) in self.final("val_acc").items())
        return (f"SweepResult({self.name!r}, {len(self.lrs)} lrs × {len(self.seeds)} seeds × {self.epochs} "
                f"epochs on {self.device}; final val_acc {{{rows}}}; best_lr={self.best_lr})")


def _fingerprint_tensor(t: torch.Tensor, h) -> None:
    t = t.detach().cpu()
    h.update(f"{tuple(t.shape)}{t.dtype}".encode())
    if t.numel():
        flat = t.reshape(len(t), -1) if t.ndim else t.reshape(1, 1)
        step = max(1, len(flat) // 512)                 # a strided sample of rows, plus moments
        h.update(flat[::step].contiguous().numpy().tobytes())
        d = t.double()
        h.update(np.array([d.sum().item(), d.pow(2).sum().item()]).tobytes())


def _fingerprint(split: Split, model: nn.Module) -> str:
    """A hash of the data and of the initial model, so a stale cache entry cannot be returned."""
    h = hashlib.sha256()
    for part in ("train", "val", "test"):
        for t in getattr(split, part):
            _fingerprint_tensor(torch.as_tensor(t), h)
    h.update(repr(model).encode())
    for key, value in model.state_dict().items():
        h.update(key.encode())
        _fingerprint_tensor(value, h)
    return h.hexdigest()[:16]


def _call_make_model(make_model: Callable, seed: int) -> nn.Module:
    """``make_model(seed)`` (or ``make_model()`` if it takes no argument)."""
    try:
        takes_seed = len(inspect.signature(make_model).parameters) > 0
    except (TypeError, ValueError):
        takes_seed = True
    model = make_model(seed) if takes_seed else make_model()
    _model_place(model)
    return model


def sweep(make_model: Callable, split: Split, *, lrs: Sequence[float], seeds: Sequence[int], epochs: int,
          name: str, config: dict, batch_size: int = 128, momentum: float = 0.9, weight_decay: float = 0.0,
          progress: bool = True, keep_models: bool = False, eval_batch_size: int = 256,
          refresh: bool = False) -> SweepResult:
    """Train ``make_model(seed)`` at every ``lr`` in ``lrs`` for every seed in ``seeds`` (Figure 10's protocol).

    The seed sets both the initial weights (through ``make_model``) and the mini-batch order.
    The result is cached under ``name`` with a key made of ``config`` (describe the model and the
    data there), every training argument, the device type, and a fingerprint of the data and
    of ``make_model(seeds[0])``'s initial weights. One tqdm bar covers the whole sweep
    (``progress=False`` silences it). ``keep_models=True`` keeps (and caches) every trained model.
    """
    lrs = [float(v) for v in lrs] if isinstance(lrs, (list, tuple, np.ndarray)) else lrs
    seeds = [int(s) for s in seeds] if isinstance(seeds, (list, tuple, range, np.ndarray)) else seeds
    if not isinstance(lrs, list) or not lrs:
        raise ValueError(f"lrs must be a non-empty list of learning rates, got {lrs!r}")
    if not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct ints, got {seeds!r}")
    if len(set(lrs)) != len(lrs):
        raise ValueError(f"lrs must be distinct, got {lrs!r}")
    for lr in lrs:
        _check_args(lr, epochs, batch_size, momentum, weight_decay, 0)
    if not isinstance(split, Split):
        raise TypeError(f"split must be a bnx.training.Split (see bnx.training.split), got {type(split).__name__}")
    if len(split.val[1]) == 0:
        raise ValueError("split.val is empty: a sweep chooses its learning rate on the validation part")
    if not callable(make_model):
        raise TypeError(f"make_model must be callable (seed → model), got {type(make_model).__name__}")
    probe = _call_make_model(make_model, seeds[0])
    device = _model_place(probe)[0]
    key = dict(config=config, lrs=lrs, seeds=seeds, epochs=int(epochs), batch_size=int(batch_size),
               momentum=float(momentum), weight_decay=float(weight_decay), keep_models=bool(keep_models),
               eval_batch_size=int(eval_batch_size), device=device.type, fingerprint=_fingerprint(split, probe))
    computed = []

    def compute() -> SweepResult:
        computed.append(True)
        bar = _bar(progress, len(lrs) * len(seeds) * (epochs + 1), name)
        histories = {}
        try:
            for lr in lrs:
                for seed in seeds:
                    model = probe if (seed == seeds[0] and lr == lrs[0]) else _call_make_model(make_model, seed)

                    def on_epoch(h, lr=lr, seed=seed):
                        bar.update(1)
                        bar.set_postfix(lr=f"{lr:g}", seed=seed, val_acc=f"{h.val_acc[-1]:.3f}")

                    h = _train_one(model, split, lr, epochs, batch_size, momentum, weight_decay, seed,
                                   eval_batch_size, on_epoch)
                    if h.diverged:                 # the epochs it did not run
                        bar.update(epochs + 1 - h.diverged_epoch)
                    if not keep_models:
                        h.model = None
                    histories[(lr, seed)] = h
        finally:
            bar.close()
        return SweepResult(name, lrs, seeds, int(epochs), histories, _best_lr(lrs, seeds, histories),
                           device=device.type)

    result = cached(name, key, compute, refresh=refresh)
    result.from_cache = not computed
    return result


def _best_lr(lrs: list, seeds: list, histories: dict) -> float | None:
    best, best_acc = None, -math.inf
    for lr in lrs:
        finals = [histories[(lr, s)].val_acc[-1] for s in seeds]
        if any(histories[(lr, s)].diverged or math.isnan(v) for s, v in zip(seeds, finals)):
            continue
        acc = float(np.mean(finals))
        if acc > best_acc:
            best, best_acc = lr, acc
    return best
