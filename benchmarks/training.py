"""Seconds per training epoch on the digits (1,079 training images, batches of 128), CPU or GPU.

For budgeting the chapters' experiments: ResNet9 at widths 8, 16, 32 against the MLP
[64, 128, 128] + read-out to 10 classes, all in BN mode, lr 0.05, batches of 128. "SGD steps":
the training steps of one epoch; "epoch with evaluation": what each further epoch adds to a
run's wall time (steps, whole-training-set BN statistics, validation and test accuracy);
"epoch 0": the fixed cost of a run (moving the data, the untrained model's loss and evaluation).
A run of E epochs costs about epoch 0 + E × epoch. Ratios are to the MLP, measured in the same run. ``python benchmarks/training.py [THREADS]``
(default 2 torch threads).
"""
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as `make` sets it: no spinning threads on a shared CPU
import torch  # noqa: E402

import bnexplained as bnx  # noqa: E402
from common import machine  # noqa: E402

EPOCHS = 4


def per_epoch(make_model, split, repeats=3):
    """Best of ``repeats``: (SGD steps of one epoch, one epoch with its evaluation, epoch 0, val_acc)."""
    train = bnx.training.train
    train(make_model(), split, lr=0.05, epochs=1, progress=False)                 # warm-up
    best = None
    for _ in range(repeats):
        model0, model = make_model(), make_model()
        t0 = time.perf_counter()
        train(model0, split, lr=0.05, epochs=0, progress=False)                   # set-up + epoch 0
        t1 = time.perf_counter()
        h = train(model, split, lr=0.05, epochs=EPOCHS, progress=False)
        t2 = time.perf_counter()
        row = (min(h.seconds[1:]), (t2 - t1 - (t1 - t0)) / EPOCHS, t1 - t0, h.val_acc[-1])
        best = row if best is None else tuple(min(a, b) for a, b in zip(best, row[:3])) + (row[3],)
    return best


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
    print(f"# training on digits, seconds per epoch, best of 3 ({machine()}, device {device.type})")
    for name, (steps, epoch, fixed, acc) in rows:
        print(f"{name:26s} SGD steps {steps:6.3f} s  epoch with evaluation {epoch:6.3f} s ({epoch / base:5.1f}× MLP)"
              f"  epoch 0 {fixed:5.3f} s  val_acc after {EPOCHS} epochs {acc:.3f}")


if __name__ == "__main__":
    import sys

    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    main()
