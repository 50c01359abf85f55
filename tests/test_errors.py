"""Bad input gets a clear error that names the object, the value and what is expected."""

import numpy as np
import pytest

import snnlib as snn


def small_network():
    with snn.Network(default_synapse=None) as net:
        inp = snn.Node(np.zeros(4), label="image")
        ens = snn.Layer(snn.LIF())(inp, label="lif")
        p = snn.Probe(ens)
    return net, inp, ens, p


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: snn.LIF(tau_rc=0), "LIF: tau_rc must be > 0, got 0.0"),
        (lambda: snn.LIF(tau_rc=-0.02), "tau_rc must be > 0, got -0.02"),
        (lambda: snn.LIFRate(tau_ref=-0.001), "LIFRate: tau_ref must be >= 0, got -0.001"),
        (lambda: snn.LIF(amplitude=0), "amplitude must be > 0"),
        (lambda: snn.LIF(min_voltage=0.5), "min_voltage must be <= 0"),
        (lambda: snn.LIF(tau_rc=np.nan), "tau_rc must be finite, got nan"),
        (
            lambda: snn.Lowpass(-0.005),
            "Lowpass: tau must be >= 0, got -0.005 seconds "
            r"\(synapse=None delivers the value in the same step; "
            r"0 \(Lowpass\(0\)\) does not smooth but delivers it one step later\)",
        ),
        (lambda: snn.Alpha(-1), "Alpha: tau must be >= 0, got -1.0"),
        (lambda: snn.Lowpass(np.inf), "Lowpass: tau must be finite, got inf"),
        (lambda: snn.Alpha(np.nan), "Alpha: tau must be finite, got nan"),
        (lambda: snn.SoftLIFRate(sigma=0), "sigma must be > 0"),
        (lambda: snn.LinearFilter([1, 2, 3], [1, 1]), "must be proper"),
        (lambda: snn.Lowpass(0.01).filt(np.ones(3), dt=0), "dt must be > 0, got 0.0"),
        (lambda: snn.Lowpass(0.01).filt([1.0, np.nan], dt=0.001), "1 NaN or infinite"),
        (lambda: snn.Conv2D(8, kernel_size=0), "kernel_size must be an int >= 1"),
        (lambda: snn.Conv2D(8, padding="full"), "padding must be 'valid' or 'same', got 'full'"),
        (
            lambda: snn.Conv2D(8).output_shape((28, 28)),
            r"shape_in must be \(height, width, channels\)",
        ),
        (lambda: snn.Dense(0), "Dense: units must be a whole number >= 1, got 0"),
    ],
)
def test_parameters_are_checked(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_simulator_dt_must_be_positive():
    net, *_ = small_network()
    with pytest.raises(ValueError, match="Simulator: dt must be > 0, got -0.001"):
        snn.Simulator(net, dt=-0.001)


def test_unreachable_max_rates():
    with pytest.raises(
        ValueError, match=r"max_rates 600.0 cannot be reached.*1 / tau_ref = 500.000 Hz"
    ):
        snn.gain_bias(snn.LIF(tau_ref=0.002), max_rates=600, intercepts=0)
    with pytest.raises(ValueError, match="intercepts must be < 1"):
        snn.gain_bias(snn.LIF(), max_rates=100, intercepts=1.5)
    with pytest.raises(TypeError, match="neuron_type must be a NeuronType"):
        snn.gain_bias("LIF", max_rates=100, intercepts=0)


def test_nan_in_rates_and_node_output():
    with pytest.raises(ValueError, match="NaN or infinite"):
        snn.LIF().rates([1.0, np.inf])
    with snn.Network():
        with pytest.raises(ValueError, match="Node 'bad'.*NaN or infinite"):
            snn.Node([0.0, np.nan], label="bad")


def test_shape_in_must_match_the_incoming_size():
    with snn.Network():
        inp = snn.Node(np.zeros(784), label="image")
        with pytest.raises(
            ValueError, match=r"shape_in \(28, 28, 2\) has 1568 elements.*'image'.*784"
        ):
            snn.Layer(snn.Conv2D(32, 3))(inp, shape_in=(28, 28, 2))


def test_transform_must_fit_pre_and_post():
    with snn.Network():
        a = snn.Node(np.zeros(3), label="a")
        b = snn.Node(size_in=4, label="b")
        with pytest.raises(
            ValueError,
            match=r"transform matrix has shape \(3, 3\), expected "
            r"\(post.size, pre.size\) = \(4, 3\)",
        ):
            snn.Connection(a, b, transform=np.eye(3))
        with pytest.raises(ValueError, match="a scalar transform needs equal sizes"):
            snn.Connection(a, b)
        with pytest.raises(ValueError, match="gives 5 values.*takes 4"):
            snn.Connection(a, b, transform=snn.Dense(5))
        with pytest.raises(
            ValueError, match=r"kernel has shape \(2, 4\).*needs a kernel of shape \(3, 4\)"
        ):
            snn.Connection(a, b, transform=snn.Dense(4, kernel=np.ones((2, 4))))


def test_connection_into_an_input_node():
    with snn.Network():
        a = snn.Node(np.zeros(3), label="source")
        b = snn.Node(np.zeros(3), label="image")
        with pytest.raises(
            ValueError, match="'image'.*is an input node.*cannot receive connections"
        ):
            snn.Connection(a, b)


def test_objects_from_another_network():
    net1, inp1, ens1, _ = small_network()
    with snn.Network():
        node = snn.Node(size_in=4)
        with pytest.raises(ValueError, match="pre <Node 'image'.*belongs to another network"):
            snn.Connection(inp1, node)
        with pytest.raises(ValueError, match="target <Neurons 'lif'.*belongs to another network"):
            snn.Probe(ens1)


def test_objects_outside_a_network():
    with pytest.raises(RuntimeError, match="Node must be created inside a network"):
        snn.Node([1.0])


def test_run_inputs_are_checked():
    net, inp, ens, p = small_network()
    sim = snn.Simulator(net)
    with pytest.raises(ValueError, match="n_steps must be a whole number >= 1, got 0"):
        sim.run_steps(0)
    with pytest.raises(
        ValueError, match=r"inputs for <Node 'image'.*shape \(2, 5\).*expected \(batch, 4\)"
    ):
        sim.run_steps(3, inputs={inp: np.zeros((2, 5))})
    with pytest.raises(ValueError, match=r"\(batch, 3, 4\) for these 3 steps"):
        sim.run_steps(3, inputs={inp: np.zeros((2, 4, 4))})
    with pytest.raises(ValueError, match="inputs for <Node 'image'.*1 NaN or infinite"):
        sim.run_steps(3, inputs={inp: [[0, 0, np.nan, 0]]})
    other, other_inp, _, _ = small_network()
    with pytest.raises(ValueError, match="not a node of this simulator's network"):
        sim.run_steps(3, inputs={other_inp: np.zeros((1, 4))})
    sim.run_steps(2, inputs={inp: np.zeros((2, 4))})
    with pytest.raises(ValueError, match="the batch size is 3.*holds 2 items.*sim.reset()"):
        sim.run_steps(2, inputs={inp: np.zeros((3, 4))})


def test_unknown_probe():
    net, inp, ens, p = small_network()
    _, _, _, other_probe = small_network()
    sim = snn.Simulator(net)
    sim.run_steps(2)
    assert sim.data[p].shape == (1, 2, 4)
    with pytest.raises(KeyError, match="is not a probe of this simulator's network"):
        sim.data[other_probe]


def test_wrong_types():
    with snn.Network():
        inp = snn.Node(np.zeros(2))
        with pytest.raises(TypeError, match="neuron_type must be a NeuronType"):
            snn.Neurons(2, "LIF")
        with pytest.raises(TypeError, match="synapse must be None, a time constant"):
            snn.Probe(inp, synapse="slow")
        for bad in (-0.1, np.inf, np.nan):
            with pytest.raises(
                ValueError,
                match=f"Probe.*: a synapse time constant must be a "
                f"finite number >= 0 seconds, got {bad}.*None "
                "delivers the value in the same step",
            ):
                snn.Probe(inp, synapse=bad)
            with pytest.raises(ValueError, match="a synapse time constant must be a finite"):
                snn.Connection(inp, snn.Node(size_in=2), synapse=bad)
        with pytest.raises(ValueError, match=r"gain must be a number or an array of shape \(2,\)"):
            snn.Neurons(2, snn.LIF(), gain=[1.0, 2.0, 3.0])
        with pytest.raises(TypeError, match="Layer: give a transform"):
            snn.Layer(np.eye(2))
    with pytest.raises(TypeError, match="network must be a Network"):
        snn.Simulator("net")
