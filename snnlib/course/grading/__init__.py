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

from snnlib.course.grading.calling import call, check_answered, unpack
from snnlib.course.grading.checks import (
    check_array,
    check_equal,
    check_scalar,
    check_shape,
    check_true,
)
from snnlib.course.grading.partial_credit import PartialCredit

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
