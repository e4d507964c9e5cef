"""Chapter 9's dashboard: it moves one BN unit of a copy of the reader's model and draws what BN's
formula says, live and in its kernel-free gallery."""
import math

import ipywidgets as W
import numpy as np
import pytest
import torch
from torch import nn

import bnexplained as bnx
from bnexplained.widgets.your_network import BNUnitExplorer, parameter_frames


def _model(seed: int = 0) -> nn.Sequential:
    """A BN model whose running statistics are the data's, with γ and β away from 1 and 0."""
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.1),
                      nn.Linear(4, 3), nn.BatchNorm1d(3), nn.LeakyReLU(0.1), nn.Linear(3, 2))
    X = bnx.data.moons(64, noise=0.1, seed=0)
    for bn in (m[1], m[4]):
        bn.momentum = None
    with torch.no_grad():
        m.train()(X)
        for bn in (m[1], m[4]):
            n = bn.num_features
            bn.weight.copy_(torch.rand(n) + 0.5)
            bn.bias.copy_(torch.randn(n) * 0.3)
    return m.eval()


@pytest.fixture(scope="module")
def data():
    return bnx.data.moons(64, noise=0.1, seed=0, labels=True)


def _line_residual(model, polylines, k):
    """Largest |h_{1,k}(x)| over the traced points, from BN's formula applied by hand (not spline steps)."""
    lin, bn = model[0], model[1]
    pts = torch.as_tensor(np.concatenate(polylines), dtype=torch.float64)
    u = pts @ lin.weight[k].detach().double() + float(lin.bias.detach()[k])
    g, b, mu, var = (float(getattr(bn, n).detach()[k]) for n in ("weight", "bias", "running_mean", "running_var"))
    h = g * (u - mu) / math.sqrt(var + bn.eps) + b
    scale = float(lin.weight[k].detach().norm()) * abs(g) / math.sqrt(var + bn.eps)
    return float(h.abs().max()) / scale                   # a distance in input space


def test_moving_running_mean_moves_the_units_line_where_bns_formula_puts_it(data):
    X, y = data
    model = _model()
    before = {n: getattr(model[1], n).clone() for n in ("running_mean", "running_var", "weight", "bias")}
    w = BNUnitExplorer(model, X, y, resolution=120)
    first = w.png
    assert first[:2] == b"\xff\xd8" and "data:image/jpeg;base64," in w.pane.value  # live moves: JPEG
    w.controls["unit"].value = 2
    w.controls["running_mean"].value = w.controls["running_mean"].value + 0.1
    assert w.png != first
    assert float(w.bns[0].running_mean[2]) == pytest.approx(float(before["running_mean"][2]) + 0.1, abs=0.011)
    lines = w.picture()["layers"][0][2]
    assert lines and _line_residual(w.model, lines, 2) < 1e-9  # exact where the unit is affine: a straight line
    for n, t in before.items():                              # the reader's model is never touched
        assert torch.equal(getattr(model[1], n), t)


def test_bias_moves_the_line_by_sigma_beta_over_gamma(data):
    X, y = data
    w = BNUnitExplorer(_model(), X, y)
    w.controls["bias"].value = 0.9
    assert _line_residual(w.model, w.picture()["layers"][0][0], 0) < 1e-9
    assert "μ − √(σ²+ε)·β/γ" in w.readout.value and "accuracy" in w.readout.value


def test_scaling_gamma_with_sigma_leaves_the_network_unchanged(data):
    """γ (u − μ)/σ: multiplying σ² by 9 and γ by 3 changes nothing (up to ε), so neither does the picture."""
    X, y = data
    w = BNUnitExplorer(_model(), X, y)
    ref = w.picture()
    var, gamma = (float(getattr(w.bns[0], n).detach()[1]) for n in ("running_var", "weight"))
    w.set_unit(1, 1, running_var=9 * var, weight=3 * gamma)
    new = w.picture()
    assert new["accuracy"] == ref["accuracy"]
    for a, b in zip(ref["layers"][1], new["layers"][1]):
        assert len(a) == len(b)
        for p, q in zip(a, b):
            assert p.shape == q.shape and np.abs(p - q).max() < 1e-4


def test_switching_units_shows_their_values_and_reset_restores_the_trained_ones(data):
    X, y = data
    model = _model()
    w = BNUnitExplorer(model, X, y)
    w.controls["weight"].value = -0.7                     # unit 0 of BN 1
    w.controls["layer"].value = 2
    assert w.controls["unit"].max == 2
    w.controls["unit"].value = 1
    for n in ("running_mean", "weight", "bias"):
        assert w.controls[n].value == pytest.approx(float(getattr(model[4], n).detach()[1]), abs=1e-6)
    assert w.controls["running_var"].value == pytest.approx(float(model[4].running_var[1]), rel=1e-6)
    assert float(w.bns[0].weight.detach()[0]) == pytest.approx(-0.7)  # the change to unit 0 of BN 1 stays
    w.gallery(layer=1, unit=0, steps=3)                   # pictures of the trained model ...
    assert float(w.bns[0].weight.detach()[0]) == pytest.approx(-0.7)  # ... and the live change is kept
    w.reset()
    assert torch.equal(w.bns[0].weight, model[1].weight)


def test_gallery_links_a_slider_to_each_tabs_frames_and_frames_differ(data):
    X, y = data
    w = BNUnitExplorer(_model(), X, y)
    g = w.gallery(layer=1, unit=0, steps=3)
    tabs = g.children[1]
    assert isinstance(tabs, W.Tab) and len(tabs.children) == 4
    for tab in tabs.children:
        slider, stack = tab.children
        assert len(stack.children) == 3 and stack.selected_index == 1 and slider.index == 1
        frames = [leaf.value for leaf in stack.children]
        assert 'src="data:image/png;base64,' in frames[0] and 'alt="' in frames[0] and len(set(frames)) == 3
    pairs = {(lk.source[0], lk.source[1], lk.target[0], lk.target[1]) for lk in w.gallery_links}
    for tab in tabs.children:                              # linked in the browser: works without a kernel
        assert (tab.children[0], "index", tab.children[1], "selected_index") in pairs
    assert torch.equal(w.bns[0].running_mean, w._trained[0]["running_mean"])  # the copy is back as it was


def test_gallery_frames_put_the_trained_value_in_the_middle():
    bn = _model()[1]
    frames = parameter_frames(bn, 3, steps=5)
    for n, values in frames.items():
        assert values[2] == pytest.approx(float(getattr(bn, n)[3].detach()), rel=1e-6)
    assert frames["running_var"][0] == pytest.approx(float(bn.running_var[3]) / 100, rel=1e-6)
    with pytest.raises(ValueError, match="steps"):
        parameter_frames(bn, 0, steps=4)


def test_gallery_falls_back_to_tabs_without_stack(data, monkeypatch):
    """ipywidgets 7.7.1 (Colab) has no Stack: the frames go into a Tab."""
    monkeypatch.delattr(W, "Stack", raising=False)
    X, y = data
    g = BNUnitExplorer(_model(), X, y).gallery(steps=3)
    assert all(isinstance(tab.children[1], W.Tab) for tab in g.children[1].children)


def test_bad_input_is_refused_by_name(data):
    X, y = data
    with pytest.raises(TypeError, match="model"):
        BNUnitExplorer("net", X)
    with pytest.raises(ValueError, match="BatchNorm1d"):
        BNUnitExplorer(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)), X)
    with pytest.raises(ValueError, match="layer"):
        BNUnitExplorer(_model(), X, y, layer=3)
    with pytest.raises(ValueError, match="y"):
        BNUnitExplorer(_model(), X, y[:5])
    w = BNUnitExplorer(_model(), X)
    with pytest.raises(ValueError, match="running_var"):
        w.set_unit(1, 0, running_var=0.0)
    with pytest.raises(ValueError, match="unit"):
        w.gallery(layer=1, unit=9)
