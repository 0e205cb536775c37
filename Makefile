# Set-up is part of every target: a fresh machine needs only python3 (with venv) and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## demo: record a few real scikit-learn runs in the embedded store and print the runs table
demo: $(STAMP)
	$(PY) examples/quickstart.py

## test: the whole test suite
test: $(STAMP)
	$(PY) -m pytest

## test-fast: skip the multi-process and crash tests
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

## bench: nbtrack and MLflow side by side (MLflow lives only in bench/.venv)
bench:
	bash bench/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
