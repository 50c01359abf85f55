"""How feedback is written: values shown briefly, failures with a hint, and
what Validate shows."""

import os
import textwrap

import numpy as np

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
