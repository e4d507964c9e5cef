"""Chapter 7's CPU-scale experiment: one training epoch on one torch thread vs the default count.

`bnx.recipes.smart_init.run` trains on one thread on the CPU (`bnx.device.single_thread`); this measures why, in one run:
the median wall time of one epoch of the CPU-scale MLP on the digits with 1 thread and with the
default number of threads, and their ratio. Small matrices gain little from a second thread on an
idle machine and lose a great deal on a busy one, so report the load with the numbers.
"""
import os

import torch

import bnexplained as bnx
from common import machine, timed


def one_epoch(split, threads: int):
    scale = bnx.recipes.smart_init.CPU
    net = bnx.recipes.smart_init.template(scale, 0, in_shape=(64,), classes=10)
    model = bnx.initialize(net, "bn", split.train[0])

    def run():
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            bnx.training.train(model, split, lr=0.03, epochs=1, progress=False)
        finally:
            torch.set_num_threads(before)
    return run


def main():
    split = bnx.recipes.smart_init.load_split(bnx.recipes.smart_init.CPU)
    default = torch.get_num_threads()
    one = timed(one_epoch(split, 1), repeats=7)
    many = timed(one_epoch(split, default), repeats=7)
    print(f"# smart-init CPU scale, one epoch (+ epoch-0 evaluation) ({machine()}, load {os.getloadavg()[0]:.1f})")
    print(f"1 thread        median {one['median_ms']:7.1f} ms  (min {one['min_ms']:.1f})")
    print(f"{default} threads       median {many['median_ms']:7.1f} ms  (min {many['min_ms']:.1f})")
    print(f"ratio {default} threads / 1 thread: {many['median_ms'] / one['median_ms']:.2f}")


if __name__ == "__main__":
    main()
