# Set-up is part of every target: a fresh machine needs only python3 (with venv) and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## demo: execute the example notebooks (quickstart, training loop) in real kernels; the runs
## go to the embedded store found from notebooks/ (normally notebooks/.nbtrack); print them
demo: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter nbconvert --to notebook --execute \
		quickstart.ipynb training-loop.ipynb --output-dir executed --log-level WARN
	cd notebooks && ../$(VENV)/bin/nbtrack runs --experiment iris-quickstart --limit 10
	cd notebooks && ../$(VENV)/bin/nbtrack runs --experiment digits-sgd --limit 3
	@echo "executed notebooks: notebooks/executed/; exported reproduction: notebooks/repro/"

## test: the whole test suite (installs Debian's chromium for the browser tests if missing)
test: $(STAMP) chromium
	$(PY) -m pytest

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

## test-fast: skip the multi-process and crash tests
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

## bench: nbtrack and MLflow side by side (MLflow lives only in bench/.venv)
bench:
	bash bench/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
