# The two commands a new user needs:
#   make run   set up .venv, make sure an OpenSSH server exists, run hil on the simulated rack
#   make test  same set-up, then lint, type check and the test suite (integration tests use real sshd)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit setup system assets bench clean

run: setup
	$(BIN)/hil run

# Two workers, each taking whole test files (a file's tests share fixtures such as the fleet's rack):
# about 7 minutes on 2 cores instead of 13. Every test has its own HIL_HOME and loopback endpoints.
test: setup lint
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check hil tests bench
	$(BIN)/ruff format --check hil tests bench
	$(BIN)/mypy

setup: system $(STAMP)

# System packages: a Python >= 3.11 with venv, and an OpenSSH server binary for the simulated rack.
# As root, missing Debian packages are installed with apt; otherwise we say what to install.
system:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), sys.version' 2>/dev/null || \
	  { echo "hil needs Python >= 3.11 as '$(PYTHON)' (set PYTHON=python3.11 to choose one)." >&2; exit 2; }
	@need=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || need="$$need python3-venv"; \
	{ command -v sshd >/dev/null || test -x /usr/sbin/sshd; } || need="$$need openssh-server"; \
	command -v ssh-keygen >/dev/null || need="$$need openssh-client"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null || exit 2; \
	  else \
	    echo "hil needs these system packages:$$need" >&2; \
	    echo "install them with: sudo apt-get install$$need" >&2; exit 2; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Regenerate the demo clips and models in artifacts/ (needs the optional 'train' extra: PyTorch, CPU build;
# the CPU wheel index keeps pip from pulling gigabytes of CUDA libraries; TORCH_INDEX= to use only your
# configured indexes). ASSETS=face,eyes (or labels) rebuilds only those parts, reusing the committed rest.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ASSETS ?=
assets: setup
	$(BIN)/python -m pip install -q $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[train]'
	$(BIN)/python artifacts/make_assets.py $(if $(ASSETS),--only $(ASSETS))

# Every bench/bench_*.py, each figure beside its anchor; writes docs/benchmarks.md (never fails the build).
bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .hil hil.sqlite hil.sqlite-wal hil.sqlite-shm
