"""How long `nbgrader autograde` takes for each problem set, with and without the sandbox.

For each problem set, in a temporary copy of the course: generate the student
version, hand in complete solutions for 1 and then 3 students, and time
`nbgrader autograde` (wall clock, nbgrader's start-up included) as `make
autograde` runs it: one BLAS thread, each kernel in the sandbox (sandbox/,
docs/sandbox.md). The target is under 15 s for one submission on 2 cores.

Then the sandbox's cost per notebook: one complete submission, hidden tests
included, run by nbgrader's Execute preprocessor and by the sandbox's, in turns
(on a shared machine, timings of whole `nbgrader autograde` runs minutes apart
differ by more than that cost). Prints two tables.

Run with `make bench` or `python benchmarks/bench_grading.py [--json PATH] [ps ...]`.
"""

import json
import os
import shlex
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


def sandbox_arguments():
    """The options `make autograde` gives nbgrader to run each kernel in the sandbox."""
    commands = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "autograde", "PS=ps"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in commands.splitlines() if 'nbgrader autograde "ps"' in line)
    arguments = shlex.split(line.split('nbgrader autograde "ps"', 1)[1])
    if not arguments:
        raise RuntimeError("`make autograde` runs nbgrader without the sandbox")
    return arguments


def nbgrader(course, *args):
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["OPENBLAS_NUM_THREADS"] = "1"  # as `make autograde` runs it
    start = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    if "WITHOUT the sandbox" in result.stderr:
        raise RuntimeError("bubblewrap does not work here: the sandbox's cost cannot be measured")
    return seconds


def complete_submission(ps, course):
    """The released notebook with every solution cell filled in from solutions/."""
    solutions = nbformat.read(ROOT / "solutions" / ps / f"{ps}.ipynb", as_version=4)
    answers = {}
    for cell in solutions.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = "\n".join(
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            )
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


def autograde_times(ps, options, n_students=(1, 3)):
    """Seconds to autograde ``n`` complete submissions with the nbgrader
    ``options``, for each ``n``."""
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions" / ps, course / "solutions" / ps)
        shutil.copytree(
            ROOT / "sandbox", course / "sandbox", ignore=shutil.ignore_patterns("__pycache__")
        )
        nbgrader(course, "generate_assignment", ps)
        submission = complete_submission(ps, course)
        for n in n_students:
            for student in range(n):
                folder = course / "submitted" / f"student{student}" / ps
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(submission, folder / f"{ps}.ipynb")
            times[n] = nbgrader(course, "autograde", ps, "--force", *options)
    return times


def execution_times(ps, repeats=5):
    """Seconds to run one complete submission of ``ps`` as `nbgrader autograde`
    runs it (its Execute preprocessor, hidden tests included), in the sandbox
    and not, alternately (a busy machine slows both alike): {mode: [seconds]}."""
    from nbgrader.preprocessors import Execute

    sys.path.insert(0, str(ROOT))
    from sandbox.execute import SandboxedExecute

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        shutil.copytree(ROOT / "exercises" / ps, course / "exercises" / ps)
        submission = complete_submission(ps, course)
        solutions = nbformat.read(ROOT / "solutions" / ps / f"{ps}.ipynb", as_version=4)
        tests = {
            cell.metadata["nbgrader"]["grade_id"]: cell.source
            for cell in solutions.cells
            if cell.metadata.get("nbgrader", {}).get("grade")
            and not cell.metadata["nbgrader"].get("solution")
        }
        for cell in submission.cells:  # the hidden tests, as nbgrader restores them
            cell.source = tests.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
        folder = Path(tmp) / "autograded" / "student" / ps
        folder.mkdir(parents=True)
        os.environ.update(OPENBLAS_NUM_THREADS="1", NBGRADER_EXECUTION="autograde")
        seconds = {"sandboxed": [], "plain": []}
        previous = os.getcwd()
        os.chdir(course)  # nbgrader runs in the course's root
        try:
            for _ in range(repeats):
                for mode, preprocessor in (("sandboxed", SandboxedExecute), ("plain", Execute)):
                    notebook = nbformat.from_dict(submission)
                    start = time.perf_counter()
                    preprocessor(timeout=120).preprocess(
                        notebook, {"metadata": {"path": str(folder)}}
                    )
                    seconds[mode].append(time.perf_counter() - start)
                    errors = [
                        f"{output.ename}: {output.evalue}"
                        for cell in notebook.cells
                        for output in cell.get("outputs", [])
                        if output.output_type == "error"
                    ]
                    if errors:
                        raise RuntimeError(
                            f"{ps}, {mode}: a complete submission failed: {errors[0]}"
                        )
        finally:
            os.chdir(previous)
    return seconds


def median(values):
    return sorted(values)[len(values) // 2]


def main(argv=None):
    argv = list(argv or [])
    json_path = None
    if "--json" in argv:
        i = argv.index("--json")
        json_path, argv = argv[i + 1], argv[:i] + argv[i + 2 :]
    figures = {}
    problem_sets = argv or sorted(
        p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file()
    )
    sandbox = sandbox_arguments()
    print(
        f"make autograde (nbgrader autograde, each kernel in the sandbox), complete "
        f"submissions, {os.cpu_count()} cores"
    )
    print(f"(wall clock, nbgrader's start-up included; target < {TARGET:g} s for one)")
    print(
        f"{'problem set':<18} {'points':>10} {'1 student':>10} {'3 students':>11} "
        f"{'per extra':>10} {'target':>7}"
    )
    for ps in problem_sets:
        auto, manual = points(ps)
        times = autograde_times(ps, sandbox)
        per_student = (times[3] - times[1]) / 2
        figures[ps] = {"autograde_1_student_s": times[1], "autograde_3_students_s": times[3]}
        verdict = "ok" if times[1] < TARGET else "SLOW"
        print(
            f"{ps:<18} {f'{auto:g}+{manual:g}':>10} {times[1]:>9.1f}s {times[3]:>10.1f}s "
            f"{per_student:>9.1f}s {verdict:>7}",
            flush=True,
        )
    print("points: autograded + graded by hand; per extra: (3 students - 1 student) / 2")

    repeats = 3
    print(
        f"\nthe sandbox's cost per notebook: one complete submission run as nbgrader runs "
        f"it\n(kernel start, every cell with the hidden tests, kernel stop), with nbgrader's "
        f"Execute\nand with the sandbox's, alternately; median of {repeats} (min in brackets)"
    )
    print(f"{'problem set':<18} {'plain':>14} {'sandboxed':>14} {'cost per notebook':>20}")
    for ps in problem_sets:
        seconds = execution_times(ps, repeats)
        plain, sandboxed = median(seconds["plain"]), median(seconds["sandboxed"])
        cost = sandboxed - plain
        figures[ps].update(notebook_plain_s=plain, notebook_sandboxed_s=sandboxed)
        print(
            f"{ps:<18} {plain:>6.2f}s ({min(seconds['plain']):.2f}) "
            f"{sandboxed:>6.2f}s ({min(seconds['sandboxed']):.2f}) "
            f"{cost:>+8.2f}s ({cost / plain:+.0%})",
            flush=True,
        )
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
