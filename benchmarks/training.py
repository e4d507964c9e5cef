"""Seconds per training epoch on the digits (1,079 training images, batches of 128), CPU or GPU.

For budgeting the chapters' experiments: ResNet9 at widths 8, 16, 32 against the MLP
[64, 128, 128] + read-out to 10 classes, all in BN mode. "train" is the SGD steps of one epoch
(best of the epochs run); "epoch" adds the evaluation that follows each epoch (whole-training-set
BN statistics, then validation and test accuracy): wall time of the run divided by its epochs.
Ratios are to the MLP, measured in the same run. ``python benchmarks/training.py [THREADS]``
(default 2 torch threads).
"""
import time

import torch

import bnexplained as bnx
from common import machine

EPOCHS = 4


def per_epoch(make_model, split):
    model = make_model()
    bnx.training.train(make_model(), split, lr=0.05, epochs=1, progress=False)     # warm-up
    t0 = time.perf_counter()
    h = bnx.training.train(model, split, lr=0.05, epochs=EPOCHS, progress=False)
    wall = (time.perf_counter() - t0) / EPOCHS
    return min(h.seconds[1:]), wall, h.val_acc[-1]


def main():
    device = bnx.device()
    flat, y = bnx.data.digits()
    images, _ = bnx.data.digits(flatten=False)
    mlp_split, img_split = bnx.training.split(flat, y, seed=0), bnx.training.split(images, y, seed=0)
    rows = [("MLP [64, 128, 128] → 10", per_epoch(
        lambda: bnx.SplineMLP([64, 128, 128], "leaky_relu", "bn", out_features=10, device=device), mlp_split))]
    for width in (8, 16, 32):
        rows.append((f"ResNet9 width {width}", per_epoch(
            lambda w=width: bnx.ResNet9(1, 10, width=w, device=device), img_split)))
    base = rows[0][1][1]
    print(f"# training on digits, seconds per epoch ({machine()}, device {device.type})")
    for name, (steps, wall, acc) in rows:
        print(f"{name:26s} train {steps:6.3f} s  epoch+eval {wall:6.3f} s  ({wall / base:5.1f}× MLP)  "
              f"val_acc after {EPOCHS} epochs {acc:.3f}")


if __name__ == "__main__":
    import sys

    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    main()
