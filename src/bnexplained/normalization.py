"""The per-unit affine step of a layer: a plain bias (eq. 1) or batch normalization (eq. 2).

Both are written as ``h = s * u + t`` on the product ``u = W z`` of a layer, with one scale
``s`` and one shift ``t`` per unit:

* plain layer (1):  ``s = 1``, ``t = c`` (the bias);
* BN layer (2):     ``s = γ / σ``, ``t = β − γ μ / σ``, with ``μ, σ`` either the statistics
  of the current mini-batch (eq. 3) or stored ones (whole-data values, or set by hand).

The same module serves fully connected layers (``u`` of shape ``(N, C)``) and convolutional
layers (``u`` of shape ``(N, C, H, W)``; the statistics then pool over positions as well).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

__all__ = ["MODES", "STATISTICS", "Normalization", "NormalizedNetwork"]

MODES = ("bn", "zero_bias", "random_bias")
STATISTICS = ("batch", "stored")


def _unit_view(v: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Reshape a per-unit vector so it broadcasts against ``u`` along dimension 1."""
    return v.view(1, -1, *([1] * (u.ndim - 2)))


class Normalization(nn.Module):
    """Per-unit ``h = s ⊙ u + t`` for a layer in one of ``MODES``.

    ``mode="bn"`` keeps buffers ``mu`` and ``sigma`` (the stored statistics) and ``gamma``,
    ``beta`` (parameters when ``learnable_affine`` else buffers, 1 and 0 by default).
    ``mode="zero_bias"`` / ``"random_bias"`` keep a learnable ``bias`` (zeros, or
    ``N(0, bias_std²)`` draws from ``generator``).

    The stored statistics are also kept in float64 as they were set (:meth:`exact_statistics`),
    whatever the layer's dtype: the forward pass uses the buffers, the exact tools (through
    :func:`~bnexplained.sequential.as_network`) the float64 values, so a float32 network's BN lines
    still meet in one point and its partitions are those of a float64 network.

    ``batch_noise``: an optional callable ``(u, mu, sigma) → (mu, sigma)`` applied to batch
    statistics in training mode (noise-controlled BN, :func:`bnexplained.noisy_bn.noise_controlled`).
    """

    batch_noise = None

    def __init__(self, num_units: int, mode: str = "bn", *, learnable_affine: bool = False,
                 bias_std: float = 1.0, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not isinstance(num_units, int) or num_units < 1:
            raise ValueError(f"num_units must be a positive int, got {num_units!r}")
        self.mode = mode
        self.num_units = num_units
        if mode == "bn":
            self.register_buffer("mu", torch.zeros(num_units, dtype=dtype))
            self.register_buffer("sigma", torch.ones(num_units, dtype=dtype))
            self.register_buffer("statistics_set", torch.tensor(False))
            gamma = torch.ones(num_units, dtype=dtype)
            beta = torch.zeros(num_units, dtype=dtype)
            if learnable_affine:
                self.gamma = nn.Parameter(gamma)
                self.beta = nn.Parameter(beta)
            else:
                self.register_buffer("gamma", gamma)
                self.register_buffer("beta", beta)
        else:
            if mode == "random_bias":
                if not bias_std > 0:
                    raise ValueError(f"bias_std must be positive, got {bias_std!r}")
                bias = torch.randn(num_units, generator=generator, dtype=torch.float64) * bias_std
            else:
                bias = torch.zeros(num_units, dtype=torch.float64)
            self.bias = nn.Parameter(bias.to(dtype))

    def extra_repr(self) -> str:
        return f"{self.num_units}, mode={self.mode!r}"

    # ------------------------------------------------------------------ statistics
    @staticmethod
    def batch_statistics(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. (3): per-unit mean and (biased) standard deviation of ``u`` over the batch.

        ``u`` has shape ``(N, C)`` or ``(N, C, H, W)``; returns two tensors of shape ``(C,)``.
        Raises ``ValueError`` for a batch of one or a unit whose values do not vary.
        """
        dims = [0] + list(range(2, u.ndim))
        count = u.numel() // u.shape[1]
        if u.shape[0] < 2 and count < 2:
            raise ValueError("batch statistics need a batch of at least 2 inputs (a batch of one has "
                             "σ = 0); use stored statistics instead (net.eval() or statistics='stored')")
        mu = u.mean(dim=dims)
        sigma = (u - _unit_view(mu, u)).pow(2).mean(dim=dims).sqrt()
        # σ may legitimately be tiny (a hyperplane that fits the batch exactly), but not zero.
        if not bool((sigma > 0).all()):
            bad = torch.nonzero(~(sigma > 0)).flatten().tolist()
            raise ValueError(f"σ = 0 for unit(s) {bad[:10]}: every input gives the same ⟨w, z⟩ "
                             "(zero-norm weight row, or a batch orthogonal to it); eq. (2) is undefined")
        return mu, sigma

    def set_statistics(self, mu=None, sigma=None, *, exact=None) -> None:
        """Store ``μ`` and/or ``σ`` (shape ``(C,)``) by hand; ``σ`` must be positive and finite.

        The values are also kept in float64 (:meth:`exact_statistics`), whatever the layer's dtype:
        the given ones, or ``exact = (μ, σ)`` when those are the float64 originals of roundings given
        as ``mu``, ``sigma`` (as :meth:`~bnexplained.networks.SplineMLP.fit_statistics` does).
        """
        if self.mode != "bn":
            raise ValueError(f"only mode='bn' layers have statistics (this one is {self.mode!r})")
        for i, (name, value) in enumerate((("mu", mu), ("sigma", sigma))):
            if value is None:
                continue
            v64 = torch.as_tensor(value if exact is None else exact[i], dtype=torch.float64).detach()
            v = torch.as_tensor(value, dtype=self.mu.dtype, device=self.mu.device)
            for t in (v, v64):
                if t.ndim == 0:
                    t = t.expand(self.num_units)
                if t.shape != (self.num_units,):
                    raise ValueError(f"{name} must have shape ({self.num_units},), got {tuple(t.shape)}")
                if not torch.isfinite(t).all():
                    raise ValueError(f"{name} contains NaN or infinite values")
                if name == "sigma" and not bool((t > 0).all()):
                    raise ValueError("sigma must be strictly positive (σ → 0 makes eq. (2) undefined)")
            getattr(self, name).copy_(v)
            self._exact[name] = (v64.expand(self.num_units).cpu().clone(), v.expand(self.num_units).cpu().clone())
        self.statistics_set.fill_(True)

    @property
    def _exact(self) -> dict:
        if "_exact_statistics" not in self.__dict__:
            self.__dict__["_exact_statistics"] = {}
        return self.__dict__["_exact_statistics"]

    def _apply(self, fn, *args, **kwargs):
        """``.to(...)``, ``.double()``, ``.float()``, ``.cuda()``: the float64 statistics survive a cast; a
        cast to float64 gives the buffers those values (so a float64 copy's forward pass is the fold
        the exact tools use), and a cast back to the dtype they were set in restores the values set."""
        valid = [name for name in ("mu", "sigma") if self._kept(name)] if self.mode == "bn" else []
        out = super()._apply(fn, *args, **kwargs)
        for name in valid:
            buf = getattr(self, name)
            exact, original = self._exact[name]
            if buf.dtype == torch.float64:
                buf.copy_(exact.to(buf.device))
            elif buf.dtype == original.dtype:
                buf.copy_(original.to(buf.device))
        return out

    def _kept(self, name: str) -> bool:
        """Whether buffer ``name`` still holds what was set (or, in float64, its exact value)."""
        if name not in self._exact:
            return False
        buf = getattr(self, name)
        exact, original = self._exact[name]
        return (torch.equal(original.to(device=buf.device, dtype=buf.dtype), buf)
                or (buf.dtype == torch.float64 and torch.equal(exact.to(buf.device), buf)))

    def exact_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The stored ``(μ, σ)`` in float64, on the layer's device: the values as they were set, not
        their rounding to the layer's dtype (a float32 network's BN lines then meet in one point, as
        eq. (3)'s do). Where a buffer no longer holds what was stored then (it was edited in place,
        or loaded from a state dict), the buffer's own value."""
        out = []
        for name in ("mu", "sigma"):
            buf = getattr(self, name)
            out.append(self._exact[name][0].to(buf.device) if self._kept(name) else buf.detach().to(torch.float64))
        return out[0], out[1]

    # ------------------------------------------------------------------ the affine step
    def scale_shift(self, u: torch.Tensor, statistics: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-unit ``(s, t)`` with ``h = s ⊙ u + t``; ``statistics`` is ``"batch"`` or ``"stored"``."""
        if self.mode != "bn":
            return torch.ones_like(self.bias), self.bias
        if statistics == "batch":
            mu, sigma = self.batch_statistics(u)
            if self.batch_noise is not None and self.training:
                mu, sigma = self.batch_noise(u, mu, sigma)
        elif statistics == "stored":
            if not bool(self.statistics_set):
                raise ValueError("this BN layer has no stored statistics yet: call "
                                 "net.fit_statistics(X) or net.set_statistics(...) first, "
                                 "or use statistics='batch'")
            mu, sigma = self.mu, self.sigma
        else:
            raise ValueError(f"statistics must be one of {STATISTICS}, got {statistics!r}")
        scale = self.gamma / sigma
        return scale, self.beta - scale * mu

    def forward(self, u: torch.Tensor, statistics: str = "batch") -> torch.Tensor:
        s, t = self.scale_shift(u, statistics)
        return _unit_view(s, u) * u + _unit_view(t, u)


class NormalizedNetwork:
    """What every network of the library shares about its layers' statistics (a mixin).

    A subclass keeps its layers in an ``nn.ModuleList`` named by ``_layer_list`` (each layer has
    a ``weight`` and a :class:`Normalization` ``norm``) and a ``mode``; it gets ``depth``,
    ``weights``, ``mu``, ``sigma``, ``set_statistics``, ``statistics_set`` and the choice
    between batch and stored statistics (``train()`` → batch, ``eval()`` → stored).
    """

    _layer_list = "layers"

    def _layers(self) -> list:
        return list(getattr(self, self._layer_list))

    @property
    def depth(self) -> int:
        """The number of layers with an activation."""
        return len(self._layers())

    @property
    def weights(self) -> list:
        """``[W_1, ..., W_L]`` (views of the parameters)."""
        return [layer.weight for layer in self._layers()]

    @property
    def mu(self) -> list:
        """Stored BN means ``[μ_1, ..., μ_L]``."""
        self._require_bn("mu")
        return [layer.norm.mu for layer in self._layers()]

    @property
    def sigma(self) -> list:
        """Stored BN standard deviations ``[σ_1, ..., σ_L]``."""
        self._require_bn("sigma")
        return [layer.norm.sigma for layer in self._layers()]

    def _require_bn(self, what: str) -> None:
        if self.mode != "bn":
            raise ValueError(f"{what} exists only for mode='bn' (this network is {self.mode!r})")

    def _param(self) -> torch.Tensor:
        return self._layers()[0].weight

    def _statistics(self, statistics: str | None) -> str:
        if statistics is None:
            return "batch" if self.training else "stored"
        if statistics not in STATISTICS:
            raise ValueError(f"statistics must be None or one of {STATISTICS}, got {statistics!r}")
        return statistics

    @staticmethod
    def _back(t: torch.Tensor, x) -> torch.Tensor:
        """Return results on the device the caller's tensor lives on."""
        if isinstance(x, torch.Tensor) and t.device != x.device:
            return t.to(x.device)
        return t

    def set_statistics(self, mu: Sequence | None = None, sigma: Sequence | None = None):
        """Set stored statistics by hand: lists of per-layer vectors (``None`` keeps a layer's)."""
        self._require_bn("set_statistics")
        for name, values in (("mu", mu), ("sigma", sigma)):
            if values is not None and len(values) != self.depth:
                raise ValueError(f"{name} must list {self.depth} per-layer vectors, got {len(values)}")
        with torch.no_grad():
            for i, layer in enumerate(self._layers()):
                layer.norm.set_statistics(None if mu is None else mu[i], None if sigma is None else sigma[i])
        return self

    def statistics_set(self) -> bool:
        """Whether every BN layer has stored statistics."""
        return self.mode == "bn" and all(bool(layer.norm.statistics_set) for layer in self._layers())

    @torch.no_grad()
    def folded_scale_shift(self) -> list:
        """Per layer, the stored ``(s, t)`` with ``h = s ⊙ (W z) + t``: BN folded into a plain layer."""
        p = self._param()
        out = []
        for layer in self._layers():
            dummy = torch.zeros(1, layer.norm.num_units, dtype=p.dtype, device=p.device)
            s, t = layer.norm.scale_shift(dummy, "stored")
            out.append((s.detach().clone(), t.detach().clone()))
        return out
