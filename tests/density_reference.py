"""Brute-force exact facets F_{j,k,ω} (eq. 11) of a small 2-D SplineMLP, by splitting convex polygons.

A test-only reference (float64, NumPy): the regions of layers 1..j−1 are clipped polygon by polygon,
so every facet is an exact segment. Used to validate the grid counts and the estimators of
`bnexplained.density`.
"""
import numpy as np
import torch


def _clip(poly, a, b, c, keep_positive):
    """Part of convex polygon (M,2) where a x + b y + c >= 0 (or <= 0)."""
    v = poly @ np.array([a, b]) + c
    if not keep_positive:
        v = -v
    out = []
    M = len(poly)
    for i in range(M):
        p, q, vp, vq = poly[i], poly[(i + 1) % M], v[i], v[(i + 1) % M]
        if vp >= 0:
            out.append(p)
        if (vp >= 0) != (vq >= 0):
            t = vp / (vp - vq)
            out.append(p + t * (q - p))
    return np.array(out) if len(out) >= 3 else None


def _line_in_poly(poly, a, b, c):
    """Segment of the line a x + b y + c = 0 inside the convex polygon, or None."""
    v = poly @ np.array([a, b]) + c
    pts = []
    M = len(poly)
    for i in range(M):
        p, q, vp, vq = poly[i], poly[(i + 1) % M], v[i], v[(i + 1) % M]
        if vp == 0:
            pts.append(p)
        elif (vp > 0) != (vq > 0) and vq != 0:
            t = vp / (vp - vq)
            pts.append(p + t * (q - p))
    if len(pts) < 2:
        return None
    pts = np.array(pts)
    return pts[0], pts[-1]


def exact_facets(net, half):
    """List of (layer j 1-based, unit k, region id, p0, p1) for every facet F_{j,k,ω} inside [-half, half]^2."""
    layers = []
    for layer in net.layers:
        w = layer.weight.detach().double().numpy()
        s, t = layer.norm.scale_shift(torch.zeros(1, w.shape[0], dtype=layer.weight.dtype), "stored")
        layers.append((s.detach().double().numpy()[:, None] * w, t.detach().double().numpy()))
    slope = net.slope
    square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], dtype=float)
    regions = [(square, np.eye(2), np.zeros(2))]          # polygon, A, B with z_{j-1} = A x + B
    facets = []
    for j, (W, t) in enumerate(layers, start=1):
        new = []
        for rid, (poly, A, B) in enumerate(regions):
            G, g = W @ A, W @ B + t                         # h_j = G x + g on this region
            for k in range(len(g)):
                seg = _line_in_poly(poly, G[k, 0], G[k, 1], g[k])
                if seg is not None and np.linalg.norm(seg[1] - seg[0]) > 1e-12:
                    facets.append((j, k, rid, seg[0], seg[1]))
            pieces = [(poly, np.ones(len(g)))]
            for k in range(len(g)):
                nxt = []
                for pc, q in pieces:
                    for pos in (True, False):
                        cp = _clip(pc, G[k, 0], G[k, 1], g[k], pos)
                        if cp is not None:
                            qq = q.copy()
                            qq[k] = 1.0 if pos else slope
                            nxt.append((cp, qq))
                pieces = nxt
            for pc, q in pieces:
                new.append((pc, q[:, None] * G, q * g))
        regions = new
    return facets


def exact_counts(facets, points, eps, depth):
    """(units, facets) counts per point and layer: arrays (N, depth)."""
    points = np.asarray(points, dtype=float)
    N = len(points)
    units = np.zeros((N, depth), int)
    fc = np.zeros((N, depth), int)
    if not facets:
        return units, fc
    J = np.array([f[0] for f in facets]); K = np.array([f[1] for f in facets])
    P0 = np.array([f[3] for f in facets]); P1 = np.array([f[4] for f in facets])
    d = P1 - P0
    for n, x in enumerate(points):
        tt = np.clip(((x - P0) * d).sum(1) / (d * d).sum(1), 0, 1)
        dist = np.linalg.norm(P0 + tt[:, None] * d - x, axis=1)
        hit = dist < eps
        for j in range(1, depth + 1):
            sel = hit & (J == j)
            fc[n, j - 1] = sel.sum()
            units[n, j - 1] = len(set(K[sel]))
    return units, fc
