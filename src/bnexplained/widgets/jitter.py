"""Chapter 8's dashboard: the decision boundary under mini-batch statistics, live (Figure 6)."""
from __future__ import annotations

import ipywidgets as W

from ..device import single_thread
from ..jitter import boundary_draws
from ..partition import data_extent
from ..plotting.jitter import draw_boundary_draws
from .dashboard import Dashboard

__all__ = ["JitterExplorer"]

OFF = "off"


class JitterExplorer(Dashboard):
    """Pick a network, a batch size and a virtual batch size; see the boundary jitter.

    ``networks`` maps a name to a 2-D binary BN classifier (``SplineMLP`` with stored whole-data
    statistics, or a supported ``nn.Sequential`` with ``BatchNorm1d`` layers and running
    statistics: the dashed reference). Each setting draws ``draws`` random mini-batches of ``X``
    and shows the boundary under each one's statistics (noise-controlled at the virtual batch
    when one is chosen); results are cached per setting. With ``precompute`` (the default) every
    setting the controls can reach is computed up front (54 by default, about a second on a 2-core
    CPU), so no move computes draws. On the website the network and the batch size work
    (precomputed without noise control).
    """

    website = ("network", "batch_size")
    scenes, keep_axes = 1, True         # every value is the scene: one figure, its axes reused

    def __init__(self, networks: dict, X, y, *, batch_sizes=(8, 16, 32, 64, 128, 256),
                 virtual_batch_sizes=(4, 8, 16, 32, 64, 128), draws: int = 10, resolution: int = 64,
                 seed: int = 0, precompute: bool = True):
        if not networks:
            raise ValueError("networks must map at least one name to a BN classifier")
        self.networks, self.X, self.y = dict(networks), X, y
        self.extent = data_extent(X)
        self.draws, self.resolution, self.seed = draws, resolution, seed
        self._cache, self._references = {}, {}
        controls = {
            "network": W.ToggleButtons(options=list(self.networks), value=list(self.networks)[0],
                                       description="network"),
            "batch_size": W.SelectionSlider(options=list(batch_sizes), value=16 if 16 in batch_sizes else batch_sizes[0],
                                            description="batch size"),
            "virtual": W.SelectionSlider(options=[OFF] + list(virtual_batch_sizes), value=OFF,
                                         description="virtual batch"),
        }
        if precompute:
            for network in self.networks:
                for b in batch_sizes:
                    for v in [OFF, *virtual_batch_sizes]:
                        self.boundaries(network, b, self._setting(b, v)[0])
        super().__init__(controls, figsize=(4.4, 4.4), dpi=80)

    def boundaries(self, network: str, batch_size: int, virtual):
        """The :class:`~bnexplained.jitter.BoundaryDraws` of one setting (computed once, on one thread:
        the products are small, and a second thread only waits on a busy machine)."""
        key = (network, batch_size, virtual)
        if key not in self._cache:
            m = None if virtual == OFF else virtual
            with single_thread():
                d = boundary_draws(self.networks[network], self.X, batch_size, self.draws, self.extent,
                                   self.resolution, virtual_batch_size=m, seed=self.seed,
                                   reference=self._references.get(network))
            self._cache[key] = d
            self._references[network] = d.reference       # the same for every setting of that network
        return self._cache[key]

    @staticmethod
    def _setting(batch_size, virtual) -> tuple:
        """``(virtual, note)``: a virtual batch at least as large as the batch means no added noise."""
        if virtual != OFF and virtual >= batch_size:
            return OFF, f" (virtual batch {virtual} ≥ batch {batch_size}: noise off)"
        return virtual, ""

    def scene(self, network, batch_size, virtual):
        return (network, batch_size, self._setting(batch_size, virtual)[0])

    def build(self, fig, network, batch_size, virtual) -> list:
        virtual = self._setting(batch_size, virtual)[0]
        d = self.boundaries(network, batch_size, virtual)
        ax = self.axes(fig, [0.02, 0.02, 0.96, 0.88])
        noise = "plain BN" if virtual == OFF else f"noise-controlled, virtual batch {virtual}"
        draw_boundary_draws(ax, d, self.X, self.y, title=f"{network}: batch {batch_size}, {noise}")
        return []

    def move(self, fig, artists, network, batch_size, virtual):
        virtual, note = self._setting(batch_size, virtual)
        d = self.boundaries(network, batch_size, virtual)
        return (f"<b>{self.draws} mini-batches</b>: on average a mini-batch's statistics flip the class of "
                f"<b>{d.mean_flip_share:.1%}</b> of the square{note}")

    def alt(self, network, batch_size, virtual):
        virtual, _ = self._setting(batch_size, virtual)
        noise = "plain BN" if virtual == OFF else f"noise-controlled BN with virtual batch {virtual}"
        return (f"The {network} classifier's decision boundary under the statistics of {self.draws} random "
                f"mini-batches of {batch_size} points ({noise}), thin lines, against the boundary with "
                f"whole-data statistics (dashed), over the two classes of training points.")
