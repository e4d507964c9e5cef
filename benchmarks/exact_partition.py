"""Speed of the exact 2-D partition, ``bnx.exact_partition``, against a grid evaluation of the same network.

Two networks:

* Figure 1's: four leaky-ReLU BN layers of 6 units (seed 0, statistics fitted on the star);
* a ReLU network 2→64→64→64→64→1 with PyTorch's default initialization (seed 0) over [−3, 3]²
  (about 20,000 regions).

For each: regions per second of the exact partition (polygons, codes, affine maps and facets
all included), the time of a 1024×1024 grid evaluation of the network's activation codes (the
network's own float32 forward pass), their ratio, and how many regions the grid misses (no grid
point has their code). Target: at least 25,000 regions per second on the 2-core CPU.

    .venv/bin/python benchmarks/exact_partition.py [--threads N] [--repeats N]
"""
import argparse
import time

import torch
from torch import nn

import bnexplained as bnx
from common import machine, timed


def relu_64x4(seed: int = 0) -> nn.Sequential:
    """2→64→64→64→64→1 ReLU network, PyTorch's default initialization."""
    torch.manual_seed(seed)
    layers, d = [], 2
    for _ in range(4):
        layers += [nn.Linear(d, 64), nn.ReLU()]
        d = 64
    return nn.Sequential(*layers, nn.Linear(d, 1)).eval()


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


def report(name, net, grid_model, extent, repeats):
    part = bnx.exact_partition(net, extent)
    exact = timed(lambda: bnx.exact_partition(net, extent), repeats=repeats, warmup=1)
    grid = timed(lambda: grid_codes(grid_model, extent), repeats=repeats, warmup=1)
    exact_cpu = cpu_ms(lambda: bnx.exact_partition(net, extent), repeats)
    grid_cpu = cpu_ms(lambda: grid_codes(grid_model, extent), repeats)
    pixels = bnx.make_grid(extent, 1024, dtype=torch.float64).points
    hit = part.region_of(pixels)
    found = torch.unique(hit[hit >= 0]).numel()
    distinct = torch.unique(grid_codes(grid_model, extent), dim=0).shape[0]
    R = len(part)
    rate = R / (exact["median_ms"] / 1e3)
    print(f"## {name}")
    print(f"regions per layer          {part.num_regions}")
    print(f"facets per layer           {[len(part.facets(l)) for l in range(1, part.depth + 1)]}")
    print(f"exact_partition            median {exact['median_ms']:8.1f} ms (min {exact['min_ms']:.1f})"
          f"  -> {rate:,.0f} regions/s  {'OK' if rate >= 25_000 else 'below 25,000 regions/s'}")
    print(f"1024x1024 grid codes       median {grid['median_ms']:8.1f} ms (min {grid['min_ms']:.1f})")
    print(f"time ratio exact / grid    {exact['median_ms'] / grid['median_ms']:.2f} (wall-clock medians)")
    print(f"CPU time exact, grid       {exact_cpu:.1f} ms, {grid_cpu:.1f} ms (least of {repeats}): "
          f"ratio {exact_cpu / grid_cpu:.2f}, {R / (exact_cpu / 1e3):,.0f} regions per CPU-second")
    print(f"regions the grid misses    {R - found} of {R} ({100 * (R - found) / R:.1f}%); "
          f"distinct codes on the grid {distinct}")
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# exact partition ({machine()}; no GPU used: the cut is latency-bound and runs on the CPU)\n")
    X = bnx.data.star(50)
    fig1 = bnx.recipes.figure1_network(6, True, seed=0).fit_statistics(X)
    report("Figure 1 network (2-6-6-6-6, leaky-ReLU, BN on the star)", fig1, as_sequential(fig1),
           bnx.data_extent(X), max(args.repeats, 15))
    model = relu_64x4(0)
    report("ReLU 2-64-64-64-64-1, PyTorch default init, [-3, 3]^2", model, model, 3.0, args.repeats)


if __name__ == "__main__":
    main()
