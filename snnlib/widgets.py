"""The course's interactive explorers, and the compute and draw functions they wrap.

Every explorer is three layers, so that the logic is tested without a browser:

- a **compute** function (``compute_*``): numbers in, a dict of arrays out, built
  only from snnlib's tested parts (neuron steps, synapse filters, transforms,
  the simulator);
- a **draw** function (``draw_*``): takes that dict (and optionally a figure),
  draws it with labelled axes and units, and returns the figure;
- an **explorer** (``*_explorer``): ``ipywidgets.interactive`` controls that call
  compute, then draw, and show the figure.

Figures are `snnlib.plots.CourseFigure` objects, made without pyplot: nothing is kept in a
global list of open figures (no leaks when a slider moves a thousand times),
and a notebook shows one as a PNG when a cell returns it.

Nothing here writes to standard error: numpy warnings are silenced where a
value is expected to be infinite or empty (a neuron that never fires).
"""

import numbers
import threading
from functools import lru_cache

import numpy as np

from .datasets import images_to_inputs, load_mnist
from .network import Connection, Network, Neurons, Node, Probe
from .plots import CourseFigure, figure_png
from .neurons import LIF, SpikingRectifiedLinear, gain_bias
from .simulator import Simulator
from .synapses import Alpha, Lowpass
from .transforms import Conv2D

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
    """Show any matplotlib figure (e.g. one from `snnlib.plots`) as a PNG in the
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


# --- lecture 01: the simulation loop ------------------------------------------------


def compute_input_record(image, n_steps=30, dt=DT, pixels=((14, 14), (7, 14), (20, 10))):
    """Feed one image to a network as a node held for ``n_steps`` steps, and probe it.

    Parameters
    ----------
    image : array (28, 28)
        A digit (uint8 0-255 or floats in [0, 1]).
    n_steps : int
        How many time steps to run.
    dt : float
        The time step, in seconds.
    pixels : sequence of (row, column)
        Pixels whose value over time is returned as ``traces``.

    Returns
    -------
    dict
        ``t`` (n_steps,) in seconds; ``data`` the probe data (1, n_steps, 784);
        ``frames`` the same unflattened, (n_steps, 28, 28, 1); ``traces``
        (n_steps, len(pixels)); ``image`` the input as floats in [0, 1].
    """
    x = images_to_inputs(np.asarray(image)[None])  # (1, 784)
    with Network(default_synapse=None) as net:
        inp = Node(np.zeros(28 * 28), shape=(28, 28, 1))
        probe = Probe(inp)
    sim = Simulator(net, dt=dt)
    data = sim.run_steps(int(n_steps), inputs={inp: x})[probe]
    frames = probe.unflatten(data)[0]
    traces = np.stack([frames[:, r, c, 0] for r, c in pixels], axis=1)
    return {"t": sim.trange(), "data": data, "frames": frames, "traces": traces,
            "pixels": [tuple(p) for p in pixels], "image": x[0].reshape(28, 28)}


def draw_input_record(result, step=0, fig=None):
    """Left: the frame recorded at ``step`` (unflattened). Right: pixels over time."""
    fig, (ax_img, ax_t) = _axes_of(fig, 2, (9, 3.2))
    frames, t = result["frames"], result["t"]
    step = int(np.clip(step, 0, len(t) - 1))
    im = ax_img.imshow(frames[step, :, :, 0], cmap="gray", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax_img, label="pixel value (0-1)")
    for r, c in result["pixels"]:
        ax_img.plot(c, r, "o", markerfacecolor="none", markersize=8)
    ax_img.set_title(f"probe data at step {step + 1} (t = {t[step] * 1000:.0f} ms)")
    ax_img.set_xlabel("column")
    ax_img.set_ylabel("row")
    for i, (r, c) in enumerate(result["pixels"]):
        ax_t.plot(t * 1000, result["traces"][:, i], ".-", label=f"pixel ({r}, {c})")
    ax_t.axvline(t[step] * 1000, color="k", lw=0.8, ls=":")
    ax_t.set_xlabel("time (ms)")
    ax_t.set_ylabel("node output (pixel value, 0-1)")
    ax_t.set_ylim(-0.05, 1.05)
    ax_t.set_title(f"probe data {result['data'].shape}: (batch, steps, units)", fontsize=10)
    ax_t.legend(fontsize=8, loc="center right")
    return fig


def input_explorer():
    """Sliders: which digit, how many steps, which step to look at."""
    import ipywidgets as w

    images, labels = test_digits()

    def update(digit=0, n_steps=30, step=0):
        result = compute_input_record(images[digit], n_steps=n_steps)
        fig = draw_input_record(result, step=min(step, n_steps - 1))
        fig.suptitle(f"test digit {digit} (label {labels[digit]})")
        _show(fig)

    return w.interactive(update, **_aligned(
        digit=w.IntSlider(value=0, min=0, max=20, description="digit"),
        n_steps=w.IntSlider(value=30, min=1, max=60, description="n_steps"),
        step=w.IntSlider(value=0, min=0, max=59, description="look at step"),
    ))


# --- lecture 02: convolution --------------------------------------------------------

NAMED_KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "blur (3x3 box)": np.full((3, 3), 1 / 9),
    "vertical edges (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    "horizontal edges (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float),
    "outline (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "blur (5x5 box)": np.full((5, 5), 1 / 25),
}
"""Hand-made kernels, (kh, kw), for a one-channel, one-filter Conv2D."""


def compute_convolution(image, kernel="identity", strides=1, padding="valid"):
    """Apply a named kernel to a digit with snnlib's `Conv2D` (one filter).

    Returns
    -------
    dict
        ``image`` (28, 28) floats; ``kernel`` (kh, kw); ``feature_map``
        (out_h, out_w); ``shape_in`` (28, 28, 1); ``shape_out``;
        ``n_params`` (weights in the kernel); ``n_dense`` (weights a dense
        matrix between the same input and output would need).
    """
    if isinstance(kernel, str):
        if kernel not in NAMED_KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose from {list(NAMED_KERNELS)}")
        name, kernel = kernel, NAMED_KERNELS[kernel]
    else:
        name, kernel = "custom", np.asarray(kernel, float)
    x = images_to_inputs(np.asarray(image)[None])  # (1, 784)
    shape_in = (28, 28, 1)
    conv = Conv2D(filters=1, kernel_size=kernel.shape, strides=strides, padding=padding,
                  use_bias=False, kernel=kernel[:, :, None, None])
    shape_out = conv.output_shape(shape_in)
    y = conv.apply(x, shape_in)
    return {"name": name, "image": x[0].reshape(28, 28), "kernel": kernel,
            "feature_map": y[0].reshape(shape_out)[:, :, 0], "shape_in": shape_in,
            "shape_out": shape_out, "strides": strides, "padding": padding,
            "n_params": kernel.size, "n_dense": 28 * 28 * int(np.prod(shape_out))}


def draw_convolution(result, fig=None):
    """Input digit, kernel (with its values) and feature map, with their shapes."""
    fig, (ax_in, ax_k, ax_out) = _axes_of(fig, 3, (10, 3.3))
    im = ax_in.imshow(result["image"], cmap="gray", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax_in, shrink=0.8, label="pixel value (0-1)")
    ax_in.set_title(f"input {result['shape_in']}")
    kernel = result["kernel"]
    limit = max(np.abs(kernel).max(), 1e-9)
    ax_k.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if kernel.size <= 25:
        for (r, c), v in np.ndenumerate(kernel):
            ax_k.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=9,
                      color="white" if abs(v) > 0.6 * limit else "black")
    ax_k.set_title(f"kernel {kernel.shape[0]}x{kernel.shape[1]}: {result['name']}")
    fmap = result["feature_map"]
    limit = max(np.abs(fmap).max(), 1e-9)
    im = ax_out.imshow(fmap, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(im, ax=ax_out, shrink=0.8, label="output value")
    ax_out.set_title(f"output {result['shape_out']}\n"
                      f"strides={result['strides']}, padding={result['padding']!r}")
    for ax in (ax_in, ax_k, ax_out):
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    return fig


def convolution_explorer():
    """Controls: kernel, strides, padding, digit."""
    import ipywidgets as w

    images, labels = test_digits()

    def update(kernel="vertical edges (Sobel x)", strides=1, padding="valid", digit=0):
        result = compute_convolution(images[digit], kernel, strides, padding)
        fig = draw_convolution(result)
        fig.suptitle(f"{result['n_params']} shared weights, where a dense matrix from "
                     f"28x28 to {result['shape_out'][0]}x{result['shape_out'][1]} would "
                     f"need {result['n_dense']:,}", fontsize=10)
        _show(fig)

    return w.interactive(update, **_aligned(
        kernel=w.Dropdown(options=list(NAMED_KERNELS), value="vertical edges (Sobel x)",
                          description="kernel"),
        strides=w.IntSlider(value=1, min=1, max=4, description="strides"),
        padding=w.Dropdown(options=["valid", "same"], value="valid", description="padding"),
        digit=w.IntSlider(value=0, min=0, max=20, description="digit"),
    ))


def conv_stack_table(shape_in=(28, 28, 1), layers=((32, 3, 1), (64, 3, 2), (128, 3, 2)),
                     units=10):
    """Shapes and parameter counts of a stack of 'valid' Conv2D layers, then Dense.

    ``layers`` holds ``(filters, kernel_size, strides)``. Returns a list of dicts
    with ``layer``, ``shape_in``, ``shape_out``, ``kernel_shape``, ``n_params``
    (kernel plus bias) and ``n_dense`` (the weights of ``to_matrix``).
    """
    rows, shape = [], tuple(shape_in)
    for i, (filters, k, s) in enumerate(layers, start=1):
        conv = Conv2D(filters=filters, kernel_size=k, strides=s)
        out = conv.output_shape(shape)
        rows.append({"layer": f"conv{i}", "shape_in": shape, "shape_out": out,
                     "kernel_shape": conv.kernel_shape(shape),
                     "n_params": int(np.prod(conv.kernel_shape(shape))) + filters,
                     "n_dense": int(np.prod(shape)) * int(np.prod(out))})
        shape = out
    n_in = int(np.prod(shape))
    rows.append({"layer": "dense", "shape_in": shape, "shape_out": (units,),
                 "kernel_shape": (n_in, units), "n_params": n_in * units + units,
                 "n_dense": n_in * units})
    return rows


def format_table(rows, columns=None):
    """A list of dicts as an aligned text table (for print)."""
    columns = columns or list(rows[0])
    cells = [[str(c) for c in columns]] + [[_fmt(row[c]) for c in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.rjust(wd) for v, wd in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def _fmt(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def draw_matrix(matrix, shape_in, shape_out, fig=None):
    """The dense matrix of a transform: rows are outputs, columns inputs."""
    fig, (ax,) = _axes_of(fig, 1, (6, 4))
    limit = max(np.abs(matrix).max(), 1e-9)
    im = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, label="weight")
    ax.set_xlabel(f"input index (flattened {tuple(shape_in)}, channels last)")
    ax.set_ylabel(f"output index (flattened {tuple(shape_out)})")
    ax.set_title(f"to_matrix: shape {matrix.shape} = (n_out, n_in)")
    return fig


# --- lecture 03: LIF neurons ------------------------------------------------------


def compute_lif_demo(J=2.0, tau_rc=0.02, tau_ref=0.002, amplitude=1.0, dt=DT, t_end=0.1,
                     t_rate=1.0):
    """Drive one LIF neuron with a constant current ``J`` and record its voltage.

    The neuron is stepped with `LIF.step`, exactly as the simulator does.

    Parameters
    ----------
    J : float
        Input current (dimensionless; the neuron fires when ``J > 1``).
    tau_rc, tau_ref : float
        Membrane time constant and refractory period, in seconds.
    amplitude : float
        Area of each spike; the output in a spiking step is ``amplitude / dt``.
    t_end : float
        Length of the returned traces, in seconds.
    t_rate : float
        Length of the run used to measure the firing rate, in seconds.

    Returns
    -------
    dict
        ``t``, ``voltage``, ``output`` (each (n,), over ``t_end``); ``spike_times``
        (s, over ``t_rate``); ``rate_hz`` measured (spikes per second, from the
        intervals between spikes); ``rate_hz_theory`` = ``rates(J) / amplitude``;
        ``rate_output`` = ``amplitude * rate_hz``, the neuron's mean output;
        ``spike_height`` = ``amplitude / dt``.
    """
    neuron = LIF(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
    n_show = int(round(t_end / dt))
    n_total = max(n_show, int(round(t_rate / dt)))
    state = neuron.make_state((1,))
    current = np.array([float(J)])
    voltage, output = np.empty(n_total), np.empty(n_total)
    for k in range(n_total):
        output[k] = neuron.step(dt, current, state)[0]
        voltage[k] = state["voltage"][0]
    t = dt * np.arange(1, n_total + 1)
    spike_times = t[output > 0]
    if len(spike_times) >= 2:
        rate_hz = (len(spike_times) - 1) / (spike_times[-1] - spike_times[0])
    else:
        rate_hz = len(spike_times) / t[-1]
    rate_theory = float(neuron.rates(current)[0]) / amplitude
    return {"t": t[:n_show], "voltage": voltage[:n_show], "output": output[:n_show],
            "spike_times": spike_times, "rate_hz": float(rate_hz),
            "rate_hz_theory": rate_theory, "rate_output": amplitude * float(rate_hz),
            "spike_height": amplitude / dt, "J": float(J), "neuron": neuron, "dt": dt}


def compute_rate_curve(neuron_type, J=np.linspace(0, 5, 101), J_sim=np.arange(0.5, 5.01, 0.5),
                       gain=1.0, t_run=1.0, dt=DT):
    """``rates(gain * J)`` for a neuron type, and rates measured by simulating it.

    The simulated neurons are one batch of a `Simulator` run (input node ->
    neurons with this ``gain``, no synapse), one neuron per value in ``J_sim``;
    their measured rate is the spike count divided by ``t_run``.

    Returns
    -------
    dict
        ``J``, ``rates`` (the curve), ``J_sim``, ``rates_sim`` (measured), all
        rates in output units (Hz times ``amplitude``).
    """
    J, J_sim = np.asarray(J, float), np.asarray(J_sim, float)
    with Network(default_synapse=None) as net:
        inp = Node(np.zeros(len(J_sim)))
        ens = Neurons(len(J_sim), neuron_type, gain=gain)
        Connection(inp, ens)
        probe = Probe(ens)
    sim = Simulator(net, dt=dt, dtype=np.float64)
    out = sim.run(t_run, inputs={inp: J_sim[None]})[probe][0]  # (n_steps, n)
    # each spike is amplitude / dt high: sum * dt is amplitude times the count
    rates_sim = out.sum(axis=0) * dt / (sim.n_steps * dt)
    return {"J": J, "rates": neuron_type.rates(gain * J), "J_sim": J_sim,
            "rates_sim": rates_sim, "neuron_type": neuron_type, "gain": gain}


def compute_relu_vs_lif(J=np.linspace(-1, 5, 241), J_sim=np.arange(0.5, 5.01, 0.5),
                        relu_gain=50.0, t_run=1.0):
    """Rate curves (Hz, amplitude 1) of LIF and of a (spiking) rectified linear
    neuron with gain ``relu_gain``, each with simulated points."""
    return {
        "LIF": compute_rate_curve(LIF(), J, J_sim, t_run=t_run),
        f"SpikingRectifiedLinear (gain {relu_gain:g})": compute_rate_curve(
            SpikingRectifiedLinear(), J, J_sim, gain=relu_gain, t_run=t_run),
    }


def draw_rate_curves(curves, fig=None):
    """Each curve of ``{name: compute_rate_curve(...)}`` with its simulated points."""
    fig, (ax,) = _axes_of(fig, 1, (6, 3.4))
    for i, (name, c) in enumerate(curves.items()):
        ax.plot(c["J"], c["rates"], color=f"C{i}", label=f"{name}: rates(J)")
        ax.plot(c["J_sim"], c["rates_sim"], "o", color=f"C{i}", ms=4,
                label=f"{name}: simulated")
    ax.axvline(1, color="gray", ls=":", lw=1)
    ax.set_xlabel("input current J (dimensionless)")
    ax.set_ylabel("firing rate (Hz, amplitude 1)")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def draw_lif_demo(result, fig=None):
    """Voltage, output spikes, and the rate curve with this neuron's point on it."""
    fig, (ax_v, ax_s, ax_r) = _axes_of(fig, 3, (11, 3.2))
    t_ms = result["t"] * 1000
    ax_v.plot(t_ms, result["voltage"], lw=1.2)
    spiked = result["output"] > 0
    ax_v.plot(t_ms[spiked], np.ones(spiked.sum()), "v", color="C3", ms=5, label="spike")
    ax_v.axhline(1, color="r", ls="--", lw=1, label="threshold 1")
    ax_v.axhline(result["J"], color="gray", ls=":", lw=1, label=f"J = {result['J']:.2f}")
    ax_v.set_xlabel("time (ms)")
    ax_v.set_ylabel("voltage v (dimensionless)")
    ax_v.set_title("membrane voltage")
    ax_v.legend(fontsize=8, loc="lower right")

    ax_s.plot(t_ms, result["output"], lw=1)
    ax_s.set_xlabel("time (ms)")
    ax_s.set_ylabel("output (amplitude / dt per spike)")
    ax_s.set_title(f"spikes of height {result['spike_height']:.3g}")

    neuron, J = result["neuron"], result["J"]
    J_axis = np.linspace(0, max(5, 1.2 * J), 200)
    ax_r.plot(J_axis, neuron.rates(J_axis) / neuron.amplitude, label="rates(J) / amplitude")
    ax_r.plot([J], [result["rate_hz"]], "o", color="C3",
              label=f"simulated: {result['rate_hz']:.1f} Hz")
    ax_r.set_xlabel("input current J (dimensionless)")
    ax_r.set_ylabel("firing rate (Hz)")
    ax_r.set_title(f"theory {result['rate_hz_theory']:.1f} Hz; "
                   f"mean output {result['rate_output']:.3g}")
    ax_r.legend(fontsize=8, loc="upper left")
    return fig


def lif_explorer():
    """Sliders: input current, tau_rc, tau_ref, amplitude."""
    import ipywidgets as w

    def update(J=2.0, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
        _show(draw_lif_demo(compute_lif_demo(J, tau_rc, tau_ref, amplitude)))

    return w.interactive(update, **_aligned(
        J=w.FloatSlider(value=2.0, min=0.0, max=10.0, step=0.1, description="J"),
        tau_rc=w.FloatSlider(value=0.02, min=0.002, max=0.1, step=0.002,
                             readout_format=".3f", description="tau_rc (s)"),
        tau_ref=w.FloatSlider(value=0.002, min=0.0, max=0.01, step=0.001,
                              readout_format=".3f", description="tau_ref (s)"),
        amplitude=w.FloatLogSlider(value=1.0, base=10, min=-3, max=0, step=1,
                                   description="amplitude"),
    ))


def compute_tuning(max_rates=100.0, intercepts=0.0, tau_rc=0.02, tau_ref=0.002,
                   x=np.linspace(-1, 1.5, 251)):
    """Nengo's gain and bias for an LIF neuron, and its rate against its input ``x``.

    Returns
    -------
    dict
        ``gain``, ``bias``; ``x``; ``rate_hz`` = ``rates(gain * x + bias)`` for
        ``amplitude = 1`` (spikes per second); ``J`` = ``gain * x + bias``.
    """
    neuron = LIF(tau_rc=tau_rc, tau_ref=tau_ref)
    gain, bias = gain_bias(neuron, max_rates, intercepts)
    x = np.asarray(x, float)
    J = gain * x + bias
    return {"gain": gain, "bias": bias, "x": x, "J": J, "rate_hz": neuron.rates(J),
            "max_rates": max_rates, "intercepts": intercepts}


def draw_tuning(result, fig=None):
    """Rate against input, with the intercept and the rate at x = 1 marked."""
    fig, (ax,) = _axes_of(fig, 1, (6, 3.4))
    ax.plot(result["x"], result["rate_hz"])
    ax.axvline(result["intercepts"], color="gray", ls=":",
               label=f"intercept {result['intercepts']}")
    ax.plot([1], [result["max_rates"]], "o", color="C3",
            label=f"rate {result['max_rates']} Hz at x = 1")
    ax.set_xlabel("input x (what the connection delivers)")
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title(f"J = gain * x + bias, gain = {result['gain']:.4f}, bias = {result['bias']:.4f}")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def tuning_explorer():
    """Sliders: max_rates and intercepts -> gain, bias and the rate curve."""
    import ipywidgets as w

    def update(max_rates=100.0, intercepts=0.0):
        _show(draw_tuning(compute_tuning(max_rates, intercepts)))

    return w.interactive(update, **_aligned(
        max_rates=w.FloatSlider(value=100, min=10, max=400, step=10, description="max_rates"),
        intercepts=w.FloatSlider(value=0.0, min=-0.9, max=0.9, step=0.1,
                                 description="intercepts"),
    ))


# --- lecture 04: synapses -------------------------------------------------------------


def make_synapse(kind, tau):
    """``"Lowpass"``, ``"Alpha"`` or ``"None"`` with time constant ``tau`` (s)."""
    if kind in (None, "None"):
        return None
    if kind == "Lowpass":
        return Lowpass(tau)
    if kind == "Alpha":
        return Alpha(tau)
    raise ValueError(f"synapse kind must be one of {SYNAPSE_KINDS}, got {kind!r}")


def compute_impulse_response(kind="Lowpass", tau=0.01, dt=DT, t_end=0.1):
    """Filter a spike of area 1 (height ``1 / dt`` for the first step).

    Returns
    -------
    dict
        ``t`` (s, from ``dt``), ``y`` the discrete response (what `filt` gives),
        ``t_fine`` and ``h`` the continuous impulse response (1/s);
        ``area`` = ``sum(y) * dt``.
    """
    n = int(round(t_end / dt))
    spike = np.zeros(n)
    spike[0] = 1 / dt
    t = dt * np.arange(1, n + 1)
    t_fine = np.linspace(0, t_end, 400)
    synapse = make_synapse(kind, tau)
    if synapse is None:
        y, h = spike.copy(), np.zeros_like(t_fine)
    else:
        y = synapse.filt(spike, dt)
        if kind == "Lowpass":
            h = np.exp(-t_fine / tau) / tau
        else:
            h = t_fine * np.exp(-t_fine / tau) / tau**2
    return {"t": t, "y": y, "t_fine": t_fine, "h": h, "area": float(y.sum() * dt),
            "kind": kind, "tau": tau}


def draw_impulse_response(result, fig=None):
    fig, (ax,) = _axes_of(fig, 1, (6, 3.2))
    ax.plot(result["t"] * 1000, result["y"], ".", ms=4, label="discrete (filt), dt steps")
    if result["kind"] != "None":
        ax.plot(result["t_fine"] * 1000, result["h"], "-", lw=1, label="h(t), continuous")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("response (1/s)")
    ax.set_title(f"{result['kind']}, tau = {result['tau'] * 1000:.0f} ms: "
                 f"area {result['area']:.3f}")
    ax.legend(fontsize=8)
    return fig


def impulse_explorer():
    import ipywidgets as w

    def update(kind="Lowpass", tau=0.01):
        _show(draw_impulse_response(compute_impulse_response(kind, tau)))

    return w.interactive(update, **_aligned(
        kind=w.Dropdown(options=list(SYNAPSE_KINDS), value="Lowpass", description="synapse"),
        tau=w.FloatSlider(value=0.01, min=0.002, max=0.05, step=0.002, readout_format=".3f",
                          description="tau (s)"),
    ))


def compute_synapse_demo(kind="Lowpass", tau=0.01, x=0.5, n_steps=300, dt=DT):
    """One spiking neuron ``pre`` (the tutorial's LIF(amplitude=0.01), gain/bias for
    100 Hz, 0 intercept) drives two identical neurons:

    - ``post_probe``: connected with ``synapse=None``; the synapse sits on a
      probe of ``pre`` instead, where it smooths the record only;
    - ``post_conn``: connected through the synapse (via a pass-through node,
      so that what the connection delivers can be probed).

    Parameters
    ----------
    kind : "Lowpass", "Alpha" or "None"
    tau : float
        Synapse time constant, in seconds.
    x : float
        Constant input to ``pre`` (it fires at ``rates(gain * x + bias)``).

    Returns
    -------
    dict
        Arrays (n_steps,): ``t``; ``pre`` raw spikes; ``pre_probe`` the filtered
        probe of ``pre``; ``delivered`` what the filtered connection delivers;
        ``post_probe``, ``post_conn`` the two neurons' spikes. Counts
        ``n_post_probe``, ``n_post_conn``.
    """
    synapse = make_synapse(kind, tau)
    neuron_type = LIF(amplitude=0.01)
    gain, bias = gain_bias(neuron_type, max_rates=100, intercepts=0)
    with Network(default_synapse=None) as net:
        stim = Node([float(x)])
        pre = Neurons(1, neuron_type, gain=gain, bias=bias, label="pre")
        Connection(stim, pre)
        post_probe = Neurons(1, neuron_type, gain=gain, bias=bias, label="post_probe")
        Connection(pre, post_probe, synapse=None)
        delivered = Node(size_in=1, label="delivered")
        Connection(pre, delivered, synapse=synapse)
        post_conn = Neurons(1, neuron_type, gain=gain, bias=bias, label="post_conn")
        Connection(delivered, post_conn, synapse=None)
        probes = {"pre": Probe(pre), "pre_probe": Probe(pre, synapse=synapse),
                  "delivered": Probe(delivered), "post_probe": Probe(post_probe),
                  "post_conn": Probe(post_conn)}
    sim = Simulator(net, dt=dt, dtype=np.float64)
    data = sim.run_steps(int(n_steps))
    result = {name: data[p][0, :, 0] for name, p in probes.items()}
    result.update(t=sim.trange(), kind=kind, tau=tau, dt=dt, x=x,
                  spike_height=neuron_type.amplitude / dt,
                  n_pre=int((result["pre"] > 0).sum()),
                  n_post_probe=int((result["post_probe"] > 0).sum()),
                  n_post_conn=int((result["post_conn"] > 0).sum()))
    return result


def draw_synapse_demo(result, fig=None):
    """Left column: synapse on a probe. Right column: the same synapse on the connection."""
    if fig is None:
        fig, axes = new_figure(2, 2, figsize=(11, 5.2), sharex=True)
    else:
        fig.clear()
        axes = fig.subplots(2, 2, sharex=True)
    t_ms = result["t"] * 1000
    height = result["spike_height"]
    syn = "None" if result["kind"] == "None" else \
        f"{result['kind']}({result['tau'] * 1000:.0f} ms)"

    filtered_max = max(result["pre_probe"].max(), result["delivered"].max())
    top = height * 1.05 if result["kind"] == "None" else max(2.5 * filtered_max, 0.1)
    mean = result["n_pre"] * 0.01 / result["t"][-1]  # amplitude times the rate
    for ax in axes[0]:
        ax.vlines(t_ms[result["pre"] > 0], 0, height, color="0.75", lw=1,
                  label=f"pre spikes ({height:.0f} high" + (")" if top > height else ", cut off)"))
        ax.axhline(mean, color="k", ls=":", lw=1, label=f"amplitude x rate = {mean:.2f}")
        ax.set_ylabel("value (output units)")
        ax.set_ylim(0, top)
    axes[0, 0].plot(t_ms, result["pre_probe"], color="C0", lw=1.5,
                    label=f"probe record, synapse {syn}")
    axes[0, 0].set_title("synapse on the PROBE: only the record changes", fontsize=10)
    axes[0, 1].plot(t_ms, result["delivered"], color="C1", lw=1.5,
                    label=f"delivered by connection, synapse {syn}")
    axes[0, 1].set_title("synapse on the CONNECTION: the next layer gets this", fontsize=10)
    for ax in axes[0]:
        ax.legend(fontsize=8, loc="upper right")

    for ax, key, conn in ((axes[1, 0], "post_probe", "None"), (axes[1, 1], "post_conn", syn)):
        spikes = t_ms[result[key] > 0]
        ax.eventplot([t_ms[result["pre"] > 0], spikes], lineoffsets=[1, 0], linelengths=0.8,
                     colors=["0.6", "C3"])
        ax.set_yticks([0, 1], ["next LIF", "pre"])
        ax.set_xlabel("time (ms)")
        ax.set_title(f"connection synapse {conn}: next LIF fires {len(spikes)} spikes",
                     fontsize=10)
    return fig


def synapse_explorer():
    """Controls: synapse kind and tau (placed on a probe, or on a connection), input x."""
    import ipywidgets as w

    def update(kind="Lowpass", tau=0.01, x=0.5):
        _show(draw_synapse_demo(compute_synapse_demo(kind, tau, x)))

    return w.interactive(update, **_aligned(
        kind=w.Dropdown(options=list(SYNAPSE_KINDS), value="Lowpass", description="synapse"),
        tau=w.FloatLogSlider(value=0.01, base=10, min=-3, max=-1, step=0.1,
                             readout_format=".3f", description="tau (s)"),
        x=w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="input x"),
    ))


def compute_delay_demo(synapses=(None, 0, 0.005), n_steps=8, dt=DT):
    """A step input (0, then 1 from step 3 on) through connections with each synapse.

    Returns ``{"t": ..., "input": ..., "delivered": {name of synapse: array}}``.
    ``None`` delivers in the same step; any filter, even ``0`` (``Lowpass(0)``,
    which does not smooth), one step later.
    """
    def step_input(t):
        return [1.0 if t >= 3 * dt - 1e-12 else 0.0]

    with Network() as net:
        inp = Node(step_input)
        p_in = Probe(inp)
        outs = {}
        for syn in synapses:
            node = Node(size_in=1)
            Connection(inp, node, synapse=syn)
            outs[_synapse_name(syn)] = Probe(node)
    sim = Simulator(net, dt=dt, dtype=np.float64)
    data = sim.run_steps(n_steps)
    return {"t": sim.trange(), "input": data[p_in][0, :, 0],
            "delivered": {k: data[p][0, :, 0] for k, p in outs.items()}}


def _synapse_name(synapse):
    """``"None"``, or the filter a synapse means: ``0`` is ``"Lowpass(0)"``."""
    if synapse is None:
        return "None"
    if isinstance(synapse, numbers.Real):  # a bare number means Lowpass(number)
        return f"Lowpass({synapse:g})"
    return f"{type(synapse).__name__}({synapse.tau:g})"


# --- lectures 05 and 06: the spiking CNN ------------------------------------------------

NETWORK_SYNAPSES = (None, 0.001, 0.005, 0.01)
"""Connection synapses (s) the network explorer offers."""
NETWORK_PROBE_SYNAPSES = (None, 0.01, 0.05, 0.1)
"""Output-probe synapses (s) the network explorer offers."""
NETWORK_SCALES = (1, 2, 5, 10)
"""Firing-rate scales the network explorer offers."""
LIF_LAYERS = ("conv1_lif", "conv2_lif", "conv3_lif")

# Runs of the tutorial network, cached per setting. A run may be computed in a
# background thread (`precompute_network_runs`); `_pending` holds an Event per
# run being computed, so that a request for it waits instead of computing twice.
# Networks are only ever *built* in the calling thread: building uses the
# `with Network():` stack, which is shared by all threads.
_network_runs = {}  # (params key, synapse, scale, n_digits, n_steps) -> run
_pending = {}
_runs_lock = threading.Lock()
MAX_CACHED_RUNS = 64


def _params_key(params):
    return params if params is None or isinstance(params, str) else id(params)


def _run_key(params, synapse, scale, n_digits, n_steps):
    return (_params_key(params), synapse, float(scale), int(n_digits), int(n_steps))


def _build_for_run(params, synapse, scale):
    """The tutorial network without output synapse, with probes on its LIF layers."""
    from . import mnist

    if isinstance(params, str) and params == "pretrained" and not mnist.PRETRAINED_PATH.exists():
        raise FileNotFoundError(f"the pretrained weights {mnist.PRETRAINED_PATH} are missing")
    model = mnist.build_network(params, synapse=synapse, scale=scale, probe_synapse=None,
                                learner_probes=False)
    with model.network:
        lif_probes = {name: Probe(model.layers[name]) for name in LIF_LAYERS}
    return model, lif_probes


def _simulate_run(model, lif_probes, n_digits, n_steps):
    images, labels = test_digits()
    images, labels = images[:n_digits], labels[:n_digits]
    sim = Simulator(model.network, dt=DT, progress_bar=False)
    data = sim.run_steps(int(n_steps), inputs={model.input: images_to_inputs(images)})
    return {
        "output": data[model.probes["output"]],
        "spikes": {name: (data[p] > 0).sum(axis=2) for name, p in lif_probes.items()},
        "n_neurons": {name: p.size for name, p in lif_probes.items()},
        "labels": labels, "images": images, "synapse": model.settings["synapse"],
        "scale": model.settings["scale"], "n_steps": int(n_steps),
    }


def _store_run(key, run):
    with _runs_lock:
        if len(_network_runs) >= MAX_CACHED_RUNS:
            _network_runs.pop(next(iter(_network_runs)))
        _network_runs[key] = run


def compute_network_run(params="pretrained", synapse=None, scale=1.0, n_digits=40,
                        n_steps=40):
    """Run the tutorial network (`snnlib.mnist.build_network`) on the first
    ``n_digits`` bundled test digits for ``n_steps`` steps, once per setting.

    The output is probed **without** a synapse, so that any probe synapse can be
    applied afterwards (a probe's synapse changes only the record: lecture 04).
    Runs are cached per setting: a second call with the same arguments is free,
    and a call for a run that `precompute_network_runs` is computing waits for it.

    Returns
    -------
    dict
        ``output`` (n_digits, n_steps, 10), the raw Dense(10) output;
        ``spikes`` {layer: (n_digits, n_steps)} spike counts per step;
        ``n_neurons`` {layer: int}; ``labels``, ``images``; the settings.
    """
    key = _run_key(params, synapse, scale, n_digits, n_steps)
    while True:
        with _runs_lock:
            if key in _network_runs:
                return _network_runs[key]
            event = _pending.get(key)
        if event is None:
            break
        event.wait()  # computed in the background; if that failed, compute it here
    run = _simulate_run(*_build_for_run(params, synapse, scale), n_digits, n_steps)
    _store_run(key, run)
    return run


def precompute_network_runs(settings, params="pretrained", n_digits=40, n_steps=40):
    """Start computing the runs for ``settings`` (pairs ``(synapse, scale)``) in a
    background thread; return the thread (or None if all are cached).

    The networks are built here, in the calling thread; only the simulations run
    in the background. Errors there are not raised (nor printed): a run that
    failed is simply computed again when it is asked for.
    """
    jobs = []
    for synapse, scale in settings:
        key = _run_key(params, synapse, scale, n_digits, n_steps)
        with _runs_lock:
            if key in _network_runs or key in _pending:
                continue
        jobs.append((key, _build_for_run(params, synapse, scale)))
        with _runs_lock:
            _pending[key] = threading.Event()
    if not jobs:
        return None

    def work():
        for key, (model, lif_probes) in jobs:
            try:
                _store_run(key, _simulate_run(model, lif_probes, n_digits, n_steps))
            except Exception:  # noqa: BLE001 - the run is redone on demand
                pass
            finally:
                with _runs_lock:
                    _pending.pop(key).set()

    thread = threading.Thread(target=work, name="snnlib-network-runs", daemon=True)
    thread.start()
    return thread


def probe_record(raw, probe_synapse, dt=DT):
    """What a probe with ``probe_synapse`` records, from the unfiltered record
    ``raw`` (batch, n_steps, size): the filter's output one step later, 0 at
    the first step (as the simulator does); ``raw`` itself for ``None``."""
    if probe_synapse is None:
        return np.asarray(raw)
    filtered = Lowpass(probe_synapse).filt(raw, dt, axis=1)
    return np.concatenate([np.zeros_like(filtered[:, :1]), filtered[:, :-1]], axis=1)


def compute_network_demo(n_steps=30, synapse=None, probe_synapse=0.1, scale=1.0,
                         params="pretrained", n_digits=40, max_steps=40):
    """The network explorer's numbers for one setting.

    Returns
    -------
    dict
        ``output`` (n_digits, n_steps, 10), the output probe's record;
        ``accuracy_over_steps`` (n_steps,); ``accuracy`` at the last step;
        ``predictions``, ``labels``; ``rates_hz`` {layer: mean rate over the
        run, Hz}; ``spikes_per_image`` (all LIF layers, over n_steps).
    """
    if not 1 <= n_steps <= max_steps:
        raise ValueError(f"n_steps must be between 1 and {max_steps}, got {n_steps}")
    run = compute_network_run(params, synapse, scale, n_digits, max_steps)
    output = probe_record(run["output"][:, :n_steps], probe_synapse)
    over_steps = (output.argmax(axis=2) == run["labels"][:, None]).mean(axis=0)
    counts = {name: s[:, :n_steps].sum(axis=1) for name, s in run["spikes"].items()}
    rates = {name: float(c.mean() / (run["n_neurons"][name] * n_steps * DT))
             for name, c in counts.items()}
    return {"output": output, "accuracy_over_steps": over_steps,
            "accuracy": float(over_steps[-1]), "predictions": output[:, -1].argmax(axis=1),
            "labels": run["labels"], "images": run["images"], "rates_hz": rates,
            "spikes_per_image": float(sum(c.mean() for c in counts.values())),
            "n_steps": n_steps, "synapse": synapse, "probe_synapse": probe_synapse,
            "scale": float(scale)}


def _seconds(value):
    return "None" if value is None else f"{value * 1000:g} ms"


def draw_network_demo(result, digit=0, fig=None):
    """Output record of one digit, accuracy over steps, and firing rates per layer."""
    fig, (ax_img, ax_out, ax_acc, ax_rate) = _axes_of(fig, 4, (13, 3.3))
    images, labels = result["images"], result["labels"]
    digit = int(np.clip(digit, 0, len(labels) - 1))
    ax_img.imshow(images[digit], cmap="gray")
    ax_img.set_title(f"digit {digit}: label {labels[digit]}, "
                     f"says {result['predictions'][digit]}")
    ax_img.set_xticks([])
    ax_img.set_yticks([])

    t_ms = np.arange(1, result["n_steps"] + 1) * DT * 1000
    for c in range(10):
        ax_out.plot(t_ms, result["output"][digit, :, c], lw=2.5 if c == labels[digit] else 0.8,
                    label=str(c) if c == labels[digit] else None)
    ax_out.set_xlabel("time (ms)")
    ax_out.set_ylabel("output probe record")
    ax_out.set_title(f"probe synapse {_seconds(result['probe_synapse'])}", fontsize=10)
    ax_out.legend(title="true class", fontsize=8, loc="upper left")

    ax_acc.plot(t_ms, 100 * result["accuracy_over_steps"], ".-")
    ax_acc.set_ylim(-5, 105)
    ax_acc.set_xlabel("time (ms) = steps")
    ax_acc.set_ylabel(f"accuracy on {len(labels)} digits (%)")
    ax_acc.set_title(f"after {result['n_steps']} steps: {100 * result['accuracy']:.0f}%",
                     fontsize=10)

    names = list(result["rates_hz"])
    ax_rate.bar(range(len(names)), [result["rates_hz"][n] for n in names], color="C2")
    ax_rate.set_xticks(range(len(names)), names, fontsize=8)
    ax_rate.set_ylabel("mean firing rate (Hz)")
    ax_rate.set_title(f"{result['spikes_per_image']:,.0f} spikes per image", fontsize=10)
    fig.suptitle(f"connection synapse {_seconds(result['synapse'])}, "
                 f"firing-rate scale {result['scale']:g}, {result['n_steps']} steps",
                 fontsize=11)
    return fig


def network_explorer(params="pretrained", n_digits=40, max_steps=40, precompute=True):
    """Controls: n_steps, connection synapse, probe synapse, firing-rate scale, digit.

    Each (connection synapse, scale) pair is simulated once; n_steps, the probe
    synapse and the digit only re-read that run. With ``precompute``, the runs
    of all the other pairs are computed in a background thread as soon as the
    explorer is shown (``widget.precompute_thread``), so that moving a control
    later redraws from the cache in well under a second.
    """
    import ipywidgets as w

    # The synapse dropdowns hold labels ("None", "5 ms"), looked up here: ipywidgets
    # takes a value of None for "nothing selected" and would show a blank box.
    synapses = {_seconds(v): v for v in NETWORK_SYNAPSES}
    probe_synapses = {_seconds(v): v for v in NETWORK_PROBE_SYNAPSES}

    def update(n_steps=30, synapse="None", probe_synapse="100 ms", scale=1, digit=0):
        result = compute_network_demo(n_steps, synapses[synapse], probe_synapses[probe_synapse],
                                      scale, params, n_digits, max_steps)
        _show(draw_network_demo(result, digit))

    widget = w.interactive(update, **_aligned(
        n_steps=w.IntSlider(value=30, min=1, max=max_steps, description="n_steps",
                            continuous_update=False),
        synapse=w.Dropdown(options=list(synapses), value="None",
                           description="connection synapse"),
        probe_synapse=w.Dropdown(options=list(probe_synapses), value="100 ms",
                                 description="probe synapse"),
        scale=w.Dropdown(options=NETWORK_SCALES, value=1, description="rate scale"),
        digit=w.IntSlider(value=0, min=0, max=n_digits - 1, description="digit",
                          continuous_update=False),
    ))
    widget.precompute_thread = None
    if precompute:
        # one knob at a time first (what a student tries first), then the rest
        grid = ([(None, s) for s in NETWORK_SCALES] + [(syn, 1) for syn in NETWORK_SYNAPSES]
                + [(syn, s) for syn in NETWORK_SYNAPSES for s in NETWORK_SCALES])
        widget.precompute_thread = precompute_network_runs(
            list(dict.fromkeys(grid)), params, n_digits, max_steps)
    return widget


def compute_tradeoffs(settings=((None, 1), (0.001, 1), (0.005, 1), (0.01, 1),
                                (None, 2), (None, 5), (None, 10)),
                      read_steps=(10, 20, 30, 40), probe_synapse=0.1, params="pretrained",
                      n_digits=40, max_steps=40):
    """Accuracy and spike count for each ``(connection synapse, scale)`` in
    ``settings``, read after each of ``read_steps`` (one cached run per setting).

    Returns a list of dicts: ``synapse``, ``scale``, ``n_steps``, ``accuracy``,
    ``spikes_per_image`` and ``rates_hz`` (per LIF layer).
    """
    rows = []
    for synapse, scale in settings:
        for n_steps in read_steps:
            r = compute_network_demo(n_steps, synapse, probe_synapse, scale, params,
                                     n_digits, max_steps)
            rows.append({"synapse": synapse, "scale": float(scale), "n_steps": n_steps,
                         "accuracy": r["accuracy"], "spikes_per_image": r["spikes_per_image"],
                         "rates_hz": r["rates_hz"]})
    return rows


def tradeoff_table(rows):
    """`compute_tradeoffs` rows as printable dicts (for `format_table`)."""
    return [{"connection synapse": _seconds(r["synapse"]), "rate scale": f"{r['scale']:g}",
             "n_steps": r["n_steps"], "accuracy %": round(100 * r["accuracy"]),
             "spikes per image": round(r["spikes_per_image"]),
             "conv3_lif Hz": round(r["rates_hz"]["conv3_lif"], 1)} for r in rows]


def draw_tradeoffs(rows, fig=None):
    """Accuracy against spikes per image: one line per setting, one point per n_steps."""
    fig, (ax,) = _axes_of(fig, 1, (7, 4))
    settings = list(dict.fromkeys((r["synapse"], r["scale"]) for r in rows))
    for i, (synapse, scale) in enumerate(settings):
        mine = [r for r in rows if (r["synapse"], r["scale"]) == (synapse, scale)]
        x = [r["spikes_per_image"] for r in mine]
        y = [100 * r["accuracy"] for r in mine]
        ax.plot(x, y, "o-", color=f"C{i}",
                label=f"synapse {_seconds(synapse)}, scale {scale:g}")
        for r, xi, yi in zip(mine, x, y):
            ax.annotate(f"{r['n_steps']}", (xi, yi), textcoords="offset points",
                        xytext=(3, 3), fontsize=7, color=f"C{i}")
    ax.set_xscale("symlog", linthresh=100)  # log scale that also shows 0 spikes
    ax.set_xlim(left=0)
    ax.set_xlabel("spikes per image (all LIF layers; log scale above 100)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-5, 105)
    ax.set_title("accuracy against spikes (numbers: n_steps)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return fig
