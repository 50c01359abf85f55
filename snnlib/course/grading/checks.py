"""Checks of a student's answer against the expected one: shape, values,
numbers, equality and conditions, each failing with a message and a hint."""

import numbers
import warnings

import numpy as np

from snnlib.course.grading.messages import _describe_type, _fail, _show

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
