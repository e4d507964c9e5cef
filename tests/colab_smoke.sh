#!/usr/bin/env bash
# Colab as it ships, simulated as closely as this machine allows (make colab-smoke):
#  1. a new venv holding Colab's versions (tests/colab_runtime.txt) and the test harness (pytest,
#     nbval, pytest-xdist, installed under Colab's pins as constraints, so it moves none of them);
#  2. each chapter's first cell, run as Colab runs it: in IPython, with google.colab imported, its
#     GitHub URL swapped for a copy of this working tree (not --no-deps: pip resolves everything);
#     then `pip freeze` before/after: only bnexplained may be added, nothing upgraded or downgraded;
#  3. every dashboard of bnx.widgets built there: all its widget models must be ipywidgets-7 ones;
#  4. every chapter notebook (and the summary and scorecard) under nbval, from a folder outside
#     the repository, so nothing is imported from src/ by accident; one at a time, as in a reader's
#     session. With no arguments each page's run time is written to book/colab-timings.csv (the
#     instructors' page shows it).
# Substitutions (this machine cannot do better; README "Colab as it ships"):
#  - Python: this machine's python3 (3.11) for Colab's 3.13: no CPU torch wheel for 3.13 is
#    installable here;
#  - torch: the local CPU build torch==2.13.0 for Colab's torch (a CUDA build; from PyPI a
#    multi-GB download).
# Usage: tests/colab_smoke.sh [book/NN-name.ipynb ...]   (default: every notebook under book/)
# BNX_SMOKE_KEEP=1 keeps the work folder (its path is printed).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
pins="$repo/tests/colab_runtime.txt"
python=${PYTHON:-python3}
start=$SECONDS
work=$(mktemp -d /tmp/bnx-colab-XXXXXX)
[ -n "${BNX_SMOKE_KEEP:-}" ] && echo "work folder: $work" || trap 'rm -rf "$work"' EXIT
pipq=(--disable-pip-version-check --no-input)

echo "== 1. Colab's packages ($(grep -m1 -o 'as published in [A-Za-z]* [0-9]*' "$pins")), python $($python -c 'import platform; print(platform.python_version())') for Colab's $(sed -n 's/^# python: *//p' "$pins")"
sed -E 's/^torch==.*/torch==2.13.0  # substituted: the local CPU build/' "$pins" > "$work/colab.txt"
$python -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet "${pipq[@]}" -r "$work/colab.txt" -c "$work/colab.txt" pytest nbval pytest-xdist
# every pin installed exactly as listed (the harness moved none)
"$py" - "$work/colab.txt" <<'EOF'
import re, sys
from importlib.metadata import version
bad = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if line:
        name, want = line.split("==")
        if version(name).split("+")[0] != want:      # 2.13.0+cpu is the pinned 2.13.0
            bad.append(f"{name}: installed {version(name)}, Colab has {want}")
print("\n".join(bad) or "all of Colab's pinned versions installed as listed")
sys.exit(1 if bad else 0)
EOF
"$py" -m pip freeze "${pipq[@]}" | sort > "$work/before.txt"

echo "== 2. the chapters' first cell, as Colab runs it (at $((SECONDS - start)) s)"
mkdir "$work/repo"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
   while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
   tar --null -T - -cf -) | tar -xf - -C "$work/repo"
"$py" - "$repo/book/01-splines.ipynb" "$work/repo" > "$work/first_cell.ipy" <<'EOF'
import json, re, sys
cells = [c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code"]
cell = "".join(cells[0]["source"])
local, n = re.subn(r"git\+https://github\.com/[^\s\"']+", sys.argv[2], cell)
assert n == 1, "the first cell must install the library from its git URL exactly once"
print("import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')  # as in Colab")
print(local)
EOF
sed 's/^/    | /' "$work/first_cell.ipy"
(cd "$work" && "$work/venv/bin/ipython" --quick --no-banner --colors=NoColor "$work/first_cell.ipy") 2>&1 | tee "$work/first_cell.out"
"$py" -m pip freeze "${pipq[@]}" | sort > "$work/after.txt"
"$py" - "$work/before.txt" "$work/after.txt" "$work/first_cell.out" <<'EOF'
import re, sys
def freeze(path):
    out = {}
    for line in open(path):
        m = re.match(r"([A-Za-z0-9_.\-]+)\s*(?:==\s*(\S+)|@\s*(\S+))", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2) or m.group(3)
    return out
before, after = freeze(sys.argv[1]), freeze(sys.argv[2])
added = sorted(set(after) - set(before))
changed = [f"{n} {v} -> {after.get(n, 'removed')}" for n, v in sorted(before.items()) if after.get(n) != v]
said = open(sys.argv[3]).read()
print(f"pip freeze: {len(before)} packages before, {len(after)} after; added {added}; "
      f"changed {len(changed)} of Colab's packages {changed or ''}")
ok = added == ["bnexplained"] and not changed and "no restart needed" in said
if "no restart needed" not in said:
    print("FAIL: the first cell did not say 'no restart needed'")
sys.exit(0 if ok else 1)
EOF

echo "== 3. dashboards (at $((SECONDS - start)) s)"
mkdir "$work/content"
cp "$repo/tests/colab_dashboards.py" "$work/content/"
cd "$work/content"
"$py" -c "import bnexplained, sys; assert 'site-packages' in bnexplained.__file__, bnexplained.__file__"
export MPLBACKEND=Agg BNX_CACHE="$work/cache" OMP_WAIT_POLICY=PASSIVE PYDEVD_DISABLE_FILE_VALIDATION=1
"$py" colab_dashboards.py

echo "== 4. notebooks under nbval (outside the repository) (at $((SECONDS - start)) s)"
if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=("$repo"/book/*.ipynb); fi
names=()
for nb in "${notebooks[@]}"; do
  case "$nb" in /*) ;; *) nb="$repo/$nb" ;; esac
  cp "$nb" "$work/content/"
  names+=("$(basename "$nb")")
done
# one notebook at a time, as a reader's Colab session runs them; each cell's time goes to a JUnit file
"$py" -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --junitxml="$work/nbval.xml" "${names[@]}" \
  | tee "$work/nbval.out"
if [ $# -eq 0 ]; then
  # every page ran: its run time (the sum of its cells') goes to the instructors' page, computed, not typed
  "$py" - "$work/nbval.xml" "$repo/book/colab-timings.csv" "$pins" <<'PY'
import collections, csv, re, sys, xml.etree.ElementTree as ET
seconds = collections.defaultdict(float)
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    seconds[case.get("classname")] += float(case.get("time"))
month = re.search(r"as published in ([A-Za-z]+ [0-9]+)", open(sys.argv[3]).read()).group(1)
with open(sys.argv[2], "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["Page", "Seconds (empty cache)", "Scale"])
    for name in sorted(seconds):
        out.writerow([name.removesuffix(".ipynb"), f"{seconds[name]:.0f}", "CPU"])
    out.writerow(["All pages", f"{sum(seconds.values()):.0f}", f"Colab's packages of {month}"])
print(f"wrote {sys.argv[2]}: {len(seconds)} pages, {sum(seconds.values()):.0f} s of cells")
PY
fi
echo "== colab-smoke passed: ${#names[@]} notebooks, $((SECONDS - start)) s in all"
