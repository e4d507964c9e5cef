"""Every dashboard of ``bnx.widgets`` sends widget models that Colab's front end draws (ipywidgets 7).

Run by tests/colab_smoke.sh inside the Colab-pinned venv (ipywidgets 7.7.1), from a folder outside
the repository. Colab's front end draws the ipywidgets-7 models (``@jupyter-widgets/controls``
1.x, ``@jupyter-widgets/base`` 1.x, ``@jupyter-widgets/output`` 1.x) and nothing of ipywidgets 8
(controls 2.0.0). For each dashboard: build it small, collect every widget model it created, check
the module version each one announces, then move its first control and check the picture changed.

``python colab_dashboards.py`` prints one line per dashboard and exits non-zero on any failure;
``--expect-major 2`` checks the other way round (for trying it in the book's ipywidgets-8 env).
"""
from __future__ import annotations

import argparse
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402

import bnexplained as bnx  # noqa: E402

# the widget-model modules ipywidgets itself ships, and the major version each has in ipywidgets 7
MODULES = ("@jupyter-widgets/controls", "@jupyter-widgets/base", "@jupyter-widgets/output")


def _star():
    return bnx.data.star(50)


def _training():
    X, y = bnx.data.circles(200, noise=0.1, labels=True)
    runs = bnx.recipes.smart_init.trajectories(X, y, [2, 8, 8], lr=0.01, epochs=2, batch_size=16)
    return bnx.widgets.TrainingExplorer(runs, X, y, resolution=40)


def _jitter():
    X, y = bnx.data.moons(300, noise=0.15, seed=1, labels=True)   # batch sizes up to 256
    nets = {name: bnx.SplineMLP([2, 8, 8], "leaky_relu", "bn", out_features=2, seed=s).fit_statistics(X)
            for name, s in (("at initialization", 0), ("after training", 1))}
    return bnx.widgets.JitterExplorer(nets, X, y, draws=3, resolution=40)


def _bn_unit():
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.1),
                          nn.Linear(4, 3), nn.BatchNorm1d(3), nn.LeakyReLU(0.1), nn.Linear(3, 2))
    X, y = bnx.data.moons(64, noise=0.1, seed=0, labels=True)
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(X, dtype=torch.float32))      # running statistics from the data
    return bnx.widgets.BNUnitExplorer(model.eval(), X, y, resolution=40)


# One small instance of each dashboard (the same constructors the chapters and benchmarks/widgets.py use).
FACTORIES = {
    "Figure1Explorer": lambda: bnx.widgets.Figure1Explorer(_star(), resolution=48),
    "GammaBetaExplorer": lambda: bnx.widgets.GammaBetaExplorer(resolution=32),
    "TLSExplorer": lambda: bnx.widgets.TLSExplorer(units=3, dataset="star"),
    "Figure2Translation": lambda: bnx.widgets.Figure2Translation(bnx.recipes.figure2_network(_star()), _star()),
    "Figure2Folding": lambda: bnx.widgets.Figure2Folding(bnx.recipes.figure2_network(_star()), _star()),
    "DensityExplorer": lambda: bnx.widgets.DensityExplorer(_star(), depth=4, widths=(8, 16)),
    "Proposition3Explorer": lambda: bnx.widgets.Proposition3Explorer(
        bnx.data.circles(200, noise=0.1, labels=True)[0], resolution=40, rate_batches=20),
    "TrainingExplorer": _training,
    "JitterExplorer": _jitter,
    "BNUnitExplorer": _bn_unit,
}


def dashboard_classes() -> dict:
    """The dashboards ``bnx.widgets`` exports: public subclasses of ``Dashboard`` with no subclass of their own."""
    found = {}
    for name in bnx.widgets.__all__:
        obj = getattr(bnx.widgets, name)
        if isinstance(obj, type) and issubclass(obj, bnx.widgets.Dashboard) and obj is not bnx.widgets.Dashboard:
            found[name] = obj
    return {n: c for n, c in found.items() if not any(o is not c and issubclass(o, c) for o in found.values())}


def _registry() -> dict:
    """Every live widget, by model id (ipywidgets 8 keeps them in ``widget._instances``, 7 in ``Widget.widgets``)."""
    from ipywidgets.widgets import widget
    instances = getattr(widget, "_instances", None)
    return dict(instances if instances is not None else W.Widget.widgets)


def _another_value(control):
    options = getattr(control, "options", None)
    if options:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        return next(v for v in values if v != control.value)
    if isinstance(control.value, bool):
        return not control.value
    low, high = getattr(control, "min", None), getattr(control, "max", None)
    if low is not None and high is not None:
        return high if control.value != high else low
    raise TypeError(f"do not know how to move {type(control).__name__}")


def check(name: str, factory, expect_major: int) -> tuple[bool, str]:
    before = set(_registry())
    dashboard = factory()
    root = dashboard.widget()
    models = [w for key, w in _registry().items() if key not in before]
    versions = {}
    bad = []
    for w in models:
        state = w.get_state()
        for kind in ("model", "view"):
            module = state.get(f"_{kind}_module")
            version = state.get(f"_{kind}_module_version")
            if module is None and version is None:
                continue
            if kind == "model":
                versions[f"{module} {version}"] = versions.get(f"{module} {version}", 0) + 1
            if module not in MODULES or int(str(version).split(".")[0]) != expect_major:
                wrong = f"{kind} {module} {version}"
                if wrong not in bad:
                    bad.append(wrong)
    if root.model_id not in {w.model_id for w in models}:
        bad.append("its widget() was not created by the dashboard")
    # a control move redraws the picture (the values of the dashboard's HTML and Image widgets)
    control = next(iter(dashboard.controls.values()))
    pictures = [w for w in models if isinstance(w, (W.HTML, W.Image))]
    before_move = [w.value for w in pictures]
    control.value = _another_value(control)
    if [w.value for w in pictures] == before_move:
        bad.append(f"moving {control.description or type(control).__name__} left the picture unchanged")
    summary = ", ".join(f"{k} ×{n}" for k, n in sorted(versions.items()))
    return not bad, f"{name}: {len(models)} widget models ({summary})" + ("" if not bad else "; FAIL: " + "; ".join(bad))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-major", type=int, default=1,
                        help="major version every ipywidgets model module must have (1 = ipywidgets 7)")
    args = parser.parse_args(argv)
    print(f"ipywidgets {W.__version__}, bnexplained from {bnx.__file__}")
    classes = dashboard_classes()
    missing, unknown = sorted(set(classes) - set(FACTORIES)), sorted(set(FACTORIES) - set(classes))
    ok = not missing and not unknown
    if missing:
        print(f"FAIL: dashboards with no factory here (add them to FACTORIES): {missing}")
    if unknown:
        print(f"FAIL: FACTORIES names classes bnx.widgets does not export: {unknown}")
    passed = 0
    for name in sorted(set(FACTORIES) & set(classes)):
        good, line = check(name, FACTORIES[name], args.expect_major)
        passed += good
        ok &= good
        print(("ok    " if good else "FAIL  ") + line)
    print(f"dashboards checked: {passed}/{len(classes)} send ipywidgets-{6 + args.expect_major} models "
          "and redraw on a control move")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
