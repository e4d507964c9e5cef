"""Drawing: data, (folded) hyperplanes, partitions, and scrubbable animations for the static page.

``core`` holds the shared pieces (colours, ``draw_data``, ``draw_lines``, ``plot_partition``,
``scrubbable``); each later idea adds a module here, and its public names appear in
``bnx.plotting`` directly. Drawing depends on geometry, never the reverse.
"""
from .._reexport import reexport

__all__ = reexport(__name__, __path__, globals(), first=("core",))
