"""Drawing: data, (folded) hyperplanes, partitions, and scrubbable animations for the static page.

``core`` holds the shared pieces (colours, ``draw_data``, ``draw_lines``, ``plot_partition``,
``scrubbable``); each later idea adds a module here and lists its public names below, so that they
appear in ``bnx.plotting`` directly (``tests/test_packages.py`` checks that no two modules export the
same name and that every module's ``__all__`` is imported here). Drawing depends on geometry, never
the reverse.
"""
from .core import (
    BLUE, GREY, RED, draw_data, draw_layer, draw_lines, plot_bn_comparison, plot_partition, scrubbable, style_axes,
)
from .density import (
    SETTING_COLORS, SETTING_LABELS, draw_concentration, html_table, plot_ball_counts, plot_concentration,
    plot_image_concentration, plot_settings,
)
from .exact import draw_facets, draw_region_counts, draw_regions, plot_exact_partition
from .jitter import (
    CLASS_COLORS, draw_boundary_draws, draw_labelled_data, plot_boundary_draws, plot_figure7,
    plot_margin_distributions, plot_margin_experiment,
)
from .many_layers import (
    FoldingFigure, TranslationFigure, draw_folding, draw_tls_colored, draw_translation, plot_crossing,
    plot_fold_curves, plot_tls_layers,
)
from .one_layer import (
    draw_arrangement_regions, draw_hyperplanes, draw_tls_curves, plot_arrangements, plot_gamma_identity, unit_colors,
)
from .parameters import plot_affine_comparison
from .power import plot_power_diagram
from .smart_init import (
    CLASS_COLOURS, INIT_COLOURS, INIT_LABELS, draw_classes, draw_initialization, plot_initializations,
    plot_learning_curves, plot_one_sided_rates,
)

__all__ = [
    # core
    "BLUE", "GREY", "RED", "draw_data", "draw_lines", "draw_layer", "plot_partition", "plot_bn_comparison",
    "scrubbable", "style_axes",
    # density
    "SETTING_LABELS", "SETTING_COLORS", "draw_concentration", "plot_concentration", "plot_settings",
    "plot_image_concentration", "plot_ball_counts", "html_table",
    # exact
    "draw_regions", "draw_facets", "draw_region_counts", "plot_exact_partition",
    # jitter
    "CLASS_COLORS", "plot_figure7", "draw_labelled_data", "draw_boundary_draws", "plot_boundary_draws",
    "plot_margin_distributions", "plot_margin_experiment",
    # many_layers
    "TranslationFigure", "FoldingFigure", "draw_translation", "draw_folding", "draw_tls_colored", "plot_fold_curves",
    "plot_tls_layers", "plot_crossing",
    # one_layer
    "unit_colors", "draw_hyperplanes", "draw_arrangement_regions", "plot_arrangements", "draw_tls_curves",
    "plot_gamma_identity",
    # parameters
    "plot_affine_comparison",
    # power
    "plot_power_diagram",
    # smart_init
    "INIT_COLOURS", "INIT_LABELS", "CLASS_COLOURS", "draw_classes", "draw_initialization", "plot_initializations",
    "plot_learning_curves", "plot_one_sided_rates",
]
