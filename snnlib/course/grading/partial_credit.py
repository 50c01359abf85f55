"""Partial credit: several checks in one test cell, each worth its share of the
points; the cell ends with the points earned."""

import contextlib
import io
import sys
import warnings

import numpy as np

from snnlib.course.grading import messages
from snnlib.course.grading.checks import _is_number
from snnlib.course.grading.messages import NOT_ANSWERED, _validating, _wrap

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
        messages._checks_running += 1  # failures inside are wrapped when shown
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
            messages._checks_running -= 1
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
