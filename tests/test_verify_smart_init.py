"""Proposition 3 (Appendix D.4): the decision boundary and mini-batches at initialization.

Pinned here: it holds when the last hidden layer has one unit or the read-out is centred on the
batch; it fails on a measurable share of small mini-batches for a wider last hidden layer.
"""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import bnexplained as bnx
from strategies import points, seeds


def _binary(widths, seed=0, out=1, alpha=0.1):
    return bnx.SplineMLP(widths, "leaky_relu", "bn", alpha=alpha, out_features=out, seed=seed, dtype=torch.float64)


@given(seed=seeds, n=st.integers(2, 12), out=st.sampled_from([1, 2]), readout=st.sampled_from(bnx.decision_boundary.READOUTS))
def test_batch_decision_values_equal_the_forward_pass_in_batch_mode(seed, n, out, readout):
    net = _binary([3, 5, 4], seed=seed, out=out)
    batches = points(4 * n, 3, seed).reshape(4, n, 3)
    f, defined = bnx.decision_boundary.batch_decision_values(net, batches, readout=readout)
    assert f.shape == (4, n) and defined.all()
    for b in range(4):
        expected = bnx.decision_values(net, batches[b], statistics="batch")
        if readout == "centred":
            expected = expected - expected.mean()
        torch.testing.assert_close(f[b], expected, rtol=1e-10, atol=1e-10)


@given(seed=seeds, batch_size=st.integers(2, 20), depth=st.integers(1, 3), alpha=st.sampled_from([0.01, 0.1, 0.5]))
def test_one_unit_last_hidden_layer_never_gives_a_one_sided_batch(seed, batch_size, depth, alpha):
    """The condition under which Proposition 3 holds as stated: D_(L−1) = 1."""
    X = points(60, 2, seed, scale=2.0)
    net = _binary([2] + [6] * (depth - 1) + [1], seed=seed, alpha=alpha)
    one_sided, defined = bnx.one_sided_batches(net, X, batch_size, batches=50, seed=seed)
    assert defined.all() and not one_sided.any()


@given(seed=seeds, batch_size=st.integers(2, 20), width=st.integers(1, 12))
def test_centred_read_out_never_gives_a_one_sided_batch(seed, batch_size, width):
    """The corrected statement for any width: BN's centring at layer L puts z̄ on the boundary."""
    X = points(60, 2, seed, scale=2.0)
    one_sided, _ = bnx.one_sided_batches(_binary([2, 6, width], seed=seed), X, batch_size, batches=50,
                                         seed=seed, readout="centred")
    assert not one_sided.any()


def test_counterexample_two_units_batch_of_two():
    """W_1 = I, w_2 = (1, 1): the batch {(1, −1), (−1, 1)} normalizes to itself, and both points
    get f = 1 − α > 0 — one side of the decision boundary only."""
    alpha = 0.1
    net = bnx.SplineMLP.from_weights([torch.eye(2, dtype=torch.float64)], "leaky_relu", "bn", alpha=alpha,
                                     readout=(torch.ones(1, 2, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)),
                                     dtype=torch.float64)
    batch = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=torch.float64)
    f = bnx.decision_values(net, batch, statistics="batch")
    torch.testing.assert_close(f, torch.full((2,), 1 - alpha, dtype=torch.float64))
    one_sided, _ = bnx.one_sided_batches(net, batch, 2, batches=3)
    assert one_sided.all()


def test_checker_reports_the_failure_rate_by_width_and_batch_size():
    X = bnx.data.moons(400, dtype=torch.float64)
    rep = bnx.verify.proposition_3(X, widths=(1, 4), batch_sizes=(2, 8), networks=6, batches=100)
    assert not rep.held
    assert rep.checks[0].passed and rep.checks[0].measured == 0.0
    assert not rep.checks[1].passed
    rates = rep.details["rates"]
    assert rates.shape == (2, 2) and (rates[0] == 0).all()
    assert rates[1, 0] > 0.2                  # batches of two with four units: often one-sided
    assert rates[1, 0] > rates[1, 1]          # the failure rate falls as the batch grows
    assert "D_{L−1} = 1" in rep.setting and rep.details["undefined"] == 0
    assert bnx.verify.proposition_3(X, widths=(1, 4), batch_sizes=(2, 8), networks=6, batches=100,
                                    readout="centred").held


def test_checker_holds_for_one_unit_and_fails_on_a_broken_read_out_bias():
    X = bnx.data.moons(200, dtype=torch.float64)
    assert bnx.verify.proposition_3(X, widths=(1,), batch_sizes=(2, 16), networks=4, batches=50).held
    broken = bnx.verify.proposition_3(X, widths=(1,), batch_sizes=(2, 16), networks=4, batches=50, output_bias=5.0)
    assert not broken.held and broken.checks[0].measured > 0.5


def test_the_search_is_deterministic():
    X = bnx.data.moons(200, dtype=torch.float64)
    a = bnx.one_sided_rates(X, [3], [2, 4], networks=3, batches=40, seed=2)
    b = bnx.one_sided_rates(X, [3], [2, 4], networks=3, batches=40, seed=2)
    assert torch.equal(a["counts"], b["counts"])


def test_batches_where_bn_is_undefined_are_set_aside():
    X = torch.tensor([[0.5, 0.5]] * 4 + [[1.0, -1.0]], dtype=torch.float64)
    net = _binary([2, 3, 2])
    one_sided, defined = bnx.one_sided_batches(net, X, 2, batches=60)
    assert (~defined).any() and defined.any()
    assert not (one_sided & ~defined).any()


def test_decision_boundary_lines_trace_the_zero_set():
    X = bnx.data.moons(100, dtype=torch.float64)
    net = _binary([2, 6, 1]).fit_statistics(X)
    lines = bnx.decision_boundary_lines(net, bnx.data_extent(X), 80)
    assert lines
    pts = torch.as_tensor(lines[0], dtype=torch.float64)
    assert bnx.decision_values(net, pts, statistics="stored").abs().max() < 0.05
    with pytest.raises(ValueError, match="2-D input"):
        bnx.decision_boundary_lines(_binary([3, 4, 1]).fit_statistics(points(9, 3, 0)), 1.0)


def test_bad_input_is_named():
    X = points(30, 2, 0)
    net = _binary([2, 4, 2])
    with pytest.raises(ValueError, match="batch_size"):
        bnx.one_sided_batches(net, X, 1)
    with pytest.raises(ValueError, match="batch_size"):
        bnx.one_sided_batches(net, X, 31)
    with pytest.raises(ValueError, match="batches"):
        bnx.one_sided_batches(net, X, 4, batches=0)
    with pytest.raises(ValueError, match="NaN"):
        bnx.one_sided_batches(net, torch.full((5, 2), float("nan")), 2)
    with pytest.raises(ValueError, match="readout"):
        bnx.one_sided_batches(net, X, 4, readout="shifted")
    with pytest.raises(ValueError, match="binary classifier"):
        bnx.one_sided_batches(_binary([2, 4], out=3), X, 4)
    with pytest.raises(ValueError, match="binary classifier"):
        bnx.one_sided_batches(bnx.SplineMLP([2, 4], "leaky_relu", "bn"), X, 4)
    with pytest.raises(TypeError, match="SplineMLP"):
        bnx.decision_values(torch.nn.Linear(2, 1), X)
    with pytest.raises(ValueError, match="shape"):
        bnx.decision_boundary.batch_decision_values(net, X)
    with pytest.raises(ValueError, match="at least 2"):
        bnx.decision_boundary.batch_decision_values(net, X[None, :1])
    with pytest.raises(ValueError, match="widths"):
        bnx.one_sided_rates(X, [], [2])
    with pytest.raises(ValueError, match="batch_sizes"):
        bnx.one_sided_rates(X, [2], [0])
    with pytest.raises(ValueError, match="output_bias"):
        bnx.one_sided_rates(X, [2], [2], output_bias=float("nan"))
