"""What every explorer shares: the time step, figures, showing them, aligned
controls, and the test digits."""

from functools import lru_cache

import numpy as np

from snnlib.course.datasets import load_mnist
from snnlib.course.plots import CourseFigure, figure_png

DT = 0.001  # the course's time step, in seconds (Nengo's default)

SYNAPSE_KINDS = ("Lowpass", "Alpha", "None")


# --- figures ----------------------------------------------------------------------


def new_figure(nrows=1, ncols=1, figsize=(8, 3), **kwargs):
    """A `CourseFigure` with a grid of axes: ``(fig, axes)``, axes as from
    ``plt.subplots`` (an array when there are several)."""
    fig = CourseFigure(figsize=figsize, dpi=90, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def _axes_of(fig, n, figsize):
    """The first ``n`` axes of ``fig``, or a new figure with ``n`` axes in a row."""
    if fig is None:
        fig, axes = new_figure(1, n, figsize=figsize)
        return fig, list(np.atleast_1d(axes))
    if len(fig.axes) < n:
        fig.clear()
        axes = fig.subplots(1, n)
        return fig, list(np.atleast_1d(axes))
    return fig, fig.axes[:n]


def show(fig):
    """Show any matplotlib figure (e.g. one from `snnlib.course.plots`) as a PNG in the
    output of the running cell or widget, whatever the backend; then free it."""
    from IPython.display import Image, display

    display(Image(data=figure_png(fig), format="png"))
    fig.clear()


_show = show


# --- controls ---------------------------------------------------------------------

CONTROL_WIDTH = "220px"
"""Width of a control beside its label: ipywidgets' default (a 300 px row, an
80 px label)."""


def _aligned(**controls):
    """``controls`` with one label column wide enough for the longest description.

    ipywidgets 8 gives every label 80 px and cuts a longer one off
    ("connectio..."). Here every label of one explorer gets the width of the
    longest, in ``ch`` (the width of a digit, wider than most letters), so the
    labels show whole and the controls line up; each row widens by as much, so
    the control beside the label keeps its default width.
    """
    width = f"{max(len(c.description) for c in controls.values()) + 1}ch"
    for control in controls.values():
        control.style.description_width = width
        control.layout.width = f"calc({width} + {CONTROL_WIDTH})"
    return controls


@lru_cache(maxsize=1)
def test_digits():
    """The bundled MNIST test digits ``(images (n, 28, 28) uint8, labels (n,))``."""
    (_, _), (x_test, y_test) = load_mnist(source="bundled", verbose=False)
    return x_test, y_test
