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
	# JupyterLab: no "get notified about Jupyter news" prompt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
		> $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

lab: setup  ## open the course in JupyterLab, at the first lecture
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab course/00_welcome.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

test: setup  ## run the whole test suite
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

demo: setup  ## spiking MNIST end to end, headless, on the bundled digits
	$(BIN)/python -m snnlib.course.demo

bench: setup  ## speed benchmarks (tables on standard output)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache

# --- Exercises: the instructor's workflow with nbgrader (see docs/exercises.md) ---
# PS names a problem set (PS=ps1_convolution); "*", the default, means all of them
# where nbgrader allows it. ARGS passes options on to nbgrader, e.g. ARGS=--force.
PS ?= *
ARGS ?=
GRADES ?= grades.csv
# One BLAS thread per notebook: the simulator's matrix products are small, and
# extra threads only wait for each other (many times slower on a busy machine).
NBGRADER := PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 $(BIN)/nbgrader
NEED_PS = @test "$(PS)" != "*" || { echo "make $@: name one problem set, e.g. make $@ PS=ps1_convolution" >&2; exit 2; }

.PHONY: release collect zip-collect autograde feedback grades

release: setup  ## student versions: solutions/$(PS) -> exercises/$(PS), recorded in gradebook.db
	$(NBGRADER) generate_assignment "$(PS)" --force $(ARGS)

collect: setup  ## submissions -> submitted/<student>/$(PS)/, from nbgrader's exchange or FROM=<folder>
	$(NEED_PS)
	$(if $(FROM),PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/nbgrader_collect_folder.py "$(PS)" "$(FROM)" $(ARGS),$(NBGRADER) collect "$(PS)" --update $(ARGS))

zip-collect: setup  ## a learning-management system's download (ZIP=<file> or downloaded/$(PS)/archive/) -> submitted/
	$(NEED_PS)
	$(if $(ZIP),mkdir -p "downloaded/$(PS)/archive" && cp "$(ZIP)" "downloaded/$(PS)/archive/",)
	$(NBGRADER) zip_collect "$(PS)" --force $(ARGS)

autograde: setup gradebook.db  ## run and score submitted/*/$(PS)/ -> autograded/ and gradebook.db
	$(NBGRADER) autograde "$(PS)" $(ARGS)

feedback: setup  ## an HTML report per student: feedback/<student>/$(PS)/
	$(NBGRADER) generate_feedback "$(PS)" $(ARGS)

grades: setup  ## every score in gradebook.db -> $(GRADES)
	$(NBGRADER) export --to "$(GRADES)" $(ARGS)

# autograde needs the problem sets (and their hidden tests) in the gradebook: make
# it from solutions/ when there is none yet, leaving exercises/ (and any work a
# self-learner did there) as it is.
gradebook.db: | setup
	tmp=$$(mktemp -d) && $(NBGRADER) generate_assignment "*" --CourseDirectory.release_directory="$$tmp"; \
	status=$$?; rm -rf "$$tmp"; exit $$status
