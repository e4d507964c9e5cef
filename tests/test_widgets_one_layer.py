"""Chapter 3's dashboard: sliders move the hyperplanes, the button snaps μ to the batch mean, bad values are refused."""
import pytest
import torch

import bnexplained as bnx


def test_tls_explorer_redraws_and_snaps_to_the_minimum():
    w = bnx.widgets.TLSExplorer(units=3, dataset="star")
    first = w.png
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    state = w.state(**w.values)
    assert state["tls"].sum() > state["data"]["tls_min"].sum()          # starts away from the optimum
    w.controls["mu_2"].value = 0.3
    assert w.png != first
    w.snap()
    state = w.state(**w.values)
    torch.testing.assert_close(state["tls"], state["data"]["tls_min"], rtol=1e-10, atol=1e-12)
    assert "minimum" in w.readout.value
    w.button.click()                                                     # the button does the same
    w.controls["toward_bn"].value = 1.0                                  # the website's slider: all the way
    state = w.state(**w.values)
    torch.testing.assert_close(state["tls"], state["data"]["tls_min"], rtol=1e-10, atol=1e-12)
    box = w.widget()
    assert w.pane in box.children and w.button in box.children[0].children
    columns = box.children[1].children
    assert w.controls["mu_1"] in columns[0].children and w.controls["beta"] in columns[1].children


def test_sigma_and_gamma_move_the_hyperplanes_only_when_beta_is_nonzero():
    w = bnx.widgets.TLSExplorer(units=2, dataset="moons")
    values = w.values
    b0 = w.state(**values)["b"]
    torch.testing.assert_close(w.state(**{**values, "sigma_scale": 3.0, "gamma": 0.5})["b"], b0)
    moved = w.state(**{**values, "beta": 0.4, "sigma_scale": 3.0})["b"]
    assert (moved - b0).abs().min() > 0.1


def test_changing_the_data_set_rebuilds_the_picture_and_keeps_mu():
    w = bnx.widgets.TLSExplorer(units=3, dataset="star")
    mu = w.controls["mu_1"].value
    w.controls["dataset"].value = "blobs"
    assert w.controls["mu_1"].value == mu
    assert list(w._scene_figs)[-1] == "blobs"


def test_bad_slider_values_are_refused():
    w = bnx.widgets.TLSExplorer(units=2)
    values = w.values
    with pytest.raises(ValueError, match="sigma_scale must be positive"):
        w.state(**{**values, "sigma_scale": 0.0})
    with pytest.raises(ValueError, match="gamma must be non-zero"):
        w.state(**{**values, "gamma": 0.0})
    with pytest.raises(ValueError, match="beta must be finite"):
        w.state(**{**values, "beta": float("nan")})
    with pytest.raises(ValueError, match="dataset must be one of"):
        bnx.widgets.TLSExplorer(dataset="mnist")


def test_fallback_is_a_scrubbable_animation():
    html = bnx.widgets.TLSExplorer(units=2).fallback(frames=3).data
    assert "<img" in html and html.count("data:image/png") == 3          # one embedded image per frame


def test_gamma_beta_explorer_shows_when_the_identity_fails():
    w = bnx.widgets.GammaBetaExplorer(activation="leaky_relu")
    assert w.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.state(**w.values)["gap"] < 1e-12                           # γ > 0: eq. (29) holds
    w.controls["sign"].value = -1
    assert w.state(**w.values)["gap"] > 0.1 and "not absorbable" in w.readout.value
    w.controls["activation"].value = "abs"
    assert w.state(**w.values)["gap"] < 1e-12                           # |γ| works for the absolute value
    s = w.state(**{**w.values, "beta": 0.0})
    torch.testing.assert_close(s["offset"], w.mu)                       # β = 0: the zero set is BN's hyperplane
    with pytest.raises(ValueError, match="gamma_size must be positive"):
        w.state(**{**w.values, "gamma_size": 0.0})
    assert w.fallback(gammas=(1.0, -1.0)).data.count("data:image/png") == 2
