# firegate developer commands (see README.md and docs/contributing.md). Variables such as PORT, GOOGLE_CLOUD_PROJECT or
# FIRESTORE_EMULATOR_HOST pass through the environment: `PORT=9000 make run`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
comma := ,

# The service runs on Python 3.13 (docs/contributing.md); the scripts that run before the venv
# exists need only the standard library, and take any python3 where 3.13 is missing.
PYTHON_VERSION := 3.13
# Found at its first use, then kept (`?=` would look again at each); a PYTHON of the
# environment or the command line is kept as it is.
ifeq ($(origin PYTHON),undefined)
PYTHON = $(eval PYTHON := $(or $(shell scripts/python313),$(shell command -v python3)))$(PYTHON)
endif
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
REQUIREMENTS := $(wildcard requirements.txt requirements-dev.txt)
NODEPS_REQUIREMENTS := requirements-dev-nodeps.txt
ARGS ?=
PYTEST_ARGS ?=
# `make test`'s parallel workers (pytest-xdist): for the unit tests, and for the rest, where each
# worker has emulators of its own (docs/testing.md#parallel-workers).
UNIT_WORKERS ?= 2
TEST_WORKERS ?= 3
# The unit tests run beside the rest in the kernel's idle class (chrt, util-linux): they take
# only what the rest leaves idle, and a rest process that wakes runs at once
# (docs/testing.md#parallel-workers). Without chrt, the lowest niceness.
UNIT_SCHED ?= $(shell command -v chrt >/dev/null 2>&1 && echo chrt --idle 0 || echo nice -n 19)

MINUTES ?= 10
# Material for MkDocs prints a banner about MkDocs 2.0 on every build; the docs do not need it.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VPY) -m mkdocs

.PHONY: lint-types lint-rest help venv tools npm-tools run-tools translations ports run reset test coverage screenshots lint docs cli cli-ready cli-ports bench soak container clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install requirements (again only when they change)

# uv installs the requirements (~10 s against pip's ~65 s from a fresh clone,
# docs/decisions/0355-uv-installs-the-venv.md); pip, when uv cannot be had or fails. Both
# quiet: a line per package is no news; an error is still printed
# (docs/decisions/0514-a-quiet-first-make-run.md).
UV_REQUIREMENT := uv==0.13.8
UV := $(VENV)/bin/uv
UV_INSTALL := $(UV) pip install --quiet --python $(VPY) --compile-bytecode
PIP_INSTALL := $(VPY) -m pip install --quiet --disable-pip-version-check

$(STAMP): $(REQUIREMENTS) $(NODEPS_REQUIREMENTS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))' || { \
	  echo "make venv: Python $(PYTHON_VERSION) is needed, and $(PYTHON) is $$($(PYTHON) -V 2>&1)." \
	    "Install it (pyenv install $(PYTHON_VERSION); Debian trixie: apt-get install python3" \
	    "python3-venv) or name it: make PYTHON=/path/to/python$(PYTHON_VERSION) ..." >&2; exit 1; }
	@if test -x $(VPY) && ! $(VPY) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))'; then \
	  echo "$(VENV) is another Python's: made again with $(PYTHON)"; rm -rf $(VENV); fi
	@test -x $(VPY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "venv: installing the Python requirements into $(VENV) (the first time 10-20 s with uv)"
	@if $(VPY) -m pip install --disable-pip-version-check --quiet $(UV_REQUIREMENT) \
	  && $(UV_INSTALL) $(addprefix -r ,$(REQUIREMENTS)) \
	  && $(UV_INSTALL) --no-deps -r $(NODEPS_REQUIREMENTS); then :; else \
	  echo "venv: uv could not install them; pip does (about a minute)"; \
	  $(PIP_INSTALL) $(addprefix -r ,$(REQUIREMENTS)) \
	  && $(PIP_INSTALL) --no-deps -r $(NODEPS_REQUIREMENTS); fi
	@# src/ on the venv's path, so mypy, lint-imports and the flask CLI need no PYTHONPATH
	@$(VPY) -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "firegate-src.pth").write_text(str(pathlib.Path("src").resolve()) + "\n")'
	@touch $@

tools: venv npm-tools ## install the emulators' and the tests' npm tools into .tools (if missing) and check java, the emulator JARs, chromium
	@$(PYTHON) scripts/emulators.py install
	@# A warning only: `make run` does not need it, and the browser test fails without it.
	@test -x /usr/bin/chromium || echo "warning: the browser test needs /usr/bin/chromium:" \
	  "apt-get install -y chromium (docs/testing.md)" >&2

# The npm registry's part of `tools`, which needs no venv: `make -j2 venv tools` installs both
# at once (.ci/run).
npm-tools:
	@$(PYTHON) scripts/emulators.py install --npm-only

# What `make run` needs of `tools`: the emulators' own (firebase-tools, maildev, the storage
# emulator, java and the JARs checked), not the tests' (oidc-provider, Lighthouse, ...).
run-tools: venv
	@$(PYTHON) scripts/emulators.py install --for-run

# A catalogue (the core's and each unit's, scripts/catalogues.py) is compiled when its .po is
# newer than its .mo: quiet but for errors, with the statistics when `make translations` is
# asked for by name.
CATALOGUES := $(wildcard src/interfaces/web/translations/*/LC_MESSAGES/*.po src/interfaces/web/*/translations/*/LC_MESSAGES/*.po)
translations: venv $(CATALOGUES:.po=.mo) ## compile the pages' and mails' catalogues (.po -> .mo; docs/contributing.md)

%.mo: %.po | venv
	@$(VENV)/bin/pybabel $(if $(filter translations,$(MAKECMDGOALS)),,--quiet) compile \
	  $(if $(filter translations,$(MAKECMDGOALS)),--statistics) -i $< -o $@

# Before the first install's minutes: every port `make run` will take is free, or already an
# emulator's (docs/configuration.md#local-emulators). Standard library only, no venv needed.
ports:
	@$(PYTHON) scripts/emulators.py check $(PORTS_ARGS)

run: PORTS_ARGS = --port "$${PORT:-}"
run: ports venv run-tools translations ## serve the API on http://localhost:$PORT (8000) against the emulators; TELEMETRY=1: with its traces and metrics shown
	$(VPY) scripts/run_local.py

reset: ## empty what `make run` keeps between runs: the emulators' users, providers, clients
	@$(PYTHON) scripts/emulators.py reset

# pytest with $(1) in $$status; its exit 5 (no tests collected) is no failure.
define pytest_status
$(VPY) -m pytest $(1); status=$$?; \
if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests"; status=0; fi
endef

test: venv tools translations ## the whole test suite: the unit tests and, at the same time, the rest on parallel workers
ifeq ($(strip $(PYTEST_ARGS)),)
	@# docs/testing.md#parallel-workers. Both phases run at once, each test once (tests/unit, and
	@# everything but tests/unit): the rest waits on emulators, browsers and servers for much of
	@# its time, and the unit tests, in the idle class, take the cores it leaves. The rest's output is held
	@# in a file and follows the unit tests' once they end; a failure in one never stops the other.
	@rest_log=$$(mktemp); trap 'rm -f "$$rest_log"' EXIT; \
	( began=$$SECONDS; $(call pytest_status,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=40 --ignore=tests/unit); \
	  printf '== the rest (%s workers): %ds\n' "$(TEST_WORKERS)" "$$((SECONDS - began))"; exit $$status ) \
	  </dev/null >"$$rest_log" 2>&1 & rest=$$!; \
	began=$$SECONDS; $(UNIT_SCHED) $(call pytest_status,-n $(UNIT_WORKERS) --dist loadfile --durations=20 tests/unit); unit=$$status; \
	printf '== unit tests (%s workers): %ds\n\n' "$(UNIT_WORKERS)" "$$((SECONDS - began))"; \
	tail -n +1 -f --pid=$$rest "$$rest_log"; wait $$rest; status=$$?; \
	if [ $$unit -ne 0 ]; then exit $$unit; fi; exit $$status
else
	@$(call pytest_status,$(PYTEST_ARGS)); exit $$status
endif

coverage: venv tools translations ## make test, measuring the lines of src/ the whole suite runs (docs/testing.md#coverage)
	@rm -rf .local/coverage; mkdir -p .local/coverage
	@export COVERAGE_ROOT=$(CURDIR); \
	COVERAGE_PROCESS_START=$(CURDIR)/pyproject.toml $(MAKE) --no-print-directory test; status=$$?; \
	$(VPY) -m coverage combine --quiet --rcfile=pyproject.toml \
	  && $(VPY) -m coverage report --rcfile=pyproject.toml > .local/coverage/report.txt \
	  && tail -n 3 .local/coverage/report.txt \
	  && echo "== every module's lines in .local/coverage/report.txt"; exit $$status

screenshots: venv tools translations ## the pages' screenshots in docs/images/pages, taken by the browser tests
	PAGES_SCREENSHOTS=docs/images/pages $(VPY) -m pytest -q -p no:cacheprovider \
	  tests/e2e/test_pages_browser.py tests/e2e/test_pages_account_browser.py \
	  tests/e2e/test_pages_admin_browser.py tests/e2e/test_pages_passkeys_browser.py \
	  tests/e2e/phone/test_pages_phone_browser.py tests/e2e/test_pages_auth_hooks_browser.py \
	  tests/e2e/test_pages_org_roles_browser.py

lint: venv ## ruff, formatting, mypy (src, tests and scripts), import contracts, the docs (strict)
	@# Two at a time: mypy (one core for ~30 s cold) beside the rest (~10 s).
	@$(MAKE) --no-print-directory --jobs=2 --output-sync=target lint-types lint-rest

# One mypy run checks src and tests, so src is analysed once, not again for the tests; scripts
# (with scripts/ on its path) then reuse its cache for what they import of src: ~35 % less CPU
# than a run each (docs/decisions/0900-one-mypy-run-for-src-and-tests.md).
lint-types: venv
	$(VPY) -m mypy --strict --cache-dir .mypy_cache/all src tests
	MYPYPATH=scripts $(VPY) -m mypy --strict --cache-dir .mypy_cache/all scripts

lint-rest: venv
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	PYTHONPATH=src:scripts $(VENV)/bin/lint-imports
	$(MKDOCS) build --strict --site-dir .local/site

docs: venv ## serve the documentation site (docs/, MkDocs) on http://127.0.0.1:8001
	$(MKDOCS) serve -a 127.0.0.1:8001

cli: ## the service's command line: make cli ARGS="users set-role alice admin"
	@# Not echoed: ARGS may hold a secret (better: - and standard input, docs/configuration.md).
	@# What it does first prints on stderr: stdout is the command's answer alone (| jq, > file).
	@$(MAKE) --no-print-directory cli-ready >&2
	@$(VPY) scripts/run_local.py --cli $(ARGS)

# `make cli`'s port check (none for a command that reaches no data, such as `rules export`),
# the venv and the catalogues; run_local.py installs the emulators' tools it then starts.
cli-ready: cli-ports venv translations

cli-ports:
	@$(PYTHON) scripts/emulators.py check --cli $(ARGS)

bench: venv translations ## the benchmarks in bench/ against their floors: table of ratios, bench/results/
	$(VPY) bench/run.py

soak: venv ## mixed-traffic load soak (not in CI): make soak MINUTES=10
	$(VPY) bench/soak.py --minutes $(MINUTES)

container: venv ## build the Dockerfile with podman (no Docker engine) and check the container
	$(VPY) scripts/container_check.py

clean: ## remove caches and emulator logs (keeps .venv, .tools and make run's data: make reset)
	find .local -mindepth 1 -maxdepth 1 ! -name emulator-data ! -name dev-secrets.json \
	  -exec rm -rf {} + 2>/dev/null || true
	rm -rf .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name __pycache__ -type d -exec rm -rf {} +
