# One entry point for every check: `make test`. `make demo` runs the example playbook
# against the local stand-in. Each stage below can also be run on its own.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
VENV_OLDEST := .venv-2.16
PYTHON := $(VENV)/bin/python
COLLECTIONS_DIR := .tmp/collections
# Unit tests and playbooks import the working tree as ansible_collections.goldenimage.azure.
COLLECTION_ENV := PYTHONPATH=$(CURDIR)/$(COLLECTIONS_DIR) ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(COLLECTIONS_DIR)

.PHONY: help test venvs venv venv-oldest system-deps collection-link lint sanity \
	units emulator-tests integration reliability reliability-doc checks ansible-lint changelog-lint packaging ecosystem demo clean

help:
	@echo "make test    every check: lint, sanity, unit, stand-in, integration, packaging"
	@echo "make demo    run the example playbook against a fresh local stand-in"
	@echo "stages:      lint sanity units emulator-tests integration checks packaging ecosystem"

test:
	@hack/run_stages.sh

# --- environments ---------------------------------------------------------------

venvs: venv venv-oldest

venv:
	@hack/venv.sh $(VENV) requirements.txt test-requirements.txt

venv-oldest:
	@hack/venv.sh $(VENV_OLDEST) requirements.txt test-requirements-2.16.txt

system-deps:
	@hack/system_deps.sh

collection-link:
	@hack/collection_link.sh

# --- static checks --------------------------------------------------------------

lint: venv collection-link
	hack/lint.sh $(VENV)

sanity: venv system-deps
	hack/sanity.sh $(VENV)

checks: venv collection-link
	hack/checks.sh $(VENV)

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

ansible-lint: venv collection-link
	hack/ansible_lint.sh $(VENV)

# --- tests ----------------------------------------------------------------------

units: venvs collection-link
	status=0; \
	$(COLLECTION_ENV) hack/pytest_stage.sh units-2.19 $(PYTHON) tests/unit || status=1; \
	$(COLLECTION_ENV) hack/pytest_stage.sh units-2.16 $(VENV_OLDEST)/bin/python tests/unit || status=1; \
	exit $$status

emulator-tests: venv
	hack/pytest_stage.sh emulator $(PYTHON) emulator/tests

integration: venvs collection-link
	hack/pytest_stage.sh integration $(PYTHON) tests/integration -n 2 \
		--ansible-venv $(VENV) --ansible-venv $(VENV_OLDEST)

# Fault matrix, bad input, check mode, secrets and access, against a stand-in of its own;
# a representative subset again on the oldest ansible-core (test_oldest_core.py).
reliability: venvs collection-link
	hack/pytest_stage.sh reliability $(PYTHON) tests/reliability -n 2 --older-ansible-venv $(VENV_OLDEST)

# Rewrite the scenario table of docs/reliability.md from a full run.
reliability-doc: venvs collection-link
	$(PYTHON) -m pytest tests/reliability -n 2 -q --older-ansible-venv $(VENV_OLDEST) || true
	$(PYTHON) tests/reliability/render_doc.py

packaging: venv
	hack/pytest_stage.sh packaging $(PYTHON) tests/packaging

# Execution environment, AWX job templates, rendered docs, module examples, and the
# dependencies installed beside azure-cli (tool environments cached under .tmp/ecosystem).
ecosystem: venv collection-link
	$(COLLECTION_ENV) hack/pytest_stage.sh ecosystem $(PYTHON) tests/ecosystem -n 2 --dist loadfile

# --- demo -----------------------------------------------------------------------

demo: venv collection-link
	@hack/demo.sh $(VENV)

clean:
	rm -rf .tmp tests/output .azsim

# --- benchmark (not part of `make test`; see docs/performance.md) ------------------

.PHONY: bench bench-peer

# BENCH_ARGS passes options to run.py (e.g. BENCH_ARGS=--quick); BENCH_TASKS sets --tasks.
BENCH_ARGS ?=
bench: venv collection-link
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

bench-peer:
	benchmarks/peer_venv.sh .venv-azcollection
