"""Self-checking exercises: every reference answer passes its own check, a wrong one fails."""
import numpy as np
import pytest

import bnexplained as bnx


@pytest.mark.parametrize("key", bnx.exercises.keys(fill_in=False))
def test_reference_answer_passes_and_a_perturbed_one_fails(key, capsys):
    ref = bnx.exercises.reference(key)
    assert bnx.exercises.check(key, ref)
    assert "correct" in capsys.readouterr().out
    if isinstance(ref, (set, frozenset, bool, str)):
        return
    wrong = np.asarray(ref, dtype=float) * 1.1 + 3.0
    assert not bnx.exercises.check(key, wrong)
    out = capsys.readouterr().out
    assert "not yet" in out and str(np.asarray(ref).ravel()[0]) not in out.split("Hint")[0]


def test_unknown_key_and_malformed_answers():
    with pytest.raises(ValueError, match="no exercise"):
        bnx.exercises.check("ch99-ex9", 1)
    key = bnx.exercises.keys()[0]
    assert not bnx.exercises.check(key, "a string", quiet=True)
    assert not bnx.exercises.check(key, np.full(7, np.nan), quiet=True)
