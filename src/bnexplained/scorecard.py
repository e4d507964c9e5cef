"""The reproduction scorecard: every theorem, proposition, corollary, figure and table of the paper.

Each :class:`Claim` names where the book reproduces it (chapter), at what scale, what the paper
reports, and the :mod:`bnexplained.verify` checker that tests it, if there is one. :func:`scorecard`
runs every checker that has landed on a small, fixed *quick setting* (seconds on a CPU) and fills
in the measured numbers, so the page cannot go stale: a checker that stops holding shows as
"did not hold", a claim whose checker is not written yet shows as "pending", and a checker that no
claim names is listed under "other checks". Figures and tables with no checker carry the chapter's
own account of what it reproduces.
"""
from __future__ import annotations

import hashlib
import html
import inspect
import pathlib
import time
from dataclasses import dataclass, field
from typing import Callable

import torch

__all__ = ["Claim", "Row", "Scorecard", "CLAIMS", "CHAPTERS", "NoQuickSetting", "quick_setting", "evaluate",
           "scorecard", "written_chapters", "library_fingerprint"]

#: chapter number → (page name, title), for links from the scorecard
CHAPTERS = {
    1: ("01-splines", "Deep networks are splines"),
    2: ("02-bn-parameters", "BN's learned parameters"),
    3: ("03-one-layer", "μ translates the partition"),
    4: ("04-folded-hyperplanes", "μ translates folded hyperplanes"),
    5: ("05-sigma-folds", "σ folds the partition"),
    6: ("06-density", "The partition concentrates"),
    7: ("07-smart-init", "BN as a smart initialization"),
    8: ("08-jitter", "Batch noise and margins"),
}

KINDS = ("theorem", "proposition", "corollary", "identity", "figure", "table", "result")


@dataclass(frozen=True)
class Claim:
    """One claim of the paper and where the book reproduces it.

    ``key`` is the paper's name for it ("Theorem 1", "Figure 3"); ``paper`` what the paper states or
    reports; ``scale`` how the chapter reproduces it (CPU default / GPU paper scale); ``checker``
    the name of its :mod:`bnexplained.verify` checker (``None`` when the chapter shows it without
    one); ``run`` calls that checker on the quick setting (default: chosen from the checker's
    required arguments, see :func:`quick_setting`); ``account`` what the book finds where no checker
    measures it; ``note`` a caveat shown beside the verdict (a condition the chapter adds).
    """

    key: str
    kind: str
    section: str
    statement: str
    chapter: int
    paper: str
    scale: str
    checker: str | None = None
    run: Callable | None = None
    account: str = ""
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.chapter not in CHAPTERS:
            raise ValueError(f"chapter must be one of {sorted(CHAPTERS)}, got {self.chapter!r}")


class NoQuickSetting(Exception):
    """A claim's runner cannot build its quick setting (the experiment is too long for this page, or
    the library function it needs is missing): the row says "checked in the chapter"."""


def _call(f, *args, **kwargs):
    """``f(*args, **kwargs)``, dropping keyword arguments ``f`` does not take (so a renamed option
    makes a quick setting a little larger, not broken)."""
    params = inspect.signature(f).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return f(*args, **kwargs)


def _library(module: str, name: str):
    """``bnexplained.<module>.<name>``, or :class:`NoQuickSetting` when it does not exist."""
    import importlib

    try:
        found = getattr(importlib.import_module(f"{__package__}.{module}"), name, None)
    except ImportError:
        found = None
    if found is None:
        raise NoQuickSetting(f"bnx.{module}.{name} is not in the library")
    return found


def _moons_classifier():
    """A 2-8-8-1 leaky-ReLU BN classifier (seed 0, statistics fitted) and 200 points of two moons."""
    from .data import moons
    from .networks import SplineMLP

    X = moons(200)
    return SplineMLP([2, 8, 8, 1], "leaky_relu", "bn", seed=0).fit_statistics(X), X


def _figure3_quick(checker):
    from .data import star

    X = star(50)
    figure3 = _library("recipes.density", "figure3")
    results = _call(figure3, X, width=32, depth=6, layers=(1, 3, 6), resolution=120, progress=False)
    return _call(checker, results, X)


def _chapter_only(checker):
    raise NoQuickSetting("the experiment takes minutes on a CPU: the chapter runs it")


CPU_EXACT = "exact claim; checked in float64 on the CPU (any device gives the same)"

CLAIMS: tuple = (
    Claim("Appendix A, eqs. (16)–(18)", "identity", "Appendix A",
          "inside each region a network with piecewise-linear activations is one affine map $A(x)x + B(x)$",
          1, "exact identity", CPU_EXACT, checker="spline_identity"),
    Claim("Figure 1", "figure", "Section 1",
          "4 leaky-ReLU layers of 6 units on 2-D data, random weights: BN draws every layer's (folded) "
          "hyperplanes onto the data; without BN they land anywhere",
          1, "qualitative (pictures)", "paper scale on the CPU (the same 2-6-6-6-6 network)",
          account="reproduced at paper scale, with a live explorer over seeds and widths"),
    Claim("Proposition 1", "proposition", "Section 1, Appendix C",
          "$\\gamma \\neq 0$ can be absorbed into the next layer's weights and $\\beta$ into $\\beta/\\gamma$: it adds no "
          "expressive power",
          2, "exact identity", CPU_EXACT, checker="proposition_1"),
    Claim("Table 1", "table", "Appendix C",
          "test accuracy with and without learnable $\\gamma, \\beta$: ResNet and CNN on Imagenette, CIFAR-10, "
          "CIFAR-100, SVHN",
          2, "without / with γ, β — ResNet: Imagenette 79.2 / 78.8, CIFAR-10 83.0 / 86.2, "
             "CIFAR-100 50.0 / 54.8, SVHN 94.2 / 95.3; CNN: 77.7 / 77.6, 87.5 / 87.6, 54.0 / 55.2, "
             "96.0 / 95.9 (same order)",
          "CPU: a small network on an offline data set (digits), several seeds; the paper's image "
          "benchmarks are not reproduced",
          account="digits, a small MLP, several seeds: fixing γ, β costs nothing measurable (the difference is "
                  "within its spread over seeds and its sign depends on the protocol; chapter 2 prints both), like "
                  "the paper's CNN rows; the paper's ResNet losses (1–5 points) are quoted, not reproduced"),
    Claim("Appendix C, β = 0 on ImageNet", "result", "Appendix C",
          "fixing $\\beta = 0$ ($\\gamma = 1$) throughout training costs little top-1 accuracy on ImageNet",
          2, "ResNet18 67.60% → 65.93%, ResNet34 68.71% → 67.21%, ResNet50 77.11% → 74.98%",
          "not reproduced (needs ImageNet and days of GPU time); quoted",
          account="quoted beside the chapter's small experiment, with the difference in scale stated"),
    Claim("Theorem 1", "theorem", "Section 2",
          "BN's $\\mu$ is the unique minimizer of the total-least-squares distance between the layer inputs and "
          "the layer's hyperplanes, for a mini-batch and for the whole data set",
          3, "exact: the minimizer is the mean, the minimum $\\sum_k \\sigma_k^2/\\lVert w_k\\rVert^2$ (8)", CPU_EXACT, checker="theorem_1"),
    Claim("Corollary 2", "corollary", "Section 2",
          "with BN the layer's hyperplanes form a central arrangement through the mean layer input",
          3, "exact", CPU_EXACT, checker="corollary_2"),
    Claim("Figure 2 (a, b)", "figure", "Section 3",
          "two layers of 8 units on 2-D input: moving $\\mu_{2,k}$ translates $H_{2,k}$ in layer 2's input space "
          "and the folded $F_{2,k}$ in input space",
          4, "qualitative (pictures)", "paper scale on the CPU, live",
          account="reproduced side by side and live, on the exact partition"),
    Claim("Theorem 2", "theorem", "Section 3",
          "a hyperplane closer to $z_{\\ell-1}(x)$ in layer $\\ell$'s input space gives a folded hyperplane closer to $x$ "
          "in input space",
          4, "stated for any offset that brings the hyperplane closer to $z_{\\ell-1}(x)$",
          CPU_EXACT, checker="theorem_2",
          run=lambda f: _call(f, *quick_setting(), condition="as_stated"),
          note="checked as stated; every counterexample is a translation that crosses $z_{\\ell-1}(x)$, and "
               "under the proof's condition (no crossing) it holds — chapter 4"),
    Claim("Corollary 1", "corollary", "Section 3",
          "$z_{\\ell-1}(x)$ lies on $H_{\\ell,k}$ exactly when $x$ lies on the folded hyperplane $F_{\\ell,k}$",
          4, "exact", CPU_EXACT, checker="corollary_1", run=lambda f: _call(f, quick_setting()[0], samples=100)),
    Claim("Theorem 3", "theorem", "Section 3, Appendix B",
          "the angles between layer-2 facets and a layer-1 hyperplane, and between the two facets, are "
          "eqs. (24)–(26)",
          5, "exact formulas (24)–(26)", CPU_EXACT, checker="theorem_3",
          note="the checker verifies eqs. (24)–(26) only; the paper's reading, that a small $\\sigma_{1,i}$ folds "
               "the next layer's hyperplanes onto $H_{1,i}$, holds as a limit but not step by step: at some "
               "crossings (24) first grows as $\\sigma_{1,i}$ shrinks — chapter 5 measures how many"),
    Claim("Figure 2 (c)", "figure", "Section 3",
          "fixing $\\mu$ and varying $\\sigma$ of a layer-1 unit folds the next layer's hyperplanes",
          5, "qualitative (pictures)", "paper scale on the CPU, live",
          account="reproduced live: a $\\sigma$ slider folds the layer-2 facets"),
    Claim("Figure 8", "figure", "Appendix B",
          "a sketch of Theorem 3 in 2-D: two regions, the layer-1 hyperplane between them, the folded facets",
          5, "a sketch", "drawn from a real 2-layer network on the CPU",
          account="drawn from an actual network, with the angles of eqs. (24)–(26) printed"),
    Claim("Figure 9", "figure", "Section 3",
          "a 4-layer network trained on 2-D points: hyperplanes close to the data have small "
          "$\\sigma^2/\\lVert w\\rVert^2$",
          5, "qualitative (colours)", "paper scale on the CPU (a small network trained for seconds)",
          account="reproduced with the same colouring by $\\sigma^2/\\lVert w\\rVert^2$"),
    Claim("Figure 3", "figure", "Section 3.3",
          "11 layers of width 1024 on the 2-D star, layers 1, 7, 11: BN concentrates the partition on the "
          "data; random bias spreads it everywhere; zero bias centres it",
          6, "qualitative (heatmaps normalized by their maxima)",
          "CPU: narrower layers chosen by bnx.device(); GPU: the paper's 11 × 1024",
          checker="concentration_near_data", run=_figure3_quick,
          account="reproduced, with the near-data / far-from-data concentration ratio per setting in a table"),
    Claim("Figure 4", "figure", "Section 3.3",
          "ResNet9, random weights: BN raises the concentration of the partition around data images, not "
          "around Gaussian images matched in mean and variance",
          6, "CIFAR-10: concentration of order 10⁴ facets, BN highest around data only",
          "CPU: scikit-learn's digits with a small ResNet; GPU: CIFAR-10 when torchvision has it",
          checker="concentration_near_images", run=_chapter_only,
          account="8×8 digits, ResNet9 of width 16 on a CPU (CIFAR-10 on a GPU): BN's count is higher around data "
                  "images than around random ones, as reported",
          note="not reproduced at our scale, not a flaw of the paper: with digits, a narrow ResNet9, a linearized "
               "count and random images matched per channel, BN also raises the count around random images "
               "(the chapter's closer look measures why layer 1 cannot tell them apart)"),
    Claim("Proposition 3", "proposition", "Section 4, Appendix D.4",
          "leaky-ReLU, BN in layers $1..L-1$, zero-bias last layer: every mini-batch has points on both sides "
          "of the decision boundary at initialization",
          7, "stated for every mini-batch", "CPU: a numerical search over batch sizes and widths",
          checker="proposition_3",
          run=lambda f: _call(f, _moons_classifier()[1], networks=3, batches=50),
          note="the chapter finds one-sided mini-batches once the last hidden layer is wider than one unit, "
               "and states the condition under which the proposition holds"),
    Claim("Figure 10", "figure", "Section 4",
          "ResNet9 on CIFAR-100, 10 runs each: BN-statistics initialization reaches higher test accuracy "
          "faster than zero or random bias",
          7, "higher accuracy sooner with the BN initialization (curves)",
          "CPU: MLP on digits and a 2-D task, ≥ 3 seeds; GPU: ResNet9 on CIFAR when torchvision has it",
          account="the same three initializations and protocol at CPU scale, mean ± spread over seeds"),
    Claim("Figure 5", "figure", "Section 4",
          "ResNet50 on ImageNet: random initialization plus BN statistics warmed up on the training set "
          "trains faster, for every learning rate",
          7, "higher accuracy sooner (curves)",
          "not reproduced (ImageNet); the chapter's CPU experiment tests the same protocol",
          account="quoted; the protocol is the one the chapter runs at small scale"),
    Claim("Proposition 2", "proposition", "Section 5, Appendix D.5",
          "the mini-batch statistics are random: $\\operatorname{var}(\\mu) = \\langle w^2, \\rho\\rangle/\\lvert B\\rvert$ and "
          "$\\operatorname{var}(\\sigma^2)$ follows eq. (13)",
          8, "exact formulas (eq. 13)", "CPU: Monte Carlo over many mini-batches against the formulas",
          checker="proposition_2"),
    Claim("Figure 7", "figure", "Section 5",
          "three units, mini-batches of 64 from 1000 points: empirical distributions of $\\mu$ and $\\sigma$ match eq. (13); "
          "noise-controlled BN widens them to a virtual batch of 32",
          8, "the printed axis ranges (e.g. $\\mu_1$ in 0.463…1.552)", "paper scale on the CPU",
          checker="noise_controlled_bn", run=lambda f: _call(f, batches=200),
          account="reproduced at the paper's scale; the printed axis ranges fit standard deviations (1, 3, 0.01), "
                  "not the caption's variances (1, 3, 0.1)"),
    Claim("Figure 6", "figure", "Section 5",
          "decision boundaries under different mini-batches, batch sizes 16 and 256, at initialization and "
          "after training: larger batches jitter less",
          8, "qualitative (pictures)", "CPU: a 2-D task",
          checker="batch_jitter",
          run=lambda f: _call(f, *_moons_classifier(), batch_sizes=(16, 128), draws=6, resolution=60),
          account="reproduced on a 2-D task, with a live batch-size widget"),
    Claim("Noise-controlled BN", "result", "Section 5",
          "raising the statistics' variance about 15% beyond the batch's own improves test accuracy "
          "(ResNet9, mean of 5 runs)",
          8, "CIFAR-10 93.34 → 93.68%, CIFAR-100 72.22 → 72.74%, SVHN 96.16 → 96.41%",
          "CPU: an offline task over several seeds, with margins measured; the image benchmarks are quoted",
          account="2-D noisy moons, a small MLP, several seeds: a small virtual batch widens the typical margin, "
                  "but test accuracy stays within one standard deviation; the paper's ResNet9 gains are quoted",
          note="partly: wider margins reproduce, better accuracy does not show at this scale (chapter 8)"),
)


@dataclass
class Row:
    """A claim with what this run found: ``status`` is one of ``held``, ``did not hold``, ``pending``
    (checker not written yet), ``error`` (the checker raised), ``in chapter`` (no checker: the
    chapter's account), ``not run`` (a checker with no quick setting)."""

    claim: Claim
    status: str
    ours: str = ""
    report: object = None
    seconds: float = 0.0
    cached: bool = False          # the report came from the cache (same library source), not a new run

    @property
    def agrees(self) -> str:
        return {"held": "✔ agrees", "did not hold": "✘ does not hold here: see the chapter",
                "pending": "… pending (chapter being written)", "error": "✘ checker failed to run",
                "in chapter": "see the chapter", "not run": "checked in the chapter"}[self.status]


def _html(text: str) -> str:
    """Escape ``text`` for HTML; ``$...$`` spans become inline math that MathJax typesets."""
    parts = html.escape(text).split("$")
    return "".join(f'<span class="math notranslate nohighlight">\\({p}\\)</span>' if i % 2 else p
                   for i, p in enumerate(parts))


def _plain(text: str) -> str:
    return text.replace("$", "")


def quick_setting(dtype=torch.float64):
    """The scorecard's default input for a checker ``f(net, X)``: the Figure 1 network (widths
    2-6-6-6-6, leaky-ReLU, BN, seed 0, float64, statistics fitted) and the 50-point star."""
    from .data import star
    from .recipes.splines import figure1_network

    X = star(50, dtype=dtype)
    net = figure1_network(6, True, seed=0, dtype=dtype).fit_statistics(X)
    return net, X


#: how a checker is called when its claim names no runner, by its required arguments
_QUICK_CALLS = {
    (): lambda f: f(),
    ("net", "X"): lambda f: f(*quick_setting()),
    ("net",): lambda f: f(quick_setting()[0]),
    ("X",): lambda f: f(quick_setting()[1]),
}


def _default_run(checker):
    """``checker`` called on the quick setting, chosen by the names of its required arguments
    (none; ``net``; ``X``; ``net, X``), or ``None`` when it needs something else."""
    params = [p.name for p in inspect.signature(checker).parameters.values()
              if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    call = _QUICK_CALLS.get(tuple(params))
    return None if call is None else (lambda: call(checker))


def _summary(report) -> str:
    """``k/n checks passed`` and the telling number: the first failed check, else the first check
    that compares with a prediction (not a mere count), else the first check."""
    checks = getattr(report, "checks", [])
    passed = sum(c.passed for c in checks)
    head = f"{passed}/{len(checks)} checks passed"
    shown = (next((c for c in checks if not c.passed), None)
             or next((c for c in checks if c.expected is not None), None)
             or (checks[0] if checks else None))
    if shown is not None:
        head += f"; {shown.name} = {shown._fmt(shown.measured)}"
    return head


STUB_SENTENCE = "It is being written."


def written_chapters(book_dir) -> set | None:
    """Numbers of the chapters under ``book_dir`` that are written (not stubs saying "It is being
    written."); ``None`` when ``book_dir`` holds no chapters (e.g. the library alone, in Colab)."""
    import pathlib

    found = {int(p.name[:2]): STUB_SENTENCE not in p.read_text(encoding="utf-8")
             for p in pathlib.Path(book_dir).glob("[0-9][0-9]-*.md")}
    return {n for n, written in found.items() if written} if found else None


def library_fingerprint() -> str:
    """A hash of every source file of the library: a cached report is reused only while no line of
    the library (checkers, networks, geometry, this module) has changed."""
    digest = hashlib.sha256()
    root = pathlib.Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def evaluate(claim: Claim, checkers: dict | None = None, written: set | None = None, *,
             cache: bool = False) -> Row:
    """Run ``claim``'s checker on its quick setting (when the checker exists) and say what came out.

    ``written``: the chapters that exist (see :func:`written_chapters`); a claim without a checker
    in a chapter not yet written is pending rather than credited with the chapter's planned account.
    ``cache``: reuse the report from :mod:`bnexplained.cache` when the library's source is unchanged
    (:func:`library_fingerprint`), so the book's second execution does not recompute it.
    """
    if checkers is None:
        from .verify import CHECKERS as checkers
    if claim.checker is None:
        if written is not None and claim.chapter not in written:
            return Row(claim, "pending", "chapter being written")
        return Row(claim, "in chapter", claim.account)
    if claim.checker not in checkers:
        return Row(claim, "pending", f"verify.{claim.checker} not written yet")
    checker = checkers[claim.checker]
    explicit = claim.run is not None
    run = (lambda: claim.run(checker)) if explicit else _default_run(checker)
    if run is None:
        return Row(claim, "not run", f"verify.{claim.checker} needs the chapter's setting")
    start = time.perf_counter()
    try:
        computed = []
        if cache:
            from .cache import cached

            report = cached("scorecard", {"claim": claim.key, "checker": claim.checker,
                                          "library": library_fingerprint()},
                            lambda: computed.append(True) or run())
        else:
            report = computed.append(True) or run()
    except NoQuickSetting as err:
        return Row(claim, "not run", claim.account or str(err))
    except Exception as err:
        if not explicit and isinstance(err, (TypeError, ValueError)):   # the generic setting does not fit it
            return Row(claim, "not run", f"verify.{claim.checker} needs the chapter's setting "
                                         f"({type(err).__name__}: {err})")
        return Row(claim, "error", f"{type(err).__name__}: {err}", seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return Row(claim, "held" if report.held else "did not hold", _summary(report), report, seconds,
               cached=not computed)


@dataclass
class Scorecard:
    """All rows, printable as an HTML table (notebooks, the book) or as text."""

    rows: list
    extra: list = field(default_factory=list)     # checkers that no claim names

    def counts(self) -> dict:
        out: dict = {}
        for row in self.rows + self.extra:
            out[row.status] = out.get(row.status, 0) + 1
        return out

    def __str__(self) -> str:
        lines = [f"{r.claim.key} (ch. {r.claim.chapter}): {r.status} — {_plain(r.ours)}" for r in self.rows + self.extra]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"held": "#1e7b34", "did not hold": "#b03a2e", "error": "#b03a2e", "pending": "#8a6d00"}
        cell = "style='text-align:left;vertical-align:top;padding:0.45em 0.6em'"
        body = []
        for r in self.rows + self.extra:
            c = r.claim
            page, title = CHAPTERS[c.chapter]
            when = "from this library's cached run" if r.cached else f"measured now, {r.seconds:.1f} s"
            ours = _html(r.ours) + (f" <small>({when})</small>" if r.report is not None else "")
            shade = " style='background:#f5f7fa'" if len(body) % 2 else ""
            body.append(
                f"<tr{shade}><td {cell}><b>{e(c.key)}</b> · <a href='{page}.html'>ch. {c.chapter}</a>"
                f"<br><small style='color:#555'>{_html(c.statement)}</small></td>"
                f"<td {cell}>{_html(c.paper)}</td>"
                f"<td {cell}>{ours}<br><small style='color:#555'><i>scale:</i> {_html(c.scale)}</small></td>"
                f"<td {cell}><span style='color:{colour.get(r.status, 'inherit')}'>{e(r.agrees)}</span>"
                + (f"<br><small style='color:#555'>{_html(c.note)}</small>" if c.note else "") + "</td></tr>")
        head = "".join(f"<th {cell}>{h}</th>" for h in ("claim · chapter", "the paper", "this book", "agreement"))
        return ("<div class='bnx-scorecard' style='overflow-x:auto'>"
                "<table style='font-size:0.88em;table-layout:auto;width:100%'>"
                "<colgroup><col style='width:34%'><col style='width:22%'><col style='width:30%'>"
                "<col style='width:14%'></colgroup>"
                f"<thead><tr>{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")

    def reports(self):
        """The full report of every checker that ran, for display one after another."""
        return [r.report for r in self.rows + self.extra if r.report is not None]


def scorecard(claims=CLAIMS, checkers: dict | None = None, *, book_dir=None, cache: bool = False) -> Scorecard:
    """Evaluate every claim (and every checker no claim names) on the quick setting.

    ``book_dir``: the book's chapter folder, to tell written chapters from stubs (optional);
    ``cache``: reuse reports while the library's source is unchanged (see :func:`evaluate`).
    """
    if checkers is None:
        from .verify import CHECKERS as checkers
    written = written_chapters(book_dir) if book_dir is not None else None
    rows = [evaluate(c, checkers, written, cache=cache) for c in claims]
    named = {c.checker for c in claims}
    extra = []
    for name in sorted(set(checkers) - named):
        doc = (getattr(checkers[name], "__doc__", "") or "").strip().split("\n")[0]
        stub = Claim(f"verify.{name}", "result", "", doc, _chapter_of(checkers[name]),
                     "", "quick setting on the CPU", checker=name)
        extra.append(evaluate(stub, checkers, cache=cache))
    return Scorecard(rows, extra)


#: verify module → chapter, for checkers that no claim names
MODULE_CHAPTERS = {"splines": 1, "one_layer": 3, "many_layers": 4, "density": 6, "smart_init": 7, "jitter": 8}


def _chapter_of(checker) -> int:
    """The chapter of a checker that no claim names, from its verify module (chapter 1 if unknown)."""
    return MODULE_CHAPTERS.get(getattr(checker, "__module__", "").rsplit(".", 1)[-1], 1)
