"""The instructor's workflow, end to end, on a small class: the Makefile's targets
over nbgrader, in a temporary copy of the course (the repository's own gradebook
and folders are never touched).

One problem set, ps1_convolution (12 autograded points, 2 by hand), is graded for
six students, handed in as a learning-management system's zip download:

============  =====================================================  =====
student       what they hand in                                      score
============  =====================================================  =====
complete      every solution                                         12
untouched     the released notebook as it is                         0
partial       some parts wrong (see PARTIAL)                         8.5
looping       flat_index never returns: that cell times out          10
editedtest    a wrong conv_matrix, and its test cell edited to pass  9
deletedtest   every solution, but one test cell deleted              9
============  =====================================================  =====

A run costs about a minute: nbgrader starts in ~3.4 s per command and executes
each notebook, plus the one cell that times out.
"""

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PS = "ps1_convolution"
TIMEOUT = 6  # seconds per cell in the test's course: a looping cell costs this much
AUTOGRADED_POINTS = 12

# The partial student's mistakes: (answer cell, solution text, wrong text, points lost).
PARTIAL = [
    # correlate2d ignores strides: 2 of its 3 checks pass (-1 point), and conv_matrix,
    # built on it as part 3 suggests, fails its stride-2 check too (-1 point)
    (
        "correlate2d",
        "sh, sw = (strides, strides) if np.isscalar(strides) else strides",
        "sh, sw = 1, 1",
        2.0,
    ),
    # conv_counts forgets the channels in matrix_nonzeros; the visible tests show it
    # (their second case has 3 channels), as do the hidden ones: 3 of 4 checks pass
    # (-0.5 point)
    ("conv_counts", "n_out * n_in, n_out * k * k * C", "n_out * n_in, n_out * k * k", 0.5),
    # flat_index channels first: unflatten passes, flat_index fails (-1 point)
    (
        "probe_reading",
        "return (row * W + col) * C + channel",
        "return (channel * H + row) * W + col",
        1.0,
    ),
]

EXPECTED = {
    "complete": 12.0,
    "untouched": 0.0,
    "partial": AUTOGRADED_POINTS - sum(lost for *_, lost in PARTIAL),  # 8.5
    "looping": 10.0,  # test_probe_reading (2 points) timed out
    "editedtest": 9.0,  # test_conv_matrix (3 points) restored and failed
    "deletedtest": 9.0,  # test_correlate2d (3 points) deleted: needs a manual grade
}


def nbgrader_env():
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def make(course, *args):
    """Run a Makefile target in ``course``, treating the venv as set up."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", *args],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"make {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    )
    return result.stdout + result.stderr


def solution_sources(ps):
    """``grade_id -> source`` of every solution cell, with the solution markers removed."""
    notebook = nbformat.read(ROOT / "solutions" / ps / f"{ps}.ipynb", as_version=4)
    sources = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            ]
            sources[meta["grade_id"]] = "\n".join(lines)
    return sources


def student_notebook(released, answers, edit=None, delete=()):
    """The released notebook with ``answers`` (grade_id -> source) filled in, test
    cells in ``edit`` (grade_id -> source) edited, and those in ``delete`` removed."""
    notebook = nbformat.from_dict(json.loads(json.dumps(released)))
    cells = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in delete:
            continue
        if grade_id in answers:
            cell.source = answers[grade_id]
        if edit and grade_id in edit:
            cell.source = edit[grade_id]
        cells.append(cell)
    notebook.cells = cells
    return notebook


def replace_once(text, old, new):
    assert text.count(old) == 1, f"the solution no longer contains {old!r} once"
    return text.replace(old, new)


def make_class(released):
    solutions = solution_sources(PS)

    partial = dict(solutions)
    for grade_id, old, new, _ in PARTIAL:
        partial[grade_id] = replace_once(partial[grade_id], old, new)

    looping = dict(solutions)
    looping["probe_reading"] = replace_once(
        looping["probe_reading"],
        "return (row * W + col) * C + channel",
        "while True:  # a bug that never ends\n        pass",
    )

    edited = dict(solutions)
    edited["conv_matrix"] = replace_once(
        edited["conv_matrix"], "np.stack(columns, axis=1)", "np.stack(columns, axis=0)"
    )

    return {
        "complete": student_notebook(released, solutions),
        "untouched": student_notebook(released, {}),
        "partial": student_notebook(released, partial),
        "looping": student_notebook(released, looping),
        "editedtest": student_notebook(
            released, edited, edit={"test_conv_matrix": "# my tests pass\n3.0"}
        ),
        "deletedtest": student_notebook(released, solutions, delete={"test_correlate2d"}),
    }


def canvas_zip(path, notebooks):
    """A zip as Canvas's "Download Submissions" gives it:
    ``<name>_[LATE_]<user id>_<submission id>_<file name>``."""
    with zipfile.ZipFile(path, "w") as archive:
        for i, (student, notebook) in enumerate(notebooks.items()):
            late = "LATE_" if student == "untouched" else ""
            suffix = "-1" if student == "partial" else ""  # Canvas's name for a resubmission
            name = f"{student}_{late}{1000 + i}_{50000 + i}_{PS}{suffix}.ipynb"
            archive.writestr(name, nbformat.writes(notebook))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory, as_the_sandbox_user):
    """A temporary course: release, zip-collect, autograde, feedback, grades."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy2(ROOT / "Makefile", course)
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + f"\n# the grading test's short timeout\nc.Execute.timeout = {TIMEOUT}\n"
    )
    shutil.copytree(ROOT / "solutions" / PS, course / "solutions" / PS)
    shutil.copytree(ROOT / "scripts", course / "scripts")
    shutil.copytree(ROOT / "sandbox", course / "sandbox")  # graded as the Makefile grades
    (course / ".venv").symlink_to(Path(sys.executable).parent.parent)

    logs = {"release": make(course, "release", f"PS={PS}")}
    released = nbformat.read(course / "exercises" / PS / f"{PS}.ipynb", as_version=4)
    archive = canvas_zip(course / "submissions.zip", make_class(released))
    logs["zip-collect"] = make(course, "zip-collect", f"PS={PS}", f"ZIP={archive}")
    with as_the_sandbox_user():  # conftest.py: one class at a time as snn-sandbox
        logs["autograde"] = make(course, "autograde", f"PS={PS}")
    logs["feedback"] = make(course, "feedback", f"PS={PS}")
    logs["grades"] = make(course, "grades")
    return course, logs


def read_grades(course):
    with open(course / "grades.csv", newline="") as stream:
        return {row["student_id"]: row for row in csv.DictReader(stream) if row["assignment"] == PS}


def test_zip_collect_reads_canvas_names(graded):
    course, _ = graded
    for student in EXPECTED:
        assert (course / "submitted" / student / PS / f"{PS}.ipynb").is_file(), student


def test_every_student_gets_the_exact_score(graded):
    course, _ = graded
    grades = read_grades(course)
    assert set(grades) == set(EXPECTED)
    scores = {student: float(row["score"]) for student, row in grades.items()}
    assert scores == EXPECTED
    for row in grades.values():
        assert float(row["max_score"]) == AUTOGRADED_POINTS + 2  # plus the written answer


def test_every_student_gets_feedback_without_the_hidden_tests(graded):
    course, _ = graded
    for student in EXPECTED:
        html = (course / "feedback" / student / PS / f"{PS}.html").read_text()
        assert "test_conv_output_shape" in html or "conv_output_shape" in html
        assert "BEGIN HIDDEN TESTS" not in html
        assert "default_rng(1001)" not in html  # a hidden test's seed


def test_the_looping_cell_timed_out_and_grading_went_on(graded):
    course, _ = graded
    notebook = nbformat.read(course / "autograded" / "looping" / PS / f"{PS}.ipynb", as_version=4)
    errors = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                errors.setdefault(grade_id, []).append(output.ename)
    # the only error: the test cell calling flat_index, stopped by the timeout
    assert list(errors) == ["test_probe_reading"]
    assert "CellTimeoutError" in errors["test_probe_reading"]


def test_an_edited_test_cell_is_restored(graded):
    course, _ = graded
    notebook = nbformat.read(
        course / "autograded" / "editedtest" / PS / f"{PS}.ipynb", as_version=4
    )
    source = next(
        cell.source
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_conv_matrix"
    )
    assert "my tests pass" not in source
    assert "PartialCredit(points=3)" in source
    assert "BEGIN HIDDEN TESTS" in source  # the hidden tests ran too


def test_manual_grading_is_flagged(graded):
    """Written answers, and a deleted test cell, wait for the instructor."""
    from nbgrader.api import Gradebook

    course, _ = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:

        def needs_manual(student):
            submission = gradebook.find_submission_notebook(PS, PS, student)
            return sorted(grade.name for grade in submission.grades if grade.needs_manual_grade)

        assert needs_manual("complete") == ["conv_is_not_neurons"]
        assert needs_manual("untouched") == []  # an unchanged answer scores 0 by itself
        assert "test_correlate2d" in needs_manual("deletedtest")


# --- collecting: the zip_collect regular expression, and a folder of hand-ins ------


def course_config():
    from traitlets.config import Config

    config = Config()
    exec((ROOT / "nbgrader_config.py").read_text(), {"get_config": lambda: config})
    return config


def test_the_course_config():
    config = course_config()
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "exercises"
    assert config.CourseDirectory.course_id
    assert isinstance(config.Execute.timeout, int) and config.Execute.timeout >= 30
    # ignored in the course's root (a leading "/"), not in folders of the same
    # name elsewhere, such as the classroom's feedback template
    ignored = (ROOT / ".gitignore").read_text().split()
    for made_at_run_time in (
        "/gradebook.db",
        "/submitted/",
        "/autograded/",
        "/feedback/",
        "/downloaded/",
        "/grades.csv",
    ):
        assert made_at_run_time in ignored


@pytest.mark.parametrize(
    "name, student, file_id",
    [
        ("doejane_12345_678901_ps1_convolution.ipynb", "doejane", "ps1_convolution"),
        ("doejane_LATE_12345_678902_ps1_convolution-1.ipynb", "doejane", "ps1_convolution"),
        ("o-brienmary_7_8_ps2_lif-12.ipynb", "o-brienmary", "ps2_lif"),
        ("submissions/li_1_2_ps4_spiking_cnn.ipynb", "li", "ps4_spiking_cnn"),
    ],
)
def test_zip_collect_reads_canvas_file_names(name, student, file_id):
    regex = course_config().FileNameCollectorPlugin.named_regexp
    match = re.match(regex, f"/course/downloaded/ps/extracted/{name}")
    assert match and match.group("student_id") == student and match.group("file_id") == file_id


@pytest.mark.parametrize(
    "name",
    [
        "ps1_convolution.ipynb",
        "doejane_ps1_convolution.ipynb",
        "doejane_12345_678901_ps1_convolution.py",
    ],
)
def test_zip_collect_skips_other_names(name):
    regex = course_config().FileNameCollectorPlugin.named_regexp
    assert re.match(regex, f"/course/downloaded/ps/extracted/{name}") is None


def test_collect_from_a_folder(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "nbgrader_collect_folder", ROOT / "scripts" / "nbgrader_collect_folder.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    course, handins = tmp_path / "course", tmp_path / "handins"
    (course / "exercises" / PS).mkdir(parents=True)
    (course / "exercises" / PS / f"{PS}.ipynb").write_text("{}")
    for path in (
        f"alice/{PS}.ipynb",
        f"bob/{PS}/{PS}.ipynb",
        "carol/notes.txt",
        f"dave/{PS}.ipynb",
        f"dave/copy/{PS}.ipynb",
    ):
        (handins / path).parent.mkdir(parents=True, exist_ok=True)
        (handins / path).write_text(path)

    collected, skipped, problems = script.collect(PS, handins, root=course)
    assert collected == ["alice", "bob"] and skipped == []
    assert [p.split(":")[0] for p in problems] == ["carol", "dave"]
    assert (course / "submitted" / "bob" / PS / f"{PS}.ipynb").read_text() == f"bob/{PS}/{PS}.ipynb"

    assert script.collect(PS, handins, root=course)[:2] == ([], ["alice", "bob"])
    assert script.collect(PS, handins, root=course, force=True)[:2] == (["alice", "bob"], [])
    with pytest.raises(SystemExit, match="no problem set"):
        script.collect("ps9_nothing", handins, root=course)


# --- the Makefile's targets (a dry run: nothing is executed) ------------------------


def make_dry_run(*args):
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "args, command",
    [
        (["release"], 'nbgrader generate_assignment "*" --force'),
        (["release", f"PS={PS}"], f'nbgrader generate_assignment "{PS}" --force'),
        (["collect", f"PS={PS}"], f'nbgrader collect "{PS}" --update'),
        (
            ["collect", f"PS={PS}", "FROM=handins"],
            f'scripts/nbgrader_collect_folder.py "{PS}" "handins"',
        ),
        (["zip-collect", f"PS={PS}", "ZIP=class.zip"], f'nbgrader zip_collect "{PS}" --force'),
        (["autograde", f"PS={PS}"], f'nbgrader autograde "{PS}"'),
        (["feedback"], 'nbgrader generate_feedback "*"'),
        (["grades"], 'nbgrader export --to "grades.csv"'),
    ],
)
def test_makefile_targets_run_nbgrader_from_the_venv(args, command):
    commands = make_dry_run(*args)
    line = next(line for line in commands.splitlines() if command in line)
    assert line.startswith(f'PATH="{ROOT}/.venv/bin:$PATH"'), line


def test_zip_collect_copies_the_download_first():
    commands = make_dry_run("zip-collect", f"PS={PS}", "ZIP=class.zip")
    assert f'cp "class.zip" "downloaded/{PS}/archive/"' in commands


@pytest.mark.parametrize("target", ["collect", "zip-collect"])
def test_collecting_needs_one_problem_set(target):
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"make {target} PS=ps1_convolution" in result.stderr
