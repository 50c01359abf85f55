"""Networks and the simulator: timing, delays, batches, state, the tutorial network."""

import numpy as np
import pytest

import snnlib as snn

DT = 0.001


def test_node_function_sees_t_equals_step_times_dt():
    with snn.Network() as net:
        clock = snn.Node(lambda t: [t])
        p = snn.Probe(clock)
    sim = snn.Simulator(net, dtype=np.float64)
    data = sim.run_steps(5)
    np.testing.assert_allclose(data[p][0, :, 0], DT * np.arange(1, 6))
    np.testing.assert_allclose(sim.trange(), DT * np.arange(1, 6))


def make_chain(synapse, probe_synapse=None):
    """A ramp input -> pass-through node, connected with `synapse`."""
    with snn.Network() as net:
        ramp = snn.Node(lambda t: [t / DT])  # 1, 2, 3, ... at steps 1, 2, 3
        node = snn.Node(size_in=1)
        snn.Connection(ramp, node, transform=2.0, synapse=synapse)
        p_in = snn.Probe(ramp)
        p_out = snn.Probe(node, synapse=probe_synapse)
    return net, p_in, p_out


def test_connection_without_synapse_delivers_in_the_same_step():
    net, p_in, p_out = make_chain(synapse=None)
    data = snn.Simulator(net, dtype=np.float64).run_steps(10)
    np.testing.assert_array_equal(data[p_out], 2 * data[p_in])


def test_filtered_connection_delays_by_one_step():
    tau = 0.005
    net, p_in, p_out = make_chain(synapse=tau)
    data = snn.Simulator(net, dtype=np.float64).run_steps(10)
    filtered = snn.Lowpass(tau).filt(2 * data[p_in][0], DT)
    assert data[p_out][0, 0, 0] == 0
    np.testing.assert_allclose(data[p_out][0, 1:], filtered[:-1], rtol=1e-12)


def test_filtered_probe_delays_by_one_step_and_changes_nothing_else():
    net, p_in, p_out = make_chain(synapse=None, probe_synapse=snn.Alpha(0.004))
    data = snn.Simulator(net, dtype=np.float64).run_steps(10)
    raw = 2 * data[p_in][0]
    assert data[p_out][0, 0, 0] == 0
    np.testing.assert_allclose(data[p_out][0, 1:], snn.Alpha(0.004).filt(raw, DT)[:-1], rtol=1e-12)


def test_probe_synapse_does_not_change_the_network():
    def spikes(probe_synapse):
        with snn.Network(default_synapse=None) as net:
            inp = snn.Node([1.5, 3.0])
            ens = snn.Layer(snn.LIF())(inp)
            nxt = snn.Layer(snn.LIF())(ens, gain=0.01)
            p = snn.Probe(nxt)
            snn.Probe(ens, synapse=probe_synapse)
        return snn.Simulator(net, dtype=np.float64).run_steps(200)[p]

    np.testing.assert_array_equal(spikes(None), spikes(0.1))


def test_none_and_zero_synapse_differ_by_one_step():
    # synapse=None: no filter at all, same step. synapse=0 (Lowpass(0), as in
    # Nengo) is a filter that does not smooth: the same values, one step later.
    net_none, p_in, p_none = make_chain(synapse=None)
    none = snn.Simulator(net_none, dtype=np.float64).run_steps(5)[p_none][0, :, 0]
    assert np.all(none != 0)
    for zero in (0, 0.0, snn.Lowpass(0), snn.Alpha(0), snn.LinearFilter([1], [1])):
        net_zero, _, p_zero = make_chain(synapse=zero)
        delayed = snn.Simulator(net_zero, dtype=np.float64).run_steps(5)[p_zero][0, :, 0]
        assert delayed[0] == 0, zero
        np.testing.assert_array_equal(delayed[1:], none[:-1], err_msg=repr(zero))


@pytest.mark.parametrize("where", ["connections", "probe"])
def test_chain_of_zero_synapses_delays_one_step_each(where):
    """Input 1, 2, 3, ... through three zero synapses arrives three steps late,
    unsmoothed: 0, 0, 0, 1, 2, ... A zero on a probe delays only the record."""
    n_steps = 8
    x = np.arange(1.0, n_steps + 1)
    with snn.Network(default_synapse=None) as net:
        inp = snn.Node(np.zeros(1))
        pre = inp
        for _ in range(3):
            post = snn.Node(size_in=1)
            snn.Connection(pre, post, synapse=0 if where == "connections" else None)
            pre = post
        probe = snn.Probe(pre, synapse=0 if where == "probe" else None)
    data = snn.Simulator(net, dtype=np.float64).run_steps(
        n_steps, inputs={inp: x.reshape(1, -1, 1)}
    )
    delay = 3 if where == "connections" else 1
    expected = np.concatenate([np.zeros(delay), x[:-delay]])
    np.testing.assert_array_equal(data[probe][0, :, 0], expected)


def build_tutorial_network(seed=0):
    neuron_type = snn.LIF(amplitude=0.01)
    gain, bias = snn.gain_bias(neuron_type, max_rates=100, intercepts=0)
    with snn.Network(seed=seed, default_synapse=None) as net:
        inp = snn.Node(np.zeros(28 * 28))
        x = snn.Layer(snn.Conv2D(filters=32, kernel_size=3))(inp, shape_in=(28, 28, 1))
        x = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        x = snn.Layer(snn.Conv2D(filters=64, strides=2, kernel_size=3))(x, shape_in=(26, 26, 32))
        x = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        conv3 = snn.Layer(snn.Conv2D(filters=128, strides=2, kernel_size=3))(
            x, shape_in=(12, 12, 64)
        )
        conv3_lif = snn.Layer(neuron_type)(conv3, gain=gain, bias=bias)
        out = snn.Layer(snn.Dense(units=10))(conv3_lif)
        probes = {
            "conv3": snn.Probe(conv3),
            "conv3_filt": snn.Probe(conv3, synapse=0.1),
            "conv3_lif": snn.Probe(conv3_lif),
            "conv3_lif_filt": snn.Probe(conv3_lif, synapse=0.1),
            "out_filt": snn.Probe(out, synapse=0.1),
        }
    return net, inp, probes


def test_tutorial_network_probes():
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(0).uniform(0, 1, size=(4, 784))
    sim = snn.Simulator(net, dt=DT)
    data = sim.run_steps(30, inputs={inp: images})
    for name in ("conv3", "conv3_filt", "conv3_lif", "conv3_lif_filt"):
        assert data[probes[name]].shape == (4, 30, 3200)
    assert data[probes["out_filt"]].shape == (4, 30, 10)
    spikes = data[probes["conv3_lif"]]
    assert set(np.unique(spikes)) == {0.0, np.float32(0.01 / DT)}
    assert np.count_nonzero(spikes) > 100
    assert probes["conv3"].target.shape == (5, 5, 128)
    unflat = probes["conv3_lif"].unflatten(spikes)
    assert unflat.shape == (4, 30, 5, 5, 128)
    np.testing.assert_array_equal(
        unflat[1, 7, 2, 3], spikes[1, 7, (2 * 5 + 3) * 128 : (2 * 5 + 4) * 128]
    )


def test_conv_node_receives_the_previous_layers_spikes():
    # With synapse None, conv3's value at each step is its kernel applied to
    # conv2_lif's spikes of that same step.
    net, inp, probes = build_tutorial_network()
    with net:
        conv2_lif = net.neurons[1]
        p_conv2_lif = snn.Probe(conv2_lif)
    conv3_conn = [c for c in net.connections if c.post is probes["conv3"].target][0]
    images = np.random.default_rng(1).uniform(0, 1, size=(2, 784))
    data = snn.Simulator(net, dtype=np.float64).run_steps(10, inputs={inp: images})
    spikes = data[p_conv2_lif].reshape(20, -1)
    expected = conv3_conn.transform.apply(spikes, (12, 12, 64)).reshape(2, 10, -1)
    np.testing.assert_allclose(data[probes["conv3"]], expected, rtol=1e-12)


def test_input_node_holds_the_image_every_step():
    with snn.Network() as net:
        inp = snn.Node(np.zeros(6))
        p = snn.Probe(inp)
    images = np.arange(12.0).reshape(2, 6)
    data = snn.Simulator(net).run_steps(3, inputs={inp: images})
    np.testing.assert_array_equal(data[p], np.repeat(images[:, None], 3, axis=1))


def test_varying_inputs():
    with snn.Network() as net:
        inp = snn.Node(np.zeros(2))
        p = snn.Probe(inp)
    values = np.random.default_rng(0).normal(size=(3, 4, 2))
    data = snn.Simulator(net, dtype=np.float64).run_steps(4, inputs={inp: values})
    np.testing.assert_array_equal(data[p], values)


def test_state_carries_over_and_reset_starts_again():
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(2).uniform(0, 1, size=(3, 784))
    whole = snn.Simulator(net, dtype=np.float64)
    all_at_once = whole.run_steps(20, inputs={inp: images})
    split = snn.Simulator(net, dtype=np.float64)
    split.run_steps(8, inputs={inp: images})
    split.run_steps(12, inputs={inp: images})
    for p in probes.values():
        np.testing.assert_array_equal(split.data[p], all_at_once[p])
    assert split.n_steps == 20 and len(split.trange()) == 20
    split.reset()
    again = split.run_steps(20, inputs={inp: images})
    for p in probes.values():
        np.testing.assert_array_equal(again[p], all_at_once[p])


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 16])
def test_chunks_give_the_same_result_as_one_batch(chunk_size):
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(3).uniform(0, 1, size=(7, 784))
    one = snn.Simulator(net, dtype=np.float64, chunk_size=7)
    first, then = one.run_steps(5, inputs={inp: images}), one.run_steps(2, inputs={inp: images})
    chunked_sim = snn.Simulator(net, dtype=np.float64, chunk_size=chunk_size)
    chunked = chunked_sim.run_steps(5, inputs={inp: images})
    chunked_then = chunked_sim.run_steps(2, inputs={inp: images})  # each item's state kept
    for p in probes.values():
        np.testing.assert_array_equal(chunked[p], first[p])
        np.testing.assert_array_equal(chunked_then[p], then[p])


def test_progress_over_chunks(capsys):
    net, inp, _ = build_tutorial_network()
    images = np.random.default_rng(3).uniform(0, 1, size=(7, 784))
    snn.Simulator(net, chunk_size=3, progress_bar=True).run_steps(2, inputs={inp: images})
    captured = capsys.readouterr()
    assert "chunk 3/3" in captured.out and captured.err == ""
    snn.Simulator(net, chunk_size=3).run_steps(2, inputs={inp: images})  # a small batch: quiet
    assert capsys.readouterr().out == ""


def test_an_input_held_constant_equals_the_same_input_given_at_every_step():
    """A held input's transform is computed once per run; given step by step,
    it is computed at every step: the results are the same."""
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(5).uniform(0, 1, size=(3, 784))
    every_step = np.repeat(images[:, None, :], 10, axis=1)
    for dtype in (np.float32, np.float64):
        held = snn.Simulator(net, dtype=dtype).run_steps(10, inputs={inp: images})
        given = snn.Simulator(net, dtype=dtype).run_steps(10, inputs={inp: every_step})
        for p in probes.values():
            np.testing.assert_array_equal(held[p], given[p])


def test_a_run_that_is_not_stateful_leaves_the_simulator_as_it_was():
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(6).uniform(0, 1, size=(5, 784))
    sim = snn.Simulator(net, dtype=np.float64, chunk_size=2)
    fresh = sim.run_steps(6, inputs={inp: images}, stateful=False)
    assert sim.n_steps == 0 and sim.state is None and sim.batch_size is None
    assert all(sim.data[p].size == 0 for p in probes.values())
    stateful = sim.run_steps(6, inputs={inp: images})
    after = sim.run_steps(4, inputs={inp: images}, stateful=False)
    assert sim.n_steps == 6
    then = sim.run_steps(4, inputs={inp: images})  # as if the run before had not happened
    for p in probes.values():
        np.testing.assert_array_equal(fresh[p], stateful[p])
        np.testing.assert_array_equal(after[p], then[p])
        assert sim.data[p].shape == (5, 10, p.size)
    with pytest.raises(TypeError, match="stateful must be True or False, got 'no'"):
        sim.run_steps(1, stateful="no")


def test_float32_and_float64_agree_closely():
    net, inp, probes = build_tutorial_network()
    images = np.random.default_rng(4).uniform(0, 1, size=(2, 784))
    d32 = snn.Simulator(net, dtype=np.float32).run_steps(30, inputs={inp: images})
    d64 = snn.Simulator(net, dtype=np.float64).run_steps(30, inputs={inp: images})
    assert d32[probes["out_filt"]].dtype == np.float32
    np.testing.assert_allclose(d32[probes["out_filt"]], d64[probes["out_filt"]], atol=0.05)


def test_default_synapse_is_nengos_lowpass():
    with snn.Network():
        a = snn.Node([1.0])
        b = snn.Node(size_in=1)
        conn = snn.Connection(a, b)
    assert isinstance(conn.synapse, snn.Lowpass) and conn.synapse.tau == 0.005


def test_neurons_gain_and_bias():
    with snn.Network(default_synapse=None) as net:
        inp = snn.Node([0.5, 0.5])
        ens = snn.Neurons(2, snn.RectifiedLinear(), gain=[2.0, 3.0], bias=[0.0, -1.0])
        snn.Connection(inp, ens)
        p = snn.Probe(ens)
    data = snn.Simulator(net, dtype=np.float64).run_steps(1)
    np.testing.assert_allclose(data[p][0, 0], [1.0, 0.5])  # J = gain * input + bias


def test_recurrent_connection_needs_a_synapse():
    with snn.Network() as net:
        a = snn.Node(size_in=1)
        src = snn.Node([1.0])
        snn.Connection(src, a, synapse=None)
        snn.Connection(a, a, synapse=None)
    with pytest.raises(ValueError, match="loop of connections with synapse=None"):
        snn.Simulator(net)
    with snn.Network() as net:
        a = snn.Node(size_in=1)
        src = snn.Node([1.0])
        snn.Connection(src, a, synapse=None)
        snn.Connection(a, a, transform=0.5, synapse=0.01)
        p = snn.Probe(a)
    assert snn.Simulator(net).run_steps(50)[p][0, -1, 0] > 1.0
