# Set-up is part of every target: a fresh machine needs only python3 (with venv) and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# the JupyterLab extension's build output, and what it is built from
LABEXT := nbtrack/labextension/package.json
LABSRC := $(wildcard labextension/src/*.ts labextension/style/*) labextension/package.json \
	labextension/tsconfig.json
# The peers (MLflow, Evidently) live in a venv of their own (the side-by-side
# suites and the benchmarks compare with them), at the versions bench/mlflow-requirements.txt pins
MLFLOW_VENV  := bench/.venv
MLFLOW_STAMP := $(MLFLOW_VENV)/.mlflow-installed
# npm scripts call jupyter-builder from the venv
NPM    := PATH="$(abspath $(VENV))/bin:$$PATH" npm --prefix labextension

.PHONY: demo test test-fast test-labextension lint bench clean chromium postgresql

# the editable install runs npm install and builds the extension (Node.js and npm are
# on the machine); jupyter-builder develop links the build into the venv so rebuilds apply
$(STAMP): pyproject.toml labextension/package.json labextension/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# a reinstall must not write the shared data through the develop link into the build
	rm -f $(VENV)/share/jupyter/labextensions/nbtrack nbtrack/labextension/install.json
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pip install --quiet -e ".[test,explain]"
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/jupyter-builder develop --overwrite . >/dev/null
	touch $(STAMP)

$(LABEXT): $(STAMP) $(LABSRC)
	$(NPM) run build:prod
	touch $(LABEXT)

## demo: execute the example notebooks (quickstart, training loop, model lifecycle,
## monitoring) in real kernels; the runs
## go to the embedded store found from notebooks/ (normally notebooks/.nbtrack); print them
demo: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter nbconvert --to notebook --execute \
		quickstart.ipynb training-loop.ipynb model-lifecycle.ipynb monitoring.ipynb \
		--output-dir executed \
		--log-level WARN
	cd notebooks && ../$(VENV)/bin/nbtrack runs --experiment iris-quickstart --limit 10
	cd notebooks && ../$(VENV)/bin/nbtrack runs --experiment digits-sgd --limit 3
	cd notebooks && ../$(VENV)/bin/nbtrack models iris
	cd notebooks && ../$(VENV)/bin/nbtrack models history churn
	@echo "executed notebooks: notebooks/executed/; exported reproduction: notebooks/repro/"
	@echo "the runs are in notebooks/.nbtrack; next, try:"
	@echo "  $(VENV)/bin/nbtrack --store notebooks/.nbtrack runs --experiment iris-quickstart"
	@echo "  $(VENV)/bin/nbtrack --store notebooks/.nbtrack compare --experiment digits-sgd"

## test: the whole test suite: lint and type checks, the extension's unit tests (node:test),
## then pytest (installs Debian's chromium for the browser tests and Debian's postgresql for
## the PostgreSQL store tests if missing; the tests start and remove a server of their own)
test: $(LABEXT) chromium postgresql lint test-labextension $(MLFLOW_STAMP)
	$(PY) -m pytest

$(MLFLOW_STAMP): bench/mlflow-requirements.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/python -m pip install --quiet -r bench/mlflow-requirements.txt
	touch $@

## lint: ruff (pyflakes, pycodestyle, bugbear) and mypy (strict on the core; see pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache nbtrack tests bench
	$(VENV)/bin/mypy --cache-dir=/dev/null

test-labextension: $(LABEXT)
	$(NPM) test

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off the PATH
postgresql:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

## test-fast: skip the multi-process and crash tests
test-fast: $(LABEXT) postgresql
	$(PY) -m pytest -m "not slow"

## bench: nbtrack and MLflow side by side (MLflow lives only in bench/.venv)
bench:
	bash bench/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis labextension/node_modules labextension/lib \
		labextension/build-test nbtrack/labextension
