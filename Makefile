# Two commands do all set-up on a fresh machine with Python 3.11:
#   make book   create .venv, execute every chapter, build the HTML into _build/html
#   make test   create .venv, run unit tests, nbval over every notebook, build the book with -W,
#               then read every page in headless Chromium (installs Debian's chromium if missing)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
STAMP  := $(VENV)/.installed
export MPLBACKEND := Agg
# (the book build unsets it: with MPLBACKEND=Agg the kernels draw no inline figures)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# OpenMP threads sleep instead of spinning between parallel regions: with two pytest/nbval workers (or
# other jobs) on two cores, spinning threads made small torch ops 5-100x slower
export OMP_WAIT_POLICY := PASSIVE
# heavy results are cached here: shared by the nbval pass and the book build, empty in a fresh clone
export BNX_CACHE := $(CURDIR)/_build/bnx-cache
# apt-get needs root: use sudo when we are not root
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# chapters that are notebooks (paired with an .ipynb for Colab); the other pages are plain markdown
PAIRED = $(shell grep -l '^  formats: ipynb,md:myst' book/*.md)

.PHONY: env book book-students test unit test-thorough notebooks build browser browser-deps colab-smoke gpu-check sync repository vendor clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: env
	env -u MPLBACKEND $(JB) build .
	@echo "Open _build/html/index.html"

# The students' edition: the same book with every exercise solution removed (sphinx-exercise's
# hide_solutions), built from a copy of _config.yml into its own folder.
book-students: env
	@mkdir -p _build/students
	sed -e 's/^    hide_solutions: false/    hide_solutions: true/' -e 's#: book/_ext#: $(CURDIR)/book/_ext#' \
	  _config.yml > _build/students/_config.yml
	grep -q '^    hide_solutions: true' _build/students/_config.yml
	$(JB) build . --config _build/students/_config.yml --path-output _build/students
	@echo "Open _build/students/_build/html/index.html"

test: env unit notebooks build browser

unit: env
	$(PY) -m pytest tests -q -n 2

# The unit tests under hypothesis's "thorough" profile (tests/conftest.py): 300 random examples per
# property instead of 25 derandomized ones. Slower (tens of minutes); run it before closing work on geometry.
test-thorough: env
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest tests -q -n 2

notebooks: env
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env -n 2 --dist loadfile book/

build: env
	env -u MPLBACKEND $(JB) build . -W --keep-going

# Every built page in headless Chromium: no JS errors, no outside requests, math typeset, images
# loaded, Colab links right; WCAG 2.1 A/AA (axe-core), Tab reaches every control, every figure has
# alt text. Screenshots land in _build/screenshots/: look at them.
browser: env browser-deps
	BNX_BROWSER=1 $(PY) -m pytest tests/test_browser.py -q

# Debian's chromium (no chromedriver needed: the test speaks the DevTools protocol itself), and npm's
# axe-core for the WCAG 2.1 A/AA check, pinned, into the git-ignored _build/axe/ (the test injects
# it into each page; the pages never fetch it).
AXE_CORE := 4.14.1
AXE_STAMP := _build/axe/.axe-core-$(AXE_CORE)
browser-deps: $(AXE_STAMP)
$(AXE_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "the browser test needs npm (for axe-core): apt-get install npm"; exit 2; }
	mkdir -p _build/axe
	npm install --no-save --no-audit --no-fund --silent --prefix _build/axe axe-core@$(AXE_CORE)
	grep -q '"version": "$(AXE_CORE)"' _build/axe/node_modules/axe-core/package.json
	touch $@
browser-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  command -v google-chrome >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test (apt-get)"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation >/dev/null; }

# Colab as it ships, simulated (tests/colab_smoke.sh): a new venv with Colab's versions
# (tests/colab_runtime.txt; torch and Python substituted, see README), the library installed by
# the chapters' own first cell, then: pip changed none of Colab's packages, every dashboard sends
# ipywidgets-7 models, every notebook passes nbval from outside the repo. Several minutes; not
# part of `make test` (whose tests/test_colab.py checks the declared ranges against the same pins).
# NB="book/03-one-layer.ipynb ..." runs only those notebooks.
colab-smoke:
	bash tests/colab_smoke.sh $(NB)

# The GPU branch, tried before a reader tries it: one short step of every paper-scale experiment on the
# CUDA device (device name, seconds and peak GPU memory printed), then the unit tests with CUDA present.
# Fails with a message where there is no CUDA; GPU_CHECK_ON_CPU=1 rehearses the same steps on the CPU
# (the paper branch forced, toy sizes). Not part of `make test`.
gpu-check: env
	$(PY) tests/gpu_check.py $(if $(GPU_CHECK_ON_CPU),--cpu)

# After editing a chapter's .md, regenerate its paired .ipynb (outputs stay stripped).
sync: env
	$(VENV)/bin/jupytext --sync $(PAIRED)

# Point the book at your fork: the Colab button (_config.yml) and every chapter's install cell.
repository: env
	@test -n "$(URL)" || { echo "usage: make repository URL=https://github.com/you/bn-explained"; exit 2; }
	sed -i 's#^  url: .*#  url: $(URL)#' _config.yml
	sed -i 's#git+https://github.com/[^" ]*#git+$(URL)#' book/*.md
	$(VENV)/bin/jupytext --quiet --sync $(PAIRED)

# Re-create vendor/web/ (offline MathJax and ipywidgets scripts, committed) from the npm registry.
# Only to upgrade their versions: building the book needs neither npm nor a network.
vendor:
	bash vendor/fetch.sh

clean:
	rm -rf _build
