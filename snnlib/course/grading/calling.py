"""Calling a student's function: errors traced to the student's own line, and
arguments that the function changed in place."""

import contextlib
import inspect
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

from snnlib.course.grading.messages import NOT_ANSWERED, _describe_type, _fail, _show

# --- calling student code ----------------------------------------------------


_LIBRARY = str(Path(__file__).resolve().parents[2])  # the whole snnlib package


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
