"""Figure 2's dashboards build, redraw on every control, and draw exactly what the geometry says."""
import pytest
import torch

import bnexplained as bnx
from bnexplained import folding
from bnexplained.partition import exact_partition


@pytest.fixture(scope="module")
def setting():
    X = bnx.data.star(50)
    return bnx.recipes.figure2_network(X), X


def test_translation_dashboard_redraws_and_flags_counterexamples(setting):
    net, X = setting
    w = bnx.widgets.Figure2Translation(net, X)
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert "d(z(x), H)" in w.readout.value and "d(x, F)" in w.readout.value
    for shift in (-3.0, -1.0, 1.0, 3.0):
        w.controls["shift"].value = shift
    assert w.png != first
    w.controls["unit"].value = 3                       # a new unit redraws the background once
    w.controls["point"].value = 7
    assert (w.fig._view.unit, w.fig._view.point) == (2, 7)
    box = w.widget()
    assert w.pane in box.children


def test_translation_dashboard_flags_the_counterexample_the_checker_finds(setting):
    """Opened on the strongest counterexample inside its square, the readout says so; moved to the same side
    as the dashed hyperplane and closer, it does not."""
    net, X = setting
    scene = bnx.translation.TranslationScene(net, X)
    rep = bnx.verify.theorem_2(net, X, 2, None, partition=scene.partition, condition="as_stated")
    c = rep.details["counterexample"]
    k, spread = c["unit"], scene.spread(c["unit"])
    shift, ref = [(m - float(net.mu[1][k])) / spread for m in (c["mu"], c["mu_other"])]
    w = bnx.widgets.Figure2Translation(net, X, unit=k + 1, point=c["point"], shift=shift, reference_shift=ref)
    assert "not in input space" in w.readout.value
    u = (c["u"] - float(net.mu[1][k])) / spread
    between = {**w.values, "shift": round((u + ref) / 2, 2)}   # between z(x) and the dashed hyperplane
    assert "not in input space" not in w.render(**between)[1]


def test_folding_dashboard_redraws_and_reports_angles(setting):
    net, X = setting
    w = bnx.widgets.Figure2Folding(net, X)
    first = w.png
    assert "(26)" in w.readout.value
    w.controls["scale"].value = 0.03
    assert w.png != first
    w.controls["boundary"].value = 4
    assert w.fig._view.boundary == 3 and "σ<sub>1,4</sub>" in w.readout.value


def test_a_mu_move_clips_once(setting, monkeypatch):
    """Each slider move of the Figure 2(a)(b) dashboard clips the earlier regions once (drawing F and
    measuring the point's distance to it share the facets)."""
    from bnexplained import translation

    net, X = setting
    w = bnx.widgets.Figure2Translation(net, X)
    calls = []
    real = translation.translated_facets
    monkeypatch.setattr(translation, "translated_facets", lambda *a, **k: calls.append(1) or real(*a, **k))
    for shift in (-2.0, -1.5, 1.0):
        w.controls["shift"].value = shift
    assert len(calls) == 3


@pytest.mark.parametrize("scale", [0.01, 0.3, 7.0])
def test_folding_scene_facets_are_the_exact_facets_of_the_network_with_sigma_scaled(setting, scale):
    net, X = setting
    scene = folding.FoldingScene(net, X)
    i = 2
    sig = net.sigma[0].clone()
    sig[i] *= scale
    other = bnx.recipes.figure2_network(X)
    other.set_statistics(mu=[net.mu[0], net.mu[1]], sigma=[sig, net.sigma[1]])
    ref = exact_partition(other, scene.extent).facets(2)
    mine = scene.layer2_facets(i, scale)
    probe = torch.rand(300, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    from bnexplained.partition import segment_distance
    for k in range(8):
        a = segment_distance(probe, mine.segments[mine.unit == k])[0]
        b = segment_distance(probe, ref.segments[ref.unit == k])[0]
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_fold_curve_panel_marks_the_current_scale(setting):
    import matplotlib.pyplot as plt

    net, X = setting
    scene = folding.FoldingScene(net, X)
    fig = plt.figure()
    view = bnx.plotting.FoldingFigure(fig, scene, 0)
    view.set_scale(0.2)
    assert list(view.curves.marker.get_xdata()) == [0.2, 0.2]
    view.set_boundary(5)
    assert view.boundary == 5 and len(view.red.get_segments()) > 0
    plt.close(fig)


def test_figure_2_dashboards_take_an_nn_sequential(setting):
    """A SplineMLP and its nn.Sequential twin give the same readouts in both Figure 2 dashboards."""
    from strategies import twin

    net, X = setting
    seq = twin(net)
    for make in (bnx.widgets.Figure2Translation, bnx.widgets.Figure2Folding):
        a, b = make(net, X), make(seq, X)
        assert a.readout.value == b.readout.value
