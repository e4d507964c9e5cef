"""A checker's answer: what was checked, the measured numbers, and whether the claim held."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = ["Check", "Report"]


@dataclass
class Check:
    """One measured quantity compared with what the claim predicts."""

    name: str
    measured: float | str
    expected: float | str | None = None
    tolerance: float | None = None
    passed: bool = True
    note: str = ""

    def _fmt(self, v) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.3g}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4) else f"{v:.4f}".rstrip("0").rstrip(".")
        return str(v)


@dataclass
class Report:
    """A claim of the paper (``claim``), its one-line ``statement``, and the ``checks`` made.

    ``held`` is true when every check passed. Prints as a table in notebooks and as text
    elsewhere; ``details`` keeps raw arrays for plots and tests.
    """

    claim: str
    statement: str
    checks: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    setting: str = ""

    @property
    def held(self) -> bool:
        return all(c.passed for c in self.checks)

    def add(self, name, measured, expected=None, tolerance=None, passed=True, note="") -> "Report":
        self.checks.append(Check(name, measured, expected, tolerance, bool(passed), note))
        return self

    def __getitem__(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def __str__(self) -> str:
        head = f"{self.claim}: {'HELD' if self.held else 'DID NOT HOLD'} — {self.statement}"
        lines = [head] + ([f"  setting: {self.setting}"] if self.setting else [])
        for c in self.checks:
            exp = f" (expected {c._fmt(c.expected)}" + (f" ± {c._fmt(c.tolerance)})" if c.tolerance is not None else ")") \
                if c.expected is not None else ""
            lines.append(f"  [{'ok' if c.passed else 'FAIL'}] {c.name}: {c._fmt(c.measured)}{exp}"
                         + (f" — {c.note}" if c.note else ""))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        colour = "#1e7b34" if self.held else "#b03a2e"
        rows = "".join(
            f"<tr><td>{'✔' if c.passed else '✘'}</td><td>{e(c.name)}</td><td>{e(c._fmt(c.measured))}</td>"
            f"<td>{e(c._fmt(c.expected))}{' ± ' + e(c._fmt(c.tolerance)) if c.tolerance is not None else ''}</td>"
            f"<td>{e(c.note)}</td></tr>" for c in self.checks)
        setting = f"<div><small>{e(self.setting)}</small></div>" if self.setting else ""
        return (f"<div class='bnx-report'><b style='color:{colour}'>{e(self.claim)}: "
                f"{'held' if self.held else 'did not hold'}</b> — {e(self.statement)}{setting}"
                f"<table><tr><th></th><th>check</th><th>measured</th><th>expected</th><th>note</th></tr>"
                f"{rows}</table></div>")
