"""Slider-move latency of the dashboards: the time of ``Dashboard.update()`` after a control change.

Target: under 100 ms on the 2-core CPU. Each row moves one control back and forth.
"""
import itertools

import matplotlib

matplotlib.use("Agg")

import bnexplained as bnx  # noqa: E402
from common import machine, timed  # noqa: E402


def moves(dashboard, control, values):
    cycle = itertools.cycle(values)
    return lambda: setattr(dashboard.controls[control], "value", next(cycle))


def jitter_rows():
    """Chapter 8's JitterExplorer on two random BN classifiers (stand-ins for the chapter's init/trained pair)."""
    X, y = bnx.data.moons(384, noise=0.15, seed=1, labels=True)
    nets = {name: bnx.SplineMLP([2, 32, 32, 32], "leaky_relu", "bn", out_features=2, seed=s).fit_statistics(X)
            for name, s in (("at initialization", 0), ("after training", 1))}
    w = bnx.widgets.JitterExplorer(nets, X, y)
    rows = []
    for b in w.controls["batch_size"].options:          # warm the cache for the cached rows
        w.controls["batch_size"].value = b
    rows.append(("JitterExplorer: batch size (cached)", timed(moves(w, "batch_size", [8, 16, 32, 64, 128, 256]))))
    rows.append(("JitterExplorer: network toggle", timed(moves(w, "network", list(nets)))))
    def fresh():                                           # nothing cached: new draws, contours, band
        w._cache.clear()
        w.controls["virtual"].value = 8 if w.controls["virtual"].value != 8 else 4
    rows.append(("JitterExplorer: uncached setting", timed(fresh)))
    return rows


def main():
    X = bnx.data.star(50)
    rows = []
    fig1 = bnx.widgets.Figure1Explorer(X)
    rows.append(("Figure1Explorer: layer slider", timed(moves(fig1, "layer", [1, 2, 3, 4]))))
    rows.append(("Figure1Explorer: BN toggle", timed(moves(fig1, "bn", [False, True]))))
    seeds = itertools.count(100)           # new random weights: nothing cached
    rows.append(("Figure1Explorer: new random weights", timed(lambda: setattr(fig1.controls["seed"], "value", next(seeds)))))
    tls = bnx.widgets.TLSExplorer(units=3, dataset="star")
    rows.append(("TLSExplorer: μ_1 slider", timed(moves(tls, "mu_1", [-1.0, -0.5, 0.0, 0.5, 1.0]))))
    rows.append(("TLSExplorer: β slider", timed(moves(tls, "beta", [0.0, 0.5, 1.0, -0.5]))))
    rows.append(("TLSExplorer: set μ to the batch mean", timed(tls.snap)))
    rows.append(("TLSExplorer: data set (cached after first use)", timed(moves(tls, "dataset", ["blobs", "moons", "star"]))))
    gb = bnx.widgets.GammaBetaExplorer()
    rows.append(("GammaBetaExplorer: β slider", timed(moves(gb, "beta", [0.0, 0.5, 1.0, -0.5]))))
    rows.append(("GammaBetaExplorer: |γ| slider", timed(moves(gb, "gamma_size", [0.5, 1.0, 2.0]))))
    rows.append(("GammaBetaExplorer: sign of γ", timed(moves(gb, "sign", [1, -1]))))
    dens = bnx.widgets.DensityExplorer(X)  # chapter 6
    rows.append(("DensityExplorer: ε slider", timed(moves(dens, "eps", [0.05, 0.1, 0.2, 0.3]))))
    rows.append(("DensityExplorer: layer slider", timed(moves(dens, "layer", [1, 4, 7, 11]))))
    rows.append(("DensityExplorer: width slider", timed(moves(dens, "width", [16, 32, 64]))))
    rows.append(("DensityExplorer: setting buttons", timed(moves(dens, "setting", ["zero_bias", "random_bias", "bn"]))))
    rows += smart_init_rows()
    # chapters 4-5 (many layers): Figure 2 live
    net2 = bnx.recipes.figure2_network(X)
    fig2ab = bnx.widgets.Figure2Translation(net2, X)
    rows.append(("Figure2Translation: μ slider", timed(moves(fig2ab, "shift", [-2.0, -0.5, 0.7, 2.2]))))
    rows.append(("Figure2Translation: point slider", timed(moves(fig2ab, "point", [3, 17, 29, 41]))))
    rows.append(("Figure2Translation: unit slider", timed(moves(fig2ab, "unit", [2, 5, 7, 8]))))
    fig2c = bnx.widgets.Figure2Folding(net2, X)
    rows.append(("Figure2Folding: σ slider", timed(moves(fig2c, "scale", [0.003, 0.05, 0.7, 9.0]))))
    rows.append(("Figure2Folding: unit slider", timed(moves(fig2c, "boundary", [2, 4, 6, 8]))))
    rows += jitter_rows()
    print(f"# dashboards ({machine()})")
    for name, r in rows:
        print(f"{name:45s} median {r['median_ms']:6.1f} ms  (min {r['min_ms']:.1f}, max {r['max_ms']:.1f}, "
              f"{r['repeats']} moves)  {'OK' if r['median_ms'] < 100 else 'OVER 100 ms'}")


def smart_init_rows():
    """Chapter 7: Proposition 3 on one mini-batch; training from three starts, epoch by epoch."""
    X, y = bnx.data.circles(400, noise=0.1, labels=True)
    p3 = bnx.widgets.Proposition3Explorer(X)
    rows = [("Proposition3Explorer: next mini-batch", timed(moves(p3, "batch", list(range(20))))),
            ("Proposition3Explorer: width slider", timed(moves(p3, "width", [1, 2, 3, 4, 5, 6, 7, 8]))),
            ("Proposition3Explorer: batch size slider", timed(moves(p3, "batch_size", [2, 4, 8, 16, 32]))),
            ("Proposition3Explorer: read-out toggle", timed(moves(p3, "readout", ["centred", "zero_bias"])))]
    runs = bnx.recipes.smart_init.trajectories(X, y, [2, 16, 16, 16, 16], lr=0.01, epochs=8, batch_size=16)
    trainer = bnx.widgets.TrainingExplorer(runs, X, y)
    rows.append(("TrainingExplorer: epoch slider", timed(moves(trainer, "epoch", list(range(9))))))
    return rows


if __name__ == "__main__":
    main()
