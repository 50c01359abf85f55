"""Figures for the spiking-MNIST course (matplotlib; only this module and
`snnlib.course.widgets` import it).

Every function draws on a `CourseFigure` it makes itself (no pyplot, so it
works headless and never opens a window) or on axes you pass, and returns the
figure. Save one with ``fig.savefig("name.png")``; in a notebook, a cell that
returns one shows it as a PNG.
"""

import io

import numpy as np
from matplotlib.figure import Figure

from snnlib.course.sweeps import find_run, run_accuracy, standard_error, synapse_name


class CourseFigure(Figure):
    """A matplotlib figure that a notebook shows as a PNG image.

    It is not registered with pyplot, so it is freed as soon as nothing refers
    to it; `close` is there for symmetry with pyplot code.
    """

    def _repr_png_(self):
        return figure_png(self)

    def close(self):
        self.clear()


def figure_png(fig):
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def _figure_and_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = CourseFigure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _label(value, unit="s"):
    return "None" if value is None else f"{value:g} {unit}".strip()


def accuracy_vs_steps(points, rate_accuracy=None, n_digits=None, ax=None):
    """Spiking accuracy against the number of time steps.

    Parameters
    ----------
    points : list of dict
        ``{"n_steps": k, "accuracy": a}`` (as `snnlib.course.sweeps.sweep_n_steps` returns).
    rate_accuracy : float, optional
        Drawn as a dashed line: the rate network's accuracy, for comparison.
    n_digits : int, optional
        Digits each accuracy was measured on: error bars of one standard error,
        ``sqrt(p (1 - p) / n_digits)``.
    """
    fig, ax = _figure_and_axes(ax, (5, 3.5))
    steps = [p["n_steps"] for p in points]
    acc = np.array([p["accuracy"] for p in points])
    label = "spiking (output probe, lowpass 0.1 s)"
    if n_digits:
        ax.errorbar(
            steps,
            100 * acc,
            yerr=100 * standard_error(acc, n_digits),
            fmt="o-",
            capsize=3,
            label=f"{label}, ± 1 s.e. ({n_digits} digits)",
        )
    else:
        ax.plot(steps, 100 * acc, "o-", label=label)
    if rate_accuracy is not None:
        ax.axhline(100 * rate_accuracy, color="k", ls="--", lw=1, label="rate network")
    ax.axvline(30, color="0.7", lw=1, zorder=0)
    ax.set_xlabel("n_steps (1 ms each)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy read at the last step")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def accuracy_curves(curves, settings=None, ax=None, max_steps=None, ylim=(0, 100), raw=False):
    """Accuracy against ``n_steps`` for precomputed runs, with a band of ± 1
    standard error.

    Parameters
    ----------
    curves : dict
        As `snnlib.course.sweeps.load_sweep_curves` returns.
    settings : list of dict, optional
        Which runs, e.g. ``[{"synapse": 0.005}]`` (keys as in
        `snnlib.course.sweeps.find_run`); default all runs with the shipped weights
        and scale 1 (the connection-synapse sweep).
    max_steps : int, optional
        Show steps 1 to ``max_steps`` (default: all).
    ylim : (float, float)
        The accuracy axis, in %: zoom in with e.g. ``(95, 100)``.
    raw : bool
        Read the output without a probe synapse instead of through the
        tutorial's 0.1 s lowpass.
    """
    fig, ax = _figure_and_axes(ax, (7, 4))
    if settings is None:
        runs = [r for r in curves["runs"] if r["weights"] == "shipped" and r["scale"] == 1]
    else:
        runs = [find_run(curves, **s) for s in settings]
    for i, run in enumerate(runs):
        accuracy, se = run_accuracy(run, raw)  # se = sqrt(p (1 - p) / n_digits)
        accuracy, se = accuracy[:max_steps], se[:max_steps]
        steps = np.arange(1, len(accuracy) + 1)
        label = f"synapse {synapse_name(run['synapse'])}"
        if run["scale"] != 1:
            label += f", scale {run['scale']:g}"
        if run["weights"] != "shipped":
            label += f", {run['weights']}"
        ax.plot(steps, 100 * accuracy, color=f"C{i}", lw=1.5, label=label)
        ax.fill_between(
            steps, 100 * (accuracy - se), 100 * (accuracy + se), color=f"C{i}", alpha=0.25, lw=0
        )
    ax.axhline(10, color="0.6", ls=":", lw=1, label="chance (10%)")
    ax.axvline(30, color="0.7", lw=1, zorder=0)
    ax.set_ylim(*ylim)
    ax.set_xlim(0, max(len(r["correct"][:max_steps]) for r in runs) + 1)
    ax.set_xlabel("n_steps (1 ms each), read at the last step")
    ax.set_ylabel("accuracy (%)")
    n = runs[0]["n_digits"]
    reading = "raw output, no probe synapse" if raw else "output probe lowpass 0.1 s"
    ax.set_title(
        f"Spiking accuracy on {n:,} held-out digits\n({reading}; band: ± 1 standard error)",
        fontsize=10,
    )
    ax.legend(fontsize="small", loc="lower right")
    return fig


def traces(data, dt=0.001, n_units=8, units=None, ax=None, title=None, ylabel="value"):
    """Plot a few units of one item's probe data ``(n_steps, size)`` over time.

    The units shown are ``units`` if given, else the ``n_units`` with the
    largest mean absolute value.
    """
    fig, ax = _figure_and_axes(ax, (5, 3))
    data = np.asarray(data)
    t = dt * np.arange(1, len(data) + 1)
    if units is None:
        units = np.argsort(-np.abs(data).mean(axis=0), kind="stable")[:n_units]
    for unit in units:
        ax.plot(t, data[:, unit], lw=1, label=f"unit {unit}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return fig


def spike_raster(spikes, dt=0.001, n_units=60, ax=None, title="conv3_lif spikes"):
    """A raster: one row per neuron, a tick at each step where it spiked.

    ``spikes`` is one item's raw probe data of a neuron layer, ``(n_steps, size)``
    (non-zero where a neuron spiked). The ``n_units`` neurons that spiked most
    are shown.
    """
    fig, ax = _figure_and_axes(ax, (5, 3))
    spikes = np.asarray(spikes) != 0
    units = np.argsort(-spikes.sum(axis=0), kind="stable")[:n_units]
    steps, rows = np.nonzero(spikes[:, units])
    ax.scatter(dt * (steps + 1), rows, marker="|", s=30, color="k", lw=1)
    ax.set_xlim(0, dt * (len(spikes) + 1))
    ax.set_ylim(-1, len(units))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"neuron (top {len(units)} by count)")
    ax.set_title(title)
    return fig


def learner_probes(probe_data, dt=0.001, n_units=4):
    """The forum learner's four probes for one digit, plus a spike raster.

    Every panel shows the same units: the ``n_units`` conv3_lif neurons that
    spiked most, and (in the conv3 panels) the input current they receive.

    Parameters
    ----------
    probe_data : dict
        ``conv3``, ``conv3_filt``, ``conv3_lif``, ``conv3_lif_filt``: arrays
        ``(n_steps, 3200)`` for one digit (see `snnlib.course.mnist.LEARNER_PROBES`).
    """
    counts = (np.asarray(probe_data["conv3_lif"]) != 0).sum(axis=0)
    units = np.argsort(-counts, kind="stable")[:n_units]
    fig = CourseFigure(figsize=(11, 8), layout="constrained")
    axes = fig.subplots(3, 2)
    panels = [
        ("conv3", "conv3 (a Conv2D: a transform, not neurons), raw", "Conv2D output"),
        ("conv3_filt", "conv3 filtered by the probe (lowpass 0.1 s)", "Conv2D output"),
        ("conv3_lif", "conv3_lif (LIF neurons), raw: spikes of amplitude/dt", "output"),
        ("conv3_lif_filt", "conv3_lif filtered by the probe (lowpass 0.1 s)", "output"),
    ]
    # four panels in the top two rows; the bottom row becomes the raster below
    for ax, (name, title, ylabel) in zip(axes.flat, panels, strict=False):
        traces(probe_data[name], dt=dt, units=units, ax=ax, title=title, ylabel=ylabel)
    axes[0, 0].legend(fontsize="small", loc="upper right")
    gs = axes[2, 0].get_gridspec()
    for ax in axes[2]:
        ax.remove()
    spike_raster(probe_data["conv3_lif"], dt=dt, ax=fig.add_subplot(gs[2, :]))
    fig.suptitle("The learner's probes of conv3 for one digit (connection synapses None)")
    return fig


def output_over_time(output, dt=0.001, label=None, image=None, probe_synapse=0.1):
    """The ten outputs (logits) of one digit over time, as the output probe saw them.

    Parameters
    ----------
    output : array (n_steps, 10)
    label : int, optional
        The true digit, marked in the legend.
    image : array (28, 28), optional
        Drawn beside the plot.
    """
    fig = CourseFigure(figsize=(8 if image is not None else 5.5, 3.5), layout="constrained")
    if image is not None:
        ax_img, ax = fig.subplots(1, 2, width_ratios=[1, 2.5])
        ax_img.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
        ax_img.set_axis_off()
        ax_img.set_title(f"digit {label}" if label is not None else "input")
    else:
        ax = fig.add_subplot()
    output = np.asarray(output)
    t = dt * np.arange(1, len(output) + 1)
    for digit in range(output.shape[1]):
        bold = digit == label
        ax.plot(
            t,
            output[:, digit],
            lw=2.5 if bold else 1,
            label=f"{digit}" + (" (true)" if bold else ""),
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("output (logit)")
    ax.set_title(
        f"Output probe (synapse {_label(probe_synapse)}); "
        f"prediction at the end: {int(output[-1].argmax())}"
    )
    ax.legend(ncols=2, fontsize="small", loc="upper left")
    return fig


def sweeps(results, n_digits=None):
    """The three sweeps side by side: connection synapse, firing-rate scale,
    output-probe synapse (each a list of points as the `snnlib.course.mnist` sweeps return).

    ``n_digits`` (``{sweep name: digits}``, as the demo's ``sweep_digits``)
    adds error bars of one standard error and the digit counts to the titles.
    """
    fig = CourseFigure(figsize=(12, 3.5), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    panels = [
        ("synapse", "connection synapse", "synapse"),
        ("scale", "firing-rate scale", "scale"),
        ("probe_synapse", "output probe synapse", "probe_synapse"),
    ]
    n_digits = n_digits or {}
    for ax, (key, title, field) in zip(axes, panels, strict=True):
        points = results.get(key, [])
        names = [_label(p[field]) if field != "scale" else f"{p[field]:g}" for p in points]
        x = np.arange(len(points))
        acc = np.array([p["accuracy"] for p in points])
        n = n_digits.get(key)
        yerr = 100 * standard_error(acc, n) if n else None
        bars = ax.bar(x, 100 * acc, yerr=yerr, capsize=3, color="C0")
        ax.bar_label(bars, fmt="%.1f", fontsize="small", label_type="center", color="w")
        xlabel = title
        if points and "rate_accuracy" in points[0]:
            ax.plot(x, [100 * p["rate_accuracy"] for p in points], "k_", ms=25, mew=2)
            xlabel += " (black: rate network)"
        ax.set_xticks(x, names)
        ax.set_xlabel(xlabel)
        ax.set_title(f"{title} (30 steps" + (f", {n} digits)" if n else ")"))
    axes[0].set_ylabel("spiking accuracy (%)" + (" ± 1 s.e." if n_digits else ""))
    axes[0].set_ylim(0, 105)
    return fig
