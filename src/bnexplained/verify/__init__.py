"""One checker per claim of the paper, shared by the chapters and the tests.

Each checker returns a :class:`Report` (what was checked, the measured numbers, whether it
held). Checkers live in one module per part of the paper and are listed here
(``tests/test_packages.py`` checks that every module's ``__all__`` is imported), so
``bnx.verify.theorem_1(...)`` works whichever module defines it. Every checker that takes a
network takes a ``SplineMLP`` or a supported ``nn.Sequential``
(:func:`bnexplained.sequential.as_network`).
"""
from __future__ import annotations

from .density import concentration_near_data, concentration_near_images
from .jitter import batch_jitter, noise_controlled_bn, proposition_2
from .many_layers import corollary_1, theorem_2, theorem_3
from .one_layer import corollary_2, proposition_1, theorem_1
from .power_diagram import power_diagram
from .report import Check, Report
from .smart_init import proposition_3
from .splines import spline_identity

#: checker name → function, one per claim (the reproduction scorecard walks this)
CHECKERS: dict = {f.__name__: f for f in (
    concentration_near_data, concentration_near_images, proposition_2, noise_controlled_bn, batch_jitter,
    theorem_2, corollary_1, theorem_3, proposition_1, theorem_1, corollary_2, proposition_3, spline_identity,
    power_diagram)}

__all__ = ["Check", "Report", "CHECKERS"] + list(CHECKERS)
