"""The exercises: their grading helpers, their structure, and that they run.

- `snnlib.grading`, the helpers test cells use: a wrong answer gets a message that
  says what was expected, what came back, and a hint; nothing reaches stderr.
- Every problem set in ``solutions/`` is an nbgrader source notebook with 4-8
  autograded parts with hidden tests, one or two written answers, and says its
  lecture, time, learning goals and points.
- The solution notebooks run top to bottom with every test cell earning all its
  points; the released notebooks (``exercises/``) run top to bottom raising only
  ``NotImplementedError``, and give no points for nothing.
- ``exercises/`` is what ``nbgrader generate_assignment`` makes from ``solutions/``.
"""

import contextlib
import doctest
import io
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from snnlib import grading
from snnlib.grading import (
    PartialCredit,
    call,
    check_answered,
    check_array,
    check_equal,
    check_scalar,
    check_shape,
    check_true,
    unpack,
)

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
PROBLEM_SETS = sorted(p.name for p in (ROOT / "solutions").iterdir()
                      if (p / f"{p.name}.ipynb").is_file())
LECTURES = {
    "ps1_convolution": "02_convolution",
    "ps2_lif": "03_lif_neurons",
    "ps3_synapses": "04_synapses",
    "ps4_spiking_cnn": "05_spiking_cnn",
}
CELL_TIMEOUT = 120  # seconds per cell when running the notebooks here


def failure(function, *args, **kwargs):
    """The message of the AssertionError that ``function`` raises."""
    with pytest.raises(AssertionError) as error:
        function(*args, **kwargs)
    return str(error.value)


# --- the grading helpers -----------------------------------------------------------


def test_the_module_examples_run():
    result = doctest.testmod(grading, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_checks_return_none_when_they_pass():
    # a test cell ending with a check then has no result: full points, not "partial"
    assert check_array("x", [1.0, 2.0], np.array([1.0, 2.0])) is None
    assert check_shape("x", np.zeros((2, 3)), (2, 3)) is None
    assert check_scalar("x", np.float32(0.5), 0.5, rtol=1e-6) is None
    assert check_equal("x", [26, 26, 32], (26, 26, 32)) is None
    assert check_true(True, "never shown") is None


def test_check_array_says_where_what_and_gives_the_hint():
    message = failure(check_array, "lif_rate(J)", np.array([1.0, 2.0, 9.0]), [1.0, 2.0, 3.0],
                      hint="use log1p")
    assert "lif_rate(J) has 1 wrong value(s) out of 3" in message
    assert "index 2: got 9.0, expected 3.0" in message
    assert message.endswith("Hint: use log1p")


def test_check_array_explains_shapes_and_types_without_a_numpy_traceback():
    assert "forget the `return`" in failure(check_array, "f(x)", None, [1.0])
    assert "transposed" in failure(check_array, "M", np.zeros((3, 2)), np.zeros((2, 3)))
    assert "right number of values" in failure(check_array, "y", np.zeros(6), np.zeros((2, 3)))
    assert "has 1 axes where 2" in failure(check_array, "y", np.zeros(5), np.zeros((2, 3)))
    assert "cannot be read as an array of numbers" in failure(
        check_array, "y", [[1, 2], [3]], np.zeros(2))
    assert "a str" in failure(check_array, "y", "1, 2", np.zeros(2))
    assert "NaN or infinite" in failure(check_array, "rate", [np.nan, 1.0], [0.0, 1.0])


def test_check_array_tolerances():
    check_array("x", [1.0 + 1e-9], [1.0], rtol=1e-8)
    check_array("x", [1e-13], [0.0], atol=1e-12)
    failure(check_array, "x", [1.001], [1.0], rtol=1e-6)


def test_check_scalar_wants_one_number():
    assert ".item()" in failure(check_scalar, "t", np.array([0.5]), 0.5)
    assert "forget the `return`" in failure(check_scalar, "t", None, 0.5)
    assert "a str" in failure(check_scalar, "t", "0.5", 0.5)
    assert "is 0.6, expected 0.5" in failure(check_scalar, "t", 0.6, 0.5)
    check_scalar("t", np.array(0.5), 0.5)
    check_scalar("t", np.inf, np.inf)


def test_check_equal_wants_whole_numbers_for_shapes():
    message = failure(check_equal, "shape", (13.0, 13, 4), (13, 13, 4))
    assert "a whole number" in message and "//" in message
    assert "True or False" in failure(check_equal, "answer", 1, True)
    assert "expected the tuple" in failure(check_equal, "shape", 169, (13, 13))
    assert "is (12, 12, 64), expected (5, 5, 128)" in failure(
        check_equal, "shape", (12, 12, 64), (5, 5, 128))
    check_equal("shape", np.array([5, 5, 128]), (5, 5, 128))
    check_equal("count", np.int64(29), 29)


def test_unpack_checks_what_a_function_returns():
    assert unpack("f()", [1, 2], ("a", "b")) == (1, 2)
    assert "return a, b" in failure(unpack, "f()", 3.0, ("a", "b"))
    assert "returned 3 value(s); it should return 2" in failure(unpack, "f()", (1, 2, 3), "ab")
    assert "forget the `return`" in failure(unpack, "f()", None, ("a", "b"))


def test_check_answered_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="N_STEPS is not answered yet"):
        check_answered("N_STEPS", None)
    check_answered("N_STEPS", 30)


def test_call_turns_errors_into_a_message_naming_the_students_line():
    def lif_rate(J):
        return J.no_such_attribute

    message = failure(call, lif_rate, np.zeros(3))
    assert "calling lif_rate(...) raised AttributeError" in message
    assert "return J.no_such_attribute" in message  # the line of the student's code


def test_call_passes_not_implemented_on_and_names_the_function():
    def first_spike_time(J):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match=r"first_spike_time\(\) is not answered yet"):
        call(first_spike_time, 2.0)


def test_call_keeps_stderr_clean_and_the_tests_data_intact(capfd):
    def noisy(x):
        warnings.warn("something odd")
        print("to stderr", file=sys.stderr)
        x[...] = 0  # changes its input in place
        return np.array([1.0, 0.0]) / 0.0

    x = np.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping call would raise here
        result = call(noisy, x)
    assert np.isinf(result[0])
    assert np.all(x == 1)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert "to stderr" in captured.out


def test_call_never_catches_keyboard_interrupt():
    # nbgrader stops a looping cell with KeyboardInterrupt; catching it would make
    # `nbgrader autograde` fail for that student
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call(interrupted)


def test_call_says_when_a_name_is_not_a_function():
    assert "should be a function" in failure(call, 3.0)


def test_partial_credit_prints_each_check_and_returns_a_float(capfd):
    credit = PartialCredit(points=2)
    with credit.check("first"):
        check_equal("a", 1, 1)
    with credit.check("second"):
        check_equal("b", 1, 2, hint="think again")
    with credit.check("third"):
        raise ValueError("a bug")
    with credit.check("fourth"):
        pass
    score = credit.score()
    assert score == 1.0 and type(score) is float  # text/plain "1.0", which nbgrader reads
    captured = capfd.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0] == "[PASS] first"
    assert lines[1] == "[FAIL] second"
    assert "b is 1, expected 2" in lines[2] and "Hint: think again" in captured.out
    assert "[FAIL] third" in captured.out and "ValueError: a bug" in captured.out
    assert lines[-1] == "2 of 4 checks passed: 1 of 2 points"


def test_partial_credit_for_a_part_not_answered(capfd):
    credit = PartialCredit(points=3)
    for name in ("one", "two"):
        with credit.check(name):
            raise NotImplementedError()
    with pytest.raises(NotImplementedError, match="not answered yet"):
        credit.score()
    assert "[TODO] one: not answered yet" in capfd.readouterr().out

    half = PartialCredit(points=3)  # one function answered, one not
    with half.check("answered"):
        pass
    with half.check("not answered"):
        raise NotImplementedError()
    with half.check("also answered"):
        pass
    assert half.score() == 2.0


def test_partial_credit_silences_warnings_and_lets_interrupts_through(capfd):
    credit = PartialCredit(points=1)
    with credit.check("warns"):
        warnings.warn("noise")
        np.array(1.0) / 0.0
        print("stray", file=sys.stderr)
    assert credit.score() == 1.0
    captured = capfd.readouterr()
    assert captured.err == "" and "stray" in captured.out
    with pytest.raises(KeyboardInterrupt):
        with credit.check("interrupted"):
            raise KeyboardInterrupt


def test_partial_credit_rejects_bad_points():
    with pytest.raises(ValueError):
        PartialCredit(points=0)
    with pytest.raises(ValueError, match="no checks"):
        PartialCredit(points=1).score()


# --- the problem sets' structure ---------------------------------------------------


def read(path):
    return nbformat.read(path, as_version=4)


def nbgrader_cells(notebook):
    return [(cell, cell.metadata["nbgrader"]) for cell in notebook.cells
            if "nbgrader" in cell.metadata]


def test_there_are_four_problem_sets():
    assert PROBLEM_SETS == sorted(LECTURES), PROBLEM_SETS


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_problem_set_structure(ps):
    notebook = read(ROOT / "solutions" / ps / f"{ps}.ipynb")
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    cells = nbgrader_cells(notebook)
    ids = [meta["grade_id"] for _, meta in cells]
    assert len(ids) == len(set(ids)), f"{ps}: grade_ids must be unique"

    tests = [(cell, meta) for cell, meta in cells
             if meta["grade"] and not meta["solution"]]
    written = [(cell, meta) for cell, meta in cells if meta["grade"] and meta["solution"]]
    answers = [(cell, meta) for cell, meta in cells if meta["solution"] and not meta["grade"]]
    assert 4 <= len(tests) <= 8, f"{ps}: {len(tests)} autograded parts"
    assert 1 <= len(written) <= 2, f"{ps}: {len(written)} written answers"
    for cell, meta in tests:
        assert cell.cell_type == "code" and meta["locked"] and meta["points"] > 0
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{ps}: {meta['grade_id']} has no hidden tests"
        assert cell.source.count("### BEGIN HIDDEN TESTS") == cell.source.count("### END HIDDEN TESTS")
        # random cases, seeded: the same on every run
        hidden = "".join(re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
                                    cell.source, flags=re.S))
        assert "default_rng(" in hidden or "expected" in hidden, meta["grade_id"]
        assert "import " in cell.source.split("### BEGIN HIDDEN TESTS")[0], (
            f"{ps}: {meta['grade_id']} must import what it uses (hidden tests run in the "
            "student's namespace)")
        assert "sys.stderr" not in cell.source and "tqdm" not in cell.source
    for cell, meta in written:
        assert cell.cell_type == "markdown" and meta["points"] > 0 and not meta["locked"]
        assert "### BEGIN SOLUTION" in cell.source
    for cell, meta in answers:
        assert "### BEGIN SOLUTION" in cell.source, f"{ps}: {meta['grade_id']}"

    intro = notebook.cells[0].source
    assert f"course/{LECTURES[ps]}" in intro
    assert re.search(r"Time: about \d+ minutes", intro)
    assert "Learning goals" in intro and "Validate" in intro
    auto = sum(meta["points"] for _, meta in tests)
    by_hand = sum(meta["points"] for _, meta in written)
    assert f"Points: {auto:g} autograded" in intro, f"{ps}: {auto:g} autograded points"
    assert f"{by_hand:g} for a written answer" in intro or f"{by_hand:g} for written answers" in intro


# --- running the notebooks ---------------------------------------------------------


def kernel_env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `make autograde` runs them
    return env


def execute(path):
    notebook = read(path)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=CELL_TIMEOUT, allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=kernel_env())
    return notebook


def outputs_of(cell):
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    stderr = [o.text for o in cell.get("outputs", [])
              if o.output_type == "stream" and o.name == "stderr"]
    results = [o.data.get("text/plain") for o in cell.get("outputs", [])
               if o.output_type == "execute_result"]
    return errors, stderr, results


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_solutions_earn_every_point(ps):
    notebook = execute(ROOT / "solutions" / ps / f"{ps}.ipynb")
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors, stderr, results = outputs_of(cell)
        where = f"{ps} cell {index} ({cell.metadata.get('nbgrader', {}).get('grade_id')})"
        assert not errors, f"{where}: {errors[0].ename}: {errors[0].evalue}"
        assert not stderr, f"{where} wrote on stderr (nbgrader scores it 0): {stderr}"
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and results:
            assert float(results[0]) == meta["points"], f"{where}: {results[0]}"


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_released_notebooks_raise_only_not_implemented(ps):
    notebook = execute(ROOT / "exercises" / ps / f"{ps}.ipynb")
    failed_tests = set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors, stderr, _ = outputs_of(cell)
        meta = cell.metadata.get("nbgrader", {})
        where = f"{ps} cell {index} ({meta.get('grade_id')})"
        assert not stderr, f"{where} wrote on stderr: {stderr}"
        for error in errors:
            assert error.ename == "NotImplementedError", f"{where}: {error.ename}: {error.evalue}"
        if errors and meta.get("grade"):
            failed_tests.add(meta["grade_id"])
    tests = {meta["grade_id"] for _, meta in nbgrader_cells(notebook)
             if meta["grade"] and not meta["solution"]}
    assert failed_tests == tests, f"{ps}: test cells that pass with no answer: {tests - failed_tests}"


# --- exercises/ is what nbgrader makes from solutions/ ------------------------------


def normalised(path):
    """A notebook's JSON without what nbgrader or Jupyter may vary: cell ids and checksums."""
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        cell.pop("id", None)
        cell.get("metadata", {}).get("nbgrader", {}).pop("checksum", None)
    return notebook


def test_exercises_are_generated_from_solutions(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", "*", "--no-db"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    def files(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                      if p.is_file() and ".ipynb_checkpoints" not in p.parts)

    committed, generated = ROOT / "exercises", tmp_path / "exercises"
    assert files(generated) == files(committed), "run `make release` and commit exercises/"
    for name in files(generated):
        if name.endswith(".ipynb"):
            assert normalised(generated / name) == normalised(committed / name), (
                f"exercises/{name} is not what solutions/ gives: run `make release`")
        else:
            assert (generated / name).read_bytes() == (committed / name).read_bytes(), name
