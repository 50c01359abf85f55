"""Checks for the exercises' test cells: each failure says what was expected,
what you returned, and gives a hint.

The exercises are graded by nbgrader, which scores a test cell by its output:

- a cell that raises an error scores 0, so an all-or-nothing check raises
  ``AssertionError`` with a message written for the student;
- a cell whose last value is a number between 0 and its points scores that
  number: `PartialCredit` runs several independent checks, prints (on standard
  output) which passed, and gives the points earned;
- a cell that writes anything on standard error scores 0, even if every check
  passed. So `call` runs your code with warnings silenced, and nothing here
  writes to standard error, except in one case where the cell has lost points
  already: see below.

**Validate.** ``nbgrader validate`` and JupyterLab's Validate button list the
test cells that fail. For a cell that raised an error they show the error (the
message and its hint); for a partial-credit cell, nbgrader shows only "Partial
credit; passed some but not all of the tests", unless the cell wrote on
standard error, which it shows instead. So when nbgrader validates a notebook
(it sets the environment variable ``NBGRADER_EXECUTION`` to ``"validate"``, as
its documentation describes), `PartialCredit.score` also writes each failed
check, its message and hint, on standard error, once some check has failed. It
never does so when nbgrader grades (``NBGRADER_EXECUTION="autograde"``) or when
you run the cell yourself.

Every ``check_*`` function returns None, so a test cell that ends with one has
no result and gets full points when it passes. A part you have not answered yet
raises ``NotImplementedError``, the same error as its empty solution cell.

Examples
--------
>>> import numpy as np
>>> from snnlib.course.grading import call, check_array
>>> def double(x):
...     return 2 * x
>>> check_array("double([1, 2])", call(double, np.array([1, 2])), [2, 4])
>>> check_array("double([1, 2])", call(double, np.array([1, 2])), [2, 5],
...             hint="multiply each element by 2")
Traceback (most recent call last):
...
AssertionError: double([1, 2]) has 1 wrong value(s) out of 2...
"""

import contextlib
import inspect
import io
import numbers
import os
import sys
import textwrap
import traceback
import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "PartialCredit",
    "call",
    "check_answered",
    "check_array",
    "check_equal",
    "check_scalar",
    "check_shape",
    "check_true",
    "unpack",
]

NOT_ANSWERED = (
    "{what} is not answered yet: replace `raise NotImplementedError()` "
    "with your code, run that cell, then run this test again."
)


def _validating():
    """True while ``nbgrader validate`` (or the Validate button) runs the notebook."""
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


# nbgrader validate cuts every line of what it shows at 87 characters (its
# Validator.width, 90, less 3), after indenting it by 4 spaces: wrap to fit.
_VALIDATE_WIDTH = 80


def _wrap(text, width=_VALIDATE_WIDTH):
    """Wrap each line of ``text`` to ``width``, continuing at its indentation."""
    lines = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=indent + "  ",
                break_long_words=True,
                break_on_hyphens=False,
            )
            or [""]
        )
    return "\n".join(lines)


# How many PartialCredit checks are running: their failures are wrapped when shown.
_checks_running = 0


def _fail(message, hint=None):
    if hint:
        message = f"{message}\nHint: {hint}"
    if _validating() and not _checks_running:
        # Validate shows the error's text as it is, after "AssertionError: "
        message = _wrap(message, _VALIDATE_WIDTH - len("AssertionError: "))
    raise AssertionError(message)


def _show(value, limit=300):
    """A short text for a value: arrays are printed compactly and cut off."""
    if isinstance(value, np.generic):
        value = value.item()  # 3, not np.int64(3)
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=20, edgeitems=3, linewidth=100):
            text = np.array2string(value, separator=", ")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def _describe_type(value):
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


# --- calling student code ----------------------------------------------------


_LIBRARY = str(Path(__file__).resolve().parents[1])  # the whole snnlib package


def _student_frame(error):
    """The deepest line of the traceback outside snnlib and installed packages
    (numpy, ...): most often the line of the student's own code that failed."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        path = str(Path(frame.filename).resolve()) if frame.filename else ""
        if not path.startswith(_LIBRARY) and "site-packages" not in path:
            return frame
    return None


def _copy(value):
    """A copy of the arrays in ``value``, also inside lists, tuples and dicts
    (the containers are new too); any other object is the same object."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_copy(v) for v in value)
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return value


def _changed(before, after, path=""):
    """Where ``after`` (what the function was given) differs from ``before``
    (a copy kept by the test): ``(path, what changed)``, e.g. ``("[0]", "has 2
    value(s) changed out of 5")``, or None if nothing did."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape:
            return path, "was replaced"
        if after.dtype != before.dtype:
            return path, f"changed dtype from {before.dtype} to {after.dtype}"
        try:
            same = np.asarray(before == after, dtype=bool).reshape(before.shape)
        except (TypeError, ValueError):  # arrays of odd objects: do not judge
            return None
        if before.dtype.kind in "fc":
            same = same | (np.isnan(before) & np.isnan(after))
        if same.all():
            return None
        return path, f"has {int(np.count_nonzero(~same))} value(s) changed out of {before.size}"
    if type(before) in (list, tuple):
        if type(after) is not type(before) or len(after) != len(before):
            return path, "was changed (items added, removed or replaced)"
        for index, (b, a) in enumerate(zip(before, after)):
            found = _changed(b, a, f"{path}[{index}]")
            if found:
                return found
        return None
    if type(before) is dict:
        if not isinstance(after, dict) or set(after) != set(before):
            return path, "had keys added or removed"
        for key in before:
            found = _changed(before[key], after[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    # any other object was passed as it is: it may have been replaced in a container
    if after is before:
        return None
    try:
        return None if bool(after == before) else (path, f"was replaced by {_show(after)}")
    except (TypeError, ValueError):
        return path, f"was replaced by {_show(after)}"


def _argument_names(function, args, kwargs):
    """The parameter name of each argument, for messages: (names of args, of kwargs)."""
    try:
        signature = inspect.signature(function)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return [f"argument {i + 1}" for i in range(len(args))], list(kwargs)
    names = []
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            names.extend(f"{name}[{i}]" for i in range(len(value)))
        elif kind is not inspect.Parameter.VAR_KEYWORD:
            names.append(name)
    return names[: len(args)], list(kwargs)


def call(function, *args, **kwargs):
    """Call ``function(*args, **kwargs)`` as a test cell should.

    - Warnings (numpy's ``RuntimeWarning: divide by zero`` and the like) are
      silenced: nbgrader scores a cell with anything on standard error 0.
      Whatever the function prints on standard error goes to standard output.
    - The function gets copies of the numpy arrays among its arguments (also
      inside lists, tuples and dicts), so the test's data stay intact. If it
      changes one of them in place, that is an error: a function must leave
      what it is given as it was (its caller may use it again), and
      ``call`` fails with a message that names the argument.
    - ``NotImplementedError`` (a part not answered yet) passes through, with a
      message that names the function if it had none.
    - Any other error becomes an ``AssertionError`` that names the function,
      the error and the line of your code where it happened.

    Returns what the function returns.
    """
    name = getattr(function, "__name__", repr(function))
    if not callable(function):
        _fail(
            f"{name} should be a function, but it is {_describe_type(function)}: {_show(function)}",
            hint="did a later cell assign a value to the same name? Re-run the "
            "cell that defines the function.",
        )
    given_args = [_copy(a) for a in args]
    given_kwargs = {k: _copy(v) for k, v in kwargs.items()}
    try:
        with (
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
            contextlib.redirect_stderr(sys.stdout),
        ):
            warnings.simplefilter("ignore")
            result = function(*given_args, **given_kwargs)
    except NotImplementedError as error:
        if str(error):
            raise
        raise NotImplementedError(NOT_ANSWERED.format(what=f"{name}()")) from None
    except Exception as error:  # never KeyboardInterrupt: nbgrader's timeout needs it
        frame = _student_frame(error)
        where = ""
        if frame is not None:
            where = f"\n  at line {frame.lineno} of {frame.name}(): {frame.line}"
        raise AssertionError(
            f"calling {name}(...) raised {type(error).__name__}: {error}{where}"
        ) from None
    names, keywords = _argument_names(function, args, kwargs)
    pairs = list(zip(names, args, given_args)) + [(k, kwargs[k], given_kwargs[k]) for k in keywords]
    for argument, before, after in pairs:
        found = _changed(before, after)
        if found:
            where = argument + found[0]
            if isinstance(before, np.ndarray):
                hint = (
                    f"work on a copy: `{argument} = np.array({argument}, dtype=float)` "
                    f"makes a new array; `{argument} += ...` or `{argument}[...] = ...` "
                    "change the caller's"
                )
            else:
                hint = (
                    f"change a copy, not `{where}` itself: e.g. "
                    f"`{argument} = copy.deepcopy({argument})` first"
                )
            _fail(
                f"{name}(...) changed its argument `{argument}` in place: `{where}` "
                f"{found[1]}. A function must leave what it is given as it was (the "
                "caller may use it again) and return its result.",
                hint=hint,
            )
    return result


def check_answered(name, value):
    """Raise ``NotImplementedError`` if ``value`` is still None (an answer left
    at its placeholder ``None``)."""
    if value is None:
        raise NotImplementedError(NOT_ANSWERED.format(what=name))


def unpack(name, got, names):
    """Check that ``got`` is a tuple (or a list, or an array along its first
    axis) of ``len(names)`` values and return it as a tuple.

    ``names`` says what each value is, for the message, e.g.
    ``("voltage", "refractory_time", "spiked")``.
    """
    names = tuple(names)
    expected = "(" + ", ".join(names) + ")"
    if got is None:
        _fail(
            f"{name} returned None; it should return {len(names)} values {expected}.",
            hint="did you forget the `return` statement?",
        )
    unpackable = isinstance(got, (tuple, list)) or (
        isinstance(got, np.ndarray) and got.ndim >= 1
    )  # `a, b = f()` works for these
    if not unpackable:
        _fail(
            f"{name} returned {_describe_type(got)}; it should return {len(names)} "
            f"values {expected}.",
            hint=f"end with `return {', '.join(names)}`",
        )
    if len(got) != len(names):
        _fail(f"{name} returned {len(got)} value(s); it should return {len(names)}: {expected}.")
    return tuple(got)


# --- checks ------------------------------------------------------------------


def _as_float_array(name, got, hint=None):
    """``got`` as a float array, or a failure that says why it is not one.
    ``hint`` is given with a failure (a hint about what to return, not the task's)."""
    if got is None:
        _fail(
            f"{name} is None, expected an array of numbers.",
            hint="did you forget the `return` statement?",
        )
    if isinstance(got, (str, bytes, dict, set)):
        _fail(
            f"{name} is {_describe_type(got)} ({_show(got)}), expected an array of numbers.",
            hint=hint,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(got, dtype=float)
    except (TypeError, ValueError) as error:
        _fail(
            f"{name} cannot be read as an array of numbers ({error}); got "
            f"{_describe_type(got)}: {_show(got)}",
            hint=hint,
        )
    return array


def check_shape(name, got, expected_shape, hint=None):
    """Check that the array ``got`` has shape ``expected_shape``.

    The message suggests the likely mistake: a transposed array, the right
    number of values in the wrong shape, or a missing or extra axis. ``hint``
    should be about the shape (where it comes from), as it is given only with
    a wrong shape.
    """
    expected_shape = tuple(int(s) for s in expected_shape)
    array = _as_float_array(name, got, hint)
    if array.shape == expected_shape:
        return None
    message = f"{name} has shape {array.shape}, expected {expected_shape}."
    if array.ndim == 2 and array.shape[::-1] == expected_shape:
        message += " It looks transposed (rows and columns swapped)."
    elif array.size == int(np.prod(expected_shape)) and array.ndim != len(expected_shape):
        message += (
            f" It has the right number of values, but {array.ndim} axes where "
            f"{len(expected_shape)} were expected: an axis of length 1 missing "
            "or extra?"
        )
    elif array.size == int(np.prod(expected_shape)):
        message += (
            " It has the right number of values, so check how you reshape "
            "or in which order you stack the axes."
        )
    elif array.ndim != len(expected_shape):
        message += f" It has {array.ndim} axes where {len(expected_shape)} were expected."
    _fail(message, hint)


def _as_shown(got, array):
    """The array to show for ``got``: as given where it holds whole numbers or
    True/False (labels print as 3, not 3.0), else as floats."""
    try:
        raw = np.asarray(got)
    except (TypeError, ValueError):
        return array
    return raw if raw.shape == array.shape and raw.dtype.kind in "biu" else array


def _nan_note(values):
    """A sentence about NaN or infinite values among ``values``, or ''."""
    n_nan = int(np.count_nonzero(np.isnan(values)))
    n_inf = int(np.count_nonzero(np.isinf(values)))
    parts = [
        f"{n} {'is' if n == 1 else 'are'} {what}"
        for n, what in ((n_nan, "NaN"), (n_inf, "infinite"))
        if n
    ]
    if not parts:
        return ""
    return (
        f"\nOf your wrong values, {' and '.join(parts)} (a division by zero, 0 / 0, "
        "or the log of a number <= 0?)."
    )


def check_array(name, got, expected, hint=None, rtol=1e-7, atol=0.0, shape_hint=None):
    """Check that ``got`` equals ``expected`` elementwise, within tolerances.

    Values ``g`` and ``e`` agree when ``|g - e| <= atol + rtol * |e|`` (numpy's
    ``allclose``); NaN agrees with NaN. ``got`` may be any array-like (a list
    is fine, and any dtype: only the values count); its shape must be the
    expected one. The message shows where the first wrong value is, what it is
    and what it should be, the largest error, and how many values are NaN.

    ``hint`` comes with wrong values; a wrong shape or type comes with
    ``shape_hint`` instead (if given), as the task's hint is about the values.
    """
    expected_shown = np.asarray(expected)
    expected = expected_shown.astype(float)
    array = _as_float_array(name, got, shape_hint)
    check_shape(name, array, expected.shape, shape_hint)
    with np.errstate(all="ignore"):
        close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    got_shown = _as_shown(got, array)
    if expected_shown.dtype.kind not in "biu":
        expected_shown = expected
    n_bad = int(np.count_nonzero(~close))
    if expected.ndim == 0:
        message = f"{name} is {_show(got_shown.item())}, expected {_show(expected_shown.item())}."
    else:
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        index = first[0] if len(first) == 1 else first
        with np.errstate(all="ignore"):
            errors = np.abs(array - expected)
        finite = ~close & np.isfinite(errors)
        message = (
            f"{name} has {n_bad} wrong value(s) out of {array.size}. The first is at "
            f"index {index}: got {_show(got_shown[first])}, expected "
            f"{_show(expected_shown[first])}."
        )
        if finite.any():
            message += f"\nLargest difference: {errors[finite].max():.3g}."
        if array.size <= 40:
            align = "\n" + " " * len("  expected: ")  # rows of a 2-d array under each other
            got_text = _show(got_shown).replace("\n", align)
            expected_text = _show(expected_shown).replace("\n", align)
            message += f"\n  got:      {got_text}\n  expected: {expected_text}"
    message += _nan_note(array[~close])
    _fail(message, hint)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_scalar(name, got, expected, hint=None, rtol=1e-7, atol=0.0):
    """Check that ``got`` is a single number close to ``expected``.

    A numpy scalar or a 0-d array is fine; an array of several values, a string
    or None is not, and the message says so. ``hint`` comes with a wrong value
    only (a wrong type gets a hint about the type).
    """
    value = got
    if isinstance(got, np.ndarray):
        if got.ndim != 0:
            _fail(
                f"{name} is an array of shape {got.shape}, expected a single number "
                f"close to {expected!r}.",
                hint="if it holds one value, take it out with `.item()`; if not, "
                "return one number, not one per element",
            )
        value = got.item()
    elif isinstance(got, np.generic):
        value = got.item()
    if value is None:
        _fail(
            f"{name} is None, expected a number close to {expected!r}.",
            hint="did you forget the `return` statement?",
        )
    if not _is_number(value):
        _fail(
            f"{name} is {_describe_type(got)} ({_show(got)}), expected a number close "
            f"to {expected!r}.",
            hint="return a number (a float or an int)",
        )
    if not np.isclose(float(value), float(expected), rtol=rtol, atol=atol, equal_nan=True):
        tolerance = f"within {atol:g}" if rtol == 0 else f"to a relative {rtol:g}"
        _fail(
            f"{name} is {_show(float(value))}, expected {_show(float(expected))} "
            f"({tolerance}).{_nan_note(np.array([float(value)]))}",
            hint,
        )
    return None


def _normalise(value):
    """Tuples, lists and arrays compare as tuples; numpy scalars as Python ones."""
    if isinstance(value, np.ndarray):
        return tuple(_normalise(v) for v in value.tolist())
    if isinstance(value, (tuple, list)):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _mismatched_kinds(got, expected):
    """Explain a difference in kind that ``==`` would hide (13.0 for 13, True for 1)."""
    if isinstance(expected, bool) and not isinstance(got, bool):
        return f"{got!r} is {_describe_type(got)}, expected True or False"
    if isinstance(expected, numbers.Integral) and not isinstance(expected, bool):
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            if _is_number(got) or isinstance(got, bool):
                return (
                    f"{got!r} is {_describe_type(got)}, expected a whole number "
                    f"(an int such as {expected!r}); use // for integer division"
                )
    if isinstance(expected, tuple) and isinstance(got, tuple) and len(got) == len(expected):
        for g, e in zip(got, expected):
            why = _mismatched_kinds(g, e)
            if why:
                return why
    return None


def check_equal(name, got, expected, hint=None):
    """Check that ``got`` equals ``expected`` exactly: for whole numbers, tuples
    (a list or array with the same values is accepted), True/False and text.

    ``13.0`` is not accepted for ``13``: a shape or an index must be an int.
    ``hint`` comes with wrong values only: a wrong kind (a float for an int, a
    number for a tuple, a tuple of the wrong length) gets a hint about that.
    """
    got_n, expected_n = _normalise(got), _normalise(expected)
    if got_n is None and expected_n is not None:
        _fail(
            f"{name} is None, expected {expected_n!r}.",
            hint="did you forget the `return` statement?",
        )
    if isinstance(expected_n, tuple) and not isinstance(got_n, tuple):
        _fail(
            f"{name} is {_describe_type(got)} ({_show(got)}), expected the tuple {expected_n!r}.",
            hint=f"return a tuple of {len(expected_n)} values, e.g. `return (a, b)`",
        )
    if isinstance(expected_n, tuple) and len(got_n) != len(expected_n):
        _fail(
            f"{name} is {_show(got_n)}: {len(got_n)} value(s), expected "
            f"{len(expected_n)}, {expected_n!r}."
        )
    why = _mismatched_kinds(got_n, expected_n)
    if why:
        _fail(f"{name}: {why}.")
    try:
        equal = bool(got_n == expected_n)
    except (TypeError, ValueError):  # an unusual object whose == fails
        equal = False
    if not equal:
        _fail(f"{name} is {_show(got_n)}, expected {_show(expected_n)}.", hint)
    return None


def check_true(condition, message, hint=None):
    """Fail with ``message`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        _fail(message, hint)
    return None


# --- partial credit ----------------------------------------------------------


class PartialCredit:
    """Points for a part made of independent checks, each worth the same share.

    Use each check as a ``with`` block; a check fails if its block raises.
    The test cell ends with ``credit.score()``, whose value nbgrader takes as
    the points earned::

        credit = PartialCredit(points=2)
        with credit.check("stride 1"):
            check_equal("output shape", call(f, 1), (26, 26, 32))
        with credit.check("stride 2"):
            check_equal("output shape", call(f, 2), (12, 12, 64))
        credit.score()     # 0.0, 1.0 or 2.0; a line per check is printed first

    A check's block runs to its end or to its first failure; the next check runs
    either way. What the block prints (the student's code included) is shown,
    indented, under the check's line. If every check failed because the part is not answered yet
    (``NotImplementedError``), `score` raises ``NotImplementedError``.

    Parameters
    ----------
    points : float
        The points of the test cell (its nbgrader ``points``).
    """

    def __init__(self, points):
        if not _is_number(points) or points <= 0:
            raise ValueError(f"PartialCredit: points must be a number > 0, got {points!r}")
        self.points = float(points)
        self.results = []  # (description, passed, message)
        self._description = None

    @contextlib.contextmanager
    def check(self, description):
        """A ``with`` block that is one check, described by ``description``."""
        global _checks_running
        buffer = io.StringIO()  # what the block prints, shown under the check's line
        _checks_running += 1
        try:
            with (
                warnings.catch_warnings(),
                np.errstate(all="ignore"),
                contextlib.redirect_stdout(buffer),
                contextlib.redirect_stderr(buffer),
            ):
                warnings.simplefilter("ignore")
                yield
        except NotImplementedError as error:
            self._record(
                description,
                False,
                str(error) or NOT_ANSWERED.format(what="This part"),
                not_answered=True,
            )
        except AssertionError as error:
            self._record(description, False, str(error))
        except Exception as error:  # never KeyboardInterrupt (nbgrader's timeout)
            self._record(description, False, f"{type(error).__name__}: {error}")
        else:
            self._record(description, True, "")
        finally:
            _checks_running -= 1
        printed = buffer.getvalue().rstrip("\n")
        if printed:
            print("       " + printed.replace("\n", "\n       "))

    def _record(self, description, passed, message, not_answered=False):
        self.results.append((description, passed, message, not_answered))
        if not_answered:
            print(f"[TODO] {description}: not answered yet")
            return
        print(f"[{'PASS' if passed else 'FAIL'}] {description}")
        if message:
            print("       " + message.replace("\n", "\n       "))

    def score(self):
        """Print a summary and return the points earned (a Python float).

        While nbgrader validates the notebook (``nbgrader validate`` or the
        Validate button), a part that lost points also writes its failed
        checks on standard error: that is what Validate shows for the cell.
        """
        n = len(self.results)
        if n == 0:
            raise ValueError("PartialCredit: no checks were run")
        if all(not_answered for *_, not_answered in self.results):
            raise NotImplementedError(NOT_ANSWERED.format(what="This part"))
        passed = sum(1 for _, ok, *_ in self.results if ok)
        earned = round(self.points * passed / n, 6)
        summary = f"{passed} of {n} checks passed: {earned:g} of {self.points:g} points"
        print(summary)
        if passed < n and _validating():
            # Validate lists this cell as failed whatever it prints; nbgrader shows a
            # partial-credit cell's standard error, and nothing else it printed.
            sys.stderr.write(self.failures(summary) + "\n")
            sys.stderr.flush()
        return float(earned)

    def failures(self, summary=None):
        """The failed checks, each with its message and hint, as one text
        (lines of at most 80 characters): what Validate shows for the cell."""
        lines = [summary] if summary else []
        for description, passed, message, not_answered in self.results:
            if passed:
                continue
            if not_answered:
                lines.append(f"[TODO] {description}: not answered yet")
                continue
            lines.append(f"[FAIL] {description}")
            if message:
                lines.append("       " + message.replace("\n", "\n       "))
        return _wrap("\n".join(lines))
