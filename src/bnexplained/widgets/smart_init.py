"""Chapter 7's dashboards: Proposition 3 on one mini-batch at a time, and training from three starts."""
from __future__ import annotations

import copy

import ipywidgets as W
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..decision_boundary import decision_grid, decision_values, one_sided_batches
from ..partition import zero_set_lines
from ..partition import data_extent, folded_hyperplane_lines
from ..plotting.core import GREY, draw_lines, style_axes
from ..plotting.smart_init import INIT_COLOURS, INIT_LABELS, draw_classes, draw_initialization
from ..networks import SplineMLP
from ..recipes.smart_init import proposition_3_network
from .dashboard import Dashboard

__all__ = ["Proposition3Explorer", "TrainingExplorer"]

POSITIVE, NEGATIVE = "#d6e6f5", "#f7dcd6"      # light shading of the two sides of the decision boundary


def _batch_indices(n_points: int, batch_size: int, draw: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1000 * int(batch_size) + int(draw))
    return torch.randperm(n_points, generator=gen)[:batch_size]


class Proposition3Explorer(Dashboard):
    """Proposition 3, one mini-batch at a time: the decision boundary the batch's own statistics give.

    Controls: the width ``D_{L−1}`` of the last hidden layer, the mini-batch size, which random
    mini-batch, the network's seed, and the read-out (``c_L = 0`` as in the proposition, or
    centred on the batch). The batch's points are coloured by the side they fall on; the readout
    line says whether both sides are met, and the share of one-sided batches over 200 draws.
    On the website the mini-batch and the read-out work (20 precomputed pictures).
    """

    website = ("readout", "batch")
    scenes, keep_axes = 1, True         # every value is the scene: one figure, its axes reused

    def __init__(self, data, *, resolution: int = 110, rate_batches: int = 200):
        self.data = torch.as_tensor(data, dtype=torch.float64)
        self.extent = data_extent(self.data)
        self.resolution = resolution
        self.rate_batches = rate_batches
        self._nets, self._rates = {}, {}
        controls = {
            "width": W.IntSlider(value=4, min=1, max=8, description="D_(L−1)"),
            "batch_size": W.IntSlider(value=4, min=2, max=32, description="batch size"),
            "batch": W.SelectionSlider(options=list(range(10)), value=0, description="batch"),
            "seed": W.IntSlider(value=0, min=0, max=9, description="network"),
            "readout": W.ToggleButtons(options=[("c_L = 0", "zero_bias"), ("centred", "centred")],
                                       value="zero_bias", description="read-out"),
        }
        super().__init__(controls, figsize=(4.6, 4.6), dpi=80)

    def network(self, width: int, seed: int) -> SplineMLP:
        key = (width, seed)
        if key not in self._nets:
            self._nets[key] = proposition_3_network(width, seed)
        return self._nets[key]

    def rate(self, width: int, seed: int, batch_size: int, readout: str) -> float:
        """Share of one-sided mini-batches of this size over ``rate_batches`` draws (cached)."""
        key = (width, seed, batch_size, readout)
        if key not in self._rates:
            one, ok = one_sided_batches(self.network(width, seed), self.data, batch_size,
                                        batches=self.rate_batches, readout=readout)
            self._rates[key] = one.sum().item() / max(1, ok.sum().item())
        return self._rates[key]

    def batch_network(self, width, seed, batch_size, batch, readout):
        """The network with the batch's own statistics (and read-out bias, if centred), and the batch."""
        xb = self.data[_batch_indices(len(self.data), batch_size, batch)]
        net = copy.deepcopy(self.network(width, seed))
        try:
            net.fit_statistics(xb)
        except ValueError:
            return None, xb
        if readout == "centred":
            with torch.no_grad():
                net.readout.bias -= decision_values(net, xb, statistics="stored").mean()
        return net, xb

    def build(self, fig, width, batch_size, batch, seed, readout) -> list:
        fig._readout = self._draw(fig, width, batch_size, batch, seed, readout)
        return []

    def move(self, fig, artists, **_):
        return fig._readout

    def alt(self, width, batch_size, batch, seed, readout):
        return (f"Network {seed}'s decision boundary (black line; the two sides shaded blue and red) under the "
                f"BN statistics of mini-batch {batch} of {batch_size} points, last hidden width {width}, read-out "
                f"{'c_L = 0' if readout == 'zero_bias' else 'centred'}; the batch's points coloured by their side, "
                f"the other data in grey.")

    def _draw(self, fig, width, batch_size, batch, seed, readout):
        ax = self.axes(fig, [0.02, 0.02, 0.96, 0.88])
        style_axes(ax, self.extent)
        net, xb = self.batch_network(width, seed, batch_size, batch, readout)
        _dots(ax, self.data, GREY, 2.5)
        if net is None:
            ax.set_title("σ = 0 on this batch: BN undefined", fontsize=12)
            return "BN is undefined on this batch (two identical points)."
        grid, f = decision_grid(net, self.extent, self.resolution)
        ax.imshow((f > 0).cpu().numpy(), origin="lower", extent=self.extent, aspect="auto",
                  interpolation="nearest", cmap=_two_colours(), vmin=0, vmax=1, zorder=0)
        draw_lines(ax, zero_set_lines(grid, f), color="black", lw=2.0)
        fb = decision_values(net, xb, statistics="stored")
        _dots(ax, xb[fb > 0], "#1f5fbf", 8, mec="white")
        _dots(ax, xb[fb <= 0], "#c0392b", 8, mec="white")
        both = bool((fb > 0).any() and (fb < 0).any())
        ax.set_title(f"{'both sides ✓' if both else 'one side only ✗'}   "
                     f"({int((fb > 0).sum())} on +, {int((fb < 0).sum())} on −)", fontsize=12,
                     color="#1e7b34" if both else "#b03a2e")
        rate = self.rate(width, seed, batch_size, readout)
        return (f"Network {seed}, D<sub>L−1</sub> = {width}, batches of {batch_size}: "
                f"<b>{rate:.1%}</b> of {self.rate_batches} random mini-batches are one-sided.")


def _dots(ax, X, colour, size, **kwargs):
    """Points as one ``Line2D`` of markers: much cheaper to redraw than a scatter."""
    X = X.detach().cpu().numpy()
    ax.plot(X[:, 0], X[:, 1], ls="", marker="o", ms=size, mfc=colour, mec=kwargs.pop("mec", colour),
            zorder=5, scalex=False, scaley=False, **kwargs)


def _two_colours():
    from matplotlib.colors import ListedColormap

    return ListedColormap([NEGATIVE, POSITIVE])


class TrainingExplorer(Dashboard):
    """Training from three starts on a 2-D task, epoch by epoch: partition, decision boundary, accuracy.

    ``trajectories`` is :func:`bnexplained.recipes.smart_init.trajectories`'s output, ``{init: (snapshots,
    test_acc)}`` (epoch 0 = initialization, then one network per epoch). The pictures of every
    epoch are rendered up front, so moving the epoch slider only shows a stored image; on the
    website that slider works too.
    """

    website = ("epoch",)

    def __init__(self, trajectories: dict, X, y, *, resolution: int = 120, dpi: int = 72):
        self.snapshots = {init: snaps for init, (snaps, _) in trajectories.items()}
        self.accuracy = {init: acc for init, (_, acc) in trajectories.items()}
        snapshots = self.snapshots
        self.X, self.y = X, y
        self.extent = data_extent(X)
        epochs = {len(v) for v in snapshots.values()}
        if len(epochs) != 1:
            raise ValueError("snapshots must hold the same number of epochs for every initialization")
        self.epochs = epochs.pop() - 1
        self._pictures = {}
        self.resolution, self.dpi, self.figsize = resolution, dpi, (9.6, 3.8)
        for epoch in range(self.epochs + 1):
            self.picture(epoch)
        controls = {"epoch": W.SelectionSlider(options=list(range(self.epochs + 1)), value=0, description="epoch")}
        super().__init__(controls, figsize=self.figsize, dpi=dpi)

    def picture(self, epoch: int) -> np.ndarray:
        """The whole picture of one epoch, rendered once to an RGBA array of the figure's size."""
        if epoch not in self._pictures:
            fig = Figure(figsize=self.figsize, dpi=self.dpi)
            canvas = FigureCanvasAgg(fig)
            self.render_epoch(fig, epoch)
            canvas.draw()
            self._pictures[epoch] = np.asarray(canvas.buffer_rgba()).copy()
        return self._pictures[epoch]

    def render_epoch(self, fig, epoch: int) -> None:
        """Draw one epoch from scratch: per start, its partition, decision boundary, data and accuracy."""
        axes = fig.subplots(1, len(self.snapshots))
        for ax, init in zip(np.atleast_1d(axes), self.snapshots):
            net = self.snapshots[init][epoch]
            grid, f = decision_grid(net, self.extent, self.resolution)
            draw_initialization(ax, folded_hyperplane_lines(net, self.extent, self.resolution),
                                zero_set_lines(grid, f))
            draw_classes(ax, self.X, self.y, size=6)
            style_axes(ax, self.extent)
            acc = self.accuracy[init][epoch]
            ax.set_title(f"{INIT_LABELS[init]}: {acc:.0%}", fontsize=12, color=INIT_COLOURS[init])
        fig.suptitle(f"epoch {epoch}", fontsize=13, y=0.99)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.84, wspace=0.04)

    def build(self, fig, epoch) -> list:
        fig.figimage(self.picture(epoch), resize=True)
        return []

    def move(self, fig, artists, epoch):
        return f"epoch {epoch} ({'initialization' if epoch == 0 else 'after SGD'}); test accuracy in the titles"

    def alt(self, epoch):
        accuracy = ", ".join(f"{INIT_LABELS[i]} {self.accuracy[i][epoch]:.0%}" for i in self.snapshots)
        return (f"Epoch {epoch}: for each start, the network's folded hyperplanes and decision boundary over the "
                f"two classes of the training data; test accuracy {accuracy}.")
