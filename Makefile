# The course's commands. Each target sets up .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test lint demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,site]'
	# jsonschema loads rfc3987-syntax if it is installed (jupyter-events asks for it),
	# which compiles a grammar on import: 2.5 s more to start every nbgrader command,
	# Jupyter server and notebook run. No Jupyter schema uses the formats it checks
	# (iri, iri-reference); without it, jsonschema leaves them unchecked.
	$(BIN)/pip uninstall --quiet --yes rfc3987-syntax
	# JupyterLab: no "get notified about Jupyter news" prompt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
		> $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

# One BLAS thread per process: the simulator's matrix products are small (it runs
# chunks of 16 images), and on a busy 2-core machine BLAS threads spin waiting for
# each other (several times slower), e.g. while an explorer computes in the
# background or two test workers run. The numbers do not change.
ONE_BLAS_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

lab: setup  ## open the course in JupyterLab, at the first lecture
	PATH="$(CURDIR)/$(BIN):$$PATH" $(ONE_BLAS_THREAD) $(BIN)/jupyter lab course/00_welcome.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

# The tests run in three processes (pytest-xdist) on two cores: much of a test's time
# is spent waiting (for a server to start, a cell to time out, a page to draw), and a
# third process fills it. One file's tests stay together, so a file's servers and
# fixtures start once; the longest files start first (tests/conftest.py).
test: lint site-assets  ## the style and layer checks, then the whole test suite
	PATH="$(CURDIR)/$(BIN):$$PATH" $(ONE_BLAS_THREAD) $(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder

lint: setup  ## ruff (lint, format) and lint-imports (the library's layers)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

demo: setup  ## spiking MNIST end to end, headless, on the bundled digits
	$(ONE_BLAS_THREAD) $(BIN)/python -m snnlib.course.demo

bench: setup  ## speed benchmarks (tables on standard output)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache _build test-output site/node_modules

# --- Exercises: the instructor's workflow with nbgrader (see docs/exercises.md) ---
# PS names a problem set (PS=ps1_convolution); "*", the default, means all of them
# where nbgrader allows it. ARGS passes options on to nbgrader, e.g. ARGS=--force.
PS ?= *
ARGS ?=
GRADES ?= grades.csv
# One BLAS thread per notebook, as for `make lab` above.
NBGRADER := PATH="$(CURDIR)/$(BIN):$$PATH" $(ONE_BLAS_THREAD) $(BIN)/nbgrader
NEED_PS = @test "$(PS)" != "*" || { echo "make $@: name one problem set, e.g. make $@ PS=ps1_convolution" >&2; exit 2; }

.PHONY: release collect zip-collect autograde feedback grades sandbox-user sandbox-check

# autograde runs each student's notebook in a sandbox (sandbox/, docs/sandbox.md):
# its kernel through bubblewrap (as the unprivileged user snn-sandbox when run as
# root), seeing only Python, the virtual environment and snnlib, read-only, with
# no network and with memory, process, CPU-time and file-size limits. A cell that
# cannot be interrupted, or a kernel that dies, loses that student the cells after
# it, and the rest of the class is still graded. Without bubblewrap, grading goes
# on unsandboxed, with a warning.
SANDBOXED_PREPROCESSORS := '--Autograde.autograde_preprocessors=["sandbox.execute.SandboxedExecute", \
"nbgrader.preprocessors.IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor", \
"nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades", \
"nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]'
SANDBOX = $(if $(wildcard sandbox/execute.py),$(SANDBOXED_PREPROCESSORS))

release: setup  ## student versions: solutions/$(PS) -> exercises/$(PS), recorded in gradebook.db
	$(NBGRADER) generate_assignment "$(PS)" --force $(ARGS)

collect: setup  ## submissions -> submitted/<student>/$(PS)/, from nbgrader's exchange or FROM=<folder>
	$(NEED_PS)
	$(if $(FROM),PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/nbgrader_collect_folder.py "$(PS)" "$(FROM)" $(ARGS),$(NBGRADER) collect "$(PS)" --update $(ARGS))

zip-collect: setup  ## a learning-management system's download (ZIP=<file> or downloaded/$(PS)/archive/) -> submitted/
	$(NEED_PS)
	$(if $(ZIP),mkdir -p "downloaded/$(PS)/archive" && cp "$(ZIP)" "downloaded/$(PS)/archive/",)
	$(NBGRADER) zip_collect "$(PS)" --force $(ARGS)

autograde: setup gradebook.db  ## run and score submitted/*/$(PS)/ -> autograded/ and gradebook.db, sandboxed
	@links=$$(find submitted -type l 2>/dev/null); test -z "$$links" || { \
	echo "make autograde: symbolic links in submitted/ (nbgrader would copy what they point to, for the student's code to read); remove them:" >&2; \
	echo "$$links" >&2; exit 2; }
	$(if $(SANDBOX),,@echo "make autograde: WARNING: no sandbox/ folder here: students' code runs unsandboxed" >&2)
	$(NBGRADER) autograde "$(PS)" $(SANDBOX) $(ARGS)

feedback: setup  ## an HTML report per student: feedback/<student>/$(PS)/
	$(NBGRADER) generate_feedback "$(PS)" $(ARGS)

grades: setup  ## every score in gradebook.db -> $(GRADES)
	$(NBGRADER) export --to "$(GRADES)" $(ARGS)

sandbox-user: setup  ## as root: create the unprivileged user that graded code runs as
	$(BIN)/python -m sandbox setup

sandbox-check: setup  ## check that the sandbox protects what docs/sandbox.md says it does
	PATH="$(CURDIR)/$(BIN):$$PATH" OPENBLAS_NUM_THREADS=1 $(BIN)/python -m sandbox check

# autograde needs the problem sets (and their hidden tests) in the gradebook: make
# it from solutions/ when there is none yet, leaving exercises/ (and any work a
# self-learner did there) as it is.
gradebook.db: | setup
	tmp=$$(mktemp -d) && $(NBGRADER) generate_assignment "*" --CourseDirectory.release_directory="$$tmp"; \
	status=$$?; rm -rf "$$tmp"; exit $$status

# --- A class on JupyterHub (deploy/jupyterhub/, docs/classroom.md) ---------------
# As root: `make classroom ROSTER=roster.csv` installs the hub's environment (in
# CLASSROOM_PREFIX, made from a Python every user can run) and its pinned proxy
# (npm ci), makes the roster's accounts and starts JupyterHub on
# 127.0.0.1:CLASSROOM_PORT. CLASSROOM_AUTH=shared gives a workshop one password for
# students and one for instructors instead of each account's own (pam).
ROSTER ?= deploy/jupyterhub/roster.csv
CLASSROOM_PORT ?= 8000
CLASSROOM_AUTH ?= pam
CLASSROOM_PREFIX ?= /opt/snn-classroom
CLASSROOM_STATE ?= /srv/snn-classroom
CLASSROOM_PYTHON ?= /usr/bin/python3
CLASSROOM := $(PYTHON) deploy/jupyterhub/classroom.py --prefix "$(CLASSROOM_PREFIX)" --state "$(CLASSROOM_STATE)"

.PHONY: classroom classroom-install classroom-stop classroom-test exchange-release exchange-feedback

classroom-install:  ## as root: the hub's Python environment and the pinned proxy
	$(CLASSROOM) install --python "$(CLASSROOM_PYTHON)"

classroom: classroom-install  ## as root: the roster's accounts, then JupyterHub in the background
	$(CLASSROOM) accounts "$(ROSTER)"
	$(CLASSROOM) start "$(ROSTER)" --port "$(CLASSROOM_PORT)" --auth "$(CLASSROOM_AUTH)"

classroom-stop:  ## as root: stop the hub, its proxy and every user's server, by process id
	$(CLASSROOM) stop

classroom-test: setup classroom-install  ## as root: a whole class through the hub, on 127.0.0.1
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests/test_classroom.py tests/test_classroom_config.py

# In the hub, in the instructor's course folder: nbgrader's exchange, which
# students fetch from and submit to in JupyterLab's Assignments panel.
exchange-release: setup  ## exercises/$(PS) -> the exchange, for students to fetch
	$(NEED_PS)
	$(NBGRADER) release_assignment "$(PS)" $(ARGS)

exchange-feedback: setup  ## feedback/*/$(PS)/ -> the exchange, for each student to fetch their own
	$(NEED_PS)
	$(NBGRADER) release_feedback "$(PS)" $(ARGS)

# --- The course as a website (site/, README "The course as a website") -----------
# `make site` builds _build/html from README, the lectures (run at build time, through
# myst-nb's cache in _build/.jupyter_cache: a lecture is run again only when it or
# snnlib changed), the problem sets as students get them, docs/ and the API
# reference. Warnings are errors (-W); every page is read and written afresh (-E,
# into an emptied _build/html: nothing stale gets published), which the cache makes
# cheap. Every file a page loads is in the site: site/package-lock.json pins
# MathJax and the widget manager, installed by `npm ci` (make site-assets).
SITE_ASSETS := site/node_modules/.package-lock.json
SPHINX_BUILD := PATH="$(CURDIR)/$(BIN):$$PATH" $(ONE_BLAS_THREAD) $(BIN)/sphinx-build -E -W --keep-going -b html -c site

.PHONY: site site-assets

site: setup site-assets  ## the course as a static website in _build/html (open _build/html/index.html)
	rm -rf _build/html
	$(SPHINX_BUILD) -d _build/doctrees . _build/html

site-assets: $(SITE_ASSETS)  ## the website's pinned browser assets (npm ci in site/)

$(SITE_ASSETS): site/package-lock.json
	cd site && npm ci --ignore-scripts --no-audit --no-fund
