# The two commands a new user needs:
#   make run   set up .venv, make sure an OpenSSH server exists, run hil on the simulated rack
#   make test  same set-up, then lint, type check, the boards' Python 3.8 check of every pushed file
#              (.ci/board_python.py: vermin and more) and the test suite (integration tests use real sshd)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
LOCKED := $(VENV)/.locked
STAMP := $(VENV)/.installed
# Pythons and machines the lock is made for (one universal file, markers per platform; see
# docs/design-decisions.md "One hash-pinned lock, installed by pip").
LOCK_PYTHON := 3.11

.PHONY: run test test-latest lint unit setup system lock lockcheck assets bench clean bytecode

run: setup bytecode
	$(BIN)/hil run

# Two workers, each taking whole test files (a file's tests share fixtures such as the fleet's rack):
# about 7 minutes on 2 cores instead of 13. Every test has its own HIL_HOME and loopback endpoints.
test: setup lint bytecode
	$(BIN)/pytest -q -n 2 --dist loadfile

# hil's own modules compiled once. Where PYTHONDONTWRITEBYTECODE is set (CI images often set it), every
# hil process, emulated vendor tool and harness would otherwise compile them again: about 0.2 s of CPU
# each, thousands of times in the test suite. Only changed files are recompiled.
bytecode: setup
	$(BIN)/python -m compileall -q hil tests bench >/dev/null

lint: setup
	$(BIN)/ruff check hil tests bench .ci
	$(BIN)/ruff format --check hil tests bench .ci
	$(BIN)/mypy
	$(BIN)/python .ci/board_python.py
	PATH="$(BIN):$$PATH" PYTHONWARNINGS=ignore::UserWarning $(BIN)/ansible-lint -q --offline --profile production playbooks/

setup: system lockcheck $(STAMP)

# A dependency edited in pyproject.toml without `make lock` stops here, before anything installs.
lockcheck:
	@$(PYTHON) .ci/lock.py check $(LOCK)

# System packages: a Python >= 3.11 with venv, an OpenSSH server binary for the simulated rack, and
# headless Chromium for the HTML report's browser tests (they skip, saying why, where it is missing).
# As root, missing Debian packages are installed with apt; otherwise we say what to install.
system:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), sys.version' 2>/dev/null || \
	  { echo "hil needs Python >= 3.11 as '$(PYTHON)' (set PYTHON=python3.11 to choose one)." >&2; exit 2; }
	@need=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || need="$$need python3-venv"; \
	{ command -v sshd >/dev/null || test -x /usr/sbin/sshd; } || need="$$need openssh-server"; \
	command -v ssh-keygen >/dev/null || need="$$need openssh-client"; \
	{ command -v chromium >/dev/null || command -v chromium-browser >/dev/null; } || need="$$need chromium"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null || exit 2; \
	  else \
	    echo "hil needs these system packages:$$need" >&2; \
	    echo "install them with: sudo apt-get install$$need" >&2; exit 2; \
	  fi; \
	fi

# The venv holds exactly the lock (every package at its pinned version, hash-checked) and hil itself.
# A changed lock builds a new venv, so nothing from an older resolution stays behind.
$(LOCKED): $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip check
	touch $(LOCKED)

$(STAMP): $(LOCKED) pyproject.toml
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Resolve pyproject.toml's ranges again to the newest releases and hash-pin them (needs the registry).
# Commit requirements.lock with the pyproject.toml change that asked for it.
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv; }
	$(PYTHON) .ci/lock.py build-requires | $(BIN)/uv pip compile pyproject.toml - --extra dev --extra web -c .ci/lock-constraints.txt \
	  --universal --python-version $(LOCK_PYTHON) --generate-hashes --no-header -q -o $(LOCK)
	$(PYTHON) .ci/lock.py stamp $(LOCK)
	@echo "$(LOCK) updated; the next make run/test rebuilds .venv from it."

# Early warning: the test suite in a throw-away venv with the newest releases pyproject.toml allows.
# A failure here is news about upstream, not a broken build: it never runs in make test or CI.
LATEST := .venv-latest
test-latest: setup
	rm -rf $(LATEST)
	$(BIN)/uv venv -q --python $(PYTHON) $(LATEST)
	$(BIN)/uv pip install -q --python $(LATEST)/bin/python --upgrade -e '.[dev,web]'
	@echo "Newer than requirements.lock:"; \
	$(BIN)/uv pip freeze -q --python $(LATEST)/bin/python | grep -v '^-e' | sort > $(LATEST)/freeze.txt; \
	$(BIN)/python .ci/lock.py diff $(LOCK) $(LATEST)/freeze.txt
	HIL_UNLOCKED=1 $(LATEST)/bin/pytest -q -n 2 --dist loadfile -p no:cacheprovider; rc=$$?; \
	if [ $$rc = 0 ]; then echo "test-latest: the newest releases pass."; \
	else echo "test-latest: FAILED with the newest releases (exit $$rc). The lock still holds; see above."; fi; \
	exit $$rc

# Regenerate the demo clips and models in artifacts/ (needs the optional 'train' extra: PyTorch, CPU is
# enough). From the package registry alone, pip takes PyPI's torch, which on Linux x86_64 is a CUDA build
# of several GB; where PyTorch's own CPU index is reachable, TORCH_INDEX=https://download.pytorch.org/whl/cpu
# keeps it small. ASSETS=face,eyes (or labels) rebuilds only those parts, reusing the committed rest.
# torch is not in requirements.lock: the demo assets are committed, and nothing at run time needs it.
TORCH_INDEX ?=
ASSETS ?=
assets: setup
	@echo "make assets: installing PyTorch (the 'train' extra)$(if $(TORCH_INDEX), from $(TORCH_INDEX), from the package registry: on x86_64 Linux a CUDA build of several GB)."
	$(BIN)/python -m pip install -q $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[train]'
	$(BIN)/python artifacts/make_assets.py $(if $(ASSETS),--only $(ASSETS))

# Every bench/bench_*.py, each figure beside its anchor; writes docs/benchmarks.md (never fails the build).
bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(LATEST) .hil hil.sqlite hil.sqlite-wal hil.sqlite-shm
