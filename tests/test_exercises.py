"""The exercises: their grading helpers, their structure, and that they run.

- `snnlib.course.grading`, the helpers test cells use: a wrong answer gets a message that
  says what was expected, what came back, and a hint; nothing reaches stderr.
- Every problem set in ``solutions/`` is an nbgrader source notebook with 4-8
  autograded parts with hidden tests, one or two written answers, and says its
  lecture, time, learning goals and points.
- The solution notebooks run top to bottom with every test cell earning all its
  points, with the hidden tests and without; the released notebooks
  (``exercises/``) run top to bottom raising only ``NotImplementedError``, and
  give no points for nothing.
- Deliberate mistakes (`MISTAKES`) lose points, in the visible tests and when
  graded, with a message that says what is wrong; answers that differ from the
  solution but behave the same (`OTHER_RIGHT_ANSWERS`) keep every point.
- ``nbgrader validate`` and the Validate button show each failed check's message
  and hint, for partial-credit cells too.
- ``exercises/`` is what ``nbgrader generate_assignment`` makes from ``solutions/``.
"""

import contextlib
import dataclasses
import doctest
import html
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

from snnlib.course import grading
from snnlib.course.grading import (
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
PROBLEM_SETS = sorted(
    p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file()
)
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
    message = failure(
        check_array, "lif_rate(J)", np.array([1.0, 2.0, 9.0]), [1.0, 2.0, 3.0], hint="use log1p"
    )
    assert "lif_rate(J) has 1 wrong value(s) out of 3" in message
    assert "index 2: got 9.0, expected 3.0" in message
    assert message.endswith("Hint: use log1p")


def test_check_array_explains_shapes_and_types_without_a_numpy_traceback():
    assert "forget the `return`" in failure(check_array, "f(x)", None, [1.0])
    assert "transposed" in failure(check_array, "M", np.zeros((3, 2)), np.zeros((2, 3)))
    assert "right number of values" in failure(check_array, "y", np.zeros(6), np.zeros((2, 3)))
    assert "an axis of length 1 missing or extra" in failure(
        check_array, "y", np.zeros((3, 3)), np.zeros((3, 3, 1))
    )
    assert "has 1 axes where 2" in failure(check_array, "y", np.zeros(5), np.zeros((2, 3)))
    assert "cannot be read as an array of numbers" in failure(
        check_array, "y", [[1, 2], [3]], np.zeros(2)
    )
    assert "a str" in failure(check_array, "y", "1, 2", np.zeros(2))


def test_a_wrong_shape_gets_a_shape_hint_not_the_tasks_hint():
    value_hint = "use K[a, b], not K[kh - 1 - a, kw - 1 - b]"
    shape_hint = "the output has one channel per filter"
    message = failure(
        check_array,
        "correlate2d(x, kernel)",
        np.zeros((3, 3)),
        np.zeros((3, 3, 1)),
        hint=value_hint,
        shape_hint=shape_hint,
    )
    assert "has shape (3, 3), expected (3, 3, 1)" in message
    assert message.endswith(f"Hint: {shape_hint}") and value_hint not in message
    assert "Hint" not in failure(check_array, "y", np.zeros(5), np.zeros(4), hint=value_hint)
    assert value_hint not in failure(check_array, "y", "text", np.zeros(4), hint=value_hint)
    # a wrong value gets the task's hint, and only it
    message = failure(
        check_array,
        "correlate2d(x, kernel)",
        np.full((3, 3, 1), 5.0),
        np.full((3, 3, 1), -5.0),
        hint=value_hint,
        shape_hint=shape_hint,
    )
    assert message.endswith(f"Hint: {value_hint}") and shape_hint not in message
    # the same for single numbers and exact values: a wrong kind is not a wrong value
    assert value_hint not in failure(check_scalar, "t", np.array([0.5, 0.5]), 0.5, hint=value_hint)
    assert value_hint not in failure(check_scalar, "t", "0.5", 0.5, hint=value_hint)
    assert value_hint in failure(check_scalar, "t", 0.6, 0.5, hint=value_hint)
    assert value_hint not in failure(
        check_equal, "shape", (26.0, 26, 32), (26, 26, 32), hint=value_hint
    )
    message = failure(check_equal, "shape", (26, 26), (26, 26, 32), hint=value_hint)
    assert "2 value(s), expected 3" in message and value_hint not in message
    assert value_hint in failure(check_equal, "shape", (27, 27, 32), (26, 26, 32), hint=value_hint)


def test_whole_numbers_and_labels_show_as_integers():
    message = failure(
        check_array, "predict_labels(outputs)", np.array([3, 1, 4]), np.array([3, 1, 7])
    )
    assert "index 2: got 4, expected 7." in message
    assert "[3, 1, 4]" in message and "[3, 1, 7]" in message and "4.0" not in message
    message = failure(check_array, "spiked", np.array([True, False]), np.array([True, True]))
    assert "got False, expected True" in message
    # floats stay floats: a float answer shows as such
    assert "got 4.0, expected 7" in failure(check_array, "labels", [3.0, 4.0], np.array([3, 7]))
    assert "is 4, expected 7" in failure(check_equal, "label", np.int64(4), 7)


def test_a_nan_is_reported_as_nan():
    message = failure(check_array, "rate", [np.nan, 1.0], [0.0, 1.0])
    assert "got nan, expected 0.0" in message
    assert "Largest difference" not in message  # not "largest difference 0"
    assert "1 is NaN" in message
    message = failure(check_array, "rate", [np.nan, np.nan, 5.0, np.inf], [0.0, 1.0, 1.0, 1.0])
    assert "Largest difference: 4." in message  # of the values that are numbers
    assert "2 are NaN and 1 is infinite" in message
    message = failure(check_scalar, "first_spike_time(2.0)", np.nan, 0.0139)
    assert "is nan, expected 0.0139" in message and "1 is NaN" in message
    message = failure(check_array, "x", np.nan, 1.0)  # a 0-d array
    assert "is nan, expected 1.0" in message and "NaN" in message
    check_array("x", [np.nan], [np.nan])  # NaN where NaN is expected is right


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
        check_equal, "shape", (12, 12, 64), (5, 5, 128)
    )
    check_equal("shape", np.array([5, 5, 128]), (5, 5, 128))
    check_equal("count", np.int64(29), 29)


def test_unpack_checks_what_a_function_returns():
    assert unpack("f()", [1, 2], ("a", "b")) == (1, 2)
    assert unpack("f()", np.array([1.5, 2.5]), ("a", "b")) == (1.5, 2.5)  # `a, b = f()` works
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


def test_call_keeps_stderr_clean(capfd):
    def noisy(x):
        warnings.warn("something odd", stacklevel=2)
        print("to stderr", file=sys.stderr)
        return np.array([1.0, 0.0]) / 0.0

    x = np.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping call would raise here
        result = call(noisy, x)
    assert np.isinf(result[0])
    captured = capfd.readouterr()
    assert captured.err == ""
    assert "to stderr" in captured.out


def test_call_fails_a_function_that_changes_its_input_in_place():
    def lif_step(voltage, refractory_time, J):
        voltage += J  # changes the caller's array
        return voltage, refractory_time

    voltage, J = np.array([0.0, 0.5, 0.2]), np.array([1.0, 0.0, 1.0])
    message = failure(call, lif_step, voltage, np.zeros(3), J=J)
    assert "lif_step(...) changed its argument `voltage` in place" in message
    assert "2 value(s) changed out of 3" in message
    assert "Hint: work on a copy: `voltage = np.array(voltage, dtype=float)`" in message
    assert np.all(voltage == [0.0, 0.5, 0.2])  # the test's data are intact

    def build(weights, synapse=None):
        weights["dense"][0][...] = 0  # inside a dict of (kernel, bias)
        return "net"

    weights = {"dense": (np.ones((2, 2)), np.zeros(2))}
    message = failure(call, build, weights)
    assert "changed its argument `weights` in place: `weights['dense'][0]`" in message
    assert np.all(weights["dense"][0] == 1)

    def drop_none(synapses):
        synapses.remove(None)
        return len(synapses)

    assert "`synapses` in place" in failure(call, drop_none, [None, 0.1])
    message = failure(call, lambda synapses: synapses.__setitem__(0, 0.005), [None, 0.1])
    assert "`synapses[0]` was replaced by 0.005" in message and "deepcopy" in message
    message = failure(call, lambda x: x.sort(), np.array([3.0, np.nan, 1.0]))
    assert "changed its argument `x` in place" in message

    # leaving the input as it was, or changing a copy, is fine; NaN equals NaN
    def careful(voltage, refractory_time, J):
        voltage = np.array(voltage, dtype=float)
        voltage += J
        return voltage, refractory_time

    got = call(careful, voltage, np.array([np.nan, 0.0, 0.0]), J=J)
    assert np.all(got[0] == [1.0, 0.5, 1.2])
    assert call(lambda x: x, voltage) is not voltage  # the function gets a copy


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
        warnings.warn("noise", stacklevel=2)
        np.array(1.0) / 0.0
        print("stray", file=sys.stderr)
    assert credit.score() == 1.0
    captured = capfd.readouterr()
    assert captured.err == "" and "stray" in captured.out
    with pytest.raises(KeyboardInterrupt):
        with credit.check("interrupted"):
            raise KeyboardInterrupt


def test_partial_credit_shows_what_failed_when_nbgrader_validates(capfd, monkeypatch):
    """nbgrader validate (and the Validate button) shows a partial-credit cell's
    standard error and nothing else it printed; nbgrader sets NBGRADER_EXECUTION."""
    long_hint = (
        "output position (i, j) starts at input row i * stride and column "
        "j * stride, so the kernel's top left corner is at (i * stride, j * stride)"
    )

    def run_checks():
        credit = PartialCredit(points=3)
        with credit.check("one channel"):
            pass
        with credit.check("stride 2"):
            check_equal(
                "correlate2d(x, kernel, strides=2).shape", (5, 6, 3), (3, 3, 3), hint=long_hint
            )
        with credit.check("not answered"):
            raise NotImplementedError()
        return credit.score()

    for execution in (None, "autograde"):  # run by hand, or graded: nothing on stderr
        if execution:
            monkeypatch.setenv("NBGRADER_EXECUTION", execution)
        else:
            monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
        assert run_checks() == 1.0
        assert capfd.readouterr().err == ""

    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert run_checks() == 1.0
    captured = capfd.readouterr()
    assert captured.err.startswith("1 of 3 checks passed: 1 of 3 points\n[FAIL] stride 2\n")
    assert "one channel" not in captured.err  # only what failed
    shown = " ".join(captured.err.split())  # wrapped over several lines
    assert "is (5, 6, 3), expected (3, 3, 3)" in shown
    assert f"Hint: {long_hint}" in shown
    assert "[TODO] not answered: not answered yet" in captured.err
    assert max(len(line) for line in captured.err.splitlines()) <= 80  # nbgrader cuts at 87
    assert "[PASS] one channel" in captured.out  # the cell's own output is unchanged

    credit = PartialCredit(points=1)  # every check passed: nothing on stderr
    with credit.check("fine"):
        pass
    assert credit.score() == 1.0
    assert capfd.readouterr().err == ""


def test_partial_credit_rejects_bad_points():
    with pytest.raises(ValueError):
        PartialCredit(points=0)
    with pytest.raises(ValueError, match="no checks"):
        PartialCredit(points=1).score()


# --- the problem sets' structure ---------------------------------------------------


def read(path):
    return nbformat.read(path, as_version=4)


def nbgrader_cells(notebook):
    return [
        (cell, cell.metadata["nbgrader"]) for cell in notebook.cells if "nbgrader" in cell.metadata
    ]


def test_there_are_four_problem_sets():
    assert PROBLEM_SETS == sorted(LECTURES), PROBLEM_SETS


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_problem_set_structure(ps):
    notebook = read(ROOT / "solutions" / ps / f"{ps}.ipynb")
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    cells = nbgrader_cells(notebook)
    ids = [meta["grade_id"] for _, meta in cells]
    assert len(ids) == len(set(ids)), f"{ps}: grade_ids must be unique"

    tests = [(cell, meta) for cell, meta in cells if meta["grade"] and not meta["solution"]]
    written = [(cell, meta) for cell, meta in cells if meta["grade"] and meta["solution"]]
    answers = [(cell, meta) for cell, meta in cells if meta["solution"] and not meta["grade"]]
    assert 4 <= len(tests) <= 8, f"{ps}: {len(tests)} autograded parts"
    assert 1 <= len(written) <= 2, f"{ps}: {len(written)} written answers"
    for cell, meta in tests:
        assert cell.cell_type == "code" and meta["locked"] and meta["points"] > 0
        assert "### BEGIN HIDDEN TESTS" in cell.source, (
            f"{ps}: {meta['grade_id']} has no hidden tests"
        )
        assert cell.source.count("### BEGIN HIDDEN TESTS") == cell.source.count(
            "### END HIDDEN TESTS"
        )
        # random cases, seeded: the same on every run
        hidden = "".join(
            re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, flags=re.S)
        )
        assert "default_rng(" in hidden or "expected" in hidden, meta["grade_id"]
        assert "import " in cell.source.split("### BEGIN HIDDEN TESTS")[0], (
            f"{ps}: {meta['grade_id']} must import what it uses (hidden tests run in the "
            "student's namespace)"
        )
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
    assert (
        f"{by_hand:g} for a written answer" in intro or f"{by_hand:g} for written answers" in intro
    )


# --- running the notebooks ---------------------------------------------------------


def kernel_env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `make autograde` runs them
    env.pop("NBGRADER_EXECUTION", None)  # as a student runs them
    return env


def execute(path):
    notebook = read(path)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=kernel_env())
    return notebook


def outputs_of(cell):
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    stderr = [
        o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"
    ]
    results = [
        o.data.get("text/plain")
        for o in cell.get("outputs", [])
        if o.output_type == "execute_result"
    ]
    return errors, stderr, results


def text_of(cell):
    """What a cell printed, and its error or result, as one text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "execute_result":
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


class NotebookKernel:
    """A notebook run top to bottom in a kernel that stays up, so that more cells
    can run in it afterwards: an answer changed, then a test cell again."""

    def __init__(self, path):
        self.notebook = read(path)
        self.client = nbclient.NotebookClient(
            self.notebook,
            kernel_name="python3",
            timeout=CELL_TIMEOUT,
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self._kernel = self.client.setup_kernel(env=kernel_env())
        self._kernel.__enter__()
        try:
            for index, cell in enumerate(self.notebook.cells):
                if cell.cell_type == "code":
                    self.client.execute_cell(cell, index)
        except BaseException:
            self.close()
            raise

    def close(self):
        self._kernel.__exit__(None, None, None)

    def cell(self, grade_id):
        return next(
            cell
            for cell in self.notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        )

    def run(self, source, nbgrader=None):
        """Run ``source`` as a new cell (with this nbgrader metadata); returns the cell."""
        cell = nbformat.v4.new_code_cell(source)
        if nbgrader:
            cell.metadata["nbgrader"] = dict(nbgrader)
        self.notebook.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        finally:
            self.notebook.cells.pop()
        return cell

    def grade(self, grade_id, source=None):
        """Run a test cell (or ``source`` in its place) and score it as nbgrader does:
        returns (points, what the cell printed)."""
        from nbgrader.utils import determine_grade

        test = self.cell(grade_id)
        cell = self.run(test.source if source is None else source, test.metadata["nbgrader"])
        return determine_grade(cell)[0], text_of(cell)

    @contextlib.contextmanager
    def answer(self, grade_id, edits):
        """The answer cell ``grade_id`` with each ``(old, new)`` of ``edits`` made
        (each ``old`` must occur once), then the solution again."""
        solution = self.cell(grade_id).source
        source = solution
        for old, new in edits:
            assert source.count(old) == 1, f"{grade_id} no longer contains {old!r} once"
            source = source.replace(old, new)
        errors, _, _ = outputs_of(self.run(source))
        assert not errors, f"the changed {grade_id} does not run: {errors[0].evalue}"
        try:
            yield
        finally:
            self.run(solution)


@pytest.fixture(scope="module")
def solution_kernel():
    """``solution_kernel(ps)``: the solution notebook of ``ps``, run in a kernel
    that stays up for the module's tests."""
    kernels = {}

    def get(ps):
        if ps not in kernels:
            kernels[ps] = NotebookKernel(ROOT / "solutions" / ps / f"{ps}.ipynb")
        return kernels[ps]

    yield get
    for kernel in kernels.values():
        kernel.close()


def visible_tests(ps):
    """``grade_id -> source`` of the test cells students see (hidden tests removed)."""
    notebook = read(ROOT / "exercises" / ps / f"{ps}.ipynb")
    return {
        meta["grade_id"]: cell.source
        for cell, meta in nbgrader_cells(notebook)
        if meta["grade"] and not meta["solution"]
    }


@pytest.mark.parametrize("ps", PROBLEM_SETS)
def test_solutions_earn_every_point(ps, solution_kernel):
    kernel = solution_kernel(ps)
    for index, cell in enumerate(kernel.notebook.cells):
        if cell.cell_type != "code":
            continue
        errors, stderr, results = outputs_of(cell)
        where = f"{ps} cell {index} ({cell.metadata.get('nbgrader', {}).get('grade_id')})"
        assert not errors, f"{where}: {errors[0].ename}: {errors[0].evalue}"
        assert not stderr, f"{where} wrote on stderr (nbgrader scores it 0): {stderr}"
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and results:
            assert float(results[0]) == meta["points"], f"{where}: {results[0]}"
    # and with the visible tests only, as a student runs them
    for grade_id, source in visible_tests(ps).items():
        points, printed = kernel.grade(grade_id, source)
        assert points == kernel.cell(grade_id).metadata["nbgrader"]["points"], (
            f"{ps} {grade_id} (visible tests): {points}\n{printed}"
        )


@dataclasses.dataclass
class Answer:
    """An answer that differs from the solution: in problem set ``ps``, the answer
    cell ``answer`` with ``edits`` made, graded by the test cell ``test``."""

    why: str
    ps: str
    answer: str
    edits: list
    test: str
    visible: float = None  # points with the visible tests (None: all of them)
    graded: float = None  # points with the hidden tests too (None: all of them)
    says: tuple = ()  # what the test's output must say
    never_says: tuple = ()  # ... and must not


# Mistakes a learner makes, and the points each keeps. Each loses points, in the
# visible tests where a student should learn from them, and when graded.
MISTAKES = [
    Answer(
        "matrix_nonzeros without the channels (visible: a case with C > 1)",
        "ps1_convolution",
        "conv_counts",
        [("n_out * n_in, n_out * k * k * C", "n_out * n_in, n_out * k * k")],
        "test_conv_counts",
        visible=1.5,
        graded=1.5,
        says=(
            (
                "matrix_nonzeros of conv_counts((6, 5, 3), filters=4, kernel_size=2) is 320, "
                "expected 960"
            ),
            "Hint: each output value sees a kh x kw x C patch",
        ),
    ),
    Answer(
        "an output without its channel axis: a shape hint, not the flipped-kernel hint",
        "ps1_convolution",
        "correlate2d",
        [("    return y\n", "    return y.squeeze()\n")],
        "test_correlate2d",
        visible=2.0,
        graded=0.0,  # the hidden tests have one filter too
        says=(
            "has shape (3, 3), expected (3, 3, 1)",
            "an axis of length 1 missing",
            "one channel per filter",
        ),
        never_says=("not K[kh - 1 - a",),
    ),
    Answer(
        "lif_step changes its input voltage in place",
        "ps2_lif",
        "lif_step",
        [
            (
                "voltage = np.array(voltage, dtype=float)",
                "voltage = np.asarray(voltage, dtype=float)",
            ),
            ("voltage = voltage + (J - voltage)", "voltage += (J - voltage)"),
        ],
        "test_lif_step",
        visible=0.0,
        graded=0.0,
        says=("lif_step(...) changed its argument `voltage` in place", "work on a copy"),
    ),
    Answer(
        "lif_rate's formula everywhere: NaN below J = 1",
        "ps2_lif",
        "lif_rate",
        [
            (
                (
                    "    rate = np.zeros_like(J)\n    firing = J > 1\n    rate[firing] = 1 / "
                    "(tau_ref + tau_rc * np.log1p(1 / (J[firing] - 1)))\n"
                ),
                "    rate = 1 / (tau_ref + tau_rc * np.log1p(1 / (J - 1)))\n",
            )
        ],
        "test_lif_rate",
        visible=1.0,
        graded=1.0,
        says=("got nan, expected 0.0", "1 is NaN"),
        never_says=("Largest difference: 0",),
    ),
    Answer(
        "lowpass_step updates y in place",
        "ps3_synapses",
        "lowpass_step",
        [
            (
                "return a * np.asarray(y, dtype=float) + (1 - a) * np.asarray(u, dtype=float)",
                (
                    "y = np.asarray(y, dtype=float)\n    y *= a\n"
                    "    y += (1 - a) * np.asarray(u, dtype=float)\n    return y"
                ),
            )
        ],
        "test_lowpass_step",
        visible=0.0,
        graded=0.0,
        says=("lowpass_step(...) changed its argument `y` in place",),
    ),
    Answer(
        "Nengo's synapse=0 read as no synapse",
        "ps3_synapses",
        "none_and_zero",
        [
            (
                "    return snn.Lowpass(synapse)",
                "    return None if synapse == 0 else snn.Lowpass(synapse)",
            )
        ],
        "test_none_and_zero",
        visible=1.0,
        graded=1.0,
        says=("0 is a filter that does not smooth but delays by one step",),
    ),
    Answer(
        "spike counts truncated instead of rounded",
        "ps3_synapses",
        "tutorial_probes",
        [
            (
                "np.rint(np.asarray(record).sum(axis=1) * dt / amplitude).astype(int)",
                "(np.asarray(record).sum(axis=1) * dt / amplitude).astype(int)",
            )
        ],
        "test_tutorial_probes",
        visible=2.0,
        graded=2.0,
        says=("spike_counts(record, amplitude=0.0013) has", "round before converting to int"),
    ),
    Answer(
        "the synapse argument ignored: the Network's default synapse (0.005)",
        "ps4_spiking_cnn",
        "build_network",
        [("snn.Network(seed=0, default_synapse=synapse)", "snn.Network(seed=0)")],
        "test_build_network",
        visible=2.0,
        graded=2.0,
        says=("[FAIL] the synapse argument sets every connection's synapse",),
    ),
    Answer(
        "the synapse argument ignored: None on every connection",
        "ps4_spiking_cnn",
        "build_network",
        [("default_synapse=synapse", "default_synapse=None")],
        "test_build_network",
        visible=3.0,
        graded=3.0,
        says=("[FAIL] the synapse argument sets every connection's synapse",),
    ),
    Answer(
        "the synapse only on the Conv2D connections, not on those into the neurons",
        "ps4_spiking_cnn",
        "build_network",
        [
            ("default_synapse=synapse", "default_synapse=None"),
            (
                "snn.Layer(conv)(x, shape_in=shape_in)",
                "snn.Layer(conv)(x, shape_in=shape_in, synapse=synapse)",
            ),
        ],
        "test_build_network",
        visible=3.0,
        graded=3.0,
        says=("[FAIL] the synapse argument sets every connection's synapse",),
    ),
    Answer(
        "predicted labels read at the first step, not the last: labels shown as ints",
        "ps4_spiking_cnn",
        "classify",
        [("np.asarray(outputs)[:, -1].argmax(axis=1)", "np.asarray(outputs)[:, 0].argmax(axis=1)")],
        "test_classify",
        visible=1.0,
        graded=1.0,
        says=("[FAIL] predict_labels reads the last step",),
    ),
    Answer(
        "spike counts truncated instead of rounded",
        "ps4_spiking_cnn",
        "spike_statistics",
        [
            (
                "counts = np.rint(record.sum(axis=1) * dt / amplitude)",
                "counts = (record.sum(axis=1) * dt / amplitude).astype(int)",
            )
        ],
        "test_spike_statistics",
        visible=1.0,
        graded=1.0,
        says=("amplitude=0.0023)['spikes_per_digit'] has",),
    ),
]

# Answers that differ from the solution where the task leaves a choice (or states
# that either is right): they keep every point.
OTHER_RIGHT_ANSWERS = [
    Answer(
        "a refractory time clipped at 0 (the same neuron as Nengo's negative one)",
        "ps2_lif",
        "lif_step",
        [
            (
                "refractory_time = np.array(refractory_time, dtype=float) - dt",
                "refractory_time = np.maximum(np.array(refractory_time, dtype=float) - dt, 0)",
            )
        ],
        "test_lif_step",
    ),
    Answer(
        "numpy's True and False",
        "ps2_lif",
        "amplitude_effects",
        [
            ('"the membrane voltage": False,', '"the membrane voltage": np.False_,'),
            (
                '"the height of a spike in the output": True,',
                '"the height of a spike in the output": np.True_,',
            ),
        ],
        "test_amplitude_effects",
    ),
    Answer(
        "gain and bias as an array of two",
        "ps2_lif",
        "gain_bias",
        [("    return gain, bias\n", "    return np.array([gain, bias])\n")],
        "test_gain_bias",
    ),
    Answer(
        "Nengo's 0 as snn.LinearFilter([1], [1])",
        "ps3_synapses",
        "none_and_zero",
        [
            (
                "    return snn.Lowpass(synapse)",
                "    return snn.LinearFilter([1], [1]) if synapse == 0 else snn.Lowpass(synapse)",
            )
        ],
        "test_none_and_zero",
    ),
    Answer(
        "Nengo's synapse as it is: snnlib takes None, 0 and numbers as Nengo does",
        "ps3_synapses",
        "none_and_zero",
        [
            (
                "    if synapse is None:\n        return None\n    return snn.Lowpass(synapse)",
                "    return synapse",
            )
        ],
        "test_none_and_zero",
    ),
    Answer(
        "spikes counted as the values > 0",
        "ps3_synapses",
        "tutorial_probes",
        [
            (
                "np.rint(np.asarray(record).sum(axis=1) * dt / amplitude).astype(int)",
                "(np.asarray(record) > 0).sum(axis=1)",
            )
        ],
        "test_tutorial_probes",
    ),
    Answer(
        "the probe's lowpass written as a LinearFilter",
        "ps4_spiking_cnn",
        "build_network",
        [
            (
                "snn.Probe(out, synapse=0.1)",
                "snn.Probe(out, synapse=snn.LinearFilter([1], [0.1, 1]))",
            )
        ],
        "test_build_network",
    ),
    Answer(
        "labels as floats, accuracy as a list",
        "ps4_spiking_cnn",
        "classify",
        [
            (
                "np.asarray(outputs)[:, -1].argmax(axis=1)",
                "np.asarray(outputs)[:, -1].argmax(axis=1).astype(float)",
            ),
            (
                "== np.asarray(labels)[:, None]).mean(axis=0)",
                "== np.asarray(labels)[:, None]).mean(axis=0).tolist()",
            ),
        ],
        "test_classify",
    ),
]


def grade_answer(solution_kernel, case):
    kernel = solution_kernel(case.ps)
    points = kernel.cell(case.test).metadata["nbgrader"]["points"]
    with kernel.answer(case.answer, case.edits):
        visible = kernel.grade(case.test, visible_tests(case.ps)[case.test])
        graded = kernel.grade(case.test)
    for (got, printed), expected, how in (
        (visible, case.visible, "visible tests"),
        (graded, case.graded, "graded"),
    ):
        expected = points if expected is None else expected
        where = f"{case.ps} {case.test}, {how}, with {case.why}"
        assert got == expected, f"{where}: {got} points, expected {expected}\n{printed}"
        shown = " ".join(printed.split())
        for words in case.says:
            assert words in shown, f"{where}: the output does not say {words!r}\n{printed}"
        for words in case.never_says:
            assert words not in shown, f"{where}: the output says {words!r}\n{printed}"
        assert "NBGRADER" not in printed


@pytest.mark.parametrize("case", MISTAKES, ids=lambda c: f"{c.ps}-{c.why}")
def test_a_mistake_loses_points(solution_kernel, case):
    assert case.visible is not None and case.graded is not None
    grade_answer(solution_kernel, case)


@pytest.mark.parametrize("case", OTHER_RIGHT_ANSWERS, ids=lambda c: f"{c.ps}-{c.why}")
def test_another_right_answer_keeps_every_point(solution_kernel, case):
    grade_answer(solution_kernel, case)


def test_labels_show_as_integers_in_a_test_cell(solution_kernel):
    kernel = solution_kernel("ps4_spiking_cnn")
    with kernel.answer("classify", [("[:, -1].argmax", "[:, 0].argmax")]):
        _, printed = kernel.grade(
            "test_classify", visible_tests("ps4_spiking_cnn")["test_classify"]
        )
    assert re.search(r"got \d, expected \d\.", printed), printed
    assert not re.search(r"got \d\.0", printed), printed


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
    tests = {
        meta["grade_id"]
        for _, meta in nbgrader_cells(notebook)
        if meta["grade"] and not meta["solution"]
    }
    assert failed_tests == tests, (
        f"{ps}: test cells that pass with no answer: {tests - failed_tests}"
    )


# --- Validate: what a student sees -------------------------------------------------


def student_notebook(ps, edits):
    """The released notebook answered with the solutions, the answer cells in
    ``edits`` (grade_id -> [(old, new), ...]) changed."""
    answers = {}
    for cell, meta in nbgrader_cells(read(ROOT / "solutions" / ps / f"{ps}.ipynb")):
        if meta["solution"]:
            source = "\n".join(
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            )
            for old, new in edits.get(meta["grade_id"], []):
                assert source.count(old) == 1, f"{meta['grade_id']} no longer contains {old!r} once"
                source = source.replace(old, new)
            answers[meta["grade_id"]] = source
    notebook = read(ROOT / "exercises" / ps / f"{ps}.ipynb")
    for cell, meta in nbgrader_cells(notebook):
        if meta["grade_id"] in answers:
            cell.source = answers[meta["grade_id"]]
    return notebook


@pytest.fixture(scope="module")
def partly_wrong(tmp_path_factory):
    """Problem set 1 answered, but correlate2d ignores strides: two partial-credit
    test cells fail their stride-2 check (correlate2d's, and conv_matrix's built on it)."""
    path = tmp_path_factory.mktemp("student") / "ps1_convolution.ipynb"
    nbformat.write(
        student_notebook(
            "ps1_convolution",
            {
                "correlate2d": [
                    (
                        "sh, sw = (strides, strides) if np.isscalar(strides) else strides",
                        "sh, sw = 1, 1",
                    )
                ]
            },
        ),
        path,
    )
    return path


# what Validate must show of the partly wrong notebook's failed checks (and their hints)
FAILED_CHECKS = [
    "[FAIL] stride 2, as in the tutorial's second and third layers",
    (
        "correlate2d(x, kernel, strides=2), x (7, 8, 2), kernel (3, 3, 2, 3) has shape (5, 6, 3), "
        "expected (3, 3, 3)."
    ),
    (
        "Hint: the output has (H - kh) // stride + 1 rows, (W - kw) // stride + 1 columns and one "
        "channel per filter"
    ),
    "conv_matrix(kernel (3, 3, 1, 2), (7, 7, 1), strides=2) has shape (50, 49), expected (18, 49).",
    "Hint: M has one row per output value",
]


def nbgrader_env():
    env = kernel_env()
    env.pop("MPLBACKEND", None)
    return env


def test_nbgrader_validate_shows_each_failed_check_and_its_hint(partly_wrong):
    gradebook_was_there = (ROOT / "gradebook.db").exists()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "validate", str(partly_wrong)],
        cwd=ROOT,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "VALIDATION FAILED ON 2 CELL(S)" in out, out
    errors = [part.split("=" * 20)[0] for part in out.split("The error was:")[1:]]
    assert len(errors) == 2, out
    shown = " ".join(" ".join(errors).split())  # the messages are wrapped to fit
    for words in FAILED_CHECKS:
        assert words in shown, f"nbgrader validate does not show {words!r}:\n{out}"
    assert "Partial credit; passed some but not all" not in out
    assert "[PASS]" not in shown  # only what failed
    for line in "".join(errors).splitlines():
        assert not line.endswith("..."), f"nbgrader validate cut a line: {line!r}"
    assert (ROOT / "gradebook.db").exists() == gradebook_was_there  # validate makes no files


def test_the_validate_button_shows_them_too(partly_wrong):
    """JupyterLab's Validate button posts to nbgrader's validate_assignment server
    extension, which loads the configuration from the server's working directory
    (the repository, for `make lab`) and runs the same Validator in the server's
    process: this runs that code without the web server, as `make lab` would."""
    script = (
        "import json, sys\n"
        "from nbgrader.server_extensions.validate_assignment.handlers import "
        "ValidateAssignmentHandler\n"
        "from nbgrader.validator import Validator\n"
        "config = ValidateAssignmentHandler.load_config(None)\n"
        "print(json.dumps(Validator(config=config).validate(sys.argv[1])))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(partly_wrong)],
        cwd=ROOT,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = json.loads(result.stdout.splitlines()[-1])["failed"]
    assert len(failed) == 2
    # the button shows each failed cell's "error", as HTML
    shown = " ".join(html.unescape(" ".join(cell["error"] for cell in failed)).split())
    for words in FAILED_CHECKS:
        assert words in shown, f"the Validate button does not show {words!r}:\n{shown}"


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
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    def files(root):
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and ".ipynb_checkpoints" not in p.parts
        )

    committed, generated = ROOT / "exercises", tmp_path / "exercises"
    assert files(generated) == files(committed), "run `make release` and commit exercises/"
    for name in files(generated):
        if name.endswith(".ipynb"):
            assert normalised(generated / name) == normalised(committed / name), (
                f"exercises/{name} is not what solutions/ gives: run `make release`"
            )
        else:
            assert (generated / name).read_bytes() == (committed / name).read_bytes(), name
