"""The one dashboard protocol: controls, scene, move, draw, and a static export for the website.

A dashboard is a set of ipywidgets controls over one matplotlib picture. A subclass says

* ``scene(**values)``: a hashable key for the part of the picture the values share (the static
  background: axes, data, curves). The default key is every value, i.e. the whole picture is
  redrawn on each move, which suits dashboards whose every control changes everything;
* ``build(fig, **values)``: draw that scene on the empty ``fig``; return the artists ``move``
  changes (none when nothing moves within a scene);
* ``move(fig, artists, **values)``: update those artists for ``values``; return the readout (HTML);
* ``alt(**values)``: one sentence saying what the picture shows (the image's alt text).

A control move then costs one ``move`` plus blitting: the scene is rendered once and kept as
pixels, each move pastes them back, draws the moving artists and encodes the PNG
(:meth:`Dashboard.render`, cached per set of values). ``draw(fig, **values)`` makes the complete
picture on any figure, so kernel-free animations (:func:`bnexplained.plotting.scrubbable`) reuse
the same code.

**On the website** (a saved notebook, no kernel) only the controls named in ``website`` work:
every option of each is rendered when the dashboard is displayed and kept in a stack of images
(``ipywidgets.Stack``, one level per control), whose shown child follows the control's ``index``
through ``jslink``, in the browser. The other controls and the buttons carry the class
``bnx-needs-kernel``: the book's build (``book/_ext/static_widgets.py``) saves them disabled and
shows the dashboard's ``note`` line, which points to Colab. In a live kernel nothing is disabled
and every move redraws the shown picture. ipywidgets 7 (Colab) has no ``Stack``: there the
dashboard shows a single picture, redrawn on each move.
"""
from __future__ import annotations

import base64
import gc
import html
import io
from collections import OrderedDict

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..device import single_thread

__all__ = ["Dashboard"]

NEEDS_KERNEL = "bnx-needs-kernel"      # controls saved disabled on the website
STATIC_NOTE = "bnx-static-note"        # the line shown in their place on the website
_FIGURES = 6                           # scenes kept rendered (a full-redraw dashboard reuses one)
_PICTURES = 96                         # PNGs kept per dashboard (every website state fits)


class Dashboard:
    """Controls + a picture; subclasses implement ``build``, ``move`` (and ``scene``, ``alt``).

    ``controls`` maps names to ipywidgets controls; ``buttons`` are extra widgets shown after them
    (they act through the controls). ``website`` names at most two controls with an ``index``
    (a ``SelectionSlider``, ``ToggleButtons`` or ``Dropdown``) whose options are precomputed for the
    kernel-free page; ``note`` says what the other controls need.
    """

    website: tuple = ()
    prebuilt: tuple = ()      # controls whose every option's scene is built at construction
    scenes: int = _FIGURES    # scenes kept rendered; 1 for a dashboard whose scene is every value
    keep_axes: bool = False   # a new scene reuses the figure's axes (``self.axes``), their artists removed

    def __init__(self, controls: dict, *, figsize=(6, 3), dpi: int = 80, buttons=(), note: str | None = None):
        if len(self.website) > 2:
            raise ValueError(f"at most two website controls (their product is precomputed), got {self.website}")
        for name in self.website:
            if not hasattr(controls[name], "index"):
                raise TypeError(f"website control {name!r} must have options and an index (e.g. SelectionSlider)")
        self.controls = controls
        self.buttons = list(buttons)
        self.figsize, self.dpi = tuple(figsize), dpi
        self.width = int(round(figsize[0] * dpi))
        self._scene_figs: OrderedDict = OrderedDict()
        self._spare_figs: list = []             # figures of forgotten scenes, reused by the next ones
        self._png_cache: OrderedDict = OrderedDict()
        self._leaves: dict = {}
        self.links: list = []                 # the browser-side links from website controls to stacks
        self._holding = False
        self.readout = W.HTML()
        self.pane = self._leaf()              # replaced by a stack of states on display (ipywidgets 8)
        kernel_only = [c for n, c in controls.items() if n not in self.website] + self.buttons
        for widget in kernel_only:
            widget.add_class(NEEDS_KERNEL)
        if note is None and kernel_only:
            works = ", ".join(self._label(n) for n in self.website) or "nothing"
            note = (f"On the website only {works} move{'s' if len(self.website) == 1 else ''} the picture "
                    "(precomputed); the other controls need Python: open this page in Colab "
                    "(rocket button at the top).")
        self.note = W.HTML(value="", placeholder=note or "")
        self.note.add_class(STATIC_NOTE)
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.update()
        self._prebuild()
        _settle_memory()

    def _prebuild(self) -> None:
        """Build the scene of every option of the ``prebuilt`` controls now, so no move builds one."""
        values = self.values
        keys = {self.scene(**self.implied({**values, name: option}))
                for name in self.prebuilt for option in _option_values(self.controls[name])}
        self._scene_size = max(self.scenes, len(keys) + 2) if keys else self.scenes
        with single_thread():
            for name in self.prebuilt:
                for option in _option_values(self.controls[name]):
                    state = self._scene_figure(self.implied({**values, name: option}))
                    if state["background"] is None:   # its static pixels too: a move only pastes them
                        state["background"] = self.blit(state["fig"], [], None)
        self._scene_figure(values)                    # the current scene stays the newest
    def _label(self, name: str) -> str:
        return f"“{self.controls[name].description or name}”"

    # ------------------------------------------------------------------ the protocol
    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def scene(self, **values):
        """Key of the static picture ``values`` need; by default every value (the whole picture redraws)."""
        return tuple(sorted(values.items()))

    def build(self, fig, **values) -> list:  # pragma: no cover - abstract
        """Draw the scene on the empty ``fig``; return the artists ``move`` changes."""
        raise NotImplementedError

    def move(self, fig, artists: list, **values) -> str | None:
        """Update ``artists`` for ``values``; may return a readout (HTML)."""
        return None

    def alt(self, **values) -> str:
        """What the picture shows, in one sentence (its alt text)."""
        return f"{type(self).__name__}: " + ", ".join(f"{k} {v}" for k, v in values.items())

    def implied(self, values: dict) -> dict:
        """The values of every control after a move to ``values`` (a control may set others)."""
        return values

    def draw(self, fig, **values) -> str | None:
        """The complete picture for ``values`` on any ``fig`` (moving artists are drawn when saving)."""
        fig.clear()
        return self.move(fig, self.build(fig, **values), **values)

    # ------------------------------------------------------------------ rendering a move
    def axes(self, fig, rect):
        """``fig``'s axes at ``rect`` for ``build``: with ``keep_axes``, the one a previous scene left
        (emptied by :meth:`clear_scene`), else a new one."""
        for ax in fig.axes:
            if tuple(ax.get_position(original=True).bounds) == tuple(float(r) for r in rect):
                return ax
        return fig.add_axes(rect)

    def clear_scene(self, fig) -> None:
        """Empty ``fig`` for the next scene: everything goes, or with ``keep_axes`` only what the
        scene drew (the axes, their frames and settings stay; ``build`` sets every one it uses)."""
        if not self.keep_axes:
            fig.clear()
            return
        for ax in fig.axes:
            for artist in [*ax.collections, *ax.images, *ax.lines, *ax.patches, *ax.texts, *ax.artists, *ax.tables]:
                artist.remove()
            if ax.legend_ is not None:
                ax.legend_.remove()
            for loc in ("left", "center", "right"):
                ax.set_title("", loc=loc)
        for artist in list(fig.texts) + list(fig.images) + list(fig.legends):
            artist.remove()

    def forget_scenes(self) -> None:
        """Drop every rendered scene (the next move builds its scene afresh); their figures are kept
        for reuse."""
        self._spare_figs += [state["fig"] for state in self._scene_figs.values()]
        self._scene_figs.clear()

    def _scene_figure(self, values: dict) -> dict:
        key = self.scene(**values)
        state = self._scene_figs.get(key)
        if state is not None:
            self._scene_figs.move_to_end(key)
            return state
        if len(self._scene_figs) >= getattr(self, "_scene_size", self.scenes):
            fig = self._scene_figs.popitem(last=False)[1]["fig"]
            self.clear_scene(fig)
        elif self._spare_figs:
            fig = self._spare_figs.pop()
            self.clear_scene(fig)
        else:
            fig = Figure(figsize=self.figsize, dpi=self.dpi)
            FigureCanvasAgg(fig)
        artists = list(self.build(fig, **values))
        for artist in artists:
            artist.set_animated(True)                   # left out of the background, drawn by hand
        state = self._scene_figs[key] = dict(fig=fig, artists=artists, background=None)
        return state

    def render(self, **values) -> tuple:
        """``(png, readout)`` of the picture for ``values``: a move of the scene's artists, blitted.

        Runs torch on one thread (a dashboard's tensors are small; the thread policy of every move)."""
        key = tuple(sorted(values.items()))
        if key in self._png_cache:
            self._png_cache.move_to_end(key)
            return self._png_cache[key]
        with single_thread():
            return self._render(key, values)

    def _render(self, key: tuple, values: dict) -> tuple:
        state = self._scene_figure(values)
        fig = state["fig"]
        self.fig = fig
        text = self.move(fig, state["artists"], **values)
        state["background"] = self.blit(fig, state["artists"], state["background"])
        result = self._png_cache[key] = (self.encode_canvas(fig), text)
        if len(self._png_cache) > _PICTURES:
            self._png_cache.popitem(last=False)
        return result

    def update(self) -> None:
        """One control move: render the picture for the current values and show it."""
        if self._holding:
            return
        values = self.values
        png, text = self.render(**values)
        self.readout.value = text or ""
        self._show(self._shown(), png, self.alt(**values), text)

    @property
    def png(self) -> bytes:
        """The PNG of the picture now shown."""
        return self.render(**self.values)[0]

    def hold(self):
        """Context manager: set several controls, redraw once at the end."""
        dashboard = self

        class _Hold:
            def __enter__(self):
                dashboard._holding = True

            def __exit__(self, *exc):
                dashboard._holding = False
                dashboard.update()

        return _Hold()

    @staticmethod
    def blit(fig, artists: list, background=None):
        """Redraw only ``artists`` over ``fig``'s static pixels; return those pixels for the next move.

        With ``background=None`` the figure is rendered once without the (animated) artists and
        its pixels are captured; otherwise the saved pixels are pasted back. Then each artist is
        drawn on top. The cost of a move no longer grows with the static picture.
        """
        canvas = fig.canvas
        if background is None:
            canvas.draw()
            background = canvas.copy_from_bbox(fig.bbox)
        else:
            canvas.restore_region(background)
        for artist in artists:
            (artist.axes or fig).draw_artist(artist)
        return background

    @staticmethod
    def encode_canvas(fig, *, small: bool = False) -> bytes:
        """The figure's current pixels as a palette PNG (128 colours: a third of the bytes of RGBA and
        faster to encode); ``small`` compresses harder, for the pictures saved in the page."""
        w, h = fig.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (w, h), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").quantize(128, method=Image.Quantize.FASTOCTREE).save(
            buf, format="png", compress_level=6 if small else 1)
        return buf.getvalue()

    # ------------------------------------------------------------------ the picture widgets
    def _leaf(self) -> W.HTML:
        return W.HTML(layout=W.Layout(width=f"{self.width}px", max_width="100%"))

    def _show(self, leaf: W.HTML, png: bytes, alt: str, text: str | None) -> None:
        """One picture with its readout above it (both saved per state on the website)."""
        data = base64.b64encode(png).decode("ascii")
        leaf.value = (f'<div class="bnx-readout">{text or ""}</div>'
                      f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
                      f'style="width:{self.width}px; max-width:100%; height:auto; display:block">')

    def _shown(self) -> W.HTML:
        if not self._leaves:
            return self.pane
        return self._leaves[tuple(self.controls[n].index for n in self.website)]

    def static_states(self) -> list:
        """The values of every precomputed website state (the other controls as they are now)."""
        base = self.values
        states = [{}]
        for name in self.website:
            states = [{**s, name: option} for s in states for option in _option_values(self.controls[name])]
        return [self.implied({**base, **s}) for s in states]

    def _stack(self, level: int, fixed: dict, index: tuple):
        name = self.website[level]
        control = self.controls[name]
        children = []
        for i, option in enumerate(_option_values(control)):
            values = {**fixed, name: option}
            if level + 1 < len(self.website):
                children.append(self._stack(level + 1, values, index + (i,)))
            else:
                leaf = self._leaves[index + (i,)] = self._leaf()
                fig_values = self.implied({**self.values, **values})
                png, text = self._website_png(fig_values)
                self._show(leaf, png, self.alt(**fig_values), text)
                children.append(leaf)
        stack = W.Stack(children=children, selected_index=control.index)
        self.links.append(W.jslink((control, "index"), (stack, "selected_index")))
        return stack

    def _website_png(self, values: dict) -> bytes:
        """A website state: rendered like a move, then quantized to a palette (a small file)."""
        text = self.render(**values)[1]
        return self.encode_canvas(self.fig, small=True), text

    def _picture(self):
        """The picture widget: a stack of precomputed states (ipywidgets 8), else the live image."""
        if self.website and hasattr(W, "Stack") and not self._leaves:
            self.pane = self._stack(0, {}, ())
            self.update()                       # the shown leaf: exactly the current values
        return self.pane

    def widget(self) -> W.Widget:
        rows = [W.HBox(list(self.controls.values()) + self.buttons, layout=W.Layout(flex_flow="row wrap"))]
        return W.VBox(rows + [self.note, self._picture()])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


def _settle_memory() -> None:
    """Collect garbage once, then freeze what is alive (imported modules, mostly, and the dashboards
    built so far) out of the collector's generations (``gc.freeze``). A full collection during a
    move then scans only what was made since, instead of the 200–400 thousand objects torch,
    matplotlib and scikit-learn leave (100–600 ms on a 2-core CPU: the worst moves of every
    dashboard). The previous freeze is undone first, so a dashboard discarded since is collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _option_values(control) -> list:
    """The values a control can take: a selection's options (values or (label, value) pairs), an
    integer slider's range."""
    if not hasattr(control, "options"):
        return list(range(control.min, control.max + 1))
    return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]
