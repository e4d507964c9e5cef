"""The grid partition (eq. 10), folded-hyperplane tracing and inscribed radii."""
import numpy as np
import pytest
import torch
from hypothesis import example, given

import bnexplained as bnx
from conftest import fitted
from strategies import networks, points, seeds



@given(net=networks(d0=2), seed=seeds)
def test_partition_boundaries_mark_exactly_the_odd_crossings_of_fine_line_scans(net, seed):
    """Along each grid row, a fine scan between neighbouring pixels crosses a unit's zero set an odd
    number of times exactly when that unit's signs differ at the two pixels, and then the pixel is marked;
    pixels marked only vertically are checked along columns the same way."""
    fitted(net, seed)
    R, e, fine = 24, 2.0, 16
    part = bnx.partition_boundaries(net, e, R)
    xs, ys = part.grid.xs.double(), part.grid.ys.double()
    # fine horizontal scans: points between every pair of neighbouring pixels on every row
    t = torch.linspace(0, 1, fine + 1, dtype=torch.float64)
    scan_x = (xs[:-1, None] + t[None] * (xs[1:] - xs[:-1])[:, None]).reshape(-1)
    horiz = torch.zeros(net.depth, R, R, dtype=torch.bool)
    vert = torch.zeros(net.depth, R, R, dtype=torch.bool)
    for i in range(R):
        pts = torch.stack([scan_x, torch.full_like(scan_x, ys[i])], 1)
        for layer, h in enumerate(net.preactivations(pts, "stored")):
            s = (h >= 0).reshape(R - 1, fine + 1, -1)
            flips = (s[:, 1:] != s[:, :-1]).sum(1) % 2 == 1            # odd crossings per unit and gap
            horiz[layer, i, :-1] |= flips.any(-1)
        pts = torch.stack([torch.full_like(scan_x, xs[i]), scan_x], 1)
        for layer, h in enumerate(net.preactivations(pts, "stored")):
            s = (h >= 0).reshape(R - 1, fine + 1, -1)
            flips = (s[:, 1:] != s[:, :-1]).sum(1) % 2 == 1
            vert[layer, :-1, i] |= flips.any(-1)
    assert torch.equal(part.boundaries.cpu(), horiz | vert)


@given(net=networks(d0=2, max_width=5), seed=seeds)
def test_banded_computation_equals_one_pass(net, seed):
    fitted(net, seed)
    full = bnx.partition_boundaries(net, 1.5, 40)
    banded = bnx.partition_boundaries(net, 1.5, 40, max_floats=40 * 3)
    assert torch.equal(full.boundaries, banded.boundaries)


def test_cumulative_boundary_is_the_union_of_layers():
    net = bnx.SplineMLP([2, 4, 4, 4], "relu", "random_bias", seed=0)
    part = bnx.partition_boundaries(net, 2, 50)
    assert torch.equal(part.cumulative(2), part.boundaries[0] | part.boundaries[1])
    with pytest.raises(ValueError, match="layer must lie in 1..3"):
        part.cumulative(4)


@given(net=networks(d0=2), seed=seeds)
# found by HYPOTHESIS_PROFILE=thorough: a zero-bias ReLU unit identically zero where layer 1 is off
@example(net=bnx.SplineMLP([2, 1, 1], "relu", "zero_bias", seed=0, dtype=torch.float64), seed=0)
@example(net=bnx.SplineMLP([2, 1, 2], "relu", "zero_bias", seed=0, dtype=torch.float64), seed=0)
@example(net=bnx.SplineMLP([2, 1, 2], "relu", "zero_bias", seed=2, dtype=torch.float64), seed=0)
@example(net=bnx.SplineMLP([2, 5, 1], "relu", "zero_bias", seed=20, dtype=torch.float64), seed=0)   # a vertex on
@example(net=bnx.SplineMLP([2, 5, 1], "relu", "zero_bias", seed=23, dtype=torch.float64), seed=0)   # the last column
def test_folded_hyperplane_lines_cross_grid_edges_where_the_unit_changes_sign(net, seed):
    """Marching squares puts every vertex on a grid edge whose two ends have opposite signs of
    h_{ℓ,k}: each traced point is within one grid spacing of the true zero set."""
    fitted(net, seed)
    R, e = 40, 2.0
    lines = bnx.folded_hyperplane_lines(net, e, R)
    grid, hs = bnx.grid_preactivations(net, e, R)
    xs, ys = grid.xs.double().numpy(), grid.ys.double().numpy()
    step = xs[1] - xs[0]
    for layer, per_unit in enumerate(lines):
        sign = (hs[layer] >= 0).numpy()
        for k, segs in enumerate(per_unit):
            if not segs:
                continue
            v = np.concatenate(segs)
            fx, fy = (v[:, 0] - xs[0]) / step, (v[:, 1] - ys[0]) / step
            on_row = np.abs(fy - np.round(fy)) < 1e-6
            on_col = np.abs(fx - np.round(fx)) < 1e-6
            assert np.all(on_row | on_col)
            i, j = np.round(fy[on_row]).astype(int), np.floor(fx[on_row] + 1e-9).clip(0, R - 2).astype(int)
            j_next = np.where(fx[on_row] - j > 1e-6, j + 1, j)          # a vertex exactly on a grid point
            hits = sign[i, j, k] != sign[i, np.minimum(j + 1, R - 1), k]
            assert np.all(hits | (j_next == j) | (np.abs(fx[on_row] - np.round(fx[on_row])) < 1e-6))   # or on a grid point
            i, j = np.floor(fy[on_col] + 1e-9).clip(0, R - 2).astype(int), np.round(fx[on_col]).astype(int)
            hits = sign[i, j, k] != sign[np.minimum(i + 1, R - 1), j, k]
            assert np.all(hits | (np.abs(fy[on_col] - np.round(fy[on_col])) < 1e-6))   # or on a grid point


@given(net=networks(), seed=seeds)
def test_inscribed_ball_stays_in_the_region(net, seed):
    X = points(15, net.widths[0], seed)
    if net.mode == "bn":
        net.fit_statistics(X)
    stats = "stored" if net.mode == "bn" else "batch"
    r, d = bnx.inscribed_radius(net, X, statistics=stats, return_direction=True)
    ok = torch.isfinite(r)
    inside = X[ok] + 0.999 * r[ok, None] * d[ok]
    if net.mode != "bn":
        assert torch.equal(net.signs(inside, "batch"), net.signs(X[ok], "batch"))
    else:
        assert torch.equal(net.signs(inside, "stored"), net.signs(X[ok], "stored"))


def test_partition_needs_two_dimensional_input_and_fitted_statistics():
    with pytest.raises(ValueError, match="2-D input"):
        bnx.partition_boundaries(bnx.SplineMLP([3, 4], "relu", "zero_bias"), 1, 10)
    with pytest.raises(ValueError, match="statistics are not set"):
        bnx.partition_boundaries(bnx.SplineMLP([2, 4], "relu", "bn"), 1, 10)


@pytest.mark.parametrize("extent, resolution, error, message", [
    ((1, 0, 0, 1), 10, ValueError, "x_min < x_max"),
    (-1, 10, ValueError, "extent must be positive"),
    ("big", 10, TypeError, "extent must be a number"),
    (1, 1, ValueError, "resolution must be an int"),
    ((0, 1, 0, float("nan")), 10, ValueError, "extent must be"),
])
def test_bad_extent_or_resolution(extent, resolution, error, message):
    with pytest.raises(error, match=message):
        bnx.make_grid(extent, resolution)


def test_grid_is_row_major_with_y_slowest():
    g = bnx.make_grid((0, 1, 10, 12), 3)
    assert g.points[:3, 1].tolist() == [10, 10, 10] and g.points[:3, 0].tolist() == [0, 0.5, 1]
    assert g.shape == (3, 3) and g.extent == (0, 1, 10, 12)
