"""snnlib.course.widgets: compute functions against snnlib and analytic values, draw
functions' artists and labels, and the explorers' controls."""

import contextlib
import io

import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

import snnlib as snn  # noqa: E402
from snnlib.course import widgets as W  # noqa: E402
from snnlib.course.datasets import images_to_inputs  # noqa: E402
from snnlib.course.plots import figure_png  # noqa: E402
from snnlib.course.widgets import spiking_cnn, synapses  # noqa: E402

DT = 0.001


@pytest.fixture(scope="module")
def digits():
    return W.test_digits()


def labels_of(ax):
    return ax.get_xlabel(), ax.get_ylabel()


def run_quietly(explorer):
    """Build an explorer, check nothing went to stderr, return (widget, stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        widget = explorer()
    assert err.getvalue() == "", f"{explorer.__name__} wrote to stderr: {err.getvalue()!r}"
    return widget


def controls(widget):
    return {
        child.description: child
        for child in widget.children
        if isinstance(child, ipywidgets.ValueWidget)
    }


# --- lecture 01 -------------------------------------------------------------------------


@pytest.mark.parametrize("n_steps", [1, 7, 30])
def test_input_record_holds_the_image_at_every_step(digits, n_steps):
    images, _ = digits
    result = W.compute_input_record(images[3], n_steps=n_steps)
    expected = images_to_inputs(images[3:4])[0]
    assert result["data"].shape == (1, n_steps, 784)
    np.testing.assert_array_equal(result["data"][0], np.tile(expected, (n_steps, 1)))
    np.testing.assert_allclose(result["t"], DT * np.arange(1, n_steps + 1))
    assert result["frames"].shape == (n_steps, 28, 28, 1)
    # channels-last unflattening: pixel (r, c) is flat index 28 r + c
    for (r, c), trace in zip(result["pixels"], result["traces"].T):
        np.testing.assert_array_equal(trace, expected[28 * r + c])


def test_draw_input_record(digits):
    fig = W.draw_input_record(W.compute_input_record(digits[0][0], n_steps=10), step=4)
    ax_img, ax_t = fig.axes[:2]
    assert labels_of(ax_t) == ("time (ms)", "node output (pixel value, 0-1)")
    assert "step 5" in ax_img.get_title()
    assert "(1, 10, 784)" in ax_t.get_title()
    assert len(ax_t.get_lines()) == 3 + 1  # three pixels and the step marker
    assert isinstance(figure_png(fig), bytes)


# --- lecture 02 -------------------------------------------------------------------------


def correlate_by_loops(image, kernel, stride, padding):
    kh, kw = kernel.shape
    if padding == "same":
        out_h, out_w = -(-28 // stride), -(-28 // stride)
        pad_h = max((out_h - 1) * stride + kh - 28, 0)
        pad_w = max((out_w - 1) * stride + kw - 28, 0)
        image = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    else:
        out_h, out_w = (28 - kh) // stride + 1, (28 - kw) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = image[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.sum(patch * kernel)
    return out


@pytest.mark.parametrize("kernel", list(W.NAMED_KERNELS))
@pytest.mark.parametrize("strides,padding", [(1, "valid"), (2, "valid"), (3, "same"), (1, "same")])
def test_convolution_equals_loops(digits, kernel, strides, padding):
    image = digits[0][1]
    result = W.compute_convolution(image, kernel, strides, padding)
    expected = correlate_by_loops(image / 255.0, W.NAMED_KERNELS[kernel], strides, padding)
    np.testing.assert_allclose(result["feature_map"], expected, atol=1e-5)
    k = W.NAMED_KERNELS[kernel].shape[0]
    size = (28 - k) // strides + 1 if padding == "valid" else -(-28 // strides)
    assert result["shape_out"] == (size, size, 1)
    assert result["n_params"] == k * k
    assert result["n_dense"] == 784 * size * size


def test_identity_kernel_returns_the_image(digits):
    image = digits[0][2]
    result = W.compute_convolution(image, "identity", 1, "same")
    np.testing.assert_allclose(result["feature_map"], image / 255.0, atol=1e-6)


def test_output_size_formula():
    def size(n, k, s, padding):
        return snn.Conv2D(1, k, strides=s, padding=padding).output_shape((n, n, 1))[0]

    assert [size(n, 3, s, "valid") for n, s in [(28, 1), (26, 2), (12, 2)]] == [26, 12, 5]
    assert size(28, 3, 2, "same") == 14
    assert size(27, 5, 4, "same") == 7


def test_conv_stack_table_is_the_tutorial():
    rows = W.conv_stack_table()
    assert [r["shape_out"] for r in rows] == [(26, 26, 32), (12, 12, 64), (5, 5, 128), (10,)]
    assert [r["n_params"] for r in rows] == [320, 18496, 73856, 32010]
    assert rows[1]["n_dense"] == 26 * 26 * 32 * 12 * 12 * 64
    text = W.format_table(rows)
    assert "conv3" in text and "73,856" in text


def test_draw_convolution_and_matrix(digits):
    fig = W.draw_convolution(W.compute_convolution(digits[0][0], "blur (5x5 box)", 2, "valid"))
    assert "(12, 12, 1)" in fig.axes[2].get_title()
    assert "5x5" in fig.axes[1].get_title()
    assert len(fig.axes[1].texts) == 25  # the kernel's values written in its cells
    conv = snn.Conv2D(filters=2, kernel_size=3, kernel=np.ones((3, 3, 1, 2)))
    M = conv.to_matrix((4, 4, 1))
    fig = W.draw_matrix(M, (4, 4, 1), (2, 2, 2))
    assert "(8, 16)" in fig.axes[0].get_title()
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 16)


def test_unknown_kernel_is_an_error(digits):
    with pytest.raises(ValueError, match="unknown kernel 'sharpen'"):
        W.compute_convolution(digits[0][0], "sharpen")


# --- lecture 03 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "J,tau_rc,tau_ref",
    [(1.5, 0.02, 0.002), (3.0, 0.02, 0.002), (2.0, 0.05, 0.004), (8.0, 0.01, 0.001)],
)
def test_lif_demo_rate_matches_rates(J, tau_rc, tau_ref):
    result = W.compute_lif_demo(J, tau_rc=tau_rc, tau_ref=tau_ref, amplitude=0.01)
    # the analytic rate: 1 / (tau_ref + tau_rc log(1 + 1 / (J - 1)))
    expected = 1 / (tau_ref + tau_rc * np.log1p(1 / (J - 1)))
    assert result["rate_hz_theory"] == pytest.approx(expected, rel=1e-9)
    assert result["rate_hz"] == pytest.approx(expected, rel=0.01)
    assert result["spike_height"] == pytest.approx(0.01 / DT)
    assert set(np.unique(result["output"])) <= {0.0, 0.01 / DT}
    assert result["voltage"].max() <= 1.0


def test_lif_demo_first_spike_time_and_silence():
    # from rest, v(t) = J (1 - exp(-t / tau_rc)) reaches 1 at tau_rc log(J / (J - 1))
    result = W.compute_lif_demo(2.0)
    t_first = 0.02 * np.log(2.0)
    assert result["spike_times"][0] == pytest.approx(np.ceil(t_first / DT) * DT)
    quiet = W.compute_lif_demo(0.9)
    assert quiet["rate_hz"] == 0 and len(quiet["spike_times"]) == 0
    # the voltage approaches J from below: v = J (1 - exp(-t / tau_rc))
    np.testing.assert_allclose(quiet["voltage"], 0.9 * -np.expm1(-quiet["t"] / 0.02), rtol=1e-9)


@pytest.mark.parametrize(
    "neuron_type,gain",
    [(snn.LIF(), 1.0), (snn.LIF(amplitude=0.01), 2.0), (snn.SpikingRectifiedLinear(), 40.0)],
)
def test_rate_curve_simulated_against_rates(neuron_type, gain):
    J_sim = np.array([0.5, 1.5, 3.0])
    result = W.compute_rate_curve(neuron_type, J_sim=J_sim, gain=gain)
    expected = neuron_type.rates(gain * J_sim)
    # a one-second count is within one spike of the rate
    np.testing.assert_allclose(result["rates_sim"], expected, atol=neuron_type.amplitude * 1.01)
    np.testing.assert_allclose(result["rates"], neuron_type.rates(gain * result["J"]))


def test_relu_vs_lif_and_draw():
    curves = W.compute_relu_vs_lif(relu_gain=50)
    assert len(curves) == 2
    relu = curves["SpikingRectifiedLinear (gain 50)"]
    np.testing.assert_allclose(relu["rates"], 50 * np.maximum(relu["J"], 0))
    fig = W.draw_rate_curves(curves)
    assert labels_of(fig.axes[0]) == (
        "input current J (dimensionless)",
        "firing rate (Hz, amplitude 1)",
    )
    assert len(fig.axes[0].get_lines()) == 2 * 2 + 1


@pytest.mark.parametrize("max_rates,intercepts", [(100, 0), (200, -0.5), (50, 0.3)])
def test_tuning_gain_bias(max_rates, intercepts):
    result = W.compute_tuning(max_rates, intercepts)
    gain, bias = snn.gain_bias(snn.LIF(), max_rates, intercepts)
    assert (result["gain"], result["bias"]) == (gain, bias)
    # J = 1 (threshold) at the intercept; max_rates at x = 1
    assert gain * intercepts + bias == pytest.approx(1.0)
    assert snn.LIF().rates(gain + bias) == pytest.approx(max_rates)
    assert np.all(result["rate_hz"][result["x"] <= intercepts] == 0)


def test_tuning_is_the_tutorial():
    result = W.compute_tuning(100, 0)
    assert result["gain"] == pytest.approx(2.0332, abs=1e-4)
    assert result["bias"] == pytest.approx(1.0)
    fig = W.draw_tuning(result)
    assert "gain = 2.0332" in fig.axes[0].get_title()
    assert labels_of(fig.axes[0])[1] == "firing rate (Hz)"


def test_draw_lif_demo():
    fig = W.draw_lif_demo(W.compute_lif_demo(2.0, amplitude=0.01))
    ax_v, ax_s, ax_r = fig.axes[:3]
    assert labels_of(ax_v) == ("time (ms)", "voltage v (dimensionless)")
    assert ax_s.get_title() == "spikes of height 10"
    assert labels_of(ax_r) == ("input current J (dimensionless)", "firing rate (Hz)")


# --- lecture 04 -------------------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.005, 0.02])
def test_impulse_responses(tau):
    lowpass = W.compute_impulse_response("Lowpass", tau, t_end=0.5)
    # zero-order hold of a one-step pulse: y[k] = (1 - a) / dt * a^k, a = exp(-dt / tau)
    a = np.exp(-DT / tau)
    np.testing.assert_allclose(lowpass["y"], (1 - a) / DT * a ** np.arange(500), rtol=1e-9)
    assert lowpass["area"] == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(lowpass["h"], np.exp(-lowpass["t_fine"] / tau) / tau)
    alpha = W.compute_impulse_response("Alpha", tau, t_end=0.5)
    assert alpha["area"] == pytest.approx(1.0, abs=1e-3)
    assert abs(alpha["t"][np.argmax(alpha["y"])] - tau) <= DT + 1e-12  # peaks at t = tau
    none = W.compute_impulse_response("None", tau)
    assert none["y"][0] == 1 / DT and none["area"] == 1.0


def test_draw_impulse_response():
    fig = W.draw_impulse_response(W.compute_impulse_response("Alpha", 0.01))
    ax = fig.axes[0]
    assert labels_of(ax) == ("time (ms)", "response (1/s)")
    assert "Alpha, tau = 10 ms" in ax.get_title()
    assert len(ax.get_lines()) == 2


def test_make_synapse():
    assert W.make_synapse("None", 0.1) is None
    assert isinstance(W.make_synapse("Lowpass", 0.1), snn.Lowpass)
    assert W.make_synapse("Alpha", 0.02).tau == 0.02
    with pytest.raises(ValueError, match="synapse kind"):
        W.make_synapse("Exp", 0.1)


@pytest.mark.parametrize(
    "kind,tau", [("Lowpass", 0.005), ("Lowpass", 0.05), ("Alpha", 0.01), ("None", 0.01)]
)
def test_synapse_demo(kind, tau):
    result = W.compute_synapse_demo(kind, tau, x=0.5)
    synapse = W.make_synapse(kind, tau)
    pre = result["pre"]
    assert set(np.unique(pre)) <= {0.0, 10.0}  # LIF(amplitude=0.01) spikes, dt = 1 ms
    if synapse is None:
        expected = pre
    else:  # a filtered probe or connection reports filt(...) one step later
        expected = np.concatenate([[0.0], synapse.filt(pre, DT)[:-1]])
    np.testing.assert_allclose(result["pre_probe"], expected, atol=1e-12)
    np.testing.assert_allclose(result["delivered"], expected, atol=1e-12)
    # the neuron behind the unfiltered connection ignores the probe's synapse
    reference = W.compute_synapse_demo("None", tau, x=0.5)
    np.testing.assert_array_equal(result["post_probe"], reference["post_probe"])
    np.testing.assert_array_equal(result["pre"], reference["pre"])
    # pre fires at the LIF rate for J = gain * 0.5 + bias
    gain, bias = snn.gain_bias(snn.LIF(), 100, 0)
    rate = snn.LIF().rates(gain * 0.5 + bias)
    assert result["n_pre"] == pytest.approx(rate * 0.3, abs=1.5)


def test_connection_synapse_changes_the_next_layer():
    slow = W.compute_synapse_demo("Lowpass", 0.1)
    none = W.compute_synapse_demo("None", 0.1)
    # a slow synapse delays the next layer's first spike
    first = lambda r, key: np.argmax(r[key] > 0)  # noqa: E731
    assert first(slow, "post_conn") > first(none, "post_conn") + 10
    np.testing.assert_array_equal(none["post_conn"], none["post_probe"])


def test_draw_synapse_demo():
    fig = W.draw_synapse_demo(W.compute_synapse_demo("Alpha", 0.02))
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert "PROBE" in titles[0] and "CONNECTION" in titles[1]
    assert "Alpha(20 ms)" in titles[3]
    assert fig.axes[2].get_xlabel() == "time (ms)"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("probe record" in t for t in legend)


def test_delay_demo():
    result = W.compute_delay_demo()  # synapses None, 0 and 0.005
    inp = result["input"]
    np.testing.assert_array_equal(inp, [0, 0, 1, 1, 1, 1, 1, 1])
    assert list(result["delivered"]) == ["None", "Lowpass(0)", "Lowpass(0.005)"]
    # None delivers in the same step; 0 one step late, not smoothed (exactly, as in Nengo)
    np.testing.assert_array_equal(result["delivered"]["None"], inp)
    np.testing.assert_array_equal(result["delivered"]["Lowpass(0)"], [0, 0, 0, 1, 1, 1, 1, 1])
    expected = np.r_[0, snn.Lowpass(0.005).filt(inp, DT)[:-1]]
    np.testing.assert_allclose(result["delivered"]["Lowpass(0.005)"], expected, rtol=1e-12)


def test_delay_demo_with_a_tiny_tau_is_nearly_zero():
    result = W.compute_delay_demo(synapses=(1e-6, snn.Lowpass(0)))
    np.testing.assert_allclose(
        result["delivered"]["Lowpass(1e-06)"], result["delivered"]["Lowpass(0)"], atol=1e-12
    )


@pytest.mark.parametrize(
    "synapse,name",
    [
        (None, "None"),
        (0, "Lowpass(0)"),
        (0.0, "Lowpass(0)"),
        (0.005, "Lowpass(0.005)"),
        (snn.Lowpass(0), "Lowpass(0)"),
        (snn.Alpha(0.01), "Alpha(0.01)"),
    ],
)
def test_synapse_names(synapse, name):
    assert synapses._synapse_name(synapse) == name


# --- figures and explorers ----------------------------------------------------------------


def test_course_figure_shows_as_png_and_is_not_kept_by_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, axes = W.new_figure(1, 2)
    assert len(axes) == 2
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before


EXPLORERS = {
    "input_explorer": {"digit", "n_steps", "look at step"},
    "convolution_explorer": {"kernel", "strides", "padding", "digit"},
    "lif_explorer": {"J", "tau_rc (s)", "tau_ref (s)", "amplitude"},
    "tuning_explorer": {"max_rates", "intercepts"},
    "impulse_explorer": {"synapse", "tau (s)"},
    "synapse_explorer": {"synapse", "tau (s)", "input x"},
}


def check_controls_show_whole(widget):
    """Every dropdown has its value selected (a blank box otherwise) under a
    label; every label has one width, wide enough for the longest, and each row
    widens by as much (ipywidgets cuts labels off at 80 px: "connectio...")."""
    shown = controls(widget)
    longest = max(len(description) for description in shown)
    widths = {c.style.description_width for c in shown.values()}
    assert widths == {f"{longest + 1}ch"}, widths
    for description, c in shown.items():
        assert c.layout.width == f"calc({longest + 1}ch + {W.CONTROL_WIDTH})", description
        if isinstance(c, ipywidgets.Dropdown):
            assert c.index is not None, f"{description}: nothing selected"
            assert c.label == str(c.value), description
            assert all(label.strip() for label in c._options_labels), description


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_controls(name):
    widget = run_quietly(getattr(W, name))
    assert isinstance(widget, ipywidgets.interactive)
    assert set(controls(widget)) == EXPLORERS[name]
    assert isinstance(widget.children[-1], ipywidgets.Output)
    check_controls_show_whole(widget)


def test_explorer_updates_without_stderr():
    widget = run_quietly(W.synapse_explorer)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        for kind in W.SYNAPSE_KINDS:
            controls(widget)["synapse"].value = kind
        controls(widget)["tau (s)"].value = 0.1
    assert err.getvalue() == ""
    widget = run_quietly(W.lif_explorer)
    with contextlib.redirect_stderr(err):
        controls(widget)["J"].value = 0.0  # a silent neuron: no spikes, no warnings
        controls(widget)["tau_ref (s)"].value = 0.0
    assert err.getvalue() == ""


# --- lectures 05 and 06: the network explorer ---------------------------------------------

try:
    from snnlib.course import mnist
except ImportError:  # written by another part of the project; test the rest without it
    mnist = None
needs_mnist = pytest.mark.skipif(mnist is None, reason="snnlib.course.mnist is not there")
SMALL = {"params": None, "n_digits": 4, "max_steps": 12}  # seeded random weights: fast


@needs_mnist
@pytest.mark.parametrize("probe_synapse", [None, 0.01, 0.1])
def test_network_demo_equals_a_real_probe(probe_synapse):
    result = W.compute_network_demo(10, None, probe_synapse, 1.0, **SMALL)
    images, labels = W.test_digits()
    model = mnist.build_network(None, probe_synapse=probe_synapse, learner_probes=False)
    direct = mnist.run_spiking(model, images[:4], n_steps=10)["output"]
    # the probe synapse applied afterwards gives exactly the probe's own record
    np.testing.assert_allclose(result["output"], direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        result["accuracy_over_steps"], mnist.accuracy_over_steps(direct, labels[:4])
    )
    assert result["accuracy"] == result["accuracy_over_steps"][-1]


@needs_mnist
def test_network_runs_are_cached_and_truncate_exactly():
    run = W.compute_network_run(None, None, 1.0, 4, 12)
    assert W.compute_network_run(None, None, 1.0, 4, 12) is run
    short = W.compute_network_demo(5, None, None, 1.0, **SMALL)
    # a causal simulation with a held input: 5 steps of a 12-step run are a 5-step run
    np.testing.assert_allclose(short["output"], run["output"][:, :5])
    total = sum(s[:, :5].sum() for s in run["spikes"].values()) / 4
    assert short["spikes_per_image"] == pytest.approx(total)
    for name, rate in short["rates_hz"].items():
        expected = run["spikes"][name][:, :5].sum() / (4 * run["n_neurons"][name] * 5 * DT)
        assert rate == pytest.approx(expected)
    assert run["n_neurons"] == {
        "conv1_lif": 26 * 26 * 32,
        "conv2_lif": 12 * 12 * 64,
        "conv3_lif": 5 * 5 * 128,
    }


@needs_mnist
def test_firing_rate_scale_gives_more_spikes():
    base = W.compute_network_demo(12, None, 0.1, 1.0, **SMALL)
    scaled = W.compute_network_demo(12, None, 0.1, 5.0, **SMALL)
    assert scaled["spikes_per_image"] > 2 * base["spikes_per_image"]


@needs_mnist
def test_network_demo_rejects_steps_beyond_the_run():
    with pytest.raises(ValueError, match="n_steps must be between 1 and 12"):
        W.compute_network_demo(13, None, 0.1, 1.0, **SMALL)


@needs_mnist
def test_draw_network_demo():
    result = W.compute_network_demo(8, 0.005, 0.05, 2.0, **SMALL)
    fig = W.draw_network_demo(result, digit=2)
    ax_img, ax_out, ax_acc, ax_rate = fig.axes[:4]
    assert len(ax_out.get_lines()) == 10
    assert labels_of(ax_out) == ("time (ms)", "output probe record")
    assert ax_acc.get_ylabel() == "accuracy on 4 digits (%)"
    assert ax_rate.get_ylabel() == "mean firing rate (Hz)"
    assert len(ax_rate.patches) == 3
    assert "synapse 5 ms" in fig.get_suptitle() and "scale 2" in fig.get_suptitle()


@needs_mnist
def test_network_explorer_controls():
    widget = run_quietly(lambda: W.network_explorer(**SMALL, precompute=False))
    assert set(controls(widget)) == {
        "n_steps",
        "connection synapse",
        "probe synapse",
        "rate scale",
        "digit",
    }
    assert controls(widget)["n_steps"].max == 12
    synapse = controls(widget)["connection synapse"]
    # labels as values: ipywidgets 8 shows a value of None as a blank box
    assert (synapse.index, synapse.label, synapse.value) == (0, "None", "None")
    assert synapse.options == ("None", "1 ms", "5 ms", "10 ms")
    assert controls(widget)["probe synapse"].value == "100 ms"
    synapse.value = "5 ms"  # the update looks the label up: 5 ms, 0.005 s
    synapse.value = "None"
    assert (synapse.index, synapse.label) == (0, "None")
    check_controls_show_whole(widget)


@needs_mnist
@pytest.mark.skipif(
    mnist is None or not mnist.PRETRAINED_PATH.exists(), reason="no pretrained weights yet"
)
def test_network_demo_with_pretrained_weights_is_accurate():
    result = W.compute_network_demo(30, None, 0.1, 1.0, "pretrained", n_digits=20, max_steps=30)
    assert result["accuracy"] >= 0.8
    assert all(0 < rate < 100 for rate in result["rates_hz"].values())


@needs_mnist
def test_tradeoffs_collect_the_demo_numbers():
    settings = ((None, 1), (0.005, 1), (None, 5))
    rows = W.compute_tradeoffs(settings, read_steps=(6, 12), probe_synapse=0.1, **SMALL)
    assert [(r["synapse"], r["scale"], r["n_steps"]) for r in rows] == [
        (s, float(c), n) for s, c in settings for n in (6, 12)
    ]
    for r in rows:
        demo = W.compute_network_demo(r["n_steps"], r["synapse"], 0.1, r["scale"], **SMALL)
        assert r["accuracy"] == demo["accuracy"]
        assert r["spikes_per_image"] == demo["spikes_per_image"]
    # spikes only accumulate: more steps, at least as many spikes
    assert rows[1]["spikes_per_image"] >= rows[0]["spikes_per_image"]
    table = W.tradeoff_table(rows)
    assert table[2]["connection synapse"] == "5 ms" and table[4]["rate scale"] == "5"
    fig = W.draw_tradeoffs(rows)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 and ax.get_xscale() == "symlog"
    assert ax.get_ylabel() == "accuracy (%)"


@needs_mnist
def test_precomputed_runs_equal_runs_computed_on_demand():
    settings = [(0.001, 3.0), (None, 4.0)]
    thread = W.precompute_network_runs(
        settings, **{k: v for k, v in SMALL.items() if k != "max_steps"}, n_steps=12
    )
    # asking for a run queued or being computed in the background computes it once
    first = W.compute_network_run(None, 0.001, 3.0, 4, 12)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert W.compute_network_run(None, 0.001, 3.0, 4, 12) is first
    assert W.precompute_network_runs(settings, None, 4, 12) is None  # all cached now
    key = spiking_cnn._run_key(None, None, 4.0, 4, 12)
    background = spiking_cnn._network_runs.pop(key)
    again = W.compute_network_run(None, None, 4.0, 4, 12)
    np.testing.assert_array_equal(background["output"], again["output"])
    for name in W.LIF_LAYERS:
        np.testing.assert_array_equal(background["spikes"][name], again["spikes"][name])


@needs_mnist
def test_a_request_takes_over_a_queued_run_and_waits_for_a_started_one(monkeypatch):
    """A student who picks a setting still queued for the background thread
    gets it computed at once, not after the runs queued before it."""
    import threading

    calls, release = [], threading.Event()
    simulate = spiking_cnn._simulate_run

    def simulate_and_record(model, lif_probes, n_digits, n_steps):
        calls.append((model.settings["synapse"], threading.current_thread().name))
        if threading.current_thread().name == "snnlib-network-runs":
            release.wait(timeout=60)  # the background thread is busy ...
        return simulate(model, lif_probes, n_digits, n_steps)

    monkeypatch.setattr(spiking_cnn, "_simulate_run", simulate_and_record)
    settings = [(0.002, 6.0), (0.003, 6.0), (0.004, 6.0)]
    thread = W.precompute_network_runs(settings, None, 4, 12)
    while not calls:  # ... with the first run
        thread.join(timeout=0.01)
    last = W.compute_network_run(None, 0.004, 6.0, 4, 12)  # queued third: taken over
    assert calls == [(0.002, "snnlib-network-runs"), (0.004, threading.current_thread().name)]
    release.set()
    started = W.compute_network_run(None, 0.002, 6.0, 4, 12)  # started: waited for
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert [synapse for synapse, _ in calls] == [0.002, 0.004, 0.003]  # each run once
    assert W.compute_network_run(None, 0.004, 6.0, 4, 12) is last
    assert W.compute_network_run(None, 0.002, 6.0, 4, 12) is started


@needs_mnist
def test_network_explorer_precomputes_the_grid():
    widget = run_quietly(lambda: W.network_explorer(None, n_digits=2, max_steps=4))
    widget.precompute_thread.join(timeout=120)
    for synapse in W.NETWORK_SYNAPSES:
        for scale in W.NETWORK_SCALES:
            assert spiking_cnn._run_key(None, synapse, scale, 2, 4) in spiking_cnn._network_runs
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        controls(widget)["rate scale"].value = 10
        controls(widget)["connection synapse"].value = "10 ms"
    assert err.getvalue() == ""


def test_show_displays_any_figure_as_png(monkeypatch):
    import IPython.display
    from matplotlib.figure import Figure

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    W.show(fig)
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Image)
    assert shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.axes == []  # freed
