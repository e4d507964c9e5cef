"""The exact partition of a 2-D square (eqs. (10)–(12)): polygons, codes, maps, facets, distances."""
import copy
import itertools

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

import bnexplained as bnx
from bnexplained.partition import segment_distance
from conftest import fitted
from strategies import networks, points, seeds



def _lines(normals, offsets, activation="relu"):
    """One layer whose unit k has the line ⟨normals[k], x⟩ + offsets[k] = 0."""
    W = torch.as_tensor(normals, dtype=torch.float64)
    c = torch.as_tensor(offsets, dtype=torch.float64)
    return bnx.SplineMLP.from_weights([W], activation, "random_bias", biases=[c], dtype=torch.float64)


def _inside(poly, x, tol=1e-9):
    """Whether points x (N, 2) lie in the convex CCW polygon poly (n, 2), up to tol."""
    d = np.roll(poly, -1, 0) - poly
    cross = d[None, :, 0] * (x[:, None, 1] - poly[None, :, 1]) - d[None, :, 1] * (x[:, None, 0] - poly[None, :, 0])
    return (cross >= -tol * np.linalg.norm(d, axis=1)[None]).all(1)


def _interior_samples(part, per_region, seed):
    """Random points strictly inside every final region: convex combinations pulled toward the centroid."""
    g = torch.Generator().manual_seed(seed)
    V, n = part.vertices()
    M = V.shape[1]
    w = torch.rand(len(n), per_region, M, generator=g, dtype=torch.float64)
    w = w * (torch.arange(M)[None, None] < n[:, None, None])
    w = w / w.sum(-1, keepdim=True)
    x = torch.einsum("rsm,rmi->rsi", w, V)
    c = part.centroids()[:, None]
    return (c + 0.9 * (x - c)).reshape(-1, 2)


# ------------------------------------------------------------------ counts against known answers
@given(D=st.integers(1, 12), seed=seeds)
def test_lines_in_general_position_make_zaslavsky_count(D, seed):
    """D lines in general position, in a square holding all their crossings: 1 + D + D(D−1)/2 regions."""
    g = np.random.default_rng(seed)
    angles = np.sort(g.uniform(0, np.pi, D)) + np.arange(D) * 1e-3          # no two parallel
    normals = np.stack([np.cos(angles), np.sin(angles)], 1)
    offsets = g.uniform(-1, 1, D)
    crossings = [np.linalg.solve(normals[[i, j]], -offsets[[i, j]]) for i, j in itertools.combinations(range(D), 2)]
    r = 1.5 + (np.abs(crossings).max() if crossings else 0.0)
    part = bnx.exact_partition(_lines(normals, offsets), r)
    assert part.num_regions == [1, 1 + D + D * (D - 1) // 2]
    assert torch.isclose(part.areas().sum(), torch.tensor(4 * r * r, dtype=torch.float64))


def _lp_region_count(net, extent):
    """Independent count: the sign patterns whose region has interior, one linear program each."""
    from scipy.optimize import linprog

    Ws = [layer.weight.detach().double() for layer in net.layers]
    net = net.requires_grad_(False)
    shifts = []
    for layer in net.layers:
        s, t = layer.norm.scale_shift(torch.zeros(1, layer.norm.num_units, dtype=torch.float64), "stored")
        shifts.append((s.double(), t.double()))
    widths = [W.shape[0] for W in Ws]
    count = 0
    for pattern in itertools.product([False, True], repeat=sum(widths)):
        A, b = torch.eye(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
        rows, rhs, start, feasible = [], [], 0, True
        for W, (s, t), D in zip(Ws, shifts, widths):
            G, g = s[:, None] * (W @ A), s * (W @ b) + t
            sign = torch.tensor(pattern[start:start + D], dtype=torch.bool)
            for k in range(D):
                sgn = 1.0 if sign[k] else -1.0
                norm = float(G[k].norm())
                if norm == 0:
                    feasible &= (g[k] >= 0) if sign[k] else (g[k] < 0)
                    continue
                rows.append([-sgn * float(G[k, 0]) / norm, -sgn * float(G[k, 1]) / norm, 1.0])
                rhs.append(sgn * float(g[k].detach()) / norm)           # sgn (G x + g)/|G| ≥ t
            q = torch.where(sign, 1.0, float(net.slope)).double()
            A, b = q[:, None] * G, q * g
            start += D
        if not feasible:
            continue
        e = extent
        res = linprog([0, 0, -1], A_ub=np.array(rows) if rows else None, b_ub=np.array(rhs) if rows else None,
                      bounds=[(e[0], e[1]), (e[2], e[3]), (None, 1.0)], method="highs")
        if res.status == 0 and -res.fun > 1e-7:
            count += 1
    return count


@settings(max_examples=10)
@given(net=networks(d0=2, max_depth=2, max_width=3, readout=None), seed=seeds)
def test_region_count_equals_an_independent_linear_programming_count(net, seed):
    fitted(net, seed)
    e = (-2.0, 2.0, -2.0, 2.0)
    assert len(bnx.exact_partition(net, e)) == _lp_region_count(net, e)


@settings(max_examples=12)
@given(net=networks(d0=2, max_width=5), seed=seeds)
def test_region_count_is_at_least_the_distinct_codes_on_a_dense_grid(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    grid = bnx.make_grid(2.0, 200, dtype=torch.float64)
    distinct = np.unique(net.signs(grid.points, "stored").numpy(), axis=0).shape[0]
    assert len(part) >= distinct
    # ... and the grid's codes are exactly those of the regions it hits
    hit = part.region_of(grid.points)
    assert (hit >= 0).all() and np.unique(hit.numpy()).size == distinct


# ------------------------------------------------------------------ exactness
@given(net=networks(d0=2), seed=seeds)
def test_every_vertex_lies_on_the_two_lines_that_define_it(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    for layer in range(part.depth + 1):
        V, n = part.vertices(layer)
        a, c = part.edge_lines(layer)
        valid = torch.arange(V.shape[1])[None] < n[:, None]
        prev = (torch.arange(V.shape[1])[None] - 1) % n[:, None]
        for lines_a, lines_c in ((a, c), (a.gather(1, prev[..., None].expand(-1, -1, 2)), c.gather(1, prev))):
            norm = lines_a.norm(dim=-1)
            dist = ((lines_a * V).sum(-1) + lines_c).abs() / norm.clamp_min(1e-300)
            assert (dist[valid & (norm > 0)] <= 1e-8).all(), float(dist[valid & (norm > 0)].max())


@given(net=networks(d0=2), seed=seeds)
def test_every_region_interior_has_one_code_and_one_affine_map(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    x = _interior_samples(part, 6, seed)
    region = torch.arange(len(part)).repeat_interleave(6)
    assert torch.equal(net.signs(x, "stored"), part.signs()[region])
    A, B = part.affine_maps()
    f = net(x, "stored")
    err = ((A[region] @ x[..., None]).squeeze(-1) + B[region] - f).abs().max()
    assert err <= 1e-9 * max(1.0, f.abs().max().item())
    for layer in range(1, net.depth + 1):
        G, g = part.preactivation_maps(layer)
        G_net, g_net = net.preactivation_maps(x, "stored")[layer - 1]
        assert torch.allclose(G[region], G_net, rtol=1e-9, atol=1e-9)
        Az, Bz = part.affine_maps(layer)
        Az_net, Bz_net = net.affine_maps(x, layer, "stored")
        assert torch.allclose(Az[region], Az_net, rtol=1e-9, atol=1e-9)
        assert torch.allclose(part.codes(layer)[region], net.codes(x, "stored")[layer - 1])


@given(net=networks(d0=2), seed=seeds)
def test_regions_are_convex_counterclockwise_and_tile_the_square(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, (-1.0, 2.0, -2.0, 0.5))
    for layer in range(part.depth + 1):
        assert torch.isclose(part.areas(layer).sum(), torch.tensor(7.5, dtype=torch.float64))
        assert (part.areas(layer) > 0).all()
        for poly in part.polygons(layer):
            d = np.roll(poly, -1, 0) - poly
            turn = d[:, 0] * np.roll(d, -1, 0)[:, 1] - d[:, 1] * np.roll(d, -1, 0)[:, 0]
            assert (turn >= -1e-9 * np.abs(d).max() ** 2).all()
    for layer in range(1, part.depth + 1):
        parent = part.parent(layer)
        # each region of layer ℓ−1 is the union of its children
        sums = torch.zeros(part.num_regions[layer - 1], dtype=torch.float64).index_add_(0, parent, part.areas(layer))
        assert torch.allclose(sums, part.areas(layer - 1), rtol=1e-9, atol=1e-12)


@given(net=networks(d0=2, max_width=5), seed=seeds)
def test_every_grid_point_falls_in_the_region_whose_code_it_has(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    x = bnx.make_grid(2.0, 120, dtype=torch.float64).points
    idx = part.region_of(x)
    assert (idx >= 0).all()
    assert torch.equal(part.signs()[idx], net.signs(x, "stored"))
    polys = part.polygons()
    xn = x.numpy()
    for r in torch.unique(idx).tolist():
        sel = (idx == r).numpy()
        assert _inside(polys[r], xn[sel]).all()


def test_region_of_outside_the_square_is_minus_one_and_layers_nest():
    net = bnx.SplineMLP([2, 5, 5], "relu", "random_bias", seed=3, dtype=torch.float64)
    part = bnx.exact_partition(net, 1.0)
    x = torch.tensor([[0.2, 0.1], [3.0, 0.0], [-0.5, 0.9]], dtype=torch.float64)
    idx = part.region_of(x)
    assert idx[1] == -1 and (idx[[0, 2]] >= 0).all()
    assert torch.equal(part.region_of(x, layer=1)[[0, 2]], part.ancestors(1)[idx[[0, 2]]])


# ------------------------------------------------------------------ facets and distances
@given(net=networks(d0=2), seed=seeds)
def test_facets_lie_on_the_zero_set_of_their_unit_inside_their_region(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    for layer in range(1, net.depth + 1):
        f = part.facets(layer)
        if len(f) == 0:
            continue
        ends = f.segments.reshape(-1, 2)
        unit = f.unit.repeat_interleave(2)
        h = net.preactivations(ends, "stored")[layer - 1].gather(1, unit[:, None]).squeeze(1)
        G, _ = net.preactivation_maps(ends, "stored")[layer - 1]
        scale = G.norm(dim=-1).max(1).values * 2.0 + net.preactivations(ends, "stored")[layer - 1].abs().max(1).values
        assert (h.abs() <= 1e-8 * scale.clamp_min(1.0)).all()
        # h is affine on the facet's region: its midpoint is on the zero set too, with the stated normal
        mid = f.segments.mean(1)
        assert ((f.normal * mid).sum(-1) + f.offset).abs().max() <= 1e-8 * max(1.0, f.offset.abs().max().item())
        polys = part.polygons(layer - 1)
        for i in range(len(f)):
            assert _inside(polys[int(f.region[i])], f.segments[i].numpy(), 1e-8).all()


def _zero_set_samples(net, layer, unit, extent, resolution):
    """Points on {h_{ℓ,k} = 0} found without the partition: sign changes between neighbours of a fine
    grid, located by bisection on the network along the grid edge; and places where h touches 0
    without changing sign (|h| of a zero-bias unit): local minima of |h| along grid rows and columns,
    located by ternary search, kept where |h| is 0 to rounding."""
    grid = bnx.make_grid(extent, resolution, dtype=torch.float64)
    H, W = grid.shape
    P = grid.points.reshape(H, W, 2)

    def h(x):
        return net.preactivations(x, "stored")[layer - 1][:, unit]

    hv = h(grid.points).reshape(H, W)
    plateau = P[hv == 0]                          # grid points where the unit is exactly zero lie on F too
    pairs = []
    for a, b, ha, hb in ((P[:, :-1], P[:, 1:], hv[:, :-1], hv[:, 1:]), (P[:-1], P[1:], hv[:-1], hv[1:])):
        m = (ha >= 0) != (hb >= 0)
        pairs.append((a[m], b[m]))
    touching = _touching_samples(h, P, hv)
    lo = torch.cat([p[0] for p in pairs])
    hi = torch.cat([p[1] for p in pairs])
    if len(lo) == 0:
        return torch.cat([plateau, touching])
    s_lo = h(lo) >= 0
    for _ in range(40):
        mid = (lo + hi) / 2
        same = (h(mid) >= 0) == s_lo
        lo = torch.where(same[:, None], mid, lo)
        hi = torch.where(same[:, None], hi, mid)
    return torch.cat([(lo + hi) / 2, plateau, touching])


@torch.no_grad()
def _touching_samples(h, P, hv):
    """Minima of |h| on the segment between the grid neighbours of a local minimum of |h| along a row
    or column where h keeps its sign, by ternary search; those where |h| is 0 to rounding."""
    ends = []
    for a, m, b, ha, hm, hb in ((P[:, :-2], P[:, 1:-1], P[:, 2:], hv[:, :-2], hv[:, 1:-1], hv[:, 2:]),
                                (P[:-2], P[1:-1], P[2:], hv[:-2], hv[1:-1], hv[2:])):
        keep = (hm.abs() < ha.abs()) & (hm.abs() <= hb.abs()) & (hm != 0) & ((ha >= 0) == (hm >= 0)) \
            & ((hb >= 0) == (hm >= 0))
        ends.append((a[keep], b[keep]))
    lo, hi = torch.cat([e[0] for e in ends]), torch.cat([e[1] for e in ends])
    if len(lo) == 0:
        return lo
    for _ in range(80):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        left = h(m1).abs() <= h(m2).abs()
        hi = torch.where(left[:, None], m2, hi)
        lo = torch.where(left[:, None], lo, m1)
    x = (lo + hi) / 2
    return x[h(x).abs() <= 1e-10 * max(1.0, float(hv.detach().abs().max()))]


@settings(max_examples=12)
@given(net=networks(d0=2, max_width=5, max_depth=3), seed=seeds, data=st.data())
def test_folded_distance_agrees_with_brute_force_over_dense_zero_set_samples(net, seed, data):
    fitted(net, seed)
    layer = data.draw(st.integers(1, net.depth))
    unit = data.draw(st.integers(0, net.widths[layer] - 1))
    _check_folded_distance(net, seed, layer, unit)


# found by HYPOTHESIS_PROFILE=thorough: where layer 1 is off, a zero-bias ReLU unit of layer 2 is
# identically zero, so its zero set has an interior (the whole region lies on F, distance 0)
@pytest.mark.parametrize("widths, seed", [([2, 1, 1], 0), ([2, 1, 1], 1), ([2, 1, 2], 0), ([2, 1, 2], 2)])
def test_folded_distance_is_zero_inside_a_region_where_the_unit_is_identically_zero(widths, seed):
    net = bnx.SplineMLP(widths, "relu", "zero_bias", seed=seed, dtype=torch.float64)
    part = bnx.exact_partition(net, 2.0)
    for unit in range(widths[2]):
        zero = part.zero_regions(2, unit)
        assert len(zero) == 1                                          # the half-plane where layer 1 is off
        inside = part.centroids(1)[zero]
        assert net.preactivations(inside, "stored")[1][:, unit].abs().max() == 0
        assert part.folded_hyperplane_distance(inside, 2, unit).max() == 0
        _check_folded_distance(net, seed, 2, unit)


# found by HYPOTHESIS_PROFILE=thorough: h_2,1 = w |h_1,1| touches 0 along h_1,1 = 0 without changing sign;
# that line is in F_2,1 (a facet with boundary False), and the brute force now samples it too
@pytest.mark.parametrize("widths, seed", [([2, 1, 1], 0), ([2, 1, 1], 1), ([2, 2, 1], 1), ([2, 3, 2], 4)])
def test_folded_distance_reaches_a_zero_set_that_only_touches_zero(widths, seed):
    net = bnx.SplineMLP(widths, "abs", "zero_bias", seed=seed, dtype=torch.float64)
    for unit in range(widths[2]):
        _check_folded_distance(net, seed, 2, unit)


def _check_folded_distance(net, seed, layer, unit):
    extent, res = 2.0, 300
    part = bnx.exact_partition(net, extent)
    x = points(30, 2, seed + 1, scale=0.5)
    d, near = part.folded_hyperplane_distance(x, layer, unit, return_nearest=True)
    samples = _zero_set_samples(net, layer, unit, extent, res)
    if len(samples) == 0:
        assert len(part.facets(layer, unit)) == 0 or part.facets(layer, unit).lengths.max() < 4 * extent / res
        return
    brute = torch.cdist(x, samples).min(1).values
    spacing = 2 * extent / (res - 1)
    assert (d <= brute + 1e-9).all()                          # samples lie on F: never nearer than the exact value
    assert (brute <= d + 2 * spacing).all()                   # and they are dense enough to come close
    # the nearest point lies on the zero set
    hn = net.preactivations(near, "stored")[layer - 1][:, unit]
    assert hn.abs().max() <= 1e-7 * max(1.0, net.preactivations(x, "stored")[layer - 1].abs().max().item())


def test_folded_distance_from_a_network_equals_the_partition_method_and_the_first_layer_formula():
    net = bnx.SplineMLP([2, 4, 3], "leaky_relu", "bn", seed=5, dtype=torch.float64).fit_statistics(bnx.data.star(50).double())
    x = points(20, 2, 0, 0.5)
    d_net = bnx.folded_hyperplane_distance(net, x, 2, 1, extent=3.0)
    part = bnx.exact_partition(net, 3.0)
    assert torch.equal(d_net, bnx.folded_hyperplane_distance(part, x, 2, 1))
    # layer 1: F_{1,k} is the line H_{1,k}, eq. (7)
    w, mu = net.weights[0][0], net.mu[0][0]
    eq7 = ((x @ w - mu).abs() / w.norm())
    assert torch.allclose(part.folded_hyperplane_distance(x, 1, 0), eq7, atol=1e-12)


def test_segment_distance_handles_points_on_segments_and_degenerate_segments():
    seg = torch.tensor([[[0.0, 0.0], [1.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]], dtype=torch.float64)
    x = torch.tensor([[0.5, 0.0], [2.0, 3.0], [-1.0, 0.0]], dtype=torch.float64)
    d, near, idx = segment_distance(x, seg)
    assert torch.allclose(d, torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64))
    assert idx.tolist() == [0, 1, 0]
    d, _, idx = segment_distance(x, seg[:0])
    assert torch.isinf(d).all() and (idx == -1).all()


# ------------------------------------------------------------------ density helpers
def _clip_area(poly, x0, x1, y0, y1):
    """Area of a polygon clipped to a box, by plain Sutherland–Hodgman over the box's four sides."""
    pts = [tuple(p) for p in poly]
    for inside, cut in ((lambda p: p[0] >= x0, lambda p, q: (x0, p[1] + (q[1] - p[1]) * (x0 - p[0]) / (q[0] - p[0]))),
                        (lambda p: p[0] <= x1, lambda p, q: (x1, p[1] + (q[1] - p[1]) * (x1 - p[0]) / (q[0] - p[0]))),
                        (lambda p: p[1] >= y0, lambda p, q: (p[0] + (q[0] - p[0]) * (y0 - p[1]) / (q[1] - p[1]), y0)),
                        (lambda p: p[1] <= y1, lambda p, q: (p[0] + (q[0] - p[0]) * (y1 - p[1]) / (q[1] - p[1]), y1))):
        out = []
        for i, p in enumerate(pts):
            q = pts[(i + 1) % len(pts)]
            if inside(p):
                out.append(p)
            if inside(p) != inside(q):
                out.append(cut(p, q))
        pts = out
        if not pts:
            return 0.0
    a = np.array(pts)
    return 0.5 * abs((a[:, 0] * np.roll(a[:, 1], -1) - np.roll(a[:, 0], -1) * a[:, 1]).sum())


def test_region_counts_per_cell_equal_the_regions_meeting_each_cell_with_positive_area():
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", seed=2, dtype=torch.float64).fit_statistics(bnx.data.star(50).double())
    part = bnx.exact_partition(net, 1.5)
    bins = 6
    counts = part.region_counts(bins)
    assert counts.shape == (bins, bins) and counts.sum() >= len(part)
    assert torch.equal(part.region_counts(bins, layer=0), torch.ones(bins, bins, dtype=torch.long))
    edges = np.linspace(-1.5, 1.5, bins + 1)
    polys = part.polygons()
    for i in range(bins):
        for j in range(bins):
            meet = sum(_clip_area(p, edges[j], edges[j + 1], edges[i], edges[i + 1]) > 1e-12 for p in polys)
            assert counts[i, j] == meet, (i, j)


def test_region_counts_of_two_crossing_lines_are_exact():
    part = bnx.exact_partition(_lines([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), 1.0)
    assert part.region_counts(2).tolist() == [[1, 1], [1, 1]]
    assert part.region_counts(4).tolist() == [[1, 1, 1, 1]] * 4
    assert part.region_counts(1).tolist() == [[4]]


def test_facet_counts_count_facets_within_the_radius():
    part = bnx.exact_partition(_lines([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, -0.5, 10.0]), 1.0)
    x = torch.tensor([[0.1, 0.0], [0.9, -0.9]], dtype=torch.float64)
    assert part.facet_counts(x, 0.2, 1).tolist() == [1, 0]
    assert part.facet_counts(x, 0.7, 1).tolist() == [2, 0]
    assert part.facet_counts(x, 1.0, 1).tolist() == [2, 1]
    assert part.facet_counts(x, 100.0, 1).tolist() == [2, 2]        # the third line misses the square
    with pytest.raises(ValueError, match="radius"):
        part.facet_counts(x, 0.0, 1)


# ------------------------------------------------------------------ degenerate input
def test_parallel_and_duplicate_hyperplanes():
    part = bnx.exact_partition(_lines([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 1.0]], [0.0, -0.5, 0.0, 0.0]), 1.0)
    # x = 0 (twice, once scaled), x = 0.5, y = 0: three vertical bands times two
    assert len(part) == 6
    assert len(part.facets(1, 0)) == 1 and len(part.facets(1, 2)) == 1


def test_lines_through_a_common_vertex_and_through_square_corners():
    # three lines through the origin: 6 regions, no slivers; the diagonal passes through two corners
    part = bnx.exact_partition(_lines([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], [0.0, 0.0, 0.0]), 1.0)
    assert len(part) == 6
    assert (part.areas() > 0.1).all()
    assert part.vertices()[1].max() <= 4


def test_bn_layer_is_a_central_arrangement_around_the_data_mean():
    X = bnx.data.star(50).double()
    net = bnx.SplineMLP([2, 7], "relu", "bn", seed=0, dtype=torch.float64).fit_statistics(X)
    assert len(bnx.exact_partition(net, 2.0)) == 14            # 7 lines through one point (Corollary 2)


@pytest.mark.parametrize("sigma", [1e-12, 1e-6, 1e6])
def test_extreme_sigma_keeps_the_partition_exact(sigma):
    X = bnx.data.star(50).double()
    net = bnx.SplineMLP([2, 4, 4], "leaky_relu", "bn", seed=1, dtype=torch.float64).fit_statistics(X)
    s = [v.clone() for v in net.sigma]
    s[0][0] = sigma
    net.set_statistics(sigma=s)
    part = bnx.exact_partition(net, 2.0)
    x = _interior_samples(part, 4, 0)
    assert torch.equal(net.signs(x, "stored"), part.signs().repeat_interleave(4, 0))
    assert torch.isclose(part.areas().sum(), torch.tensor(16.0, dtype=torch.float64))


def test_zero_weight_rows_and_units_that_never_cross_the_square():
    W = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    net = bnx.SplineMLP.from_weights([W, torch.ones(2, 3, dtype=torch.float64)], "relu", "random_bias",
                                     biases=[torch.tensor([1.0, 0.0, 50.0]), torch.tensor([-0.3, 0.2])],
                                     dtype=torch.float64)
    part = bnx.exact_partition(net, 1.0)
    assert part.num_regions[1] == 2
    assert len(part.facets(1, 0)) == 0 and len(part.facets(1, 2)) == 0
    x = _interior_samples(part, 5, 1)
    assert torch.equal(net.signs(x, "stored"), part.signs().repeat_interleave(5, 0))


def test_a_zero_set_that_only_touches_a_vertex_is_a_point_facet():
    # h_2 = |x| + |y| − 0 with abs units: the folded hyperplane is the single point 0
    W1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    net = bnx.SplineMLP.from_weights([W1, torch.ones(1, 2, dtype=torch.float64)], "abs", "zero_bias",
                                     dtype=torch.float64)
    part = bnx.exact_partition(net, 1.0)
    f = part.facets(2, 0)
    assert len(f) >= 1 and f.lengths.max() == 0
    x = torch.tensor([[0.3, 0.4]], dtype=torch.float64)
    assert torch.allclose(part.folded_hyperplane_distance(x, 2, 0), torch.tensor([0.5], dtype=torch.float64))


def test_same_input_gives_the_same_partition():
    net = bnx.SplineMLP([2, 8, 8, 8], "leaky_relu", "random_bias", seed=4, dtype=torch.float64)
    a, b = bnx.exact_partition(net, 2.0), bnx.exact_partition(net, 2.0)
    assert torch.equal(a.vertices()[0], b.vertices()[0]) and torch.equal(a.signs(), b.signs())
    assert torch.equal(a.facets(3).segments, b.facets(3).segments)


def test_float32_networks_are_cut_in_float64():
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "bn", seed=0).fit_statistics(bnx.data.star(50))
    part = bnx.exact_partition(net, 1.5)
    assert part.vertices()[0].dtype == torch.float64
    # the same float32-rounded lines cut in float64 with float64's tolerance give the same regions
    assert len(bnx.exact_partition(net, 1.5, tolerance=bnx.partition.EPS)) == len(bnx.exact_partition(net.to(torch.float64), 1.5))


# ------------------------------------------------------------------ bad input
def test_bad_input_raises_clear_errors():
    net = bnx.SplineMLP([2, 3, 3], "relu", "random_bias", seed=0, dtype=torch.float64)
    with pytest.raises(ValueError, match="2-D input"):
        bnx.exact_partition(bnx.SplineMLP([3, 4], "relu", "random_bias"), 1.0)
    with pytest.raises(ValueError, match="statistics are not set"):
        bnx.exact_partition(bnx.SplineMLP([2, 4], "relu", "bn"), 1.0)
    with pytest.raises(ValueError, match="batch"):
        bnx.exact_partition(bnx.SplineMLP([2, 4], "relu", "bn"), 1.0, batch=torch.zeros(1, 2))
    with pytest.raises(ValueError, match="NaN"):
        bnx.exact_partition(bnx.SplineMLP([2, 4], "relu", "bn"), 1.0, batch=torch.full((4, 2), float("nan")))
    with pytest.raises(ValueError, match="extent"):
        bnx.exact_partition(net, (1.0, 0.0, 0.0, 1.0))
    with pytest.raises(TypeError, match="extent"):
        bnx.exact_partition(net, "big")
    with pytest.raises(TypeError, match="net"):
        bnx.exact_partition("not a net", 1.0)
    part = bnx.exact_partition(net, 1.0)
    with pytest.raises(ValueError, match="layer must be an int in 1..2"):
        part.facets(3)
    with pytest.raises(ValueError, match="unit must be an int in 0..2"):
        part.folded_hyperplane_distance(torch.zeros(2, 2), 1, 3)
    with pytest.raises(ValueError, match="x must have 2 columns"):
        part.folded_hyperplane_distance(torch.zeros(2, 3), 1, 0)
    with pytest.raises(ValueError, match="NaN"):
        part.region_of(torch.tensor([[float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="bins"):
        part.region_counts(0)


# ------------------------------------------------------------------ nn.Sequential and residual blocks
def _hooked_preactivations(model, x):
    """Inputs of every activation module, recorded by forward hooks (independent of run_steps)."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach().double()))
             for m in model.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.PReLU, bnx.Abs))]
    out = model(x)
    for hk in hooks:
        hk.remove()
    return seen, out


def _sequential(seed, residual=True):
    torch.manual_seed(seed)
    block = nn.Sequential(nn.Linear(5, 5), nn.BatchNorm1d(5), nn.LeakyReLU(0.2))
    layers = [nn.Linear(2, 5), nn.BatchNorm1d(5), nn.ReLU()]
    layers += [bnx.Residual(block)] if residual else [block]
    layers += [bnx.Residual(nn.Sequential(nn.Linear(5, 4), bnx.Abs()), shortcut=nn.Linear(5, 4)), nn.Linear(4, 1)]
    model = nn.Sequential(*layers).double()
    with torch.no_grad():                                   # non-trivial running statistics
        model.train()
        for _ in range(3):
            model(torch.randn(64, 2, dtype=torch.float64))
    return model.eval()


@pytest.mark.parametrize("residual", [True, False])
def test_sequential_partition_matches_the_model_in_eval_mode(residual):
    model = _sequential(0, residual)
    part = bnx.exact_partition(model, 2.0)
    assert part.widths == [2, 5, 5, 4]
    x = _interior_samples(part, 5, 0)
    region = torch.arange(len(part)).repeat_interleave(5)
    pre, out = _hooked_preactivations(model, x)
    assert torch.equal(torch.cat([h >= 0 for h in pre], 1), part.signs()[region])
    A, B = part.affine_maps()
    assert torch.allclose((A[region] @ x[..., None]).squeeze(-1) + B[region], out, atol=1e-10)


def test_sequential_partition_under_a_mini_batch_uses_its_statistics_and_leaves_running_ones():
    model = _sequential(1)
    batch = points(32, 2, 7)
    running = [m.running_mean.clone() for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    part = bnx.exact_partition(model, 2.0, batch=batch)
    assert all(torch.equal(a, m.running_mean) for a, m in
               zip(running, [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]))
    x = _interior_samples(part, 3, 0)
    region = torch.arange(len(part)).repeat_interleave(3)
    # the model in training mode, fed batch and x together but normalized with the batch alone:
    # evaluate x with the statistics of batch by hooking BN to reuse them
    train = _sequential(1)
    stats = {}

    def remember(m, inp, out):
        z = inp[0][:len(batch)]
        stats[m] = (z.mean(0), z.var(0, unbiased=False))
    for m in train.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.register_forward_hook(remember)
    train.train()
    with torch.no_grad():
        train(batch)
    for m, (mean, var) in stats.items():
        m.running_mean.copy_(mean)
        m.running_var.copy_(var)
    train.eval()
    pre, out = _hooked_preactivations(train, x)
    assert torch.equal(torch.cat([h >= 0 for h in pre], 1), part.signs()[region])
    A, B = part.affine_maps()
    assert torch.allclose((A[region] @ x[..., None]).squeeze(-1) + B[region], out, atol=1e-9)


def test_spline_mlp_partition_under_a_mini_batch_matches_batch_statistics():
    net = bnx.SplineMLP([2, 5, 5], "leaky_relu", "bn", seed=3, dtype=torch.float64)
    batch = points(16, 2, 3)
    part = bnx.exact_partition(net, 2.0, batch=batch)
    ref = bnx.SplineMLP([2, 5, 5], "leaky_relu", "bn", seed=3, dtype=torch.float64).fit_statistics(batch)
    assert part.num_regions == bnx.exact_partition(ref, 2.0).num_regions
    assert not net.statistics_set()


def test_spline_mlp_and_its_sequential_twin_have_the_same_partition():
    net = bnx.SplineMLP([2, 6, 6], "leaky_relu", "random_bias", alpha=0.2, out_features=1, seed=8, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(2, 6), nn.LeakyReLU(0.2), nn.Linear(6, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1)).double()
    with torch.no_grad():
        for lin, layer in zip([model[0], model[2]], net.layers):
            lin.weight.copy_(layer.weight)
            lin.bias.copy_(layer.norm.bias)
        model[4].weight.copy_(net.readout.weight)
        model[4].bias.copy_(net.readout.bias)
    a, b = bnx.exact_partition(net, 2.0), bnx.exact_partition(model, 2.0)
    assert a.num_regions == b.num_regions
    assert torch.allclose(a.vertices()[0], b.vertices()[0]) and torch.allclose(a.affine_maps()[0], b.affine_maps()[0])


def test_unsupported_modules_and_mismatched_widths_raise():
    with pytest.raises(TypeError, match="Tanh"):
        bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), nn.Tanh()), 1.0)
    with pytest.raises(ValueError, match="expects 4 inputs but receives 3"):
        bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)), 1.0)
    with pytest.raises(ValueError, match="shortcut"):
        bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), bnx.Residual(nn.Linear(3, 4))), 1.0)
    with pytest.raises(TypeError, match="shortcut must be affine"):
        bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), bnx.Residual(nn.Linear(3, 4),
                                                                        nn.Sequential(nn.Linear(3, 4), nn.ReLU()))), 1.0)
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    with pytest.raises(ValueError, match="batch="):
        bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), bn, nn.ReLU()), 1.0)
    assert len(bnx.exact_partition(nn.Sequential(nn.Linear(2, 3), bn, nn.ReLU()), 1.0, batch=points(8, 2, 0))) >= 1


def test_a_larger_tolerance_merges_the_crossings_float32_rounding_spreads_apart():
    X = bnx.data.star(50)
    net = bnx.SplineMLP([2, 6], "leaky_relu", "bn", seed=0)
    net.set_statistics(*net.statistics_of(X))        # statistics given in float32 only (fit_statistics keeps float64)
    assert len(bnx.exact_partition(net, 1.5, tolerance=bnx.partition.EPS)) > 12               # tiny triangles near the mean
    assert len(bnx.exact_partition(net, 1.5, tolerance=1e-6)) == 12                 # the central arrangement
    assert len(bnx.exact_partition(net, 1.5)) == 12                                 # float32's default merges them
    assert bnx.partition.working_tolerance(net) == pytest.approx(torch.finfo(torch.float32).eps)
    assert bnx.partition.working_tolerance(net.to(torch.float64)) == bnx.partition.EPS
    for bad in (-1.0, 0.5, True, "1e-6"):
        with pytest.raises(ValueError, match="tolerance"):
            bnx.exact_partition(net, 1.5, tolerance=bad)


def test_the_readme_example_has_the_same_region_counts_in_float32_and_float64():
    """Six BN lines through the data mean make 12 regions (Corollary 2), whatever the dtype."""
    X = bnx.data.star(50)
    for dtype in (torch.float32, torch.float64):
        net = bnx.SplineMLP([2, 6, 6, 6, 6], "leaky_relu", mode="bn", seed=0, dtype=dtype).fit_statistics(X.to(dtype))
        assert bnx.exact_partition(net, 1.5).num_regions == [1, 12, 84, 254, 542]
        # not by float32's tolerance merging slivers: the statistics are kept in float64
        assert bnx.exact_partition(net, 1.5, tolerance=bnx.partition.EPS).num_regions == [1, 12, 84, 254, 542]


@pytest.mark.parametrize("seed", range(3))
def test_a_default_init_sequential_has_the_same_regions_in_float32_and_float64(seed):
    """Float32's tolerance merges only rounding: a generic arrangement loses no genuine region."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    assert bnx.exact_partition(model, 3.0).num_regions == bnx.exact_partition(model.double(), 3.0).num_regions


@pytest.mark.parametrize("seed", range(4))
def test_region_counts_do_not_depend_on_the_networks_dtype(seed):
    """Seed 0 was a known failure while a float32 network kept its BN means in float32 only: their
    rounding spread five concurrent lines by more than one ε. The float64 statistics it now keeps
    (computed from the same float32 weights) meet in one point, with or without float32's tolerance."""
    X = bnx.data.star(40)
    counts = []
    for dtype in (torch.float32, torch.float64):
        net = bnx.SplineMLP([2, 5, 5, 5], "relu", mode="bn", seed=seed, dtype=dtype).fit_statistics(X.to(dtype))
        counts.append(bnx.exact_partition(net, 2.0).num_regions)
        counts.append(bnx.exact_partition(net, 2.0, tolerance=bnx.partition.EPS).num_regions)
    assert counts[0] == counts[1] == counts[2] == counts[3]


@given(net=networks(d0=2, max_depth=3, max_width=6, modes=st.just("bn")), seed=seeds)
def test_a_bn_network_has_the_same_exact_partition_in_float32_and_float64(net, seed):
    """The same weights (rounded to float32) and data: the fitted BN lines stay concurrent in float32."""
    X = points(40, 2, seed)
    counts = []
    for dtype in (torch.float32, torch.float64):
        twin = copy.deepcopy(net).to(dtype)
        with torch.no_grad():                                    # identical weights in both dtypes
            for a in twin.layers:
                a.weight.copy_(a.weight.to(torch.float32))
            if twin.readout is not None:
                twin.readout.weight.copy_(twin.readout.weight.to(torch.float32))
        try:
            twin.fit_statistics(X.to(dtype))
        except ValueError:                                       # a unit constant on X (σ = 0)
            assume(False)
        counts.append(bnx.exact_partition(twin, 2.0, tolerance=bnx.partition.EPS).num_regions)
    assert counts[0] == counts[1]


# ------------------------------------------------------------------ junctions (Theorem 3's geometry)
@given(net=networks(d0=2, max_depth=3, max_width=6, activations=st.sampled_from(["leaky_relu", "abs"])), seed=seeds)
def test_facet_junctions_meet_on_a_boundary_between_regions_differing_in_one_code(net, seed):
    fitted(net, seed)
    part = bnx.exact_partition(net, 2.0)
    for layer in range(2, net.depth + 1):
        for unit in range(net.widths[layer]):
            f, J = part.facets(layer, unit), part.facet_junctions(layer, unit)
            if len(J) == 0:
                continue
            p = J.point
            for idx in (J.first, J.second):                       # the point is on both facets' lines
                assert (((f.normal[idx] * p).sum(-1) + f.offset[idx]).abs()
                        <= 1e-8 * (f.normal[idx].norm(dim=-1) * 2 + f.offset[idx].abs()).clamp_min(1)).all()
            inner = J.boundary_layer > 0
            signs = part.signs(of=layer - 1)
            diff = signs[f.region[J.first]] != signs[f.region[J.second]]
            # across an edge (not a vertex) the two regions differ in exactly the boundary unit's sign
            assert (diff[inner].sum(1) == 1).all()
            glob = torch.tensor([part._offsets[int(l) - 1] for l in J.boundary_layer[inner]], dtype=torch.long) \
                + J.boundary_unit[inner]
            assert diff[inner].float().argmax(1).equal(glob)
            # the boundary normal is that unit's gradient there: h_{j,i}(point) = 0
            assert (J.boundary_normal[inner].norm(dim=-1) > 0).all()


def test_two_layer_junctions_reproduce_the_angle_of_eq_26():
    net = bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", seed=0, dtype=torch.float64).fit_statistics(bnx.data.star(50).double())
    part = bnx.exact_partition(net, 1.5)
    f, J = part.facets(2, 3), part.facet_junctions(2, 3)
    assert len(J) > 3 and (J.boundary_layer == 1).all()
    d1 = f.segments[J.first, 1] - f.segments[J.first, 0]
    d2 = f.segments[J.second, 1] - f.segments[J.second, 0]
    measured = (d1 * d2).sum(-1).abs() / (d1.norm(dim=-1) * d2.norm(dim=-1))
    # eq. (26) with Q_1 of both regions, w_{2,k}^T Q_1 W_1 / σ (the facets' normals from the codes)
    W1, W2 = net.weights[0] / net.sigma[0][:, None], net.weights[1][3] / net.sigma[1][3]
    q = part.codes(1, of=1)
    n1, n2 = (W2 * q[f.region[J.first]]) @ W1, (W2 * q[f.region[J.second]]) @ W1
    formula = (n1 * n2).sum(-1).abs() / (n1.norm(dim=-1) * n2.norm(dim=-1))
    assert torch.allclose(measured, formula, atol=1e-9)


# ------------------------------------------------------------------ drawing
def test_drawing_helpers_draw_every_region_and_facet():
    import matplotlib.pyplot as plt

    X = bnx.data.star(30)
    net = bnx.SplineMLP([2, 5, 5], "leaky_relu", "bn", seed=0).fit_statistics(X)
    part = bnx.exact_partition(net, bnx.data_extent(X))
    fig, ax = plt.subplots()
    pc = bnx.plotting.draw_regions(ax, part, values=part.areas())
    assert len(pc.get_paths()) == len(part)
    lc = bnx.plotting.draw_facets(ax, part, 2, 1)
    assert len(lc.get_segments()) == len(part.facets(2, 1))
    with pytest.raises(ValueError, match="values must have shape"):
        bnx.plotting.draw_regions(ax, part, values=[1.0])
    im = bnx.plotting.draw_region_counts(ax, part, 8)
    assert im.get_array().shape == (8, 8)
    axes = bnx.plotting.plot_exact_partition(part, X, highlight=(1, 0))
    assert len(axes) == 2 and "regions" in axes[1].get_title()
    plt.close("all")


# ------------------------------------------------------------------ degenerate zero sets
# Where h_2,1 is 0 along the line h_1,1 = 0 of a zero-bias net, it changes code there or not (found by
# HYPOTHESIS_PROFILE=thorough on abs [2, 1, 1]): the line is in F_2,1 (eq. 12), and it is on the partition
# boundary, counted by the concentration, exactly when the code h ≥ 0 differs on its two sides.
@pytest.mark.parametrize("activation, seed", [("abs", 0), ("abs", 1), ("leaky_relu", 0), ("leaky_relu", 1),
                                              ("relu", 0), ("relu", 1)])
def test_a_facet_is_on_the_boundary_where_the_units_code_changes_across_it(activation, seed):
    from bnexplained import density as D

    net = bnx.SplineMLP([2, 1, 1], activation, "zero_bias", seed=seed, dtype=torch.float64)
    part = bnx.exact_partition(net, 2.0)
    f = part.facets(2, 0)
    # independent: the code on either side of the line ⟨w_1, x⟩ = 0, from forward passes
    w = net.weights[0][0].detach()
    n = w / w.norm()
    on = torch.linspace(-1.5, 1.5, 31, dtype=torch.float64)[:, None] * torch.stack([-n[1], n[0]])
    h = lambda x: net.preactivations(x, "stored")[1][:, 0]                                  # noqa: E731
    flips = (h(on + 1e-3 * n) >= 0) != (h(on - 1e-3 * n) >= 0)
    assert flips.all() or not flips.any()
    assert len(f) >= 1 and (f.lengths > 1).all()
    assert f.boundary.tolist() == [bool(flips[0])] * len(f)
    assert part.folded_hyperplane_distance(on, 2, 0).max() < 1e-12                     # on F either way
    units, facets = D.exact_concentration(part, on, 0.05)
    assert (units[:, 1] == int(flips[0])).all()
    assert (part.facet_counts(on, 0.05, 2) == facets[:, 1]).all()


def test_a_zero_set_that_is_one_point_is_no_boundary():
    """Abs, zero bias, w_2 < 0: h_2,1 < 0 except at the origin, where every region of layer 1 has a
    one-point facet; none is on the boundary, and no grid count sees one (the grid's pixel at the
    origin, where every h is exactly 0, takes the code of the region next to it)."""
    net = bnx.SplineMLP([2, 2, 1], "abs", "zero_bias", seed=0, dtype=torch.float64)
    assert (net.weights[1] < 0).all()
    part = bnx.exact_partition(net, 1.0)
    f = part.facets(2, 0)
    assert len(f) == 4 and (f.lengths == 0).all() and not f.boundary.any()
    grid = bnx.partition_boundaries(net, 1.0, 5)
    assert (grid.grid.points == 0).all(1).any()                                      # a pixel at the origin
    assert not grid.boundaries[1].any()
    conc = bnx.facet_concentration(net, 1.0, 0.2, resolution=21)
    assert conc.counts[1].sum() == 0
    # and where the same unit has w_2 > 0 somewhere, the lines through the origin are counted
    other = bnx.SplineMLP.from_weights([net.weights[0].detach(), torch.tensor([[1.0, -1.0]], dtype=torch.float64)],
                                       "abs", "zero_bias", dtype=torch.float64)
    assert bnx.exact_partition(other, 1.0).facets(2, 0).boundary.any()
    assert bnx.facet_concentration(other, 1.0, 0.2, resolution=21).counts[1].sum() > 0


def _sequential_cut(square, normals, offsets, tol):
    """Reference for the order of regions: cut every piece by line 1, then every piece by line 2, …;
    a split keeps the positive piece in its place and appends the negative one (plain NumPy)."""
    def side(P, s, sign):
        out = []
        for i in range(len(P)):
            j = (i + 1) % len(P)
            if sign * s[i] >= -tol:
                out.append(P[i])
            if (s[i] > tol and s[j] < -tol) or (s[i] < -tol and s[j] > tol):
                out.append(P[i] + s[i] / (s[i] - s[j]) * (P[j] - P[i]))
        return np.array(out)
    polys = [square]
    for a, c in zip(normals, offsets):
        new = list(polys)
        for i, P in enumerate(polys):
            s = P @ a + c
            if s.max() > tol and s.min() < -tol:
                new[i] = side(P, s, 1)
                new.append(side(P, s, -1))
        polys = new
    return polys


@pytest.mark.parametrize("D, seed", [(70, 0), (130, 1)])
def test_many_lines_keep_the_order_of_cutting_piece_by_piece(D, seed):
    """More units than one 62-bit word of the cutting order: the same polygons, in the same order,
    as cutting every piece by each unit in turn (the order the plots colour regions by)."""
    g = np.random.default_rng(seed)
    angles = 0.3 + 0.25 * np.sort(g.uniform(0, 1, D))                     # few crossings inside the square
    normals = np.stack([np.cos(angles), np.sin(angles)], 1)
    offsets = g.uniform(-0.9, 0.9, D)
    part = bnx.exact_partition(_lines(normals, offsets), 1.0)
    square = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    ref = _sequential_cut(square, normals, offsets, 1e-9)
    polys = part.polygons(1)
    assert len(polys) == len(ref) > 2 * D
    for P, Q in zip(polys, ref):
        assert P.shape == Q.shape and np.allclose(P, Q, atol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
def test_the_torch_calls_that_cuda_runs_give_the_oracles_answers_on_the_cpu(activation, monkeypatch):
    """On the CPU the cut runs on NumPy arrays; elsewhere (CUDA) the same code runs on torch tensors.
    Forced onto the torch calls here, the partition still matches the plain cut, region by region
    and in order, and each region's code and map are the network's own at points inside it."""
    from bnexplained.partition import exact

    monkeypatch.setattr(exact, "_ops", exact._TorchOps)
    test_many_lines_keep_the_order_of_cutting_piece_by_piece(70, 0)
    net = fitted(bnx.SplineMLP([2, 7, 7, 1], activation, seed=3, dtype=torch.float64), 3)
    part = bnx.exact_partition(net, 2.0)
    assert part.num_regions[-1] > 20
    x = _interior_samples(part, 4, 0)
    region = torch.arange(len(part)).repeat_interleave(4)
    assert torch.equal(net.signs(x, "stored"), part.signs()[region])
    A, B = part.affine_maps()
    f = net(x, "stored")
    assert ((A[region] @ x[..., None]).squeeze(-1) + B[region] - f).abs().max() <= 1e-9 * max(1.0, f.abs().max().item())
    assert torch.isclose(part.areas().sum(), torch.tensor(16.0, dtype=torch.float64))
    for layer in range(1, net.depth + 1):                 # facet ends on their unit's zero set (the network's)
        f = part.facets(layer)
        ends = f.segments.reshape(-1, 2)
        pre = net.preactivations(ends, "stored")[layer - 1]
        h = pre.gather(1, f.unit.repeat_interleave(2)[:, None]).squeeze(1)
        assert len(f) > 0 and (h.abs() <= 1e-8 * max(1.0, pre.abs().max().item())).all()
