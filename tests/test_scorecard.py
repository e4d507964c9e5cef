"""The reproduction scorecard: a row for every claim of the paper, and rows that can go red."""
import pathlib

import pytest

import bnexplained as bnx
from bnexplained.scorecard import CHAPTERS, CLAIMS, Claim, evaluate, scorecard, written_chapters
from bnexplained.verify import Report

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Every numbered statement, figure and table of the paper (see shared/paper/REFERENCE.md), and the
# reported results that have no number of their own.
PAPER = (["Theorem 1", "Theorem 2", "Theorem 3", "Corollary 1", "Corollary 2",
          "Proposition 1", "Proposition 2", "Proposition 3", "Table 1"]
         + [f"Figure {i}" for i in range(1, 11)]
         + ["Appendix A", "Appendix C, β = 0", "Noise-controlled BN"])


def _keys():
    return [c.key for c in CLAIMS]


@pytest.mark.parametrize("claim", PAPER)
def test_every_claim_of_the_paper_has_a_row(claim):
    assert any(key == claim or key.startswith(claim + " ") or key.startswith(claim + ",") for key in _keys()), \
        f"{claim} has no row in bnx.scorecard.CLAIMS"


def test_figure_2_is_covered_in_full_and_no_claim_is_listed_twice():
    assert {"Figure 2 (a, b)", "Figure 2 (c)"} <= set(_keys())
    assert len(set(_keys())) == len(_keys())


def test_every_row_points_at_a_chapter_of_the_book():
    for page, _ in CHAPTERS.values():
        assert (ROOT / "book" / f"{page}.md").exists(), f"{page}.md is not in book/"
    for claim in CLAIMS:
        assert claim.paper and claim.scale and claim.statement, f"{claim.key} lacks a description"
        assert claim.checker or claim.account, f"{claim.key} has neither a checker nor the chapter's account"


def test_every_landed_checker_runs_on_the_scorecard_quick_setting():
    card = scorecard(book_dir=ROOT / "book")
    broken = [(r.claim.key, r.ours) for r in card.rows + card.extra if r.status == "error"]
    assert not broken, f"checkers that fail to run on the quick setting: {broken}"
    assert all(r.status == "held" for r in card.rows if r.claim.checker == "spline_identity")
    html = card._repr_html_()
    assert all(c.key in html for c in CLAIMS)


def test_a_claim_that_fails_shows_red_and_one_not_written_shows_pending():
    claim = Claim("Theorem 9", "theorem", "nowhere", "a false statement", 3, "exact", "CPU", checker="theorem_9")
    assert evaluate(claim, {}).status == "pending"

    def broken(net, X):
        return Report("Theorem 9", "false").add("gap", 1.0, 0.0, 1e-9, passed=False)

    row = evaluate(claim, {"theorem_9": broken})
    assert row.status == "did not hold" and "0/1 checks passed" in row.ours
    assert "does not hold" in row.agrees

    def crashes(net, X):
        raise RuntimeError("index out of range")

    row = evaluate(claim, {"theorem_9": crashes})
    assert row.status == "error" and "index out of range" in row.ours

    def refuses(net, X):
        raise ValueError("X must have two columns")

    own = Claim("Theorem 9", "theorem", "nowhere", "x", 3, "exact", "CPU", checker="theorem_9",
                run=lambda f: f(None, None))                      # a claim's own runner must fit its checker
    row = evaluate(own, {"theorem_9": refuses})
    assert row.status == "error" and "X must have two columns" in row.ours

    def other_signature(a, b, c):
        return Report("Theorem 9", "")

    assert evaluate(claim, {"theorem_9": other_signature}).status == "not run"

    def needs_two_layers(net):
        raise ValueError("net must have exactly 2 layers")

    row = evaluate(claim, {"theorem_9": needs_two_layers})       # the generic setting does not fit it
    assert row.status == "not run" and "exactly 2 layers" in row.ours


@pytest.mark.parametrize("required, expected", [((), "f()"), (("net",), "f(net)"), (("X",), "f(X)"),
                                                (("net", "X"), "f(net, X)")])
def test_checkers_are_called_by_the_names_of_their_required_arguments(required, expected):
    seen = []
    namespace = {"Report": Report, "seen": seen}
    args = ", ".join(required)
    exec(f"def f({args}{', ' if args else ''}*, extra=1):\n"
         f"    seen.append('f(' + ', '.join(type(a).__name__ for a in [{args}]) + ')')\n"
         f"    return Report('x', '').add('ok', 1.0)", namespace)
    claim = Claim("Theorem 9", "theorem", "", "x", 3, "exact", "CPU", checker="f")
    assert evaluate(claim, {"f": namespace["f"]}).status == "held"
    names = {"f()": "f()", "f(net)": "f(SplineMLP)", "f(X)": "f(Tensor)", "f(net, X)": "f(SplineMLP, Tensor)"}
    assert seen == [names[expected]]


def test_a_claim_can_bring_its_own_runner():
    def checker(w, batch_size):
        return Report("Proposition 9", "").add("variance", 0.5, 0.5, 0.01, passed=True)

    claim = Claim("Proposition 9", "proposition", "", "x", 8, "eq. (13)", "CPU", checker="p9",
                  run=lambda f: f(None, 64))
    row = evaluate(claim, {"p9": checker})
    assert row.status == "held" and "variance = 0.5" in row.ours


def test_checkers_no_claim_names_are_listed_too():
    def stray(net, X):
        """A check someone added."""
        return Report("extra", "").add("x", 1.0)

    card = scorecard(claims=CLAIMS[:1], checkers={"spline_identity": bnx.verify.spline_identity, "stray": stray})
    assert [r.claim.key for r in card.extra] == ["verify.stray"] and card.extra[0].status == "held"
    assert card.counts() == {"held": 2}


def test_rows_of_unwritten_chapters_are_pending(tmp_path):
    (tmp_path / "01-splines.md").write_text("written")
    (tmp_path / "06-density.md").write_text("This chapter follows Section 3.3. It is being written.")
    assert written_chapters(tmp_path) == {1}
    assert written_chapters(tmp_path / "nowhere") is None
    fig10 = next(c for c in CLAIMS if c.key == "Figure 10")          # no checker: the chapter's account
    assert fig10.checker is None
    assert evaluate(fig10, {}, written={1}).status == "pending"
    assert evaluate(fig10, {}, written={1, 7}).status == "in chapter"


def test_a_runner_that_cannot_build_its_setting_defers_to_the_chapter():
    fig4 = next(c for c in CLAIMS if c.key == "Figure 4")
    row = evaluate(fig4, {fig4.checker: lambda result: None})
    assert row.status == "not run" and row.ours == fig4.account and row.agrees == "checked in the chapter"


def test_claims_refuse_unknown_kinds_and_chapters():
    with pytest.raises(ValueError, match="kind"):
        Claim("X", "lemma", "", "", 1, "", "")
    with pytest.raises(ValueError, match="chapter"):
        Claim("X", "theorem", "", "", 9, "", "")


def test_cached_reports_are_reused_only_while_the_library_source_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("BNX_CACHE", str(tmp_path))
    calls = []

    def counted(net, X):
        calls.append(1)
        return Report("Theorem 9", "").add("x", 1.0)

    claim = Claim("Theorem 9", "theorem", "", "x", 3, "exact", "CPU", checker="t9", run=lambda f: f(None, None))
    first = evaluate(claim, {"t9": counted}, cache=True)
    again = evaluate(claim, {"t9": counted}, cache=True)
    assert first.status == again.status == "held" and not first.cached and again.cached
    assert len(calls) == 1
    monkeypatch.setattr(bnx.scorecard, "library_fingerprint", lambda: "an edited library")
    evaluate(claim, {"t9": counted}, cache=True)
    assert len(calls) == 2
