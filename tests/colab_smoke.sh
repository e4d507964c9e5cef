#!/usr/bin/env bash
# Simulate a fresh Colab start as closely as this machine allows (make colab-smoke):
# a new virtualenv with only what Colab has (Python, pip, torch, Jupyter's kernel, pytest), the
# library installed with plain `pip install` from the repository (as each chapter's first cell
# does from GitHub; here from the local path, not editable), then chapters run by nbval from a
# folder outside the repository, so nothing is imported from src/ by accident.
# Usage: tests/colab_smoke.sh [book/01-splines.ipynb ...]   (default: chapter 1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bnx-colab-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
# What Colab ships before any cell runs (torch pinned to the CPU build this machine has).
"$py" -m pip install --quiet --disable-pip-version-check torch==2.13.0 ipykernel pytest nbval
# The chapter's install cell, from the local repository instead of GitHub.
"$py" -m pip install --quiet --disable-pip-version-check "bnexplained @ file://$repo"
"$py" -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei "^(bnexplained|torch|numpy|matplotlib|ipywidgets|scipy|scikit-learn|tqdm) "
notebooks=("${@:-book/01-splines.ipynb}")
mkdir -p "$work/content"
for nb in "${notebooks[@]}"; do cp "$repo/$nb" "$work/content/"; done
cd "$work/content"
"$py" -c "import bnexplained, sys; assert 'site-packages' in bnexplained.__file__, bnexplained.__file__; print('bnexplained from', bnexplained.__file__)"
MPLBACKEND=Agg BNX_CACHE="$work/cache" "$py" -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
    $(for nb in "${notebooks[@]}"; do basename "$nb"; done)
