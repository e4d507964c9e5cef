"""The spline partition of a 2-D input space (eqs. (10)–(12), Appendix A).

* ``extent`` – the one extent type (``Extent``, ``as_extent``, ``data_extent``), normalized once
* ``grid``   – the partition sampled on a grid: boundaries, folded hyperplanes and zero sets traced
* ``exact``  – the exact partition: convex polygons, codes, affine maps, facets, distances
* ``power``  – each layer's cells as a power diagram (Appendix A, eqs. (19)–(22))
"""
from .exact import (
    EPS, Facets, Junctions, Partition, clip_lines, exact_partition, folded_hyperplane_distance, segment_distance,
    segments_within, working_tolerance,
)
from .extent import Extent, as_extent, data_extent
from .grid import (
    Grid, GridPartition, folded_hyperplane_lines, grid_preactivations, inscribed_radius, make_grid,
    partition_boundaries, zero_set_lines,
)
from .power import power_codes, power_distances, power_sites

__all__ = [
    "EPS", "Extent", "Facets", "Grid", "GridPartition", "Junctions", "Partition", "as_extent", "clip_lines",
    "data_extent", "exact_partition", "folded_hyperplane_distance", "folded_hyperplane_lines", "grid_preactivations",
    "inscribed_radius", "make_grid", "partition_boundaries", "power_codes", "power_distances", "power_sites",
    "segment_distance", "segments_within", "working_tolerance", "zero_set_lines",
]
