"""Run small-tensor geometry on one CPU thread.

The exact 2-D geometry of chapters 4–5 works on tensors of a few hundred entries. For such
sizes torch's intra-op parallelism only adds synchronisation, and on a busy machine (other
processes holding the cores) every parallel op waits for a descheduled worker: measured here,
a checker ran 30–50× slower with 2 threads than with 1. ``single_thread`` sets one thread for
the duration of a call and restores the previous setting.
"""
from __future__ import annotations

import functools

import torch

__all__ = ["single_thread"]


def single_thread(fn):
    """Decorator: run ``fn`` with ``torch.set_num_threads(1)``, restoring the thread count afterwards."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        if before == 1:
            return fn(*args, **kwargs)
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return wrapper
