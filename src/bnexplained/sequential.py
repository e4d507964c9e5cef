"""Any piecewise-linear network as a list of spline steps (Appendix A, eqs. (15)–(18)).

The exact partition (:mod:`bnexplained.partition.exact`) needs a network as a sequence of affine maps
and activations with two linear pieces meeting at 0. This module reads that sequence off

* a :class:`~bnexplained.networks.SplineMLP` (BN from its stored statistics or from a batch), or
* a ``torch.nn.Sequential`` (nested freely) of ``nn.Linear``, ``nn.BatchNorm1d``, ``nn.ReLU``,
  ``nn.LeakyReLU``, ``nn.PReLU``, :class:`Abs`, ``nn.Identity``/``nn.Dropout``/``nn.Flatten``
  (identities on ``(N, D)`` inputs) and :class:`Residual` blocks ``x ↦ x + block(x)``.

``BatchNorm1d`` is an affine map per unit: ``(u − μ)/√(σ² + ε) · γ + β``. With ``batch=None``
its running statistics are used (the partition a trained model has at test time); with a
mini-batch ``batch`` (shape ``(N, 2)``) every BN layer uses the statistics of that batch as
it flows through the network, eq. (3) — the partition the network has *while training on
that batch*. Nothing is modified: the module's running statistics stay as they are.

Steps, all in float64:

* :class:`Affine` ``z ↦ W z + b``;
* :class:`Activation` ``z ↦ q ⊙ z`` with ``q_k = 1`` where ``z_k ≥ 0`` and ``slope_k`` elsewhere
  (one *layer* ℓ of the paper: its input is the pre-activation ``h_ℓ``);
* :class:`Save` / :class:`Add`: a residual connection (``Add`` adds the state saved by the
  matching ``Save``, optionally through an affine shortcut).

:func:`as_network` is the one network interface of the library: every tool (geometry, partitions,
density, translation, folding, margins, the ``verify`` checkers, plotting) turns what it is given
into a :class:`SplineNetwork` (the steps, the layer widths, and which layers are ``Linear → BN``)
through it, so a ``SplineMLP`` and a supported ``nn.Sequential`` give the same answers. It is also
the one validator: anything else raises :class:`UnsupportedNetwork` (a ``TypeError``) listing
what is supported, and non-finite weights or BN scales raise :class:`NonFiniteNetwork`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .device import check_points

__all__ = ["Abs", "Residual", "Affine", "Normalize", "Activation", "Save", "Add", "BNLayer", "SplineNetwork", "SUPPORTED",
           "UnsupportedNetwork", "NonFiniteNetwork", "as_network", "spline_steps", "run_steps", "input_width"]

#: what :func:`as_network` accepts (quoted by :class:`UnsupportedNetwork`)
SUPPORTED = ("a bnx.SplineMLP, or a torch.nn.Sequential (nested freely) of nn.Linear, nn.BatchNorm1d (running "
             "statistics, or a given mini-batch's), nn.ReLU, nn.LeakyReLU, nn.PReLU, bnx.Abs and bnx.Residual "
             "blocks (nn.Identity, nn.Dropout and nn.Flatten pass through)")


class UnsupportedNetwork(TypeError):
    """A network the library cannot read as spline steps; the message says what is supported."""


class NonFiniteNetwork(ValueError):
    """A network whose weights, biases or BN scales are NaN or infinite (e.g. ``eps=0`` with a zero variance)."""


class Abs(nn.Module):
    """The absolute-value activation ``a(u) = |u|`` (code ``−1`` on the negative side)."""

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return u.abs()


class Residual(nn.Module):
    """A residual block ``x ↦ shortcut(x) + block(x)``; ``shortcut`` defaults to the identity.

    ``block`` is any supported module (usually an ``nn.Sequential``); ``shortcut`` may be a
    ``Linear`` / ``BatchNorm1d`` stack (a projection), without activations.
    """

    def __init__(self, block: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.block = block
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return skip + self.block(x)


@dataclass
class Affine:
    """``z ↦ z Wᵀ + b`` with ``weight`` ``(D_out, D_in)`` and ``bias`` ``(D_out,)``; ``module``: the
    ``nn.Linear`` it was read from (``None`` otherwise)."""

    weight: torch.Tensor
    bias: torch.Tensor
    module: nn.Module | None = field(default=None, repr=False, compare=False)


@dataclass
class Normalize(Affine):
    """A BN step (eq. 2) with its statistics folded in: ``h = γ (u − μ)/√(σ² + ε) + β`` on ``u = z Vᵀ + c``.

    ``weight``/``bias`` are the fold for the statistics fixed at construction; ``linear`` ``(V, c)``
    is the linear map inside the step (``None``: the identity, a ``BatchNorm1d`` on its own; a
    ``SplineMLP`` layer fuses ``W_ℓ``), so that a tool can redo eq. (3) on other mini-batches
    (:mod:`bnexplained.jitter`). ``module``: the ``BatchNorm1d`` or ``Normalization``; ``name``:
    where it sits, for reports.
    """

    gamma: torch.Tensor | None = None
    beta: torch.Tensor | None = None
    eps: float = 0.0
    linear: Affine | None = None
    name: str = ""


@dataclass
class Activation:
    """One layer's activation: per-unit negative-side slopes ``(D,)`` (ReLU 0, leaky α, abs −1)."""

    slope: torch.Tensor


@dataclass
class Save:
    """Start of a residual block: remember the current state."""


@dataclass
class Add:
    """End of a residual block: add the saved state, through ``shortcut`` (an :class:`Affine`) if given."""

    shortcut: Affine | None = None


def _affine_of_linear(m: nn.Linear) -> Affine:
    w = m.weight.detach().to(torch.float64)
    b = m.bias.detach().to(torch.float64) if m.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64,
                                                                                 device=w.device)
    return Affine(w, b, m)


def _batchnorm_statistics(m: nn.BatchNorm1d, z: torch.Tensor | None) -> tuple:
    """``(mean, var, source)`` a ``BatchNorm1d`` normalizes its input with: the batch's, or the running ones."""
    if z is not None:
        mean = z.mean(0)
        return mean, (z - mean).pow(2).mean(0), "batch"          # biased, as BN normalizes with in training
    if m.running_mean is not None:
        return m.running_mean.detach().to(torch.float64), m.running_var.detach().to(torch.float64), "running"
    raise ValueError("a BatchNorm1d without running statistics (track_running_stats=False) needs "
                     "a mini-batch: pass batch=... to take its statistics from it")


def _affine_of_batchnorm(m: nn.BatchNorm1d, z: torch.Tensor | None) -> Normalize:
    mean, var, _ = _batchnorm_statistics(m, z)
    n = mean.shape[0]
    gamma = m.weight.detach().to(torch.float64) if m.weight is not None else torch.ones(n, dtype=torch.float64)
    beta = m.bias.detach().to(torch.float64) if m.bias is not None else torch.zeros(n, dtype=torch.float64)
    gamma, beta = gamma.to(mean.device), beta.to(mean.device)
    scale = gamma / torch.sqrt(var + m.eps)
    return Normalize(torch.diag(scale), beta - scale * mean, m, gamma, beta, float(m.eps))


def _slope_of(m: nn.Module, width: int, device) -> torch.Tensor | None:
    if isinstance(m, nn.ReLU):
        return torch.zeros(width, dtype=torch.float64, device=device)
    if isinstance(m, nn.LeakyReLU):
        return torch.full((width,), float(m.negative_slope), dtype=torch.float64, device=device)
    if isinstance(m, Abs):
        return torch.full((width,), -1.0, dtype=torch.float64, device=device)
    if isinstance(m, nn.PReLU):
        w = m.weight.detach().to(torch.float64, copy=True).to(device)
        return w.expand(width).clone() if w.numel() == 1 else w
    return None


@dataclass
class BNLayer:
    """A BN layer right after a linear map: ``h = γ (u − μ)/√(σ² + ε) + β`` on ``u = W z + c`` (eqs. 2–3).

    ``weight`` ``W`` ``(D, D_in)`` and ``bias`` ``c`` ``(D,)`` of the linear map (``c = 0`` in a
    ``SplineMLP``); ``mean`` ``μ`` and ``var`` ``σ²`` ``(D,)``: the statistics the layer normalizes
    with (``source``: ``"stored"``, ``"running"`` or ``"batch"``); ``eps``, ``gamma``, ``beta``.
    ``layer``: the activation layer ℓ (1..L) whose pre-activation this is (``None`` when no
    activation follows at once); ``names``: the modules, for reports; ``step``: the index of the
    linear map's step (its input is the layer input ``z_{ℓ−1}``).
    """

    weight: torch.Tensor
    bias: torch.Tensor
    mean: torch.Tensor
    var: torch.Tensor
    eps: float
    gamma: torch.Tensor
    beta: torch.Tensor
    source: str
    names: str
    step: int
    layer: int | None = None
    module: nn.Module | None = None

    def to(self, device) -> "BNLayer":
        moved = {k: getattr(self, k).to(device) for k in ("weight", "bias", "mean", "var", "gamma", "beta")}
        return BNLayer(eps=self.eps, source=self.source, names=self.names, step=self.step, layer=self.layer,
                       module=self.module, **moved)

    @property
    def std(self) -> torch.Tensor:
        """``√(σ² + ε)``, what BN divides by."""
        return torch.sqrt(self.var + self.eps)

    @property
    def offsets(self) -> torch.Tensor:
        """``b`` with ``H_k = {z : ⟨w_k, z⟩ = b_k}`` where ``h_k = 0`` (eq. 5): ``μ − c − √(σ²+ε) β/γ``."""
        return self.mean - self.bias - self.std * self.beta / self.gamma


def _finite(t: torch.Tensor) -> bool:
    """Every entry of ``t`` is finite: its least and largest are (a NaN is both); one pass, no temporary."""
    if t.numel() == 0:
        return True
    lo, hi = torch.aminmax(t)
    return bool(torch.isfinite(lo) & torch.isfinite(hi))


def _check_finite(step, where: str) -> None:
    tensors = [step.weight, step.bias] if isinstance(step, Affine) else [step.slope]
    if not all(_finite(t) for t in tensors):
        raise NonFiniteNetwork(f"net: {where} has NaN or infinite weights, biases or slopes (a BatchNorm1d "
                               "with eps=0 and a zero variance divides by 0); the network's maps would not be "
                               "finite")


class _Builder:
    """Walks a module tree, emitting steps; carries the batch's current values when BN uses it."""

    def __init__(self, width: int, z: torch.Tensor | None, device):
        self.steps, self.width, self.z, self.device = [], width, z, device
        self.recent = []                 # what produced the state since the last activation: (kind, where, ...)
        self.bn_layers, self.chains, self.names = [], [], []

    def affine(self, step: Affine, where: str) -> None:
        if step.weight.shape[1] != self.width:
            raise ValueError(f"net: {where} expects {step.weight.shape[1]} inputs but receives {self.width}")
        _check_finite(step, where)
        step = _cast(step, torch.float64, self.device)
        if isinstance(step, Normalize):
            step.name = where
        self.steps.append(step)
        self.width = step.weight.shape[0]
        if self.z is not None:
            self.z = self.z @ step.weight.T + step.bias

    def module(self, m: nn.Module, where: str) -> None:
        if isinstance(m, nn.Sequential):
            for i, child in enumerate(m):
                self.module(child, f"{where}[{i}]")
        elif isinstance(m, nn.Linear):
            self.affine(_affine_of_linear(m), f"{where} (Linear)")
            self.recent.append(("linear", f"{where} (Linear)", m, len(self.steps) - 1))
        elif isinstance(m, nn.BatchNorm1d):
            if m.num_features != self.width:
                raise ValueError(f"net: {where} (BatchNorm1d) has {m.num_features} features but receives {self.width}")
            z = self.z
            mean, var, source = _batchnorm_statistics(m, z)
            self.affine(_affine_of_batchnorm(m, z), f"{where} (BatchNorm1d)")
            last = self.recent[-1] if self.recent else None
            if last is not None and last[0] == "linear" and last[3] == len(self.steps) - 2:
                lin = self.steps[-2]
                n = mean.shape[0]
                gamma = (m.weight.detach().to(torch.float64) if m.weight is not None
                         else torch.ones(n, dtype=torch.float64)).to(self.device)
                beta = (m.bias.detach().to(torch.float64) if m.bias is not None
                        else torch.zeros(n, dtype=torch.float64)).to(self.device)
                self.bn_layers.append(BNLayer(lin.weight, lin.bias, mean.to(self.device), var.to(self.device),
                                              float(m.eps), gamma, beta, source,
                                              f"{last[1]} → {where} (BatchNorm1d)", last[3], module=m))
            self.recent.append(("bn", f"{where} (BatchNorm1d)"))
        elif isinstance(m, (nn.Identity, nn.Dropout, nn.Flatten)):
            pass
        elif isinstance(m, Residual):
            width, z = self.width, self.z
            self.steps.append(Save())
            self.recent.append(("save",))
            self.module(m.block, f"{where}.block")
            block_width, block_z = self.width, self.z
            shortcut = None
            if m.shortcut is not None:
                inner = _Builder(width, z, self.device)
                inner.module(m.shortcut, f"{where}.shortcut")
                if any(not isinstance(s, Affine) for s in inner.steps):
                    raise UnsupportedNetwork(f"net: {where}.shortcut must be affine (Linear / BatchNorm1d only)")
                shortcut = _compose(inner.steps, width, self.device)
                width, z = inner.width, inner.z
            if width != block_width:
                raise ValueError(f"net: {where} adds a skip of width {width} to a block output of width "
                                 f"{block_width}; give the Residual a Linear shortcut to match them")
            self.steps.append(Add(shortcut))
            self.recent.append(("add",))
            if self.z is not None:
                self.z = block_z + z
        else:
            slope = _slope_of(m, self.width, self.device)
            if slope is None:
                raise UnsupportedNetwork(f"net: {where} is a {type(m).__name__}, which bnx cannot read as spline "
                                         f"steps; supported: {SUPPORTED}")
            if slope.shape != (self.width,):
                raise ValueError(f"net: {where} (PReLU) has {slope.numel()} slopes but receives {self.width} units")
            self.activation(Activation(slope), f"{where} ({type(m).__name__})")
            if self.z is not None:
                self.z = torch.where(self.z >= 0, self.z, slope * self.z)

    def activation(self, step: Activation, where: str) -> None:
        _check_finite(step, where)
        self.steps.append(step)
        layer = sum(isinstance(s, Activation) for s in self.steps)
        kinds = [r[0] for r in self.recent]
        if kinds[-2:] == ["linear", "bn"] and self.bn_layers and self.bn_layers[-1].step == self.recent[-2][3]:
            self.bn_layers[-1].layer = layer
        self.chains.append("save" not in kinds and "add" not in kinds)
        self.names.append(where)
        self.recent = []


def _compose(steps: list, width: int, device) -> Affine:
    if not steps:
        return Affine(torch.eye(width, dtype=torch.float64, device=device),
                      torch.zeros(width, dtype=torch.float64, device=device))
    W, b = steps[0].weight.clone(), steps[0].bias.clone()     # not I·W: a product per layer for nothing
    for s in steps[1:]:
        W, b = s.weight @ W, s.weight @ b + s.bias
    return Affine(W, b)


def _input_width(m: nn.Module) -> int | None:
    """The in_features of the first Linear met in evaluation order (None if there is none)."""
    if isinstance(m, nn.Linear):
        return m.in_features
    if isinstance(m, nn.Sequential):
        for child in m:
            w = _input_width(child)
            if w is not None:
                return w
    if isinstance(m, Residual):
        return _input_width(m.block)
    if isinstance(m, nn.BatchNorm1d):
        return m.num_features
    return None


def _spline_mlp_network(net, batch) -> "SplineNetwork":
    p = net.layers[0].weight
    if net.mode == "bn" and batch is None and not net.statistics_set():
        raise ValueError("the network's BN statistics are not set: call net.fit_statistics(X) (or "
                         "net.set_statistics(...)), or pass batch=... to use a mini-batch's statistics")
    steps, bn_layers, names = [], [], []
    z = None if batch is None else batch.to(dtype=torch.float64, device=p.device)
    slope = float(net.slope)
    for i, layer in enumerate(net.layers):
        w = layer.weight.detach().to(torch.float64)
        where = f"SplineMLP layer {i + 1}"
        norm = layer.norm
        if net.mode == "bn":
            gamma, beta = norm.gamma.detach().to(torch.float64), norm.beta.detach().to(torch.float64)
            if z is not None:                                     # eq. (3) in float64 on the batch
                mean, sigma = norm.batch_statistics(z @ w.T)
                source = "batch"
            else:
                mean, sigma = norm.exact_statistics()          # as set, in float64 (not rounded)
                source = "stored"
            s = gamma / sigma
            t = beta - s * mean
            bn_layers.append(BNLayer(w, torch.zeros_like(mean), mean, sigma ** 2, 0.0, gamma, beta, source,
                                     where, len(steps), i + 1, module=norm))
        else:
            s, t = torch.ones(w.shape[0], dtype=torch.float64, device=w.device), norm.bias.detach().to(torch.float64)
        if net.mode == "bn":
            step = Normalize(s[:, None] * w, t, norm, gamma, beta, 0.0, Affine(w, torch.zeros_like(t), layer), where)
        else:
            step = Affine(s[:, None] * w, t, layer)
        _check_finite(step, where)
        steps.append(step)
        steps.append(Activation(torch.full((w.shape[0],), slope, dtype=torch.float64, device=w.device)))
        names.append(f"SplineMLP {net.activation}")
        if z is not None:
            h = z @ step.weight.T + step.bias
            z = torch.where(h >= 0, h, slope * h)
    if net.readout is not None:
        step = _affine_of_linear(net.readout)
        _check_finite(step, "readout (Linear)")
        steps.append(step)
    return SplineNetwork(steps, bn_layers, [True] * len(net.layers), names, p.dtype, net,
                         "batch" if batch is not None else "stored")


def as_network(net, batch=None, *, input_dim: int | None = None, batch_name: str = "batch") -> "SplineNetwork":
    """The one network interface: ``net`` as a :class:`SplineNetwork`, validated once.

    ``net``: a :class:`~bnexplained.networks.SplineMLP` (BN from its stored statistics), a supported
    ``torch.nn.Module`` (see :data:`SUPPORTED`; BN from running statistics), or a ``SplineNetwork``
    (returned as it is). ``batch`` ``(N, D_0)``, ``N ≥ 2``: every BN layer uses this mini-batch's
    statistics instead (eq. 3), as it flows through the network; nothing is modified.
    Raises :class:`UnsupportedNetwork` (a ``TypeError``) for anything else, :class:`NonFiniteNetwork`
    for NaN/infinite weights or BN scales, ``ValueError`` for mismatched widths or missing statistics,
    and (``input_dim=2`` for planar tools) for a network whose input has another dimension.
    """
    network = _as_network(net, batch, batch_name)
    if input_dim is not None and network.widths[0] != input_dim:
        raise ValueError(f"net must have {input_dim}-D input here (a planar partition), got D_0 = {network.widths[0]}")
    return network


def _as_network(net, batch, batch_name: str) -> "SplineNetwork":
    from .networks import SplineMLP

    if isinstance(net, SplineNetwork):
        if batch is not None:
            if net.source is None:
                raise ValueError("batch=...: this SplineNetwork was built from steps, without a module to "
                                 "take batch statistics with; pass the network itself")
            return as_network(net.source, batch, batch_name=batch_name)
        return net
    if isinstance(net, SplineMLP):
        if batch is not None:
            batch = check_points(batch, net.widths[0], name=batch_name, min_count=2)
        return _spline_mlp_network(net, batch)
    if not isinstance(net, nn.Module):
        raise UnsupportedNetwork(f"net must be {SUPPORTED}; got a {type(net).__name__}")
    if not isinstance(net, (nn.Sequential, nn.Linear, Residual)) and type(net).forward is not nn.Sequential.forward:
        kind = type(net).__name__
        raise UnsupportedNetwork(f"net is a {kind}, whose forward bnx cannot read; wrap its layers in an "
                                 f"nn.Sequential. Supported: {SUPPORTED}")
    width = _input_width(net)
    if width is None:
        raise UnsupportedNetwork(f"net: found no Linear layer to read the input width from; supported: {SUPPORTED}")
    params = list(net.parameters()) + list(net.buffers())
    floats = [t for t in params if t.is_floating_point()]
    device = params[0].device if params else torch.device("cpu")
    dtype = floats[0].dtype if floats else torch.float32
    z = None
    if batch is not None:
        z = check_points(batch, width, name=batch_name, min_count=2).to(dtype=torch.float64, device=device)
    builder = _Builder(width, z, device)
    builder.module(net, "net")
    return SplineNetwork(builder.steps, builder.bn_layers, builder.chains, builder.names, dtype, net,
                         "batch" if batch is not None else "running")


def spline_steps(net, batch=None) -> list:
    """The steps of ``net`` (a ``SplineMLP`` or a supported ``nn.Module``) in float64, on its device.

    ``batch`` (shape ``(N, D_0)``, ``N ≥ 2``): BN layers use this mini-batch's statistics (eq. 3)
    instead of stored/running ones. Raises :class:`UnsupportedNetwork` for an unsupported module and
    ``ValueError`` for mismatched widths or missing statistics. (``as_network(net, batch).steps``.)
    """
    return as_network(net, batch).steps


class SplineNetwork:
    """A network as spline steps (float64): what every tool of the library consumes (:func:`as_network`).

    ``steps``; ``widths`` ``[D_0, D_1, ..., D_L]`` (``D_ℓ`` the units of activation layer ℓ);
    ``depth`` ``L``; ``slopes[ℓ−1]`` the negative-side slopes ``(D_ℓ,)`` of layer ℓ; ``out_features``;
    ``bn_layers``: every ``Linear → BatchNorm1d`` pair (:class:`BNLayer`); ``names[ℓ−1]``: the
    module of layer ℓ's activation; ``dtype``: the source network's parameter dtype; ``source``:
    the network it was read from; ``statistics``: ``"stored"``, ``"running"`` or ``"batch"``.
    Points are evaluated in float64 (or a given ``dtype``), with the statistics fixed at construction.
    """

    def __init__(self, steps, bn_layers, chains, names, dtype, source, statistics):
        self.steps = list(steps)
        self.bn_layers = list(bn_layers)
        self._chains = list(chains)
        self.names = list(names)
        self.dtype = dtype
        self.source = source
        self.statistics = statistics
        self.slopes = [s.slope for s in self.steps if isinstance(s, Activation)]
        if not any(isinstance(s, Affine) for s in self.steps):
            raise UnsupportedNetwork(f"net has no affine step; supported: {SUPPORTED}")
        self.widths = [input_width(self.steps)] + [len(s) for s in self.slopes]
        self.device = next(s.weight.device for s in self.steps if isinstance(s, Affine))
        self._cast = {}

    def __repr__(self) -> str:
        return f"SplineNetwork(widths={self.widths}, out_features={self.out_features}, statistics={self.statistics!r})"

    @property
    def depth(self) -> int:
        """``L``: the number of activation layers."""
        return len(self.slopes)

    @property
    def out_features(self) -> int:
        """The width of the output (the last step's)."""
        width = self.widths[0]
        for s in self.steps:
            if isinstance(s, Affine):
                width = s.weight.shape[0]
        return width

    def cpu(self) -> "SplineNetwork":
        """The same network with its steps on the CPU (itself when they already are)."""
        if self.device.type == "cpu":
            return self
        cpu = torch.device("cpu")
        return SplineNetwork([_cast(s, torch.float64, cpu) for s in self.steps], [b.to(cpu) for b in self.bn_layers],
                             self._chains, self.names, self.dtype, self.source, self.statistics)

    # ------------------------------------------------------------------ evaluation
    def _steps(self, dtype, device) -> list:
        key = (dtype, device)
        if key not in self._cast:
            self._cast[key] = [_cast(s, dtype, device) for s in self.steps]
        return self._cast[key]

    def run(self, x, *, dtype=torch.float64, inputs: bool = False) -> tuple:
        """``([h_1, ..., h_L], output)`` on points ``x`` ``(N, D_0)`` (validated), in ``dtype`` on the
        network's device; with ``inputs=True`` also ``[z_0, ..., z_L]`` (``z_ℓ`` layer ℓ's activation output)."""
        x = check_points(x, self.widths[0], name="x").to(dtype=dtype, device=self.device)
        pre, out, zs = _run(self._steps(dtype, self.device), x, inputs)
        return (pre, out, zs) if inputs else (pre, out)

    def __call__(self, x, *, dtype=torch.float64) -> torch.Tensor:
        """The network's output ``(N, D_out)``."""
        return self.run(x, dtype=dtype)[1]

    def preactivations(self, x, statistics: str | None = None, *, dtype=torch.float64) -> list:
        """``[h_1, ..., h_L]``, each ``(N, D_ℓ)`` (``statistics`` is fixed at construction; accepted for
        signature compatibility with ``SplineMLP``)."""
        return self.run(x, dtype=dtype)[0]

    def layer_inputs(self, x, statistics: str | None = None, *, dtype=torch.float64) -> list:
        """``[z_0 = x, z_1, ..., z_L]``: the input, then every activation layer's output."""
        return self.run(x, dtype=dtype, inputs=True)[2]

    def signs(self, x, statistics: str | None = None) -> torch.Tensor:
        """Every unit's state ``h ≥ 0`` as one boolean tensor ``(N, D_1 + ... + D_L)``."""
        pre = self.preactivations(x)
        return torch.cat([h >= 0 for h in pre], 1) if pre else torch.zeros(len(x), 0, dtype=torch.bool)

    def codes(self, x, statistics: str | None = None) -> list:
        """Appendix A codes ``[q_1, ..., q_L]``: 1 where ``h ≥ 0``, the unit's slope elsewhere."""
        return [torch.where(h >= 0, torch.ones_like(h), q.to(h).expand_as(h))
                for h, q in zip(self.preactivations(x), self.slopes)]

    def preactivation_maps(self, x, statistics: str | None = None) -> list:
        """``[(G_1, g_1), ..., (G_L, g_L)]`` with ``h_ℓ(x) = G_ℓ(x) x + g_ℓ(x)`` on ``x``'s region, float64;
        ``G_ℓ`` ``(N, D_ℓ, D_0)`` (eqs. 16–18)."""
        return self._maps(x)[0]

    def affine_maps(self, x, statistics: str | None = None) -> tuple:
        """Eqs. (16)–(18): ``(A (N, D_out, D_0), B (N, D_out))`` with ``A(x) x + B(x)`` the output, float64."""
        return self._maps(x)[1]

    @torch.no_grad()
    def _maps(self, x) -> tuple:
        x = check_points(x, self.widths[0], name="x").to(dtype=torch.float64, device=self.device)
        n, d0 = x.shape
        A = torch.eye(d0, dtype=torch.float64, device=self.device).expand(n, d0, d0)
        B = torch.zeros(n, d0, dtype=torch.float64, device=self.device)
        out, saved = [], []
        for s in self.steps:
            if isinstance(s, Affine):
                A, B = torch.matmul(s.weight, A), B @ s.weight.T + s.bias
            elif isinstance(s, Activation):
                h = torch.einsum("nij,nj->ni", A, x) + B
                out.append((A, B))
                q = torch.where(h >= 0, torch.ones_like(h), s.slope.expand_as(h))
                A, B = q[..., None] * A, q * B
            elif isinstance(s, Save):
                saved.append((A, B))
            else:
                As, Bs = saved.pop()
                if s.shortcut is not None:
                    As, Bs = torch.matmul(s.shortcut.weight, As), Bs @ s.shortcut.weight.T + s.shortcut.bias
                A, B = A + As, B + Bs
        return out, (A, B)

    # ------------------------------------------------------------------ structure
    def layer_map(self, layer: int, what: str = "this") -> Affine:
        """``(W̃_ℓ, b_ℓ)`` with ``h_ℓ = W̃_ℓ z_{ℓ−1} + b_ℓ`` (eq. 15): the affine steps between activation
        ``ℓ − 1`` and ``ℓ`` composed. Raises ``ValueError`` when a residual connection joins them."""
        layer = self.check_layer(layer)
        if not self._chains[layer - 1]:
            raise ValueError(f"{what} needs layer {layer}'s pre-activation to be an affine map of layer "
                             f"{layer - 1}'s output, but a residual connection joins them ({self.names[layer - 1]})")
        seen, chunk = 0, []
        for s in self.steps:
            if isinstance(s, Activation):
                seen += 1
                if seen == layer:
                    break
                chunk = []
            elif isinstance(s, Affine):
                chunk.append(s)
        return _compose(chunk, self.widths[layer - 1], self.device)

    def check_layer(self, layer, name: str = "layer") -> int:
        """``layer`` validated as an int in ``1..L``."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= self.depth:
            raise ValueError(f"{name} must be an int in 1..{self.depth}, got {layer!r}")
        return layer

    def bn_layer(self, layer: int, what: str) -> BNLayer:
        """The ``Linear → BatchNorm1d`` pair whose output is layer ℓ's pre-activation, or a ``ValueError``
        that says which layers qualify (``what`` names the claim)."""
        self.check_layer(layer)
        for b in self.bn_layers:
            if b.layer == layer:
                return b
        ok = [b.layer for b in self.bn_layers if b.layer is not None]
        mode = getattr(self.source, "mode", "bn")
        hint = "" if mode == "bn" else f" (this SplineMLP has mode={mode!r}; BN layers need mode='bn')"
        raise ValueError(f"{what}{hint} is about a BN layer right after a linear map, feeding an activation: layer "
                         f"{layer} ({self.names[layer - 1]}) is not one; layers that qualify: "
                         f"{ok if ok else 'none'}")

    def describe(self, layers) -> str:
        """Which modules make layers ``layers`` (for reports): the ``Linear → BN`` pair, else the activation."""
        parts = []
        for j in layers:
            bn = next((b for b in self.bn_layers if b.layer == j), None)
            parts.append(f"layer {j}: {bn.names if bn is not None else self.names[j - 1]}")
        return ", ".join(parts)

    def bn_inputs(self, bn: BNLayer, x) -> torch.Tensor:
        """The input ``z`` of ``bn``'s linear map on points ``x`` (float64)."""
        x = check_points(x, self.widths[0], name="x").to(dtype=torch.float64, device=self.device)
        return _run(self.steps[:bn.step], x, False)[1]


def _cast(step, dtype, device):
    if isinstance(step, Normalize):
        linear = None if step.linear is None else _cast(step.linear, dtype, device)
        return Normalize(step.weight.to(dtype=dtype, device=device), step.bias.to(dtype=dtype, device=device),
                         step.module, step.gamma.to(dtype=dtype, device=device),
                         step.beta.to(dtype=dtype, device=device), step.eps, linear, step.name)
    if isinstance(step, Affine):
        return Affine(step.weight.to(dtype=dtype, device=device), step.bias.to(dtype=dtype, device=device),
                      step.module)
    if isinstance(step, Activation):
        return Activation(step.slope.to(dtype=dtype, device=device))
    if isinstance(step, Add) and step.shortcut is not None:
        return Add(_cast(step.shortcut, dtype, device))
    return step


def _run(steps: list, x: torch.Tensor, inputs: bool) -> tuple:
    z = x
    pre, saved, zs = [], [], [x]
    for s in steps:
        if isinstance(s, Affine):
            z = z @ s.weight.T + s.bias
        elif isinstance(s, Activation):
            pre.append(z)
            z = torch.where(z >= 0, z, s.slope * z)
            if inputs:
                zs.append(z)
        elif isinstance(s, Save):
            saved.append(z)
        else:
            skip = saved.pop()
            if s.shortcut is not None:
                skip = skip @ s.shortcut.weight.T + s.shortcut.bias
            z = z + skip
    return pre, z, zs


def input_width(steps: list) -> int:
    """``D_0``: the number of inputs the first affine step reads."""
    for s in steps:
        if isinstance(s, Affine):
            return s.weight.shape[1]
    raise ValueError("net has no affine step")


@torch.no_grad()
def run_steps(steps: list, x: torch.Tensor) -> tuple[list, torch.Tensor]:
    """Evaluate the steps on points ``x`` ``(N, D_0)``: ``([h_1, ..., h_L], output)`` in float64.

    ``h_ℓ`` (shape ``(N, D_ℓ)``) is the input of the ℓ-th activation, the pre-activation of layer ℓ.
    """
    pre, z, _ = _run(steps, x.to(torch.float64), False)
    return pre, z
