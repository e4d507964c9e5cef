"""A DAWNBench-style ResNet9 whose BN statistics can be fitted on the whole data (Figures 4 and 10).

The network of Figure 4 (random weights, CIFAR-10) and Figure 10 (BN statistics as a smart
initialization, CIFAR-100). It follows the DAWNBench ResNet9 (Myrtle.ai, "How to train your
ResNet"): eight conv units, each ``h = s ⊙ (W ∗ z) + t`` (a 3×3 convolution without bias, then
:class:`~bnexplained.normalization.Normalization`: eq. (1) or eq. (2) with statistics pooled
over the batch *and* the positions) followed by the leaky-ReLU of the paper's Appendix C::

    prep     conv  C_in → w                       (H × W)
    layer1   conv  w → 2w,  max-pool 2×2           (H/2)
    res1     z + a(conv(a(conv(z))))  2w → 2w → 2w
    layer2   conv  2w → 4w, max-pool 2×2           (H/4)
    layer3   conv  4w → 8w, max-pool 2×2           (H/8)
    res3     z + a(conv(a(conv(z))))  8w → 8w → 8w
    read-out global max-pool, linear 8w → classes, times ``readout_scale`` (DAWNBench: 0.125)

Conv units are numbered ``1..8`` in network order; lists are 0-based, so
``net.preactivations(x)[ℓ - 1]`` is ``h_ℓ`` of shape ``(N, C_ℓ, H_ℓ, W_ℓ)``. Inputs are
``(N, C_in, H, W)`` with ``H, W ≥ 8``: the 8×8 digits (``bnx.data.digits(flatten=False)``) and
32×32 CIFAR images both work. Like :class:`~bnexplained.networks.SplineMLP`, the whole
network stays a continuous piecewise-affine spline: convolutions are circulant-like matrices,
and max-pooling and the residual sums are piecewise affine too.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .device import as_tensor
from .networks import code_slope, gain
from .normalization import MODES, Normalization, NormalizedNetwork

__all__ = ["ResNet9"]

# The program of the network, run by ResNet9._steps: "unit" applies the next conv unit and its
# activation, "pool" a 2×2 max-pool, "push"/"add" open and close a residual branch.
_PROGRAM = ("unit", "unit", "pool", "push", "unit", "unit", "add",
            "unit", "pool", "unit", "pool", "push", "unit", "unit", "add")
_WIDTH_FACTORS = (1, 2, 2, 2, 4, 8, 8, 8)      # output channels of units 1..8, in units of width
MIN_SIZE = 8                                   # three 2×2 max-pools need at least 8×8 inputs


def activate(h: torch.Tensor, slope: float) -> torch.Tensor:
    """``a(h) = q ⊙ h`` (``q = 1`` where ``h ≥ 0``, ``slope`` elsewhere): the same numbers as
    :func:`bnexplained.networks.activate`, as one fused kernel (several times faster on the CPU).
    ``slope`` 0 is ReLU, ``α`` leaky-ReLU, −1 the absolute value."""
    return F.leaky_relu(h, slope)


def max_pool(z: torch.Tensor) -> torch.Tensor:
    """2×2 max-pooling of ``(N, C, H, W)`` → ``(N, C, H/2, W/2)``. On the CPU it pools in the
    channels-last layout (several times faster there, the same numbers) and returns NCHW."""
    if z.device.type != "cpu":
        return F.max_pool2d(z, 2)
    return F.max_pool2d(z.contiguous(memory_format=torch.channels_last), 2).contiguous()


class ConvUnit(nn.Module):
    """One conv unit before its activation: ``h = s ⊙ (W ∗ z) + t`` with a 3×3 kernel, padding 1."""

    def __init__(self, weight: torch.Tensor, norm: Normalization):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.norm = norm

    def conv(self, z: torch.Tensor) -> torch.Tensor:
        """``u = W ∗ z``: shape ``(N, C_in, H, W)`` → ``(N, C_out, H, W)``."""
        return F.conv2d(z, self.weight, padding=1)

    def forward(self, z: torch.Tensor, statistics: str = "batch") -> torch.Tensor:
        return self.norm(self.conv(z), statistics)


class ResNet9(NormalizedNetwork, nn.Module):
    """DAWNBench ResNet9 built on :class:`Normalization`: modes ``"bn"``, ``"zero_bias"``, ``"random_bias"``.

    Parameters
    ----------
    in_channels, num_classes : input channels (1 for digits, 3 for CIFAR) and outputs.
    width : channels of the first unit; the units have ``width, 2·width, 4·width, 8·width``.
    mode : ``"bn"`` (eq. 2), ``"zero_bias"`` or ``"random_bias"`` (eq. 1, ``c ~ N(0, bias_std²)``).
    activation, alpha : ``"leaky_relu"`` with slope ``alpha`` (Appendix C), ``"relu"`` or ``"abs"``.
    learnable_affine : make ``γ, β`` trainable (``mode="bn"`` only).
    readout_scale : the constant that multiplies the logits (DAWNBench's 0.125).
    seed : weights are drawn on the CPU from this seed (the same network on every device).

    In ``train()`` mode BN units use the statistics of the batch (eq. 3, pooled over positions);
    in ``eval()`` mode the stored ones (:meth:`fit_statistics` / :meth:`set_statistics`).
    ``forward`` and ``preactivations`` also take ``statistics="batch"`` or ``"stored"``.
    """

    _layer_list = "units"

    def __init__(self, in_channels: int = 3, num_classes: int = 10, *, width: int = 64, mode: str = "bn",
                 activation: str = "leaky_relu", alpha: float = 0.1, learnable_affine: bool = False,
                 bias_std: float = 1.0, readout_scale: float = 0.125, seed: int = 0,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not (isinstance(readout_scale, (int, float)) and readout_scale > 0):
            raise ValueError(f"readout_scale must be a positive number, got {readout_scale!r}")
        self.slope = code_slope(activation, alpha)
        self.activation, self.alpha, self.mode = activation, float(alpha), mode
        self.in_channels, self.num_classes, self.width = in_channels, num_classes, width
        self.readout_scale = float(readout_scale)
        self.learnable_affine = bool(learnable_affine)
        gen = torch.Generator().manual_seed(int(seed))
        units, c_in = [], in_channels
        for factor in _WIDTH_FACTORS:
            c_out = factor * width
            w = torch.randn(c_out, c_in, 3, 3, generator=gen, dtype=torch.float64)
            w *= gain(activation, self.slope) / (9 * c_in) ** 0.5
            norm = Normalization(c_out, mode, learnable_affine=learnable_affine, bias_std=bias_std,
                                 generator=gen, dtype=dtype)
            units.append(ConvUnit(w.to(dtype), norm))
            c_in = c_out
        self.units = nn.ModuleList(units)
        self.readout = nn.Linear(c_in, num_classes, dtype=dtype)
        with torch.no_grad():
            w = torch.randn(num_classes, c_in, generator=gen, dtype=torch.float64)
            self.readout.weight.copy_(w / c_in ** 0.5)
            self.readout.bias.zero_()
        if device is not None:
            self.to(device)

    # ------------------------------------------------------------------ basics
    def _check(self, x, *, name: str = "x", min_count: int = 1) -> torch.Tensor:
        """Validate images ``(N, C_in, H, W)``: real, finite, ``H, W ≥ 8``, at least ``min_count``."""
        t = as_tensor(x, name=name)
        if t.ndim != 4:
            raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(t.shape)}")
        if t.shape[1] != self.in_channels:
            raise ValueError(f"{name} must have {self.in_channels} channel(s) (in_channels), "
                             f"got shape {tuple(t.shape)}")
        if t.shape[2] < MIN_SIZE or t.shape[3] < MIN_SIZE:
            raise ValueError(f"{name} images must be at least {MIN_SIZE}×{MIN_SIZE} (three 2×2 max-pools), "
                             f"got shape {tuple(t.shape)}")
        if t.shape[0] < min_count:
            if min_count == 2:
                raise ValueError(f"{name} is a batch of one, but BN in batch mode needs at least 2 inputs "
                                 "(σ would be 0); use stored statistics (net.eval()) instead")
            raise ValueError(f"{name} must hold at least {min_count} image(s), got {t.shape[0]}")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        return t

    def _prepare(self, x, statistics: str) -> torch.Tensor:
        need = 2 if (self.mode == "bn" and statistics == "batch") else 1
        p = self._param()
        return self._check(x, min_count=need).to(dtype=p.dtype, device=p.device)

    # ------------------------------------------------------------------ forward passes
    def _steps(self, z: torch.Tensor, stack: list, pos: int, k: int, statistics: str,
               until: int | None = None, pre: list | None = None, u: torch.Tensor | None = None):
        """Run the program from op ``pos`` (next unit ``k``) on prepared ``z`` and residual ``stack``.

        Stops at the end, or just before unit ``until`` (0-based) applies its convolution;
        returns the state ``(z, stack, pos, k)``. Each ``h`` is appended to ``pre`` when given.
        ``u``, if given, is unit ``k``'s convolution of ``z``, already computed.
        """
        while pos < len(_PROGRAM):
            op = _PROGRAM[pos]
            if op == "unit":
                if k == until:
                    break
                unit = self.units[k]
                h = unit(z, statistics) if u is None else unit.norm(u, statistics)
                u = None
                if pre is not None:
                    pre.append(h)
                z = activate(h, self.slope)
                k += 1
            elif op == "pool":
                z = max_pool(z)
            elif op == "push":
                stack = stack + [z]
            else:  # "add": close the residual branch
                z, stack = stack[-1] + z, stack[:-1]
            pos += 1
        return z, stack, pos, k

    def _state_numel(self, height: int, width: int) -> int:
        """The most numbers one image's state holds at a unit (``z``, residual stack, convolution ``u``)."""
        shape, stack, k, most = (self.in_channels, height, width), [], 0, 0
        for op in _PROGRAM:
            if op == "unit":                           # z, the stack, and the convolution u
                shape, k, before = (self.units[k].weight.shape[0], shape[1], shape[2]), k + 1, shape
                most = max(most, sum(c * h * w for c, h, w in [before, shape, *stack]))
            elif op == "pool":
                shape = (shape[0], shape[1] // 2, shape[2] // 2)
            elif op == "push":
                stack = stack + [shape]
            else:
                stack = stack[:-1]
        return most

    def _run(self, z: torch.Tensor, statistics: str):
        """The whole network on prepared ``z``: ``(pre-activations [h_1..h_8], logits)``."""
        pre = []
        z = self._steps(z, [], 0, 0, statistics, pre=pre)[0]
        features = z.amax(dim=(2, 3))                      # global max-pool: (N, 8·width)
        return pre, self.readout_scale * self.readout(features)

    def forward(self, x, statistics: str | None = None) -> torch.Tensor:
        """The logits, shape ``(N, num_classes)``."""
        statistics = self._statistics(statistics)
        return self._back(self._run(self._prepare(x, statistics), statistics)[1], x)

    def preactivations(self, x, statistics: str | None = None) -> list:
        """``[h_1, ..., h_8]``: every conv unit's input to its activation, each ``(N, C_ℓ, H_ℓ, W_ℓ)``."""
        statistics = self._statistics(statistics)
        return [self._back(h, x) for h in self._run(self._prepare(x, statistics), statistics)[0]]

    @torch.no_grad()
    def signs(self, x, statistics: str | None = None) -> torch.Tensor:
        """Every unit's activation state at every position, as one boolean tensor ``(N, Σ C_ℓ H_ℓ W_ℓ)``.

        Two inputs lie in the same region of the conv units' partition when their rows agree
        (max-pools add their own, finer, boundaries).
        """
        return torch.cat([(h >= 0).flatten(1) for h in self.preactivations(x, statistics)], 1)

    # ------------------------------------------------------------------ BN statistics
    @torch.no_grad()
    def fit_statistics(self, X, batch_size: int = 256, *, memory_mb: float = 256) -> "ResNet9":
        """Freeze every unit's ``μ, σ`` to their whole-data values on ``X`` (eq. 3 over all of ``X``).

        Unit ℓ's statistics are those of its conv outputs when units ``1..ℓ−1`` are normalized
        with ``X``'s own whole-data statistics: exactly the batch-statistics forward pass with
        all of ``X`` as one batch. ``X`` (shape ``(N, C_in, H, W)``) is streamed in batches of
        ``batch_size`` (it may stay on the CPU while the network is on a GPU) and per-channel
        means and centred sums of squares are merged in float64 (Chan et al.'s pairwise update).
        While the intermediate activations of all of ``X`` fit in ``memory_mb`` they are kept
        between units (one pass in all); beyond that each unit re-runs the batches from the
        input (memory stays bounded). Returns ``self``.
        """
        self._require_bn("fit_statistics")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not (isinstance(memory_mb, (int, float)) and memory_mb >= 0):
            raise ValueError(f"memory_mb must be a number ≥ 0, got {memory_mb!r}")
        X = self._check(X, name="X", min_count=2)
        p = self._param()
        batches = X.split(batch_size)
        keep = len(X) * self._state_numel(*X.shape[2:]) * p.element_size() <= memory_mb * 2**20
        # per batch, the state (z, stack, pos, k, u) at unit k: its input z and convolution u
        states = [(xb.to(dtype=p.dtype, device=p.device), [], 0, 0, None) for xb in batches] if keep else None
        for k, unit in enumerate(self.units):
            count, mean, m2 = 0, None, None
            for i, xb in enumerate(batches):
                if states is not None:          # resume where unit k−1 stopped, reusing its convolution
                    z, stack, pos, at, u_prev = states[i]
                    z, stack, pos, _ = self._steps(z, stack, pos, at, "stored", until=k, u=u_prev)
                    u = unit.conv(z)
                    states[i] = (z, stack, pos, k, u)
                else:
                    u = unit.conv(self._steps(xb.to(dtype=p.dtype, device=p.device), [], 0, 0, "stored",
                                              until=k)[0])
                u = u.double()
                n = u.numel() // u.shape[1]
                b_mean = u.mean(dim=(0, 2, 3))
                b_m2 = (u - b_mean.view(1, -1, 1, 1)).pow(2).sum(dim=(0, 2, 3))
                if mean is None:
                    mean, m2 = b_mean, b_m2
                else:
                    delta = b_mean - mean
                    mean = mean + delta * (n / (count + n))
                    m2 = m2 + b_m2 + delta.pow(2) * (count * n / (count + n))
                count += n
            sigma = (m2 / count).sqrt()
            if not bool((sigma > 0).all()):
                bad = torch.nonzero(~(sigma > 0)).flatten().tolist()
                raise ValueError(f"σ = 0 for channel(s) {bad[:10]} of unit {k + 1}: every input gives the "
                                 "same value there (zero weights?); eq. (2) is undefined")
            unit.norm.set_statistics(mean, sigma)
        return self

    def as_plain(self, statistics: str = "stored", X=None, batch_size: int = 256) -> "ResNet9":
        """The same function as a plain network (eq. 1): ``W_ℓ → diag(γ/σ) W_ℓ``, ``c_ℓ = β − γμ/σ``.

        The smart initialization of Section 4 / Figure 10: BN's statistics become conv weights and
        biases of a ``mode="random_bias"`` ResNet9 that SGD then trains with no BN. With
        ``statistics="batch"`` the whole-data statistics of ``X`` are fitted first (on a copy).
        """
        self._require_bn("as_plain")
        if statistics == "batch":
            if X is None:
                raise ValueError("X is required when statistics='batch'")
            src = copy.deepcopy(self).fit_statistics(X, batch_size=batch_size)
        elif statistics == "stored":
            if not self.statistics_set():
                raise ValueError("this network has no stored statistics yet: call fit_statistics(X) "
                                 "first, or pass statistics='batch' and X")
            src = self
        else:
            raise ValueError(f"statistics must be 'batch' or 'stored', got {statistics!r}")
        p = self._param()
        plain = ResNet9(self.in_channels, self.num_classes, width=self.width, mode="random_bias",
                        activation=self.activation, alpha=self.alpha, readout_scale=self.readout_scale,
                        dtype=p.dtype, device=p.device)
        with torch.no_grad():
            for dst, unit, (s, t) in zip(plain.units, src.units, src.folded_scale_shift()):
                dst.weight.copy_(s.view(-1, 1, 1, 1) * unit.weight)
                dst.norm.bias.copy_(t)
            plain.readout.load_state_dict(self.readout.state_dict())
        return plain

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, num_classes={self.num_classes}, width={self.width}, "
                f"mode={self.mode!r}, activation={self.activation!r}")
