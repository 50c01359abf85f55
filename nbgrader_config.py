"""nbgrader configuration: this repository is the course directory.

Run nbgrader from the repository's root (the Makefile does) with the virtual
environment's ``bin/`` first on ``PATH``: nbgrader makes a new gradebook by
running the ``alembic`` executable it finds there. See docs/exercises.md for
the instructor's workflow.

Layout, relative to the root::

    solutions/<ps>/<ps>.ipynb            source: solutions and hidden tests (committed)
    exercises/<ps>/<ps>.ipynb            student versions, made by `make release` (committed)
    downloaded/<ps>/archive/             a learning-management system's download, for zip_collect
    submitted/<student>/<ps>/<ps>.ipynb  submissions, made by collect or zip_collect
    autograded/<student>/<ps>/           made by autograde
    feedback/<student>/<ps>/<ps>.html    made by generate_feedback
    gradebook.db, grades.csv             the gradebook (SQLite) and the export
"""

c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

# --- the course ---------------------------------------------------------------
# course_id matters only to the exchange commands (release_assignment, collect,
# fetch, submit); the exchange is /srv/nbgrader/exchange unless
# c.Exchange.root says otherwise.
c.CourseDirectory.course_id = "spiking-cnns"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# gradebook.db sits at the root (nbgrader's default), ignored by git.

# --- grading ------------------------------------------------------------------
# Per cell, in seconds (nbgrader's default is 30). The slowest grading cells
# (problem set 4's, which simulate the spiking network on up to 100 digits) take
# a second or two; a student's cell that runs longer than this is interrupted,
# scores 0, and grading goes on with the next cell.
c.Execute.timeout = 60

# Feedback shows hidden tests' results; the hidden tests' code stays hidden.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

# --- validate -------------------------------------------------------------------
# Nothing to set. `nbgrader validate` and JupyterLab's Validate button (nbgrader's
# validate_assignment server extension, which reads this file from the Jupyter
# server's working directory: `make lab` starts it here) show a failed cell's
# error, or, for a partial-credit cell, what it wrote on standard error. While
# nbgrader validates (NBGRADER_EXECUTION=validate), snnlib.course.grading.PartialCredit
# writes each failed check's message and hint there; never when grading.

# --- zip_collect: submissions downloaded from a learning-management system ------
# `make zip-collect PS=ps1_convolution` reads downloaded/<ps>/archive/ (zip
# files, or the notebooks themselves). The regular expression is matched
# against each extracted file's whole path. This one reads Canvas's names,
#
#     <name>_[LATE_]<user id>_<submission id>_<file name>[-<n>].ipynb
#     e.g. doejane_12345_678901_ps1_convolution.ipynb
#          doejane_LATE_12345_678902_ps1_convolution-1.ipynb  (a resubmission)
#
# taking <name> as the student id. For another system, write a regular
# expression with the named groups student_id and file_id (the notebook's
# name) for its file names; see docs/exercises.md.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_"
    r"(?P<file_id>[A-Za-z0-9_]+?)(?:-\d+)?\.ipynb$"
)
c.FileNameCollectorPlugin.valid_ext = [".ipynb"]
