# The course's commands. Each target sets up .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

lab: setup  ## open the course in JupyterLab, at the first lecture
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab course/00_welcome.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

test: setup  ## run the whole test suite
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

demo: setup  ## spiking MNIST end to end, headless, on the bundled digits
	$(BIN)/python -m snnlib.demo

bench: setup  ## speed benchmarks (tables on standard output)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
