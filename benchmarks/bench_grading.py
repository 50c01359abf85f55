"""How long `nbgrader autograde` takes for each problem set.

For each problem set, in a temporary copy of the course: generate the student
version, hand in complete solutions for 1 and then 3 students, and time
`nbgrader autograde` (wall clock, nbgrader's start-up included), with one BLAS
thread as `make autograde` runs it. Prints a table; the target is under 15 s for
one submission on 2 cores.

Run with `make bench` or `python benchmarks/bench_grading.py [ps ...]`.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET = 15.0  # seconds for one submission


def nbgrader(course, *args):
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["OPENBLAS_NUM_THREADS"] = "1"  # as `make autograde` runs it
    start = time.perf_counter()
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return seconds


def complete_submission(ps, course):
    """The released notebook with every solution cell filled in from solutions/."""
    solutions = nbformat.read(ROOT / "solutions" / ps / f"{ps}.ipynb", as_version=4)
    answers = {}
    for cell in solutions.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = "\n".join(
                line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                and "### END SOLUTION" not in line)
    released = nbformat.read(course / "exercises" / ps / f"{ps}.ipynb", as_version=4)
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return released


def points(ps):
    notebook = nbformat.read(ROOT / "solutions" / ps / f"{ps}.ipynb", as_version=4)
    auto = manual = 0
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution"):
                manual += meta["points"]
            else:
                auto += meta["points"]
    return auto, manual


def autograde_times(ps, n_students=(1, 3)):
    """Seconds to autograde ``n`` complete submissions, for each ``n``."""
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions" / ps, course / "solutions" / ps)
        nbgrader(course, "generate_assignment", ps)
        submission = complete_submission(ps, course)
        for n in n_students:
            for student in range(n):
                folder = course / "submitted" / f"student{student}" / ps
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(submission, folder / f"{ps}.ipynb")
            times[n] = nbgrader(course, "autograde", ps, "--force")
    return times


def main(problem_sets=None):
    problem_sets = problem_sets or sorted(
        p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())
    print(f"nbgrader autograde, complete submissions, {os.cpu_count()} cores "
          f"(wall clock, start-up included; target < {TARGET:g} s for one)")
    print(f"{'problem set':<18} {'points':>10} {'1 student':>10} {'3 students':>11} "
          f"{'per extra':>10} {'target':>7}")
    for ps in problem_sets:
        auto, manual = points(ps)
        times = autograde_times(ps)
        per_student = (times[3] - times[1]) / 2
        verdict = "ok" if times[1] < TARGET else "SLOW"
        print(f"{ps:<18} {f'{auto:g}+{manual:g}':>10} {times[1]:>9.1f}s {times[3]:>10.1f}s "
              f"{per_student:>9.1f}s {verdict:>7}", flush=True)
    print("points: autograded + graded by hand")


if __name__ == "__main__":
    main(sys.argv[1:])
