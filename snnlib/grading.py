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
  ever writes to standard error.

Every ``check_*`` function returns None, so a test cell that ends with one has
no result and gets full points when it passes. A part you have not answered yet
raises ``NotImplementedError``, the same error as its empty solution cell.

Examples
--------
>>> import numpy as np
>>> from snnlib.grading import call, check_array
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
import io
import numbers
import sys
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


def _fail(message, hint=None):
    if hint:
        message = f"{message}\nHint: {hint}"
    raise AssertionError(message)


def _show(value, limit=300):
    """A short text for a value: arrays are printed compactly and cut off."""
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


_LIBRARY = str(Path(__file__).resolve().parent)


def _student_frame(error):
    """The deepest line of the traceback outside snnlib and installed packages
    (numpy, ...): most often the line of the student's own code that failed."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        path = str(Path(frame.filename).resolve()) if frame.filename else ""
        if not path.startswith(_LIBRARY) and "site-packages" not in path:
            return frame
    return None


def call(function, *args, **kwargs):
    """Call ``function(*args, **kwargs)`` as a test cell should.

    - Warnings (numpy's ``RuntimeWarning: divide by zero`` and the like) are
      silenced: nbgrader scores a cell with anything on standard error 0.
      Whatever the function prints on standard error goes to standard output.
    - Arguments are passed as copies where they are numpy arrays, so a
      function that changes its input in place does not change the test's data.
    - ``NotImplementedError`` (a part not answered yet) passes through, with a
      message that names the function if it had none.
    - Any other error becomes an ``AssertionError`` that names the function,
      the error and the line of your code where it happened.

    Returns what the function returns.
    """
    name = getattr(function, "__name__", repr(function))
    if not callable(function):
        _fail(f"{name} should be a function, but it is {_describe_type(function)}: "
              f"{_show(function)}",
              hint="did a later cell assign a value to the same name? Re-run the "
                   "cell that defines the function.")
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stderr(sys.stdout):
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
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


def check_answered(name, value):
    """Raise ``NotImplementedError`` if ``value`` is still None (an answer left
    at its placeholder ``None``)."""
    if value is None:
        raise NotImplementedError(NOT_ANSWERED.format(what=name))


def unpack(name, got, names):
    """Check that ``got`` is a tuple (or list) of ``len(names)`` values and return it.

    ``names`` says what each value is, for the message, e.g.
    ``("voltage", "refractory_time", "spiked")``.
    """
    names = tuple(names)
    expected = "(" + ", ".join(names) + ")"
    if got is None:
        _fail(f"{name} returned None; it should return {len(names)} values {expected}.",
              hint="did you forget the `return` statement?")
    if not isinstance(got, (tuple, list)):
        _fail(f"{name} returned {_describe_type(got)}; it should return {len(names)} "
              f"values {expected}.",
              hint=f"end with `return {', '.join(names)}`")
    if len(got) != len(names):
        _fail(f"{name} returned {len(got)} value(s); it should return {len(names)}: "
              f"{expected}.")
    return tuple(got)


# --- checks ------------------------------------------------------------------


def _as_float_array(name, got, hint):
    if got is None:
        _fail(f"{name} is None, expected an array of numbers.",
              hint="did you forget the `return` statement?")
    if isinstance(got, (str, bytes, dict, set)):
        _fail(f"{name} is {_describe_type(got)} ({_show(got)}), expected an array of numbers.",
              hint=hint)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(got, dtype=float)
    except (TypeError, ValueError) as error:
        _fail(f"{name} cannot be read as an array of numbers ({error}); got "
              f"{_describe_type(got)}: {_show(got)}", hint=hint)
    return array


def check_shape(name, got, expected_shape, hint=None):
    """Check that the array ``got`` has shape ``expected_shape``.

    The message suggests the likely mistake: a transposed array, the right
    number of values in the wrong shape, or a missing or extra axis.
    """
    expected_shape = tuple(int(s) for s in expected_shape)
    array = _as_float_array(name, got, hint)
    if array.shape == expected_shape:
        return None
    message = f"{name} has shape {array.shape}, expected {expected_shape}."
    if array.ndim == 2 and array.shape[::-1] == expected_shape:
        message += " It looks transposed (rows and columns swapped)."
    elif array.size == int(np.prod(expected_shape)):
        message += (" It has the right number of values, so check how you reshape "
                    "or in which order you stack the axes.")
    elif array.ndim != len(expected_shape):
        message += (f" It has {array.ndim} axes where {len(expected_shape)} were "
                    "expected.")
    _fail(message, hint)


def check_array(name, got, expected, hint=None, rtol=1e-7, atol=0.0):
    """Check that ``got`` equals ``expected`` elementwise, within tolerances.

    Values ``g`` and ``e`` agree when ``|g - e| <= atol + rtol * |e|`` (numpy's
    ``allclose``). ``got`` may be any array-like (a list is fine); its shape must
    be the expected one. The message shows where the first wrong value is, what
    it is and what it should be, and the largest error.
    """
    expected = np.asarray(expected, dtype=float)
    array = _as_float_array(name, got, hint)
    check_shape(name, array, expected.shape, hint)
    with np.errstate(all="ignore"):
        close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    n_bad = int(np.count_nonzero(~close))
    if expected.ndim == 0:
        message = f"{name} is {_show(array.item())}, expected {_show(expected.item())}."
    else:
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        index = first[0] if len(first) == 1 else first
        with np.errstate(all="ignore"):
            errors = np.abs(array - expected)
        message = (
            f"{name} has {n_bad} wrong value(s) out of {array.size}. The first is at "
            f"index {index}: got {array[first].item()!r}, expected {expected[first].item()!r}.\n"
            f"Largest difference: {np.nanmax(np.where(close, 0, errors)):.3g}."
        )
        if array.size <= 40:
            message += f"\n  got:      {_show(array)}\n  expected: {_show(expected)}"
    if not np.all(np.isfinite(array[~close])):
        message += "\nSome of your values are NaN or infinite (a division by zero?)."
    _fail(message, hint)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_scalar(name, got, expected, hint=None, rtol=1e-7, atol=0.0):
    """Check that ``got`` is a single number close to ``expected``.

    A numpy scalar or a 0-d array is fine; an array of several values, a string
    or None is not, and the message says so.
    """
    value = got
    if isinstance(got, np.ndarray):
        if got.ndim != 0:
            _fail(f"{name} is an array of shape {got.shape}, expected a single number "
                  f"close to {expected!r}.",
                  hint=hint or "if it holds one value, take it out with `.item()`")
        value = got.item()
    elif isinstance(got, np.generic):
        value = got.item()
    if value is None:
        _fail(f"{name} is None, expected a number close to {expected!r}.",
              hint="did you forget the `return` statement?")
    if not _is_number(value):
        _fail(f"{name} is {_describe_type(got)} ({_show(got)}), expected a number close "
              f"to {expected!r}.", hint=hint)
    if not np.isclose(float(value), float(expected), rtol=rtol, atol=atol):
        tolerance = f"within {atol:g}" if rtol == 0 else f"to a relative {rtol:g}"
        _fail(f"{name} is {float(value)!r}, expected {float(expected)!r} "
              f"({tolerance}).", hint)
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
                return (f"{got!r} is {_describe_type(got)}, expected a whole number "
                        f"(an int such as {expected!r}); use // for integer division")
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
    """
    got_n, expected_n = _normalise(got), _normalise(expected)
    if got_n is None and expected_n is not None:
        _fail(f"{name} is None, expected {expected_n!r}.",
              hint="did you forget the `return` statement?")
    why = _mismatched_kinds(got_n, expected_n)
    if why:
        _fail(f"{name}: {why}.", hint)
    if isinstance(expected_n, tuple) and not isinstance(got_n, tuple):
        _fail(f"{name} is {_describe_type(got)} ({_show(got)}), expected the tuple "
              f"{expected_n!r}.", hint)
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
        buffer = io.StringIO()  # what the block prints, shown under the check's line
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), \
                    contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                warnings.simplefilter("ignore")
                yield
        except NotImplementedError as error:
            self._record(description, False, str(error) or NOT_ANSWERED.format(what="This part"),
                         not_answered=True)
        except AssertionError as error:
            self._record(description, False, str(error))
        except Exception as error:  # never KeyboardInterrupt (nbgrader's timeout)
            self._record(description, False, f"{type(error).__name__}: {error}")
        else:
            self._record(description, True, "")
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
        """Print a summary and return the points earned (a Python float)."""
        n = len(self.results)
        if n == 0:
            raise ValueError("PartialCredit: no checks were run")
        if all(not_answered for *_, not_answered in self.results):
            raise NotImplementedError(NOT_ANSWERED.format(what="This part"))
        passed = sum(1 for _, ok, *_ in self.results if ok)
        earned = round(self.points * passed / n, 6)
        print(f"{passed} of {n} checks passed: {earned:g} of {self.points:g} points")
        return float(earned)
