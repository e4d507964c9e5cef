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

``--before REV [REV ...]`` also times the library as it was at each git revision ``REV``
(extracted with ``git archive`` and imported as ``bnexplained_before_REV``) in the same process,
on the same weights, interleaved with the current one, so before and after share the machine's load.

``--device cuda`` runs the same code on the GPU (networks, grid and partition there); times are
then synchronized wall-clock times (least of the repeats) and the peak is the GPU memory
allocated above the level before the call (``torch.cuda.max_memory_allocated``).

    .venv/bin/python benchmarks/exact_partition.py [--before REV ...] [--scale W L] [--device cuda]
                                                   [--threads N] [--repeats N]
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
    pts = bnx.make_grid(extent, resolution).points.to(next(model.parameters()).device)
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
    """The library at git revision ``rev``, imported as ``bnexplained_before_REV``; returns
    ``(module, (folder, module name))``."""
    data = subprocess.run(["git", "-C", ROOT, "archive", rev, "src/bnexplained"], check=True,
                          capture_output=True).stdout
    where = tempfile.mkdtemp(prefix="bnx-before-")
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(where, filter="data")
    name = "bnexplained_before_" + "".join(ch if ch.isalnum() else "_" for ch in rev)
    os.rename(os.path.join(where, "src", "bnexplained"), os.path.join(where, name))
    sys.path.insert(0, where)
    return importlib.import_module(name), (where, name)


def _hwm_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def _peak_child(name, before, device, queue):
    """Peak memory of one exact partition above the level just before it (fresh process): resident
    memory on the CPU, allocated GPU memory on CUDA."""
    if before:
        sys.path.insert(0, before[0])
    lib = importlib.import_module(before[1] if before else "bnexplained")
    net, extent = NETS[name](lib)
    net = net.to(device)
    torch.set_num_threads(1)
    lib.exact_partition(net, 0.01)                                      # warm the imports and the allocator
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        lib.exact_partition(net, extent)
        torch.cuda.synchronize()
        queue.put((torch.cuda.max_memory_allocated() - base) / 2 ** 20)
        return
    base = _hwm_mib()
    lib.exact_partition(net, extent)
    queue.put(_hwm_mib() - base)


def peak_mib(name, before=None, device=torch.device("cpu")) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_peak_child, args=(name, before, device, q))
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


def report(name, title, repeats, befores=(), device=torch.device("cpu")):
    """One network's table; ``befores``: ``(revision, module, (folder, name))`` from :func:`load_before`."""
    cuda = device.type == "cuda"
    net, extent = NETS[name]()
    grid_model = (as_sequential(net) if isinstance(net, bnx.SplineMLP) else net).to(device)
    net = net.to(device)
    part = bnx.exact_partition(net, extent)
    fns = {"exact": lambda: bnx.exact_partition(net, extent)}
    parts = {}
    for rev, lib, _ in befores:
        net_before = NETS[name](lib)[0].to(device)                     # the same weights, built by that library
        fns[rev] = (lambda lib, nb: lambda: lib.exact_partition(nb, extent))(lib, net_before)
        parts[rev] = lib.exact_partition(net_before, extent)
    fns["grid"] = lambda: grid_codes(grid_model, extent)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for fn in fns.values():
        fn()
    wall = {k: [] for k in fns}
    cpu = {k: float("inf") for k in fns}
    keys = [k for k in fns if k != "grid"]
    for rep in range(repeats):                                          # interleaved: all see the same load;
        turn = keys[rep % len(keys):] + keys[:rep % len(keys)]           # the grid first, then each in turn
        for key in ["grid"] + turn:                                     # right after it (equally often)
            fn = fns[key]
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            sync()
            wall[key].append((time.perf_counter() - t0) * 1e3)
            cpu[key] = min(cpu[key], (time.process_time() - c0) * 1e3)
    med = {k: sorted(v)[len(v) // 2] for k, v in wall.items()}
    least = {k: min(v) for k, v in wall.items()} if cuda else cpu       # on CUDA, CPU time says nothing
    what = "least wall" if cuda else "least CPU"
    pixels = bnx.make_grid(extent, 1024, dtype=torch.float64).points.to(device)
    hit = part.region_of(pixels)
    found = torch.unique(hit[hit >= 0]).numel()
    R = len(part)
    print(f"## {title} (on {device})")
    print(f"regions per layer          {part.num_regions}")
    print(f"facets per layer           {[len(part.facets(l)) for l in range(1, part.depth + 1)]}")
    for rev, bp in parts.items():
        print(f"{'before (' + rev + ')':26s} regions per layer {bp.num_regions}")
    print(f"1024x1024 grid codes       median {med['grid']:8.1f} ms, {what} {least['grid']:.1f} ms")
    for key in fns:
        if key == "grid":
            continue
        label = "exact_partition" if key == "exact" else f"before ({key})"
        print(f"{label:26s} median {med[key]:8.1f} ms, {what} {least[key]:.1f} ms -> "
              f"{R / (med[key] / 1e3):,.0f} regions/s; ratio to grid: median wall {med[key] / med['grid']:.3f}, "
              f"{what} {least[key] / least['grid']:.3f}")
    for rev, _, _ in befores:
        print(f"{'speed-up over ' + rev:26s} median wall {med[rev] / med['exact']:.2f}x, "
              f"{what} {least[rev] / least['exact']:.2f}x")
    peaks = [f"+{peak_mib(name, device=device):.0f} MiB"]
    peaks += [f"before ({rev}): +{peak_mib(name, where, device):.0f} MiB" for rev, _, where in befores]
    print(f"peak memory                {'; '.join(peaks)} above the level before the call"
          + (" (GPU memory allocated)" if cuda else " (resident, VmHWM)"))
    print(f"regions the grid misses    {R - found} of {R} ({100 * (R - found) / R:.1f}%)")
    print()


def scale_row(width, depth, device=torch.device("cpu")):
    net = relu_net(width, depth, 0).to(device)
    bnx.exact_partition(relu_net(8, 2).to(device), 3.0)
    t0, c0 = time.perf_counter(), time.process_time()
    part = bnx.exact_partition(net, 3.0)
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"## scale: ReLU 2-{width}x{depth}-1, PyTorch default init, [-3, 3]^2, on {device}")
    print(f"regions per layer          {part.num_regions}")
    print(f"exact_partition            {wall:.1f} s wall, {cpu:.1f} s CPU -> {len(part) / wall:,.0f} regions/s")
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--before", nargs="+", default=[], help="git revisions to time side by side (e.g. main)")
    ap.add_argument("--scale", type=int, nargs=2, metavar=("W", "L"), default=None)
    ap.add_argument("--only-scale", action="store_true")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here")
    if args.threads:
        torch.set_num_threads(args.threads)
    gpu = f"; {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    print(f"# exact partition ({machine()}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores{gpu})\n")
    befores = [(rev, *load_before(rev)) for rev in args.before]
    if not args.only_scale:
        report("fig1", "Figure 1 network (2-6-6-6-6, leaky-ReLU, BN on the star)", max(args.repeats, 15), befores,
               device)
        report("relu64x4", "ReLU 2-64-64-64-64-1, PyTorch default init, [-3, 3]^2", args.repeats, befores, device)
    if args.scale:
        scale_row(*args.scale, device=device)
    print(f"# load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
