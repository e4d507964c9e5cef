"""Figure 3's computation (chapter 6): achieved FLOP/s against plain ``torch.matmul``, peak memory, wall time.

The computation is :func:`bnexplained.density.facet_concentration` for one network (BN, the worst case
for nothing: every setting costs the same): an L × D leaky-ReLU network evaluated on a padded grid
in bands of rows, the signs of the three counted layers' units bit-packed, then their boundaries
dilated and counted.
Its FLOPs are those of the matrix products ``z Wᵀ + t``; the baseline runs exactly those products
(same shapes, same bands, ``torch.addmm`` into a preallocated output, the library's thread
policy) in the same process, interleaved with it so both see the same load. The ratio (baseline time / full time)
is the achieved FLOP/s as a fraction of plain matmul (target ≥ 0.9), in wall and in CPU time.

    .venv/bin/python benchmarks/density.py            # CPU scale (11 × 256, 200² grid)
    .venv/bin/python benchmarks/density.py --paper    # the paper's 11 × 1024 (400² grid; meant for a GPU)
"""
import argparse
import multiprocessing as mp
import os
import threading
import time

import torch

import bnexplained as bnx
from bnexplained import density as D
from common import machine


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def _setup(width, depth, dev):
    X = bnx.data.star(50)
    net = bnx.SplineMLP([2] + [width] * depth, "leaky_relu", "bn", seed=0, device=dev).fit_statistics(X.to(dev))
    return X, net, bnx.data_extent(X)


def _full(net, extent, resolution, eps):
    return D.facet_concentration(net, extent, eps, layers=[1, 7, 11], resolution=resolution)


def _baseline(net, resolution, eps, extent):
    """The same matrix products as the full computation: per band and layer, ``addmm(t, z, Wᵀ)`` into a
    preallocated output (plain matmul at its best: no allocation), on the library's bands and threads."""
    grid = bnx.make_grid(extent, resolution)
    step = min(float(grid.xs[1] - grid.xs[0]), float(grid.ys[1] - grid.ys[0]))
    pad = int(eps / step + 1 - 1e-12) + 5
    side = resolution + 2 * pad
    p = net.layers[0].weight
    network = bnx.as_network(net)
    try:                                                     # the library's own fused layers, this version or an older one
        layers = D._fused_layers(network, p.dtype)
    except (AttributeError, TypeError):
        layers = D._fused_layers(net)
    try:
        rows = D._band_rows(network, side, side, 2 ** 24)
    except AttributeError:                                   # an older library: one band of 2^24 floats
        rows = max(1, min(side, 2 ** 24 // (side * max(net.widths[1:]))))
    flops = 0
    z0 = torch.randn(rows * side, 2, dtype=p.dtype, device=p.device)
    out = [torch.empty(rows * side, max(net.widths[1:]), dtype=p.dtype, device=p.device) for _ in range(2)]

    def run():
        nonlocal flops
        flops = 0
        with bnx.single_thread(enabled=p.device.type == "cpu"):
            for start in range(0, side, rows):
                n = (min(side, start + rows) - start) * side
                z = z0[:n]
                for i, (wt, t, *_) in enumerate(layers):
                    z = torch.addmm(t, z, wt, out=out[i % 2][:n, :wt.shape[1]])
                    flops += 2 * n * wt.shape[0] * wt.shape[1]
    return run, lambda: flops


def _best(fn, dev, repeats):
    """Least wall time and least CPU time (this process) of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        _sync(dev)
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        _sync(dev)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def _peak_child(width, depth, resolution, eps, queue):
    """Peak resident memory above the level just before the computation, sampled every 2 ms."""
    dev = bnx.device()
    X, net, extent = _setup(width, depth, dev)
    before, peak, done = _rss_kib(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_kib())
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _full(net, extent, resolution, eps)
    done.set()
    watcher.join()
    gpu = torch.cuda.max_memory_allocated() / 2 ** 20 if dev.type == "cuda" else None
    queue.put(((max(peak[0], _rss_kib()) - before) / 1024, gpu))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paper", action="store_true", help="the paper's scale (11 × 1024, 400² grid)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    recipes = getattr(bnx, "recipes", D)                     # an older library kept them in density
    scale = recipes.figure3_scale("cuda" if args.paper else "cpu")
    width, depth, resolution, eps = scale["width"], scale["depth"], scale["resolution"], scale["eps"]
    dev = bnx.device()
    print(f"# Figure 3 computation, {depth} x {width}, {resolution}² grid, ε = {eps}, on {dev} ({machine()}; "
          f"load average {os.getloadavg()[0]:.1f}; library at {os.path.dirname(bnx.__file__)})")
    if dev.type != "cuda":
        print("# no GPU here: CPU timings only" + (" (paper scale on a CPU)" if args.paper else ""))
    X, net, extent = _setup(width, depth, dev)
    run, flops = _baseline(net, resolution, eps, extent)
    run()
    _full(net, extent, resolution, eps)                      # warm-up both
    mm, full = [float("inf")] * 2, [float("inf")] * 2       # least (wall, CPU) seconds
    for _ in range(args.repeats):                            # interleaved, so both see the same load
        mm = [min(a, b) for a, b in zip(mm, _best(run, dev, 1))]
        full = [min(a, b) for a, b in zip(full, _best(lambda: _full(net, extent, resolution, eps), dev, 1))]
    maps = D.sign_maps(net, extent, resolution, pad=int(eps / (3.0 / resolution)) + 6)
    t_count = _best(lambda: maps.concentration(eps, [1, 7, 11]), dev, args.repeats)[1]
    gf = flops() / 1e9
    print(f"{'':22s}    wall (least)   CPU (least)")
    print(f"matrix products alone : {mm[0]:7.3f} s     {mm[1]:7.3f} s   ({gf / mm[1]:6.1f} GFLOP/s CPU over {gf:.1f} GFLOP)")
    print(f"full computation      : {full[0]:7.3f} s     {full[1]:7.3f} s   ({gf / full[1]:6.1f} GFLOP/s CPU achieved)")
    print(f"  of which counting   : {'':13s}{t_count:7.3f} s   (dilation and popcounts of 3 layers)")
    print(f"achieved / plain matmul FLOP/s = {mm[0] / full[0]:.2f} wall, {mm[1] / full[1]:.2f} CPU  "
          f"(target ≥ 0.9; least of {args.repeats} interleaved runs; load average {os.getloadavg()[0]:.1f} at the end)")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_peak_child, args=(width, depth, resolution, eps, q))
    p.start()
    rss, gpu = q.get()
    p.join()
    print(f"peak memory           : +{rss:.0f} MiB resident (fresh process)"
          + (f", {gpu:.0f} MiB on the GPU" if gpu is not None else ""))


if __name__ == "__main__":
    main()
