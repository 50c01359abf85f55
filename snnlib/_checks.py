"""Small checks shared by the library, so every error says the same three
things: which object, what value it got, and what was expected."""

import numbers

import numpy as np


def check_number(owner, name, value, low=None, low_open=False, high=None):
    """Return ``value`` as a float after checking it is a finite number in range.

    ``owner`` names the object in the message, e.g. ``"LIF"``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value}")
    if low is not None:
        if low_open and value <= low:
            raise ValueError(f"{owner}: {name} must be > {low}, got {value}")
        if not low_open and value < low:
            raise ValueError(f"{owner}: {name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{owner}: {name} must be <= {high}, got {value}")
    return value


def check_positive_int(owner, name, value):
    """Return ``value`` as an int after checking it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a whole number >= 1, got {value!r}")
    return int(value)


def as_finite_array(owner, name, value, dtype=float):
    """Convert ``value`` to a numpy array, rejecting text, NaN and infinities."""
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner}: {name} must be numbers (an array or a list), got {value!r:.80}"
        ) from None
    if not np.all(np.isfinite(array)):
        n_bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{owner}: {name} contains {n_bad} NaN or infinite value(s); every value must be finite"
        )
    return array


def as_shape(owner, name, value):
    """Return ``value`` as a tuple of positive ints (a single int is allowed)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{owner}: {name} must be a tuple of ints, got {value!r}") from None
    if not shape or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        raise ValueError(
            f"{owner}: {name} must be a non-empty tuple of whole numbers >= 1, got {value!r}"
        )
    return tuple(int(s) for s in shape)
