"""``make gpu-check``: the book's GPU branch, tried on a GPU before a reader tries it.

On a machine with CUDA it runs one short step of every paper-scale experiment on the GPU, at the
paper's model sizes (Figure 3 at 11 × 1024 units on a 400² grid; Figure 4, Figures 5/10, Table 1 and
noise-controlled BN with the width-64 ResNet9; chapter 8's margin runs at the paper's seeds), CIFAR
read from files written in CIFAR's own format (nothing is downloaded), then the unit tests with CUDA
present (the ``device`` fixture adds ``cuda``; ``tests/test_paper_scale.py`` runs every paper branch
there). It prints the device, each step's time and peak GPU memory, and fails on any error.

Without CUDA it stops with a message and exit status 2. ``--cpu`` (``make gpu-check
GPU_CHECK_ON_CPU=1``) rehearses the same steps on the CPU: the paper branch chosen by hand,
shrunk to toy sizes (``scale.shrink()``), and only the paper-scale unit tests.

    python tests/gpu_check.py [--cpu] [--unit all|paper|none]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
NO_CUDA = ("make gpu-check needs a CUDA GPU, and torch.cuda.is_available() is False here "
           "(torch {torch}, built for CUDA {cuda}). Run it on a GPU machine (in Colab: Runtime → Change runtime "
           "type → GPU), or rehearse the same steps on this CPU at toy sizes: make gpu-check GPU_CHECK_ON_CPU=1")


def _steps(dev, tiny: bool, root: pathlib.Path) -> list:
    """``(name, what, run)`` for every paper-scale experiment; ``run()`` returns a short result line."""
    import torch

    import bnexplained as bnx
    from bnexplained import recipes as R
    from cifar_files import write_cifar

    # on a GPU the device chooses the paper branch, as in the chapters; on the CPU rehearsal it is forced
    forced = None if dev.type == "cuda" else "paper"

    def sized(scale, **gpu_sizes):
        return scale.shrink() if tiny else scale.shrink(**gpu_sizes)

    def figure3():
        scale = R.figure3_scale(dev, scale=forced)
        assert scale.scale == "paper", scale
        scale = scale.shrink() if tiny else scale            # the full paper scale: one setting, three layers
        out = R.figure3(bnx.data.star(50), **scale, settings=("bn",), device=dev, progress=False)
        return f"{scale}; BN layer 11 max count {int(out['bn'].counts[-1].max())}"

    def figure4():
        scale = R.figure4_scale(dev, scale=forced)
        assert scale.scale == "paper", scale
        scale = sized(scale, n=8)                              # the paper's model and estimator, 8 + 8 images
        digits, _ = bnx.data.digits(flatten=False)
        R.figure4(digits, **scale, device=dev, progress=False)
        write_cifar(root / "c10", "cifar10", train=200, test=20)
        cifar, _ = bnx.data.cifar("cifar10", root=root / "c10")
        out = R.figure4(cifar, **scale, device=dev, progress=False)
        return f"{scale}; digits and CIFAR-10 files, {int(out['units'].sum())} units"

    def figure10():
        write_cifar(root / "c100", "cifar100", train=2000 if not tiny else 200, test=200 if not tiny else 40,
                    classes=range(0, 100, 5))
        scale, why = R.smart_init.choose_scale(dev, root=root / "c100", scale=forced)
        assert scale is R.smart_init.PAPER, why
        scale = sized(scale, width=64, batch_size=128)        # the paper's ResNet9, one epoch, two rates
        results = R.smart_init.run(scale, root=root / "c100", device=dev, progress=False)
        best = {init: res.best_lr for init, res in results.items()}
        return f"ResNet9 width {scale.width} on CIFAR-100 files, 1 epoch × {len(scale.lrs)} rates; best lr {best}"

    def table1():
        r = R.compare_learnable_affine(scale="gpu" if forced else None, device=dev, tiny=True,
                                       **({} if tiny else {"width": 64}), progress=False)
        assert r.scale == "gpu", r.scale
        return f"ResNet9 width {r.config['width']} on the digits, 1 seed × 1 epoch × {len(r.config['lrs'])} rates"

    def margins():
        scale = R.margin_scale(dev, scale=forced)
        assert scale.scale == "paper" and len(scale.seeds) == 20, scale
        scale = scale.shrink()                                 # one of the twenty seeds, one epoch
        Xm, ym = bnx.data.moons(1280, noise=0.2, seed=0, labels=True)
        split = bnx.training.split(Xm, ym, val=0.0, test=0.95)
        out = R.margin_experiment(split, virtual_batch_sizes=(None, 8, 4), seeds=scale.seeds, epochs=scale.epochs,
                                  config={"data": "moons-1280", "scale": scale.scale}, progress=False)
        return f"{scale}; {sum(len(v) for v in out.values())} runs"

    def noisy_resnet9():
        write_cifar(root / "c10n", "cifar10", train=1024 if not tiny else 64, test=128 if not tiny else 16)
        X, y = bnx.data.cifar("cifar10", root=root / "c10n")
        Xt, yt = bnx.data.cifar("cifar10", root=root / "c10n", train=False)
        split = bnx.training.Split((X, y), (X[:0], y[:0]), (Xt, yt))
        width = 2 if tiny else 64
        net = bnx.noise_controlled(bnx.ResNet9(3, 10, width=width, seed=0, device=dev), 8 if tiny else 110)
        h = bnx.training.train(net, split, lr=0.05, epochs=1, batch_size=16 if tiny else 128, progress=False)
        assert not h.diverged and torch.isfinite(torch.tensor(h.train_loss)).all()
        return f"ResNet9 width {width}, noise-controlled BN, 1 epoch on {len(y)} CIFAR-10 images"

    def exact_on_device():
        # the same code on the device as on the CPU: region counts, polygons' areas and facets agree
        from torch import nn
        torch.manual_seed(0)
        layers, d = [], 2
        for _ in range(4):
            layers += [nn.Linear(d, 8 if tiny else 64), nn.ReLU()]
            d = 8 if tiny else 64
        model = nn.Sequential(*layers, nn.Linear(d, 1)).eval()
        fig1 = bnx.SplineMLP([2, 6, 6, 6, 6], "leaky_relu", mode="bn", seed=0).fit_statistics(bnx.data.star(50))
        lines = []
        for name, net, r in (("ReLU 2-64x4" if not tiny else "ReLU 2-8x4", model, 3.0), ("Figure 1", fig1, 1.5)):
            cpu = bnx.exact_partition(net, r, device="cpu")
            bnx.exact_partition(net, r, device=dev)                     # warm-up (kernels, allocator)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            start = time.perf_counter()
            on_dev = bnx.exact_partition(net, r, device=dev)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            secs = time.perf_counter() - start
            start = time.perf_counter()
            bnx.exact_partition(net, r, device="cpu")
            cpu_secs = time.perf_counter() - start
            assert list(on_dev.num_regions) == list(cpu.num_regions), (name, on_dev.num_regions, cpu.num_regions)
            area = float(on_dev.areas().sum())
            assert abs(area - (2 * r) ** 2) < 1e-6 * (2 * r) ** 2, (name, area)
            lines.append(f"{name}: {on_dev.num_regions[-1]} regions, {dev.type} {secs * 1e3:.0f} ms vs cpu "
                         f"{cpu_secs * 1e3:.0f} ms")
        return "; ".join(lines)

    return [("Exact partition", "same regions on the device", exact_on_device),
            ("Figure 3", "density maps", figure3), ("Figure 4", "ResNet9 concentration", figure4),
            ("Figures 5, 10", "smart initialization", figure10), ("Table 1", "learned vs fixed γ, β", table1),
            ("Section 5 margins", "noise-controlled BN", margins),
            ("Section 5 ResNet9", "noise-controlled ResNet9", noisy_resnet9)]


def _unit_tests(which: str, dev) -> tuple[bool, float]:
    if which == "none":
        return True, 0.0
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd += [str(HERE / "test_paper_scale.py")] if which == "paper" else [str(HERE)]
    if which == "all":
        cmd += ["-n", str(max(2, min(8, (os.cpu_count() or 2) // 2)))]
    print(f"\n$ {' '.join(cmd)}", flush=True)
    start = time.perf_counter()
    ok = subprocess.call(cmd, cwd=HERE.parent) == 0
    return ok, time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="rehearse on the CPU: the paper branch forced, toy sizes")
    ap.add_argument("--unit", choices=("all", "paper", "none"), default=None,
                    help="unit tests to run afterwards (default: all on a GPU, paper on the CPU rehearsal)")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available() and not args.cpu:
        print(NO_CUDA.format(torch=torch.__version__, cuda=torch.version.cuda), file=sys.stderr)
        return 2
    dev = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    tiny = dev.type == "cpu"
    unit = args.unit or ("paper" if tiny else "all")
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU (rehearsal: toy sizes, branch forced)"
    print(f"gpu-check on {dev} — {name}; torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"{os.cpu_count()} CPU cores", flush=True)
    sys.path.insert(0, str(HERE))
    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="bnx-gpu-check-") as tmp:
        root = pathlib.Path(tmp)
        before = os.environ.get("BNX_CACHE")
        os.environ["BNX_CACHE"] = str(root / "cache")          # fresh: a cached result would skip the code
        try:
            for step, what, run in _steps(dev, tiny, root):
                if dev.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(dev)
                    torch.cuda.synchronize(dev)
                start = time.perf_counter()
                try:
                    line = run()
                    if dev.type == "cuda":
                        torch.cuda.synchronize(dev)
                    status = "ok"
                except Exception as e:                         # report every step, then fail
                    traceback.print_exc()
                    line, status, failed = f"{type(e).__name__}: {e}", "FAILED", True
                seconds = time.perf_counter() - start
                mem = f"{torch.cuda.max_memory_allocated(dev) / 2 ** 30:.2f} GiB" if dev.type == "cuda" else "—"
                rows.append((step, what, status, seconds, mem, line))
                print(f"{status:6s} {step:18s} {seconds:7.1f} s  peak GPU memory {mem:>9s}  {line}", flush=True)
        finally:
            if before is None:
                os.environ.pop("BNX_CACHE", None)
            else:
                os.environ["BNX_CACHE"] = before
    ok, seconds = _unit_tests(unit, dev)
    failed |= not ok
    print(f"\n{'step':20s}{'status':8s}{'seconds':>9s}  what")
    for step, what, status, secs, mem, _ in rows:
        print(f"{step:20s}{status:8s}{secs:9.1f}  {what} (peak GPU memory {mem})")
    if unit != "none":
        print(f"{'unit tests (' + unit + ')':20s}{'ok' if ok else 'FAILED':8s}{seconds:9.1f}  with {dev} present")
    print(f"\ngpu-check {'FAILED' if failed else 'passed'} on {dev} ({name})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
