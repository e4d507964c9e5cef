"""Speed and memory of the exact 2-D partition, ``bnx.exact_partition``, against a grid evaluation of the same network.

Networks:

* Figure 1's: four leaky-ReLU BN layers of 6 units (seed 0, statistics fitted on the star);
* a ReLU network 2→64→64→64→64→1 with PyTorch's default initialization (seed 0) over [−3, 3]²
  (20,876 regions);
* with ``--scale W L``: a ReLU network 2→W×L→1 the same way (the README's scale row: the largest
  one whose exact partition takes under 10 s of CPU here).

For each: regions per second of the exact partition (polygons, codes, affine maps and facets
all included), the time of a 1024×1024 grid evaluation of the network's activation codes (the
network's own float32 forward pass), their ratio, the partition's peak memory above the level
before it (a fresh process per measurement, ``VmHWM``), and how many regions the grid misses.

``--before REV`` also times the library as it was at git revision ``REV`` (extracted with
``git archive`` and imported as ``bnexplained_before``) in the same process, on the same
weights, interleaved with the current one, so before and after share the machine's load.

    .venv/bin/python benchmarks/exact_partition.py [--before REV] [--scale W L] [--threads N] [--repeats N]
"""
import argparse
import importlib
import multiprocessing as mp
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO

import torch
from torch import nn

import bnexplained as bnx
from common import machine, timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def relu_net(width: int = 64, depth: int = 4, seed: int = 0) -> nn.Sequential:
    """2→W→…→W→1 ReLU network (``depth`` hidden layers), PyTorch's default initialization."""
    torch.manual_seed(seed)
    layers, d = [], 2
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, 1)).eval()


def relu_64x4(seed: int = 0) -> nn.Sequential:
    """2→64→64→64→64→1 ReLU network, PyTorch's default initialization."""
    return relu_net(64, 4, seed)


@torch.no_grad()
def grid_codes(model, extent, resolution: int = 1024) -> torch.Tensor:
    """The grid baseline: every unit's activation state at every pixel, ``(resolution², ΣD)`` bool."""
    pts = bnx.make_grid(extent, resolution).points
    signs = []
    hooks = [m.register_forward_hook(lambda m, inp, out: signs.append(inp[0] >= 0))
             for m in model.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    model(pts)
    for h in hooks:
        h.remove()
    return torch.cat(signs, 1)


def as_sequential(net: bnx.SplineMLP) -> nn.Sequential:
    """The same function as an ``nn.Sequential`` (BN folded into the linear layers), for the grid baseline."""
    plain = net.as_plain()
    layers = []
    for layer in plain.layers:
        lin = nn.Linear(*reversed(layer.weight.shape))
        with torch.no_grad():
            lin.weight.copy_(layer.weight)
            lin.bias.copy_(layer.norm.bias)
        layers += [lin, nn.LeakyReLU(net.slope) if net.slope > 0 else nn.ReLU()]
    return nn.Sequential(*layers).eval()


def cpu_ms(fn, repeats: int) -> float:
    """Least process CPU time of ``fn()`` in ms: robust when other processes share the cores."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, (time.process_time() - t0) * 1e3)
    return best


def load_before(rev: str):
    """The library at git revision ``rev``, imported as ``bnexplained_before``."""
    data = subprocess.run(["git", "-C", ROOT, "archive", rev, "src/bnexplained"], check=True,
                          capture_output=True).stdout
    where = tempfile.mkdtemp(prefix="bnx-before-")
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(where, filter="data")
    os.rename(os.path.join(where, "src", "bnexplained"), os.path.join(where, "bnexplained_before"))
    sys.path.insert(0, where)
    return importlib.import_module("bnexplained_before"), where


def _hwm_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def _peak_child(name, before_dir, queue):
    """Peak resident memory of one exact partition above the level just before it (fresh process)."""
    if before_dir:
        sys.path.insert(0, before_dir)
    lib = importlib.import_module("bnexplained_before" if before_dir else "bnexplained")
    net, extent = NETS[name](lib)
    torch.set_num_threads(1)
    lib.exact_partition(net, 0.01)                                      # warm the imports and the allocator
    base = _hwm_mib()
    lib.exact_partition(net, extent)
    queue.put(_hwm_mib() - base)


def peak_mib(name, before_dir=None) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_peak_child, args=(name, before_dir, q))
    p.start()
    out = q.get()
    p.join()
    return out


def _fig1(lib=bnx):
    X = lib.data.star(50)
    recipes = getattr(lib, "recipes", None) or lib.widgets              # an older library kept it in widgets
    net = recipes.figure1_network(6, True, seed=0).fit_statistics(X)
    return net, lib.data_extent(X)


NETS = {"fig1": _fig1, "relu64x4": lambda lib=bnx: (relu_64x4(0), 3.0)}


def report(name, title, repeats, before=None, before_dir=None):
    net, extent = NETS[name]()
    grid_model = as_sequential(net) if isinstance(net, bnx.SplineMLP) else net
    part = bnx.exact_partition(net, extent)
    new = lambda: bnx.exact_partition(net, extent)                      # noqa: E731
    net_before = NETS[name](before)[0] if before else None              # the same weights, built by that library
    old = (lambda: before.exact_partition(net_before, extent)) if before else None    # noqa: E731
    grid = lambda: grid_codes(grid_model, extent)                       # noqa: E731
    for fn in (new, old, grid):
        if fn:
            fn()
    wall = {"exact": [], "before": [], "grid": []}
    cpu = {"exact": float("inf"), "before": float("inf"), "grid": float("inf")}
    for _ in range(repeats):                                            # interleaved: all see the same load
        for key, fn in (("exact", new), ("before", old), ("grid", grid)):
            if fn is None:
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[key].append((time.perf_counter() - t0) * 1e3)
            cpu[key] = min(cpu[key], (time.process_time() - c0) * 1e3)
    med = {k: sorted(v)[len(v) // 2] for k, v in wall.items() if v}
    pixels = bnx.make_grid(extent, 1024, dtype=torch.float64).points
    hit = part.region_of(pixels)
    found = torch.unique(hit[hit >= 0]).numel()
    R = len(part)
    print(f"## {title}")
    print(f"regions per layer          {part.num_regions}")
    print(f"facets per layer           {[len(part.facets(l)) for l in range(1, part.depth + 1)]}")
    if before:
        bp = before.exact_partition(net_before, extent)
        print(f"before: regions per layer  {bp.num_regions}")
    print(f"1024x1024 grid codes       median {med['grid']:8.1f} ms, least CPU {cpu['grid']:.1f} ms")
    rows = [("exact_partition", "exact")] + ([(f"before ({args_before})", "before")] if before else [])
    for label, key in rows:
        print(f"{label:26s} median {med[key]:8.1f} ms, least CPU {cpu[key]:.1f} ms -> "
              f"{R / (med[key] / 1e3):,.0f} regions/s; ratio to grid: wall {med[key] / med['grid']:.3f}, "
              f"CPU {cpu[key] / cpu['grid']:.3f}")
    if before:
        print(f"speed-up after / before    wall {med['before'] / med['exact']:.2f}x, CPU {cpu['before'] / cpu['exact']:.2f}x")
    print(f"peak memory                +{peak_mib(name):.0f} MiB"
          + (f" (before: +{peak_mib(name, before_dir):.0f} MiB)" if before else "") + " above the level before the call")
    print(f"regions the grid misses    {R - found} of {R} ({100 * (R - found) / R:.1f}%)")
    print()


def scale_row(width, depth):
    net = relu_net(width, depth, 0)
    bnx.exact_partition(relu_net(8, 2), 3.0)
    dev = bnx.device()
    net = net.to(dev)
    t0, c0 = time.perf_counter(), time.process_time()
    part = bnx.exact_partition(net, 3.0)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"## scale: ReLU 2-{width}x{depth}-1, PyTorch default init, [-3, 3]^2, on {dev}")
    print(f"regions per layer          {part.num_regions}")
    print(f"exact_partition            {wall:.1f} s wall, {cpu:.1f} s CPU -> {len(part) / wall:,.0f} regions/s")
    print()


args_before = None


def main():
    global args_before
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--before", default=None, help="git revision to time side by side (e.g. main)")
    ap.add_argument("--scale", type=int, nargs=2, metavar=("W", "L"), default=None)
    ap.add_argument("--only-scale", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()
    print(f"# exact partition ({machine()}; load average {load[0]:.1f} on {os.cpu_count()} cores)\n")
    before = before_dir = None
    if args.before:
        args_before = args.before
        before, before_dir = load_before(args.before)
    if not args.only_scale:
        report("fig1", "Figure 1 network (2-6-6-6-6, leaky-ReLU, BN on the star)", max(args.repeats, 15), before,
               before_dir)
        report("relu64x4", "ReLU 2-64-64-64-64-1, PyTorch default init, [-3, 3]^2", args.repeats, before, before_dir)
    if args.scale:
        scale_row(*args.scale)


if __name__ == "__main__":
    main()
