"""Numbers computed, not typed: a measured number in a page's prose must be glued from the cell that
computes it (``{glue:text}`name```, myst-nb), so the text cannot drift from the run.

The rule, checkable by a machine:

* the *prose* of a page is its Markdown outside code (code cells, fenced ``python``/``text`` blocks,
  inline code), outside glue roles and cross-references, and outside subscripts and equation tags
  (``F_{2,1}``, ``\\tag{13.b}``: indices, not numbers);
* in the prose, a literal that *looks measured* is flagged: a decimal number (``0.37``, ``1.5``), a
  percentage (``95%``), a ``±``, a number with a thousands separator (``1,100``), or a share in words
  (``one in ten``, ``two crossings in five``, ``nine out of ten``). Integers are not flagged: they are
  widths, seeds, counts of layers, equation and section numbers;
* a flagged literal passes only if the page's allow-list below names it, with the reason it is not a
  measurement: a setting fixed in the code, a number the paper reports (quoted as the paper's), exact
  arithmetic on such numbers, or a version.

A measurement typed into the prose therefore fails this test; ``test_a_typed_measurement_is_caught``
plants one and shows it.
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

SETTING = "a setting fixed in the code"
PAPER = "the paper's reported number, quoted as the paper's"
ARITH = "exact arithmetic, not a run"

#: per page: literal → why it is not a measurement. Anything else that looks measured must be glued.
ALLOWED = {
    "01-splines.md": {"1.2": SETTING, "0.2": SETTING, "0.1": "PyTorch's default BatchNorm momentum"},
    "02-bn-parameters.md": {
        "1.5": SETTING, "0.5": SETTING, "0.2": SETTING, "2.7": SETTING, "0.1": SETTING, "0.3": SETTING,
        "1.0": SETTING,
        # the paper's Appendix C and Table 1, and differences between its own numbers
        "67.60%": PAPER, "65.93%": PAPER, "68.71%": PAPER, "67.21%": PAPER, "77.11%": PAPER, "74.98%": PAPER,
        "1.67": PAPER, "1.50": PAPER, "2.13": PAPER, "79.2": PAPER, "78.8": PAPER, "83.0": PAPER, "86.2": PAPER,
        "50.0": PAPER, "54.8": PAPER, "94.2": PAPER, "95.3": PAPER, "77.7": PAPER, "77.6": PAPER, "87.5": PAPER,
        "87.6": PAPER, "54.0": PAPER, "55.2": PAPER, "96.0": PAPER, "95.9": PAPER, "3.2": PAPER, "4.8": PAPER,
        "2.1": PAPER, "1.28": PAPER, "1.1": PAPER, "1.2": PAPER,
        "0.6": ARITH, "0.0667": ARITH,          # β/γ of exercise 2.2, from the values set in its code
    },
    "03-one-layer.md": {},
    "04-folded-hyperplanes.md": {
        "2.5": SETTING, "0.1": SETTING, "0.2": SETTING, "0.5": SETTING, "0.35": SETTING, "3.5": ARITH,
    },
    "05-sigma-folds.md": {"0.1": SETTING},
    "06-density.md": {
        "3.3": "a section number of the paper", "1,024": PAPER, "0.1": SETTING, "0.5": SETTING,
        "5%": "a tolerance the tests pin", "1,797": "the size of scikit-learn's digits data set",
        "0.25": SETTING, "0.4": SETTING, "0.3": SETTING, "0.95": SETTING, "0.40": ARITH,
    },
    "07-smart-init.md": {
        "0.01": SETTING, "0.9": SETTING, "70%": SETTING, "0.5": SETTING, "0.1": SETTING, "0.95": ARITH,
        "0.4": ARITH, "1,080": ARITH,
        "±": "a legend: mean ± one standard deviation",
    },
    "08-jitter.md": {
        "12%": ARITH, "44%": ARITH, "6%": ARITH,               # ((n−1)/n)², (N−n)/(N−1)
        "0.463": PAPER, "1.552": PAPER, "1.362": PAPER, "1.608": PAPER, "1.005": PAPER, "0.995": PAPER,
        "0.654": PAPER, "1.954": PAPER, "4.015": PAPER, "0.006": PAPER, "0.014": PAPER,
        "0.1": PAPER, "0.01": PAPER, "0.056": ARITH,           # Figure 7's caption, and √(0.1/32)
        "15%": PAPER, "93.34%": PAPER, "93.68%": PAPER, "72.22%": PAPER, "72.74%": PAPER, "96.16%": PAPER,
        "96.41%": PAPER, "0.3": PAPER, "0.5": PAPER, "1.15": PAPER,
        "100%": ARITH, "300%": ARITH,                          # virtual batches of 8 and 4 out of 16
        "0.375": ARITH, "2.571": ARITH,                        # exercise 8.1, worked by hand
    },
    "09-your-network.md": {"3.3": "a section number of the paper", "0.1": SETTING, "0.5": SETTING,
                           "4.00001": ARITH},
    "power-diagrams.md": {},
    "other-explanations.md": {},
    "lab1-partition.md": {},
    "lab2-density.md": {"3.3": "a section number of the paper", "0.1": SETTING, "0.05": SETTING,
                        "±": "the format a deliverable asks for, not a number"},
    "lab3-head-start.md": {"0.01": SETTING},
    "question-bank.md": {"63.4": ARITH, "76.0": ARITH, "5.4": "a question number"},
    "summary.md": {"0.3": PAPER, "0.5": PAPER},
    "notation.md": {"3.3": "a section number of the paper"},
    "how-to-use.md": {"3.11": "a Python version"},
    "intro.md": {},
    "prerequisites.md": {},
    "scorecard.md": {},
    "references.md": {},
}

#: the course kit (session plans, timings, the exercise numbers N.k in its tables) is checked by its own
#: owner; its numbers are exercise numbers, not measurements
SKIPPED = {"instructors.md"}

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\S*)")
_GLUED = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
_GLUED_PLUS_MINUS = re.compile(r"⟨glued⟩\s*±\s*⟨glued⟩")   # a glued mean ± a glued spread
_STRIP = [
    re.compile(r"\{(?:ref|numref|prf:ref|doc|cite:[tp]|cite|eq|download)\}`[^`]*`"),
    re.compile(r"`[^`]*`"),                            # inline code
    re.compile(r"\\tag\{[^}]*\}"),                     # equation tags
    re.compile(r"_\{[^}]*\}"), re.compile(r"_\d+"),    # subscripts: indices
    re.compile(r"https?://\S+"),
    re.compile(r"^\s*:\w+:.*$"),                       # directive options (:width: 100%)
]
_LOOKS_MEASURED = re.compile(
    r"(?<![\w.,])[−-]?\d+(?:,\d{3})+(?:\.\d+)?%?"        # 1,100
    r"|(?<![\w.,])[−-]?\d+\.\d+%?"                      # 0.37, 95.4%
    r"|(?<![\w.,])\d+%"                                # 93%
    r"|±")
_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten)"
_DENOMINATOR = r"(?:two|three|four|five|six|seven|eight|nine|ten|a hundred)"     # "in one point" is no share
_SHARE_IN_WORDS = re.compile(rf"\b{_WORD}\b(?:\s+[\w-]+){{0,3}}?\s+(?:in|out of)\s+{_DENOMINATOR}\b",
                             re.IGNORECASE)


def prose_lines(text: str):
    """``(line number, prose)`` of a MyST page: code cells, literal code blocks and front matter removed."""
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = lines.index("---", 1) + 1
    stack = []                                          # open fences: (marker, is_code)
    for i in range(start, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if m:
            marker, info = m.group(1), m.group(2)
            if not info and stack and len(marker) >= len(stack[-1][0]) and marker[0] == stack[-1][0][0]:
                stack.pop()
                continue
            if info.startswith("{") and "code-cell" not in info:
                stack.append((marker, False))          # a directive: its body is prose
            else:
                stack.append((marker, True))           # code: ```python, ```text, ```{code-cell}
            continue
        if any(code for _, code in stack):
            continue
        yield i + 1, line


def typed_measurements(text: str, allowed: dict) -> list:
    """Every literal in the prose of ``text`` that looks measured and is not in ``allowed``."""
    found = []
    for number, line in prose_lines(text):
        line = _GLUED_PLUS_MINUS.sub(" ", _GLUED.sub("⟨glued⟩", line))
        for pattern in _STRIP:
            line = pattern.sub(" ", line)
        for m in _LOOKS_MEASURED.finditer(line):
            token = m.group().replace("−", "-").lstrip("-")
            if token not in allowed:
                found.append((number, token))
        for m in _SHARE_IN_WORDS.finditer(line):
            if m.group().lower() not in allowed:
                found.append((number, m.group()))
    return found


PAGES = sorted(p for p in BOOK.glob("*.md") if p.name not in SKIPPED)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_measured_number_is_typed_into_the_prose(page):
    assert page.name in ALLOWED, (f"{page.name} is new: add it to ALLOWED in {__file__} (an empty allow-list "
                                  "if its prose has no numbers) and glue its measurements")
    bad = typed_measurements(page.read_text(), ALLOWED[page.name])
    assert not bad, (f"{page.name}: literal numbers in the prose that look measured — glue them from the cell "
                     f"that computes them ({{glue:text}}`name:.2f`), or, if they are not measurements, add them "
                     f"to ALLOWED with the reason: {bad}")


def test_allow_lists_name_only_literals_that_occur():
    """An allow-list entry that no longer occurs is stale: it would let a future typed number through."""
    for name, allowed in ALLOWED.items():
        page = BOOK / name
        if not page.exists():
            continue
        present = {t for _, t in typed_measurements(page.read_text(), {})}
        stale = set(allowed) - present
        assert not stale, f"{name}: allow-list entries that no longer occur in its prose: {sorted(stale)}"


def test_a_typed_measurement_is_caught():
    """The check can fail: plant a typed measurement in a real chapter and it is flagged, in each form."""
    page = BOOK / "08-jitter.md"
    text = page.read_text()
    assert typed_measurements(text, ALLOWED[page.name]) == []
    planted = {
        "the median margin is 0.37 with plain BN.": "0.37",
        "Test accuracy is 95.4% here.": "95.4%",
        "the difference is $-0.61 \\pm 0.26$ points.": "0.61",
        "about 1,100 training images": "1,100",
        "about one crossing pair in ten is a counterexample": "one crossing pair in ten",
        "at roughly two crossings in five, (24) first grows": "two crossings in five",
    }
    for sentence, token in planted.items():
        bad = typed_measurements(text + "\n" + sentence + "\n", ALLOWED[page.name])
        assert token in [t for _, t in bad], (sentence, bad)
    # glued, in code, in a subscript or a tag, the same literals pass
    for ok in ("the median margin is {glue:text}`median_bn:.2f` with plain BN.", "`lrs=[0.37, 95.4]`",
               "{glue:text}`diff:+.2f` ± {glue:text}`se:.2f` points",
               "$F_{2,1}$ and \\tag{13.b}", "```python\nx = 0.37\n```"):
        assert typed_measurements(ok, {}) == [], ok


def test_glue_records_what_the_role_pastes(monkeypatch):
    """bnx.glue writes the bundle myst-nb reads (same mime prefix and metadata as ``myst_nb.glue``)."""
    import bnexplained as bnx

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    bnx.glue("margin", 0.375)
    bnx.glue("share", "two in five")
    (bundle,), meta = shown[0][0], shown[0][1]["metadata"]
    assert bundle == {"application/papermill.record/text/plain": "0.375"}
    assert meta == {"scrapbook": {"name": "margin", "mime_prefix": "application/papermill.record/"}}
    assert shown[1][0][0] == {"application/papermill.record/text/plain": "two in five"}
    with pytest.raises(ValueError, match="name"):
        bnx.glue("not a name", 1.0)
    with pytest.raises(TypeError, match="value"):
        bnx.glue("x", [1, 2])


def test_ratio_in_words_picks_the_nearest_simple_fraction():
    import bnexplained as bnx

    words = bnx.prose.ratio_in_words
    assert words(0.096) == "one in ten" and words(0.38) == "two in five" and words(0.5) == "one in two"
    assert words(0.0) == "none" and words(1.0) == "all"
    with pytest.raises(ValueError, match="share"):
        words(1.5)
