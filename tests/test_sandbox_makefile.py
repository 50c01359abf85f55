"""`make autograde` and the sandbox: what the Makefile gives nbgrader, and grading
on a machine without bubblewrap (test_sandbox.py grades a hostile class in it).

The Makefile replaces nbgrader's Execute preprocessor, and only it, with the
sandboxed one. On a laptop without bubblewrap, a class of two (an honest student
and one whose cell loops, catching every interrupt) is graded with a warning and
the same scores as in the sandbox: about 28 s alone on 2 cores (a release, then
grading), 9 s of it the looping cell's 5 s timeout and nbclient's 4 s wait for
output before the kernel is killed.
"""

import json
import re
import subprocess

import nbformat
from test_grading import solution_sources, student_notebook
from test_sandbox import (
    EXPECTED,
    PS,
    ROOT,
    SWALLOW,
    new_course,
    run_make,
    scores,
    submit,
    with_cell,
)

# --- without bubblewrap: a warning, and grading as before ---------------------------


def test_without_bubblewrap_grading_goes_on_with_a_warning(tmp_path_factory):
    course = new_course(
        tmp_path_factory, "laptop", 'c.SandboxKernelManager.bwrap = "no-such-bwrap"\n'
    )
    released = nbformat.read(course / "exercises" / PS / f"{PS}.ipynb", as_version=4)
    solutions = solution_sources(PS)
    submit(
        course,
        {
            "aa_honest": student_notebook(released, solutions),
            "attack_swallow": with_cell(
                student_notebook(released, solutions), "test_correlate2d", SWALLOW
            ),
        },
    )
    status, log, seconds = run_make(course, "autograde", f"PS={PS}")
    print(f"\nmake autograde, 2 students without bubblewrap: {seconds:.1f} s")
    assert status == 0, log[-5000:]
    assert "[sandbox] WARNING: bubblewrap does not work here (no `no-such-bwrap` program)" in log
    assert "WITHOUT the sandbox" in log
    assert scores(course) == {
        "aa_honest": EXPECTED["aa_honest"],
        "attack_swallow": EXPECTED["attack_swallow"],
    }


# --- the Makefile ---------------------------------------------------------------------


def test_the_makefile_keeps_nbgraders_preprocessors_but_execute():
    """`make autograde` replaces nbgrader's Execute, and only it, in nbgrader's list."""
    from nbgrader.converters import Autograde
    from traitlets.utils.importstring import import_item

    commands = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "autograde", f"PS={PS}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    listed = re.search(r"--Autograde\.autograde_preprocessors=(\[.*?\])", commands)
    assert listed, commands
    listed = json.loads(listed.group(1))
    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    assert len(listed) == len(defaults)
    for name, default in zip(listed, defaults, strict=True):
        if default.__name__ == "Execute":
            assert name == "sandbox.execute.SandboxedExecute"
            assert issubclass(import_item(name), default)
        else:
            assert import_item(name) is default, name
