"""snnlib against Nengo's reference simulator, spike for spike, at float64.

Each network is described once, through `Mirror`, which builds it in snnlib and in
Nengo side by side; both are run and every probe is compared. Spikes must be
identical (``assert_array_equal``); continuous values (filtered probes, pass-through
nodes) agree to 1e-10, because the two libraries compute the discretised filter
coefficients with different matrix exponentials (they differ in the last bits).

What makes the two simulations the same network:

- snnlib neurons start at rest; Nengo's start at a random voltage unless
  ``initial_state={"voltage": Choice([0])}`` is given;
- gain and bias are passed to ``nengo.Ensemble`` explicitly and connections go to
  ``ens.neurons``, so Nengo computes ``J = bias + gain * input`` as snnlib does;
- a `snnlib.Conv2D` with ``kernel=K`` is ``nengo.Convolution(..., channels_last=True,
  init=K)``, which has no bias.

Every test also checks that its network spikes enough for the comparison to mean
something. Skipped as a whole when Nengo is not installed.
"""

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

nengo = pytest.importorskip("nengo")

from nengo.builder.transforms import conv2d as nengo_conv2d  # noqa: E402

import snnlib as snn  # noqa: E402

RTOL = ATOL = 1e-10  # continuous values from simulations
EXACT = 1e-12  # functions computed without simulation


# --- building the same network in both libraries -------------------------------


def nengo_neuron_type(neuron_type):
    """The Nengo neuron type with the same parameters, starting at rest."""
    at_rest = {"voltage": nengo.dists.Choice([0])}
    if isinstance(neuron_type, snn.LIF):
        return nengo.LIF(
            tau_rc=neuron_type.tau_rc,
            tau_ref=neuron_type.tau_ref,
            min_voltage=neuron_type.min_voltage,
            amplitude=neuron_type.amplitude,
            initial_state=at_rest,
        )
    if isinstance(neuron_type, snn.LIFRate):
        return nengo.LIFRate(
            tau_rc=neuron_type.tau_rc, tau_ref=neuron_type.tau_ref, amplitude=neuron_type.amplitude
        )
    if isinstance(neuron_type, snn.SpikingRectifiedLinear):
        return nengo.SpikingRectifiedLinear(amplitude=neuron_type.amplitude, initial_state=at_rest)
    if isinstance(neuron_type, snn.RectifiedLinear):
        return nengo.RectifiedLinear(amplitude=neuron_type.amplitude)
    raise NotImplementedError(neuron_type)


def nengo_synapse(synapse):
    """The same synapse for Nengo. A bare number is a time constant in both
    libraries (``0`` included), so it is passed on as it is."""
    if synapse is None or isinstance(synapse, (int, float)):
        return synapse
    if isinstance(synapse, snn.Alpha):
        return nengo.Alpha(synapse.tau)
    if isinstance(synapse, snn.Lowpass):
        return nengo.Lowpass(synapse.tau)
    if isinstance(synapse, snn.LinearFilter):
        return nengo.LinearFilter(synapse.num, synapse.den)
    raise NotImplementedError(synapse)


def nengo_transform(transform, shape_in):
    """A matrix or scalar stays as it is; a Conv2D becomes a nengo.Convolution,
    a Dense its matrix (Nengo's ``(size_out, size_in)``, the kernel transposed)."""
    if isinstance(transform, snn.Dense):
        assert not transform.use_bias
        return transform.kernel.T
    if isinstance(transform, snn.Conv2D):
        assert not transform.use_bias, "nengo.Convolution has no bias"
        return nengo.Convolution(
            transform.filters,
            input_shape=shape_in,
            kernel_size=transform.kernel_size,
            strides=transform.strides,
            padding=transform.padding,
            channels_last=True,
            init=transform.kernel,
        )
    assert not isinstance(transform, snn.Transform)
    return transform


class Mirror:
    """Builds one network in snnlib and in Nengo; objects are (snnlib, nengo) pairs."""

    def __init__(self):
        self.snn_net = snn.Network(seed=0, default_synapse=None)
        self.nengo_net = nengo.Network(seed=0)
        self.probes = {}  # name -> (snnlib probe, nengo probe)

    def node(self, output=None, size_in=None):
        with self.snn_net, self.nengo_net:
            return (
                snn.Node(output=output, size_in=size_in),
                nengo.Node(output=output, size_in=size_in),
            )

    def neurons(self, neuron_type, gain, bias, shape=None):
        n = len(gain)
        with self.snn_net, self.nengo_net:
            ens = nengo.Ensemble(
                n, 1, neuron_type=nengo_neuron_type(neuron_type), gain=gain, bias=bias
            )
            return snn.Neurons(n, neuron_type, gain=gain, bias=bias, shape=shape), ens.neurons

    def connect(self, pre, post, transform=1.0, synapse=None, shape_in=None):
        with self.snn_net, self.nengo_net:
            snn.Connection(pre[0], post[0], transform=transform, synapse=synapse, shape_in=shape_in)
            nengo.Connection(
                pre[1],
                post[1],
                synapse=nengo_synapse(synapse),
                transform=nengo_transform(transform, shape_in),
            )

    def transform_layer(self, x, transform, shape_in, synapse=None):
        """``snn.Layer(transform)``: a pass-through node fed through the transform
        (a Conv2D or Dense; its kernel is drawn by snnlib unless given)."""
        with self.snn_net, self.nengo_net:
            node = snn.Layer(transform)(x[0], shape_in=shape_in, synapse=synapse)
            nengo_node = nengo.Node(size_in=node.size)
            nengo.Connection(
                x[1],
                nengo_node,
                synapse=nengo_synapse(synapse),
                transform=nengo_transform(transform, shape_in),
            )
            return node, nengo_node

    def neuron_layer(self, x, neuron_type, gain, bias, synapse=None):
        """``snn.Layer(neuron_type)``: one neuron per element of ``x``, one to one."""
        with self.snn_net, self.nengo_net:
            neurons = snn.Layer(neuron_type)(x[0], gain=gain, bias=bias, synapse=synapse)
            ens = nengo.Ensemble(
                neurons.size,
                1,
                neuron_type=nengo_neuron_type(neuron_type),
                gain=neurons.gain,
                bias=neurons.bias,
            )
            nengo.Connection(x[1], ens.neurons, synapse=nengo_synapse(synapse))
            return neurons, ens.neurons

    def probe(self, name, target, synapse=None):
        with self.snn_net, self.nengo_net:
            self.probes[name] = (
                snn.Probe(target[0], synapse=synapse),
                nengo.Probe(target[1], synapse=nengo_synapse(synapse)),
            )

    def run(self, n_steps, dt=0.001, calls=1):
        """Run both; return ``{name: (snnlib data, nengo data)}``, each ``(n_steps, size)``.

        snnlib runs in ``calls`` consecutive ``run_steps`` calls (its state carries
        over), Nengo in one.
        """
        snn_sim = snn.Simulator(self.snn_net, dt=dt, dtype=np.float64)
        for piece in np.array_split(np.arange(n_steps), calls):
            snn_sim.run_steps(len(piece))
        assert snn_sim.n_steps == n_steps
        with nengo.Simulator(self.nengo_net, dt=dt, progress_bar=False) as nengo_sim:
            nengo_sim.run_steps(n_steps)
        np.testing.assert_allclose(snn_sim.trange(), nengo_sim.trange(), rtol=1e-12)
        out = {}
        for name, (snn_probe, nengo_probe) in self.probes.items():
            ours, theirs = snn_sim.data[snn_probe], nengo_sim.data[nengo_probe]
            assert ours.shape == (1,) + theirs.shape, name
            out[name] = (ours[0], theirs)
        return out


def assert_same_spikes(name, ours, theirs, height, min_spikes):
    """Spike trains identical; each spike ``height`` (= amplitude / dt) high, or a
    whole number of them; at least ``min_spikes`` spikes in all."""
    n_spikes = ours / height
    np.testing.assert_allclose(
        n_spikes,
        np.round(n_spikes),
        rtol=0,
        atol=1e-9,
        err_msg=f"{name}: outputs are not whole spikes",
    )
    assert n_spikes.sum() >= min_spikes, (
        f"{name}: only {n_spikes.sum():.0f} spikes; the test needs >= {min_spikes}"
    )
    mismatch = np.argwhere(ours != theirs)
    assert mismatch.size == 0, (
        f"{name}: {len(mismatch)} (step, neuron) entries differ, first at "
        f"(step, neuron) = {tuple(mismatch[0])}: snnlib {ours[tuple(mismatch[0])]}, "
        f"nengo {theirs[tuple(mismatch[0])]}"
    )
    np.testing.assert_array_equal(ours, theirs, err_msg=name)


def assert_close(name, ours, theirs, min_abs=1e-3):
    """Continuous values equal to 1e-10, and not trivially zero."""
    assert np.abs(theirs).max() >= min_abs, f"{name}: the signal is (nearly) all zero"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=name)


def drive(t):
    """A time-varying 3-d input that changes sign, so currents go below zero too."""
    return np.array(
        [
            np.sin(2 * np.pi * 3 * t),
            np.cos(2 * np.pi * 5 * t + 0.3),
            1.5 * np.sin(2 * np.pi * 1.7 * t) ** 3,
        ]
    )


def driven_population(mirror, neuron_type, gain, bias, synapse, transform):
    """A population driven by `drive` through a matrix ``transform`` (n, 3)."""
    inp = mirror.node(drive)
    neurons = mirror.neurons(neuron_type, gain, bias)
    mirror.connect(inp, neurons, transform=transform, synapse=synapse)
    return neurons


def snnlib_only_spikes(neuron_type, gain, bias, synapse, transform, dt, n_steps):
    """The spikes of a driven population, simulated by snnlib alone."""
    with snn.Network(default_synapse=None) as net:
        inp = snn.Node(drive)
        neurons = snn.Neurons(len(gain), neuron_type, gain=gain, bias=bias)
        snn.Connection(inp, neurons, transform=transform, synapse=synapse)
        probe = snn.Probe(neurons)
    return snn.Simulator(net, dt=dt, dtype=np.float64).run_steps(n_steps)[probe][0]


# 0 is Nengo's synapse=0: a filter that does not smooth, one step of delay
SYNAPSES = {"None": None, "Lowpass(0.005)": snn.Lowpass(0.005), "0": 0}


# --- 1. LIF ---------------------------------------------------------------------

LIF_CASES = [
    # tau_rc, tau_ref, min_voltage, amplitude, dt
    (0.02, 0.002, 0.0, 1.0, 0.001),
    (0.02, 0.002, -np.inf, 1.0, 0.001),
    (0.02, 0.002, -0.5, 0.01, 0.001),
    (0.05, 0.0, 0.0, 0.01, 0.001),
    (0.01, 0.0053, -np.inf, 0.01, 0.001),  # tau_ref not a multiple of dt
    (0.03, 0.001, -1.0, 1.0, 0.0005),
]


@pytest.mark.parametrize("synapse", SYNAPSES, ids=str)
@pytest.mark.parametrize("tau_rc, tau_ref, min_voltage, amplitude, dt", LIF_CASES)
def test_lif_population_spikes(tau_rc, tau_ref, min_voltage, amplitude, dt, synapse):
    rng = np.random.default_rng(1)
    n, n_steps = 12, round(0.6 / dt)
    gain, bias = rng.uniform(1.6, 4, n), rng.uniform(-0.5, 2, n)
    neuron_type = snn.LIF(
        tau_rc=tau_rc, tau_ref=tau_ref, min_voltage=min_voltage, amplitude=amplitude
    )
    transform = rng.normal(0, 1, size=(n, 3))
    mirror = Mirror()
    neurons = driven_population(mirror, neuron_type, gain, bias, SYNAPSES[synapse], transform)
    mirror.probe("spikes", neurons)
    ours, theirs = mirror.run(n_steps, dt=dt)["spikes"]
    assert_same_spikes("LIF", ours, theirs, amplitude / dt, min_spikes=150)
    assert np.count_nonzero(ours.sum(axis=0)) >= n // 2, "too few neurons spike"

    if min_voltage != 0:
        # the floor on the voltage must matter in this network, or the case tests nothing
        at_zero = snn.LIF(tau_rc=tau_rc, tau_ref=tau_ref, min_voltage=0, amplitude=amplitude)
        floored = snnlib_only_spikes(at_zero, gain, bias, SYNAPSES[synapse], transform, dt, n_steps)
        assert not np.array_equal(ours, floored), f"min_voltage={min_voltage} changes nothing"


# no shrinking: a failing example is reported as found, and the file stays fast
@settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(
    tau_rc=st.floats(0.002, 0.1),
    tau_ref=st.floats(0, 0.01),
    min_voltage=st.one_of(st.just(-np.inf), st.floats(-3, 0)),
    amplitude=st.floats(0.001, 10),
    dt=st.sampled_from([0.0005, 0.001, 0.002]),
    synapse=st.sampled_from([None, snn.Lowpass(0.003), snn.Alpha(0.004)]),
    seed=st.integers(0, 2**32 - 1),
)
def test_lif_random_parameters(tau_rc, tau_ref, min_voltage, amplitude, dt, synapse, seed):
    rng = np.random.default_rng(seed)
    n = 10
    neuron_type = snn.LIF(
        tau_rc=tau_rc, tau_ref=tau_ref, min_voltage=min_voltage, amplitude=amplitude
    )
    mirror = Mirror()
    # biases above 1 make every neuron fire, whatever tau_rc; the input takes
    # currents below 0 at times, where min_voltage matters
    neurons = driven_population(
        mirror,
        neuron_type,
        rng.uniform(2, 6, n),
        rng.uniform(1.5, 3, n),
        synapse,
        rng.normal(0, 1, (n, 3)),
    )
    mirror.probe("spikes", neurons)
    ours, theirs = mirror.run(round(0.4 / dt), dt=dt)["spikes"]
    assert_same_spikes(repr(neuron_type), ours, theirs, amplitude / dt, min_spikes=20)


# --- 2. SpikingRectifiedLinear -------------------------------------------------


@pytest.mark.parametrize("synapse", SYNAPSES, ids=str)
@pytest.mark.parametrize("amplitude", [1.0, 0.01])
@pytest.mark.parametrize("current_scale", [100.0, 2500.0], ids=["slow", "several-per-step"])
def test_spiking_rectified_linear_spikes(amplitude, synapse, current_scale):
    rng = np.random.default_rng(2)
    n, n_steps, dt = 10, 300, 0.001
    gain = current_scale * rng.uniform(0.5, 2, n)
    bias = current_scale * rng.uniform(-0.5, 0.5, n)
    neuron_type = snn.SpikingRectifiedLinear(amplitude=amplitude)
    mirror = Mirror()
    neurons = driven_population(
        mirror, neuron_type, gain, bias, SYNAPSES[synapse], rng.normal(0, 1, (n, 3))
    )
    mirror.probe("spikes", neurons)
    ours, theirs = mirror.run(n_steps, dt=dt)["spikes"]
    assert_same_spikes("SpikingRectifiedLinear", ours, theirs, amplitude / dt, min_spikes=150)
    if current_scale > 1000:  # J * dt > 1: some steps hold more than one spike
        assert (ours / (amplitude / dt)).max() >= 2


# --- 3. rate neurons -------------------------------------------------------------


@pytest.mark.parametrize("synapse", SYNAPSES, ids=str)
@pytest.mark.parametrize(
    "neuron_type",
    [
        snn.RectifiedLinear(),
        snn.RectifiedLinear(amplitude=0.01),
        snn.LIFRate(),
        snn.LIFRate(tau_rc=0.05, tau_ref=0.004, amplitude=0.01),
    ],
    ids=repr,
)
def test_rate_population_outputs(neuron_type, synapse):
    rng = np.random.default_rng(3)
    n = 10
    gain, bias = rng.uniform(1.6, 4, n), rng.uniform(-0.5, 2, n)
    mirror = Mirror()
    neurons = driven_population(
        mirror, neuron_type, gain, bias, SYNAPSES[synapse], rng.normal(0, 1, (n, 3))
    )
    mirror.probe("rates", neurons)
    mirror.probe("filtered", neurons, synapse=snn.Lowpass(0.01))
    data = mirror.run(200)
    ours, theirs = data["rates"]
    assert np.count_nonzero(ours) > ours.size // 4, "too few positive outputs"
    assert np.count_nonzero(ours == 0) > 0, "the rectification is never tested"
    assert_close("rates", ours, theirs, min_abs=neuron_type.amplitude)
    assert_close("filtered rates", *data["filtered"], min_abs=neuron_type.amplitude)


# --- 4. chains of populations ------------------------------------------------------

CHAIN_SYNAPSES = {
    "None-None": (None, None),
    "Lowpass-Alpha": (snn.Lowpass(0.005), snn.Alpha(0.01)),
    "Alpha-None": (snn.Alpha(0.01), None),
    "None-Lowpass": (None, snn.Lowpass(0.005)),
    "0-Lowpass(0)": (0, snn.Lowpass(0)),
    "Alpha(0)-None": (snn.Alpha(0), None),
}


@pytest.mark.parametrize("amplitude", [1.0, 0.01])
@pytest.mark.parametrize("synapses", CHAIN_SYNAPSES)
def test_chain_of_populations(synapses, amplitude):
    rng = np.random.default_rng(4)
    sizes, n_steps, dt = (20, 16, 12), 300, 0.001
    neuron_type = snn.LIF(amplitude=amplitude)
    mirror = Mirror()
    inp = mirror.node(drive)
    layers = [
        mirror.neurons(neuron_type, rng.uniform(1, 3, sizes[0]), rng.uniform(0.5, 2, sizes[0]))
    ]
    mirror.connect(inp, layers[0], transform=rng.normal(0, 1, (sizes[0], 3)), synapse=None)
    for size, synapse in zip(sizes[1:], CHAIN_SYNAPSES[synapses]):
        layer = mirror.neurons(neuron_type, rng.uniform(1, 3, size), rng.uniform(0, 1, size))
        # weights such that about 20 presynaptic spikes in 20 ms drive a neuron to fire,
        # whatever the amplitude
        weights = rng.uniform(-0.5, 1.5, (size, len(layers[-1][0].gain))) * 0.004 / amplitude
        mirror.connect(layers[-1], layer, transform=weights, synapse=synapse)
        layers.append(layer)
    for i, layer in enumerate(layers):
        mirror.probe(f"layer {i}", layer)
        mirror.probe(f"layer {i} Lowpass(0.1)", layer, synapse=snn.Lowpass(0.1))
        mirror.probe(f"layer {i} Alpha(0.005)", layer, synapse=snn.Alpha(0.005))
    data = mirror.run(n_steps, dt=dt)
    for i in range(len(layers)):
        assert_same_spikes(f"layer {i}", *data[f"layer {i}"], amplitude / dt, min_spikes=60)
        assert_close(f"layer {i} Lowpass(0.1)", *data[f"layer {i} Lowpass(0.1)"])
        assert_close(f"layer {i} Alpha(0.005)", *data[f"layer {i} Alpha(0.005)"])


# --- 5. pass-through nodes -----------------------------------------------------


@pytest.mark.parametrize("synapse", [None, snn.Lowpass(0.005), snn.Alpha(0.01)], ids=repr)
def test_passthrough_node_fed_by_neurons(synapse):
    rng = np.random.default_rng(5)
    n, m, n_steps, dt, amplitude = 20, 6, 300, 0.001, 0.01
    neuron_type = snn.LIF(amplitude=amplitude)
    mirror = Mirror()
    inp = mirror.node(drive)
    neurons = mirror.neurons(neuron_type, rng.uniform(1, 3, n), rng.uniform(0.5, 2, n))
    mirror.connect(inp, neurons, transform=rng.normal(0, 1, (n, 3)), synapse=None)
    passthrough = mirror.node(size_in=m)
    mirror.connect(neurons, passthrough, transform=rng.normal(0, 1, (m, n)), synapse=synapse)
    # and on from the pass-through into more neurons (one to one, scaled, no synapse),
    # which also get the input directly (two connections summed into their current)
    after = mirror.neurons(neuron_type, rng.uniform(0.5, 1, m), rng.uniform(0.8, 1.2, m))
    mirror.connect(passthrough, after, transform=0.8, synapse=None)
    mirror.connect(inp, after, transform=rng.normal(0, 1, (m, 3)), synapse=snn.Lowpass(0.01))

    mirror.probe("spikes", neurons)
    mirror.probe("node", passthrough)
    mirror.probe("node Lowpass(0.1)", passthrough, synapse=snn.Lowpass(0.1))
    mirror.probe("node Alpha(0.01)", passthrough, synapse=snn.Alpha(0.01))
    mirror.probe("after", after)
    data = mirror.run(n_steps, dt=dt)
    assert_same_spikes("population", *data["spikes"], amplitude / dt, min_spikes=200)
    assert_close("pass-through node", *data["node"])
    assert_close("pass-through node, Lowpass(0.1)", *data["node Lowpass(0.1)"])
    assert_close("pass-through node, Alpha(0.01)", *data["node Alpha(0.01)"])
    assert_same_spikes("after the node", *data["after"], amplitude / dt, min_spikes=30)


# --- 6. convolutional networks ---------------------------------------------------

CONV_CASES = {
    # image (H, W, C); conv 1 and conv 2 as (filters, kernel_size, strides, padding)
    "6x6 valid s1, valid s1": ((6, 6, 2), (3, 3, 1, "valid"), (2, 3, 1, "valid")),
    "8x8 same s2 (pad 0,1), same s1": ((8, 8, 2), (4, 3, 2, "same"), (3, 3, 1, "same")),
    "7x7 same s2 (pad 1,1), valid s2": ((7, 7, 3), (3, 3, 2, "same"), (2, 2, 2, "valid")),
    "9x8 valid s2, same s2": ((9, 8, 2), (3, 3, 2, "valid"), (2, 2, 2, "same")),
    "7x6 same k(3,2), same k4 s2 (pad 1,2)": ((7, 6, 2), (3, (3, 2), 1, "same"), (2, 4, 2, "same")),
    "5x5 same k4 s2 (pad 1,2), valid": ((5, 5, 1), (4, 4, 2, "same"), (2, 2, 1, "valid")),
}


def make_conv(rng, shape_in, filters, kernel_size, strides, padding, scale):
    conv = snn.Conv2D(
        filters, kernel_size=kernel_size, strides=strides, padding=padding, use_bias=False
    )
    kernel = rng.uniform(-0.5, 1, conv.kernel_shape(shape_in)) * scale
    return snn.Conv2D(
        filters,
        kernel_size=kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel=kernel,
    )


@pytest.mark.parametrize("conv2_as", ["connection", "layer"])
@pytest.mark.parametrize("synapse", [None, snn.Lowpass(0.005)], ids=repr)
@pytest.mark.parametrize("case", CONV_CASES)
def test_convolutional_network(case, synapse, conv2_as):
    """image -> Conv2D -> LIF -> Conv2D -> LIF, as in the tutorial (smaller).

    Conv 1 is always an ``snn.Layer`` (a pass-through node, then one LIF per element);
    conv 2 is either a transform on a connection straight into the neurons, or
    again a Layer. ``synapse`` is on the connection through conv 2.
    """
    rng = np.random.default_rng(6)
    shape_in, conv1_args, conv2_args = CONV_CASES[case]
    amplitude, dt, n_steps = 0.01, 0.001, 100
    neuron_type = snn.LIF(amplitude=amplitude)
    image = rng.uniform(0, 1, shape_in)

    conv1 = make_conv(rng, shape_in, *conv1_args, scale=0.5)
    shape1 = conv1.output_shape(shape_in)
    n1 = int(np.prod(shape1))
    conv2 = make_conv(rng, shape1, *conv2_args, scale=0.15 / amplitude)
    shape2 = conv2.output_shape(shape1)
    n2 = int(np.prod(shape2))
    assert nengo_transform(conv1, shape_in).output_shape.shape == shape1
    assert nengo_transform(conv2, shape1).output_shape.shape == shape2

    mirror = Mirror()
    inp = mirror.node(image.ravel())
    node1 = mirror.transform_layer(inp, conv1, shape_in)
    lif1 = mirror.neuron_layer(node1, neuron_type, rng.uniform(1, 3, n1), rng.uniform(0, 1, n1))
    gain2, bias2 = rng.uniform(1, 3, n2), rng.uniform(0, 1, n2)
    if conv2_as == "connection":
        lif2 = mirror.neurons(neuron_type, gain2, bias2, shape=shape2)
        mirror.connect(lif1, lif2, transform=conv2, synapse=synapse, shape_in=shape1)
    else:
        node2 = mirror.transform_layer(lif1, conv2, shape1, synapse=synapse)
        lif2 = mirror.neuron_layer(node2, neuron_type, gain2, bias2)
        mirror.probe("conv 2 node", node2)

    mirror.probe("conv 1 node", node1)
    mirror.probe("conv 1 node Lowpass(0.1)", node1, synapse=snn.Lowpass(0.1))
    mirror.probe("LIF 1", lif1)
    mirror.probe("LIF 2", lif2)
    mirror.probe("LIF 2 Lowpass(0.1)", lif2, synapse=snn.Lowpass(0.1))
    data = mirror.run(n_steps, dt=dt)

    assert_close("conv 1 node", *data["conv 1 node"])
    assert_close("conv 1 node, Lowpass(0.1)", *data["conv 1 node Lowpass(0.1)"])
    assert_same_spikes("LIF 1", *data["LIF 1"], amplitude / dt, min_spikes=2 * n1)
    if conv2_as == "layer":
        assert_close("conv 2 node", *data["conv 2 node"])
    assert_same_spikes("LIF 2", *data["LIF 2"], amplitude / dt, min_spikes=2 * n2)
    assert_close("LIF 2, Lowpass(0.1)", *data["LIF 2 Lowpass(0.1)"])


def test_tutorial_network():
    """NengoDL's spiking MNIST network at full size (kernels drawn by snnlib, not
    trained), on a real digit, for the tutorial's 30 steps."""
    from snnlib.course.datasets import images_to_inputs, load_bundled

    _, (x_test, _) = load_bundled()
    image = images_to_inputs(x_test[:1])[0]
    neuron_type = snn.LIF(amplitude=0.01)
    gain, bias = snn.gain_bias(neuron_type, max_rates=100, intercepts=0)
    dt, n_steps = 0.001, 30

    mirror = Mirror()
    x = mirror.node(image)
    shape = (28, 28, 1)
    for i, (filters, strides) in enumerate([(32, 1), (64, 2), (128, 2)]):
        x = mirror.transform_layer(
            x, snn.Conv2D(filters, 3, strides=strides, use_bias=False), shape_in=shape
        )
        shape = x[0].shape
        mirror.probe(f"conv {i}", x, synapse=snn.Lowpass(0.1))
        x = mirror.neuron_layer(x, neuron_type, np.full(x[0].size, gain), np.full(x[0].size, bias))
        mirror.probe(f"LIF {i}", x)
    out = mirror.transform_layer(x, snn.Dense(10, use_bias=False), shape_in=(x[0].size,))
    mirror.probe("out", out, synapse=snn.Lowpass(0.1))
    assert shape == (5, 5, 128)

    data = mirror.run(n_steps, dt=dt)
    for i, size in enumerate([26 * 26 * 32, 12 * 12 * 64, 5 * 5 * 128]):
        assert_same_spikes(f"LIF {i}", *data[f"LIF {i}"], 0.01 / dt, min_spikes=size // 20)
        assert_close(f"conv {i}, Lowpass(0.1)", *data[f"conv {i}"])
    assert_close("output, Lowpass(0.1)", *data["out"])


def test_batch_items_match_separate_nengo_runs():
    """A batch of images in one snnlib run = one Nengo run per image, held constant
    through ``run_steps(inputs=...)`` as in the tutorial."""
    rng = np.random.default_rng(11)
    shape_in, amplitude, dt, n_steps = (8, 8, 2), 0.01, 0.001, 60
    neuron_type = snn.LIF(amplitude=amplitude)
    images = rng.uniform(0, 1, (3,) + shape_in).reshape(3, -1)
    current = [images[0]]  # what the Nengo input node outputs

    conv1 = make_conv(rng, shape_in, 4, 3, 2, "same", scale=0.5)
    shape1 = conv1.output_shape(shape_in)
    n1 = int(np.prod(shape1))
    mirror = Mirror()
    inp = mirror.node(lambda t: current[0])
    lif1 = mirror.neurons(neuron_type, rng.uniform(1, 3, n1), rng.uniform(0, 1, n1))
    mirror.connect(inp, lif1, transform=conv1, shape_in=shape_in)
    dense = rng.uniform(-0.5, 1, (5, n1)) * 0.02 / amplitude
    out = mirror.node(size_in=5)
    mirror.connect(lif1, out, transform=dense, synapse=None)
    mirror.probe("LIF 1", lif1)
    mirror.probe("out Lowpass(0.1)", out, synapse=snn.Lowpass(0.1))

    snn_sim = snn.Simulator(mirror.snn_net, dt=dt, dtype=np.float64)
    snn_data = snn_sim.run_steps(n_steps, inputs={inp[0]: images})
    spikes = snn_data[mirror.probes["LIF 1"][0]]
    assert not np.array_equal(spikes[0], spikes[1]), "the images make no difference"
    for i, image in enumerate(images):
        current[0] = image
        with nengo.Simulator(mirror.nengo_net, dt=dt, progress_bar=False) as nengo_sim:
            nengo_sim.run_steps(n_steps)
        assert_same_spikes(
            f"image {i}, LIF 1",
            spikes[i],
            nengo_sim.data[mirror.probes["LIF 1"][1]],
            amplitude / dt,
            min_spikes=n1,
        )
        assert_close(
            f"image {i}, output",
            snn_data[mirror.probes["out Lowpass(0.1)"][0]][i],
            nengo_sim.data[mirror.probes["out Lowpass(0.1)"][1]],
        )


# --- 7. Conv2D's matrix and apply against Nengo's conv2d ------------------------

CONV_SHAPES = [
    # shape_in, filters, kernel_size, strides, padding
    ((6, 6, 2), 3, 3, 1, "valid"),
    ((6, 6, 2), 3, 3, 1, "same"),
    ((8, 8, 2), 2, 3, 2, "same"),  # TF-style "same": pad 0 before, 1 after
    ((7, 7, 3), 2, 3, 2, "same"),
    ((7, 6, 2), 4, (3, 2), (2, 1), "same"),
    ((9, 8, 1), 2, (2, 4), (1, 3), "valid"),
    ((5, 5, 2), 3, 4, 2, "same"),  # pad 1 before, 2 after
]


@pytest.mark.parametrize("shape_in, filters, kernel_size, strides, padding", CONV_SHAPES)
def test_conv2d_against_nengo_conv2d(shape_in, filters, kernel_size, strides, padding):
    rng = np.random.default_rng(7)
    conv = make_conv(rng, shape_in, filters, kernel_size, strides, padding, scale=1.0)
    nengo_conv = nengo_transform(conv, shape_in)
    assert conv.output_shape(shape_in) == nengo_conv.output_shape.shape
    assert conv.kernel.shape == nengo_conv.kernel_shape

    def nengo_apply(x):  # x: (batch, H, W, C) -> (batch, n_out)
        y = nengo_conv2d(x, conv.kernel, pad=padding.upper(), stride=conv.strides)
        return y.reshape(len(x), -1)

    n_in = int(np.prod(shape_in))
    # the dense matrix: Nengo's conv2d applied to every unit input
    nengo_matrix = nengo_apply(np.eye(n_in).reshape((n_in,) + shape_in)).T
    np.testing.assert_allclose(conv.to_matrix(shape_in), nengo_matrix, rtol=EXACT, atol=EXACT)

    x = rng.normal(size=(5,) + shape_in)
    expected = nengo_apply(x)
    np.testing.assert_allclose(
        conv.apply(x.reshape(5, -1), shape_in), expected, rtol=EXACT, atol=EXACT
    )
    np.testing.assert_allclose(conv.apply(x, shape_in), expected, rtol=EXACT, atol=EXACT)


# --- 8. gain_bias, rates, filt -------------------------------------------------

NEURON_PAIRS = [
    (snn.LIFRate(), nengo.LIFRate()),
    (snn.LIF(), nengo.LIF()),
    (
        snn.LIF(tau_rc=0.05, tau_ref=0.0, amplitude=0.01),
        nengo.LIF(tau_rc=0.05, tau_ref=0.0, amplitude=0.01),
    ),
    (snn.LIFRate(tau_rc=0.01, tau_ref=0.004), nengo.LIFRate(tau_rc=0.01, tau_ref=0.004)),
    (snn.RectifiedLinear(), nengo.RectifiedLinear()),
    (snn.RectifiedLinear(amplitude=0.01), nengo.RectifiedLinear(amplitude=0.01)),
    (snn.SpikingRectifiedLinear(), nengo.SpikingRectifiedLinear()),
]


@pytest.mark.parametrize("ours, theirs", NEURON_PAIRS, ids=lambda p: repr(p))
def test_gain_bias_and_rates(ours, theirs):
    rng = np.random.default_rng(8)
    max_rates = rng.uniform(50, 240, 20)
    intercepts = rng.uniform(-0.95, 0.95, 20)
    gain, bias = snn.gain_bias(ours, max_rates, intercepts)
    nengo_gain, nengo_bias = theirs.gain_bias(max_rates, intercepts)
    np.testing.assert_allclose(gain, nengo_gain, rtol=EXACT, atol=EXACT)
    np.testing.assert_allclose(bias, nengo_bias, rtol=EXACT, atol=EXACT)

    x = np.linspace(-1.5, 1.5, 61)
    expected = theirs.rates(x, gain, bias)  # (61, 20)
    J = gain * x[:, None] + bias
    rates = ours.rates(J)
    assert rates.shape == J.shape
    assert np.count_nonzero(expected) > expected.size // 4
    np.testing.assert_allclose(rates, expected, rtol=EXACT, atol=EXACT)

    # the tutorial's setting: max_rates=100, intercepts=0
    tutorial_gain, tutorial_bias = snn.gain_bias(ours, 100, 0)
    nengo_tutorial = theirs.gain_bias(np.array([100.0]), np.array([0.0]))
    np.testing.assert_allclose(
        [tutorial_gain, tutorial_bias], np.ravel(nengo_tutorial), rtol=EXACT, atol=EXACT
    )


@pytest.mark.parametrize("dt", [0.001, 0.0005])
@pytest.mark.parametrize(
    "synapse", [snn.Lowpass(0.005), snn.Lowpass(0.1), snn.Alpha(0.01), snn.Alpha(0.002)], ids=repr
)
def test_filt(synapse, dt):
    rng = np.random.default_rng(9)
    theirs = nengo_synapse(synapse)
    # a spike train and a noisy signal, starting with a non-zero value: the first
    # output shows whether y[0] includes x[0] (in both libraries it does)
    x = np.zeros((300, 4))
    x[rng.random((300, 4)) < 0.1] = 1 / dt
    x[0] = 1 / dt
    x[:, 3] = rng.normal(size=300)
    expected = theirs.filt(x, dt=dt, y0=0)
    assert np.all(expected[0] != 0)
    if isinstance(synapse, snn.Lowpass):  # Nengo: y[0] = (1 - exp(-dt / tau)) x[0]
        np.testing.assert_allclose(expected[0], -np.expm1(-dt / synapse.tau) * x[0], rtol=EXACT)
    filtered = synapse.filt(x, dt)
    np.testing.assert_allclose(filtered, expected, rtol=EXACT, atol=EXACT)

    # probe-like data (batch, n_steps, size), filtered along axis 1
    batch = rng.normal(size=(3, 200, 2))
    np.testing.assert_allclose(
        synapse.filt(batch, dt, axis=1),
        theirs.filt(batch, dt=dt, axis=1, y0=0),
        rtol=EXACT,
        atol=EXACT,
    )


# --- 9. synapse=0 and other filters without smoothing ---------------------------

ZERO_CHAINS = {
    "0, 0, 0": (0, 0, 0),
    "None, 0, None": (None, 0, None),
    "0, Lowpass(0.005), Lowpass(0)": (0, snn.Lowpass(0.005), snn.Lowpass(0)),
    "Alpha(0), LinearFilter([1], [1]), None": (snn.Alpha(0), snn.LinearFilter([1], [1]), None),
}


@pytest.mark.parametrize("synapses", ZERO_CHAINS)
def test_zero_synapses_in_a_chain_of_nodes(synapses):
    """input -> node -> node -> node, each connection with its synapse; every node
    probed without a synapse, with 0 and with Lowpass(0.01). Each zero delays
    by exactly one step, without changing a value."""
    n_steps = 60
    mirror = Mirror()
    pre = mirror.node(drive)
    nodes = []
    for synapse in ZERO_CHAINS[synapses]:
        node = mirror.node(size_in=3)
        mirror.connect(pre, node, transform=1.5, synapse=synapse)
        nodes.append(node)
        pre = node
    for i, node in enumerate(nodes):
        mirror.probe(f"node {i}", node)
        mirror.probe(f"node {i} 0", node, synapse=0)
        mirror.probe(f"node {i} Lowpass(0.01)", node, synapse=snn.Lowpass(0.01))
    data = mirror.run(n_steps)
    for i in range(len(nodes)):
        ours, theirs = data[f"node {i}"]
        assert_close(f"node {i}", ours, theirs)
        # a zero on the probe: the same record, one step later
        probed = data[f"node {i} 0"]
        np.testing.assert_array_equal(probed[0][1:], ours[:-1])
        assert_close(f"node {i}, probe synapse 0", *probed)
        assert_close(f"node {i}, probe synapse Lowpass(0.01)", *data[f"node {i} Lowpass(0.01)"])
    # where no synapse smooths, the end of the chain is the first node's record,
    # scaled by 1.5 per connection and delayed one step per synapse that is not None
    later = ZERO_CHAINS[synapses][1:]
    if not any(isinstance(synapse, snn.Lowpass) and synapse.tau > 0 for synapse in later):
        delay = sum(synapse is not None for synapse in later)
        first, last = data["node 0"][0], data[f"node {len(nodes) - 1}"][0]
        np.testing.assert_allclose(
            last[delay:], 1.5 ** len(later) * first[: n_steps - delay], rtol=1e-14
        )
        assert np.all(last[:delay] == 0)


@pytest.mark.parametrize("probe_synapse", [0, snn.Lowpass(0), snn.Alpha(0)], ids=repr)
def test_zero_probe_synapse_on_spikes(probe_synapse):
    """A probe with synapse 0 records the spikes themselves, one step late."""
    rng = np.random.default_rng(11)
    n, amplitude, dt = 15, 0.01, 0.001
    mirror = Mirror()
    neurons = driven_population(
        mirror,
        snn.LIF(amplitude=amplitude),
        rng.uniform(1.6, 4, n),
        rng.uniform(0.5, 2, n),
        0,
        rng.normal(0, 1, (n, 3)),
    )
    mirror.probe("spikes", neurons)
    mirror.probe("spikes 0", neurons, synapse=probe_synapse)
    data = mirror.run(300, dt=dt)
    spikes, delayed = data["spikes"], data["spikes 0"]
    assert_same_spikes("spikes", *spikes, amplitude / dt, min_spikes=100)
    assert_same_spikes(
        "spikes through a probe synapse of 0", *delayed, amplitude / dt, min_spikes=100
    )
    np.testing.assert_array_equal(delayed[0][1:], spikes[0][:-1])
    assert not delayed[0][0].any()


# filters at the edges: no state, a zero filter, a passthrough next to a state,
# an integrator, second order with a zero
EDGE_FILTERS = [
    snn.LinearFilter([1], [1]),
    snn.LinearFilter([2], [0, 3]),
    snn.LinearFilter([0], [1]),
    snn.LinearFilter([1, 0], [1, 1]),
    snn.LinearFilter([1], [1, 0]),
    snn.LinearFilter([0.002, 1], [1e-4, 0.03, 1]),
]


# Nengo warns that a numerator of 0 is "badly conditioned"; the filter is still exact
@pytest.mark.filterwarnings("ignore:Badly conditioned filter coefficients")
@pytest.mark.parametrize("synapse", EDGE_FILTERS, ids=repr)
def test_edge_case_filters(synapse):
    """``filt`` and the same filter on a connection (into a node and into LIF
    neurons) and on a probe, against Nengo."""
    rng = np.random.default_rng(12)
    dt = 0.001
    theirs = nengo_synapse(synapse)
    x = rng.normal(size=(100, 3))
    np.testing.assert_allclose(
        synapse.filt(x, dt), theirs.filt(x, dt=dt, y0=0), rtol=1e-10, atol=1e-12
    )

    n, amplitude = 12, 0.01
    mirror = Mirror()
    inp = mirror.node(drive)
    node = mirror.node(size_in=3)
    mirror.connect(inp, node, synapse=synapse)
    # biases above 1: the neurons spike even where the filter outputs nothing
    neurons = driven_population(
        mirror,
        snn.LIF(amplitude=amplitude),
        rng.uniform(1.6, 4, n),
        rng.uniform(1.5, 3, n),
        synapse,
        rng.normal(0, 0.3, (n, 3)),
    )
    mirror.probe("node", node)
    mirror.probe("input, probed through the filter", inp, synapse=synapse)
    mirror.probe("spikes", neurons)
    data = mirror.run(200, dt=dt)
    silent = not np.any(synapse.num)
    for name in ("node", "input, probed through the filter"):
        if silent:
            assert not np.any(data[name][0]) and not np.any(data[name][1]), name
        else:
            assert_close(name, *data[name])
    assert_same_spikes("spikes", *data["spikes"], amplitude / dt, min_spikes=100)


# --- 10. a long run -------------------------------------------------------------


def test_long_run_spike_counts():
    rng = np.random.default_rng(10)
    n, n_steps, dt = 100, 1000, 0.001
    neuron_type = snn.LIF()
    gain, bias = snn.gain_bias(neuron_type, rng.uniform(100, 250, n), rng.uniform(-0.9, 0.9, n))
    mirror = Mirror()
    neurons = driven_population(
        mirror, neuron_type, gain, bias, snn.Lowpass(0.005), rng.normal(0, 1, (n, 3))
    )
    mirror.probe("spikes", neurons)
    # snnlib in three run_steps calls: state and time carry over from one to the next
    ours, theirs = mirror.run(n_steps, dt=dt, calls=3)["spikes"]
    counts, nengo_counts = (ours * dt).sum(axis=0), (theirs * dt).sum(axis=0)
    assert counts.sum() >= 5000
    assert np.count_nonzero(counts) >= 90
    np.testing.assert_array_equal(np.round(counts), np.round(nengo_counts))
    assert_same_spikes("1 s of 100 LIF neurons", ours, theirs, 1 / dt, min_spikes=5000)
