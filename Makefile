# Two commands do all set-up on a fresh machine with Python 3.11:
#   make book   create .venv, execute every chapter, build the HTML into _build/html
#   make test   create .venv, run unit tests, nbval over every notebook, build the book with -W
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

.PHONY: env book test unit notebooks build sync repository vendor clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: env
	env -u MPLBACKEND $(JB) build .
	@echo "Open _build/html/index.html"

test: env unit notebooks build

unit: env
	$(PY) -m pytest tests -q -n 2

notebooks: env
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env -n 2 --dist loadfile book/

build: env
	env -u MPLBACKEND $(JB) build . -W --keep-going

# After editing a chapter's .md, regenerate its paired .ipynb (outputs stay stripped).
sync: env
	$(VENV)/bin/jupytext --sync book/*.md

# Point the book at your fork: the Colab button (_config.yml) and every chapter's install cell.
repository: env
	@test -n "$(URL)" || { echo "usage: make repository URL=https://github.com/you/bn-explained"; exit 2; }
	sed -i 's#^  url: .*#  url: $(URL)#' _config.yml
	sed -i 's#git+https://github.com/[^"]*#git+$(URL)#' book/*.md
	$(VENV)/bin/jupytext --quiet --sync book/*.md

# Re-create vendor/web/ (offline MathJax and ipywidgets scripts, committed) from the npm registry.
# Only to upgrade their versions: building the book needs neither npm nor a network.
vendor:
	bash vendor/fetch.sh

clean:
	rm -rf _build
