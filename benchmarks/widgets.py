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
    rows += jitter_rows()
    print(f"# dashboards ({machine()})")
    for name, r in rows:
        print(f"{name:45s} median {r['median_ms']:6.1f} ms  (min {r['min_ms']:.1f}, max {r['max_ms']:.1f}, "
              f"{r['repeats']} moves)  {'OK' if r['median_ms'] < 100 else 'OVER 100 ms'}")


if __name__ == "__main__":
    main()
