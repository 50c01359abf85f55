"""Tests of snnlib.training: rate-mode forward and backward passes, loss,
optimisers, training, saving and loading, firing-rate scaling.

Every backward pass is checked against finite differences, in float64, on
networks small enough that the check is exhaustive.
"""

import numpy as np
import pytest

import snnlib as snn
from snnlib import training
from snnlib.course.datasets import images_to_inputs, load_mnist
from snnlib.training import (
    Adam,
    RateNetwork,
    RateTarget,
    RMSprop,
    conv2d_backward,
    conv2d_forward,
    dense_backward,
    load_params,
    save_params,
    softmax_cross_entropy,
)


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f()`` with respect to the
    array ``x``, changed in place and restored."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def assert_close_gradients(analytic, numeric, rtol=1e-6):
    scale = max(np.abs(numeric).max(), 1e-12)
    assert np.abs(analytic - numeric).max() <= rtol * scale


# --- transforms -----------------------------------------------------------------

CONV_CASES = [(1, "valid"), (2, "valid"), (1, "same"), (2, "same")]


def make_conv(strides, padding, shape_in=(7, 6, 2), kernel_size=(3, 2), filters=3, seed=0):
    rng = np.random.default_rng(seed)
    conv = snn.Conv2D(filters, kernel_size=kernel_size, strides=strides, padding=padding)
    conv.init_params(shape_in, rng)
    conv.bias = rng.normal(size=filters)
    return conv


@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_conv2d_forward_matches_transform(strides, padding):
    shape_in = (7, 6, 2)
    conv = make_conv(strides, padding, shape_in)
    x = np.random.default_rng(1).normal(size=(4, int(np.prod(shape_in))))
    y, _ = conv2d_forward(conv, x, shape_in)
    np.testing.assert_allclose(y, conv.apply(x, shape_in), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_conv2d_backward_matches_finite_differences(strides, padding):
    shape_in = (7, 6, 2)
    conv = make_conv(strides, padding, shape_in)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, int(np.prod(shape_in))))
    weights = rng.normal(size=(2, conv.size_out(shape_in)))

    def loss():  # a scalar that depends on every output: sum(weights * y)
        return float((conv2d_forward(conv, x, shape_in)[0] * weights).sum())

    _, patches = conv2d_forward(conv, x, shape_in)
    dx, dkernel, dbias = conv2d_backward(conv, weights, patches, shape_in)
    assert_close_gradients(dx, numerical_gradient(loss, x))
    assert_close_gradients(dkernel, numerical_gradient(loss, conv.kernel))
    assert_close_gradients(dbias, numerical_gradient(loss, conv.bias))


def test_dense_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    dense = snn.Dense(4, kernel=rng.normal(size=(5, 4)), bias=rng.normal(size=4))
    x = rng.normal(size=(3, 5))
    weights = rng.normal(size=(3, 4))

    def loss():
        return float((training.dense_forward(dense, x) * weights).sum())

    dx, dkernel, dbias = dense_backward(dense, weights, x)
    assert_close_gradients(dx, numerical_gradient(loss, x))
    assert_close_gradients(dkernel, numerical_gradient(loss, dense.kernel))
    assert_close_gradients(dbias, numerical_gradient(loss, dense.bias))


# --- neurons and loss --------------------------------------------------------------


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    loss, dlogits = softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(5), labels]).mean())
    numeric = numerical_gradient(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    assert_close_gradients(dlogits, numeric)


def test_softmax_cross_entropy_does_not_overflow():
    loss, dlogits = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0)
    assert np.all(np.isfinite(dlogits))


@pytest.mark.parametrize(
    "neuron_type",
    [
        snn.SoftLIFRate(sigma=0.3, amplitude=0.05),
        snn.RectifiedLinear(amplitude=0.5),
        snn.SpikingRectifiedLinear(amplitude=0.5),
    ],
)
def test_rate_derivatives_match_finite_differences(neuron_type):
    forward, derivative = training.rate_functions(neuron_type)
    J = np.linspace(-1, 4, 41) + 0.013  # steps clear of the ReLU kink at 0
    numeric = (forward(J + 1e-6) - forward(J - 1e-6)) / 2e-6
    np.testing.assert_allclose(derivative(J), numeric, rtol=1e-5, atol=1e-8)


def test_lif_trains_as_lifrate_with_soft_derivative():
    lif = snn.LIF(tau_rc=0.03, tau_ref=0.001, amplitude=0.01)
    forward, derivative = training.rate_functions(lif, lif_smoothing=0.1)
    J = np.linspace(0, 5, 51)
    rate = snn.LIFRate(tau_rc=0.03, tau_ref=0.001, amplitude=0.01)
    soft = snn.SoftLIFRate(sigma=0.1, tau_rc=0.03, tau_ref=0.001, amplitude=0.01)
    np.testing.assert_array_equal(forward(J), rate.rates(J))
    np.testing.assert_array_equal(derivative(J), soft.derivative(J))
    # far above threshold the smoothed derivative is the LIF rate's own
    J_high = np.array([3.0, 4.0])
    numeric = (rate.rates(J_high + 1e-6) - rate.rates(J_high - 1e-6)) / 2e-6
    np.testing.assert_allclose(derivative(J_high), numeric, rtol=1e-3)


def test_rate_functions_rejects_unknown_neuron_types():
    with pytest.raises(TypeError, match="NeuronType"):
        training.rate_functions("LIF")


# --- whole networks ------------------------------------------------------------


def tiny_network(strides=1, padding="valid", seed=1):
    """Conv2D -> SoftLIFRate -> Conv2D -> RectifiedLinear -> Dense(5), with biases."""
    rng = np.random.default_rng(seed)
    with snn.Network(seed=seed, default_synapse=None) as net:
        inp = snn.Node(np.zeros(9 * 8 * 2))
        x = snn.Layer(snn.Conv2D(3, kernel_size=3, strides=strides, padding=padding))(
            inp, shape_in=(9, 8, 2)
        )
        lif = snn.Layer(snn.SoftLIFRate(sigma=0.5, amplitude=0.05))(x, gain=2.0, bias=1.0)
        x = snn.Layer(snn.Conv2D(4, kernel_size=(2, 3), strides=strides, padding=padding))(lif)
        relu = snn.Layer(snn.RectifiedLinear(amplitude=0.5))(x, gain=1.5, bias=0.2)
        out = snn.Layer(snn.Dense(5))(relu)
    for conn in net.connections:
        if isinstance(conn.transform, snn.Transform):
            conn.transform.bias = rng.normal(size=conn.transform.bias.shape) * 0.1
    return net, inp, out, lif, relu


@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_network_gradients_match_finite_differences(strides, padding):
    net, inp, out, lif, relu = tiny_network(strides, padding)
    targets = [
        RateTarget(lif, target_hz=30, weight=0.5),
        RateTarget(relu, 10, 0.2, active_only=True),
    ]
    model = RateNetwork(net, out, [inp], watch=[lif, relu])
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (3, inp.size))
    labels = np.array([0, 4, 2])

    def total_loss(record=False):
        o = model.forward({inp: x}, dtype=np.float64, record=record)
        loss, dlogits = softmax_cross_entropy(o[out], labels)
        grads = {out: dlogits}
        for t in targets:
            penalty, grad, _ = t.loss_and_grad(o[t.neurons], t.neurons.neuron_type.amplitude)
            loss += penalty
            grads[t.neurons] = grad
        return loss, grads

    _, output_grads = total_loss(record=True)
    analytic = model.backward(output_grads)
    params = model.parameters()
    assert len(params) == 6  # three kernels, three biases
    for p, g in zip(params, analytic):
        assert_close_gradients(g, numerical_gradient(lambda: total_loss()[0], p))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rates_computed_in_pieces_are_the_same_numbers(dtype, monkeypatch):
    """RateNetwork turns J into rates and slopes a few items at a time
    (CHUNK_VALUES); one item at a time or the whole batch at once, the forward
    and backward passes give the same numbers, bit for bit."""
    from snnlib.course import mnist

    model = mnist.build_network("pretrained", learner_probes=False)
    (x, labels), _ = load_mnist(source="bundled", verbose=False)
    x, labels = images_to_inputs(x[:5]), labels[:5]
    rate_model = RateNetwork(model.network, model.output, [model.input])

    def forward_backward():
        out = rate_model.forward({model.input: x}, dtype=dtype, record=True)
        _, dlogits = softmax_cross_entropy(out[model.output], labels)
        return out[model.output], rate_model.backward({model.output: dlogits.astype(dtype)})

    monkeypatch.setattr(training.rate_model, "CHUNK_VALUES", 1)  # one item at a time
    one_by_one = forward_backward()
    monkeypatch.setattr(training.rate_model, "CHUNK_VALUES", 10**9)  # all at once
    all_at_once = forward_backward()
    assert one_by_one[0].dtype == dtype
    np.testing.assert_array_equal(one_by_one[0], all_at_once[0])
    for a, b in zip(one_by_one[1], all_at_once[1], strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_gradient_stops_where_nothing_upstream_is_trained():
    """With the first transform frozen, the layer after it needs no slope:
    backward skips it, and the other gradients are unchanged."""
    net, inp, out, lif, relu = tiny_network()
    frozen = net.connections[0]
    rest = [c for c in net.connections[1:] if isinstance(c.transform, snn.Transform)]
    x = np.random.default_rng(7).uniform(0, 1, (3, inp.size))
    labels = np.array([1, 0, 3])
    grads = {}
    for name, trainable in (("all", None), ("rest", rest)):
        model = RateNetwork(net, out, [inp], trainable=trainable, watch=[lif])
        o = model.forward({inp: x}, dtype=np.float64, record=True)
        assert (lif in model._cache) == (name == "all")
        _, dlogits = softmax_cross_entropy(o[out], labels)
        target = RateTarget(lif, target_hz=30)  # a penalty on the frozen layer: no gradient
        grads[name] = model.backward({out: dlogits, lif: target.loss_and_grad(o[lif], 0.05)[1]})
    assert frozen.transform.use_bias and len(grads["all"]) == len(grads["rest"]) + 2
    for a, b in zip(grads["all"][2:], grads["rest"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_rate_forward_equals_simulator_with_rate_neurons():
    # the rate pass walks the same network the simulator runs: with rate
    # neurons and no synapses, one simulator step gives the same numbers
    rng = np.random.default_rng(6)
    with snn.Network(seed=2, default_synapse=None) as net:
        inp = snn.Node(np.zeros(6 * 6 * 1))
        bias_node = snn.Node(np.ones(3))  # an input node without data: its own value
        a = snn.Layer(snn.Conv2D(2, kernel_size=3))(inp, shape_in=(6, 6, 1))
        a = snn.Layer(snn.LIFRate(amplitude=0.01))(a, gain=2.0, bias=1.0)
        total = snn.Node(size_in=3)
        snn.Connection(a, total, transform=snn.Dense(3))
        snn.Connection(bias_node, total, transform=0.5)
        p = snn.Probe(total)
    x = rng.uniform(0, 1, (4, inp.size))
    sim = snn.Simulator(net, dtype=np.float64)
    expected = sim.run_steps(1, inputs={inp: x})[p][:, 0]
    np.testing.assert_allclose(
        training.predict(net, {inp: x}, p, dtype=np.float64), expected, rtol=1e-12
    )


def test_rate_network_rejects_loops():
    with snn.Network(default_synapse=0.01) as net:
        inp = snn.Node(np.zeros(2))
        a = snn.Neurons(2, snn.RectifiedLinear())
        snn.Connection(inp, a)
        snn.Connection(a, a)
    with pytest.raises(ValueError, match="loop"):
        RateNetwork(net, a, [inp])


# --- optimisers ----------------------------------------------------------------


@pytest.mark.parametrize("optimizer", [Adam(0.05), RMSprop(0.01)])
def test_optimizers_minimise_a_quadratic(optimizer):
    # f(p) = sum(a * (p - c)^2) / 2 has its minimum at c; gradient a * (p - c)
    a, c = np.array([1.0, 10.0, 0.1]), np.array([1.0, -2.0, 3.0])
    p = np.zeros(3)
    for _ in range(2000):
        optimizer.step([p], [a * (p - c)])
    np.testing.assert_allclose(p, c, atol=0.02)


def test_adam_first_step_has_the_learning_rate_as_size():
    # with the bias correction, m_hat / sqrt(v_hat) = g / |g| on the first step
    p = np.array([0.0, 0.0])
    Adam(learning_rate=0.1).step([p], [np.array([5.0, -0.001])])
    np.testing.assert_allclose(p, [-0.1, 0.1], rtol=1e-3)


def test_optimizer_parameters_are_checked():
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        Adam(learning_rate=0)
    with pytest.raises(ValueError, match="rho must be <= 1"):
        RMSprop(rho=1.5)


def test_cosine_decay_runs_from_initial_to_final():
    schedule = training.cosine_decay(0.01, epochs=5, final=0.001)
    assert schedule(0) == pytest.approx(0.01)
    assert schedule(4) == pytest.approx(0.001)
    assert schedule(2) == pytest.approx(0.0055)


# --- training ------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = load_mnist(source="bundled", verbose=False)
    return images_to_inputs(x_train[:300]), y_train[:300]


def small_mnist_network(seed=0):
    neuron_type = snn.LIF(amplitude=0.01)
    gain, bias = snn.gain_bias(neuron_type, max_rates=100, intercepts=0)
    with snn.Network(seed=seed, default_synapse=None) as net:
        inp = snn.Node(np.zeros(28 * 28))
        x = snn.Layer(snn.Conv2D(8, kernel_size=3, strides=2))(inp, shape_in=(28, 28, 1))
        lif = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        out = snn.Layer(snn.Dense(10))(lif)
    return net, inp, out, lif


def test_training_lowers_the_loss(digits, capsys):
    x, y = digits
    net, inp, out, lif = small_mnist_network()
    history = training.train(
        net,
        {inp: x},
        {out: y},
        epochs=3,
        batch_size=32,
        optimizer=Adam(0.003),
        seed=0,
        rate_targets=[RateTarget(lif, 50, 0.01)],
        validation=({inp: x}, y),
    )
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.8
    captured = capsys.readouterr()
    assert captured.err == ""  # the progress bar goes to stdout only
    assert captured.out.count("\n") == 3 and "epoch 3/3" in captured.out


def test_training_is_reproducible_from_a_seed(digits):
    x, y = digits
    kernels = []
    for _ in range(2):
        net, inp, out, _ = small_mnist_network(seed=3)
        training.train(
            net,
            {inp: x[:64]},
            {out: y[:64]},
            epochs=1,
            batch_size=16,
            seed=7,
            augment=lambda batch, rng: batch + rng.normal(0, 0.01, batch.shape),
            progress_bar=False,
        )
        kernels.append(net.connections[0].transform.kernel.copy())
    np.testing.assert_array_equal(kernels[0], kernels[1])


def test_training_writes_into_the_network_the_simulator_runs(digits):
    x, y = digits
    net, inp, out, _ = small_mnist_network()
    before = net.connections[0].transform.kernel.copy()
    training.train(net, {inp: x[:32]}, {out: y[:32]}, epochs=1, progress_bar=False)
    assert not np.array_equal(before, net.connections[0].transform.kernel)


def test_the_tutorial_recipe_keeps_conv1_as_initialised():
    """The recipe trains conv2, conv3 and the output; conv1 keeps its start
    (16 times Glorot's kernel, zero biases) unless train_conv1=True."""
    from snnlib.course import mnist

    (x, y), _ = load_mnist(source="bundled", verbose=False)
    start = training.get_params(mnist.build_network(seed=3, learner_probes=False).network)
    for train_conv1 in (False, True):
        model, _ = mnist.train_tutorial(
            x[:64], y[:64], seed=3, epochs=1, train_conv1=train_conv1, progress_bar=False
        )
        after = training.get_params(model.network)
        kept = [k for k in after if np.array_equal(after[k], start[k])]
        if train_conv1:
            assert kept == []
        else:
            assert kept == ["connection0.bias"]
            np.testing.assert_array_equal(
                after["connection0.kernel"], start["connection0.kernel"] * 16
            )


def test_train_checks_its_data(digits):
    x, y = digits
    net, inp, out, _ = small_mnist_network()
    with pytest.raises(ValueError, match=r"has shape \(300, 783\); expected \(n, 784\)"):
        training.train(net, {inp: x[:, :-1]}, {out: y}, progress_bar=False)
    with pytest.raises(ValueError, match="300 input items but 299 labels"):
        training.train(net, {inp: x}, {out: y[:-1]}, progress_bar=False)
    with pytest.raises(ValueError, match="labels must be 0 to 9"):
        training.train(net, {inp: x}, {out: y + 1}, progress_bar=False)
    with pytest.raises(ValueError, match="integer class numbers"):
        training.train(net, {inp: x}, {out: y.astype(float)}, progress_bar=False)
    with pytest.raises(ValueError, match="one entry"):
        training.train(net, {inp: x}, {out: y, inp: y}, progress_bar=False)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        training.train(net, {inp: x}, {out: y}, epochs=0, progress_bar=False)


def test_rate_network_checks_inputs_and_outputs():
    net, inp, out, lif = small_mnist_network()
    with snn.Network():
        stranger = snn.Node(np.zeros(3))
    with pytest.raises(ValueError, match="not an input node"):
        RateNetwork(net, out, [lif])
    with pytest.raises(ValueError, match="is not a node or neurons of"):
        RateNetwork(net, stranger, [inp])
    with pytest.raises(ValueError, match="no data given"):
        RateNetwork(net, out, [inp]).predict({})
    scalar = net.connections[1]  # conv output -> LIF neurons, one to one
    with pytest.raises(ValueError, match="cannot be trained"):
        RateNetwork(net, out, [inp], trainable=[scalar])


# --- saving and loading --------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    net, inp, out, _ = small_mnist_network(seed=1)
    path = save_params(net, tmp_path / "params.npz", dtype=np.float64)
    assert path == tmp_path / "params.npz"
    other, *_ = small_mnist_network(seed=2)
    load_params(other, path)
    for a, b in zip(training.get_params(net).values(), training.get_params(other).values()):
        np.testing.assert_array_equal(a, b)
    assert sorted(np.load(path).files) == [
        "connection0.bias",
        "connection0.kernel",
        "connection2.bias",
        "connection2.kernel",
    ]


def test_parameters_are_keyed_by_label():
    with snn.Network() as net:
        a = snn.Node(np.zeros(3))
        b = snn.Node(size_in=2)
        snn.Connection(a, b, transform=snn.Dense(2, use_bias=False), label="readout")
    assert list(training.get_params(net)) == ["readout.kernel"]


def test_load_params_errors(tmp_path):
    net, *_ = small_mnist_network()
    with pytest.raises(FileNotFoundError, match="missing.npz not found"):
        load_params(net, tmp_path / "missing.npz")

    corrupt = tmp_path / "corrupt.npz"
    save_params(net, corrupt)
    corrupt.write_bytes(corrupt.read_bytes()[:200])  # truncated
    with pytest.raises(ValueError, match="damaged or not an .npz file"):
        load_params(net, corrupt)
    text = tmp_path / "text.npz"
    text.write_text("not numbers")
    with pytest.raises(ValueError, match="damaged or not an .npz file"):
        load_params(net, text)

    params = training.get_params(net)
    wrong = tmp_path / "wrong_shape.npz"
    np.savez(wrong, **{**params, "connection0.kernel": np.zeros((3, 3, 1, 4))})
    with pytest.raises(
        ValueError,
        match=r"connection0.kernel has shape \(3, 3, 1, 4\).*"
        r"needs kernel of shape \(3, 3, 1, 8\)",
    ):
        load_params(net, wrong)
    missing = tmp_path / "missing_key.npz"
    np.savez(missing, **{k: v for k, v in params.items() if k != "connection2.bias"})
    with pytest.raises(ValueError, match="missing connection2.bias"):
        load_params(net, missing)
    extra = tmp_path / "extra_key.npz"
    np.savez(extra, **params, conv9_kernel=np.zeros(3))
    with pytest.raises(ValueError, match="unexpected conv9_kernel"):
        load_params(net, extra)
    before = training.get_params(net)
    bad = tmp_path / "nan.npz"
    np.savez(bad, **{**params, "connection2.bias": np.full(10, np.nan)})
    with pytest.raises(ValueError, match="finite"):
        load_params(net, bad)
    for a, b in zip(before.values(), training.get_params(net).values()):
        np.testing.assert_array_equal(a, b)  # a failed load changes nothing


# --- firing-rate scaling ---------------------------------------------------------


def test_scaling_keeps_relu_rates_and_adds_spikes():
    with snn.Network(seed=0, default_synapse=None) as net:
        inp = snn.Node(np.zeros(4))
        relu = snn.Layer(snn.SpikingRectifiedLinear(amplitude=0.01))(inp, gain=50.0, bias=0.0)
        out = snn.Layer(snn.Dense(2))(relu)
        p_spikes = snn.Probe(relu)
    x = np.array([[0.2, 0.5, 0.8, 1.0]])
    scaled = training.scale_firing_rates(net, 4)
    s_inp, s_out = scaled.nodes[0], scaled.nodes[1]
    np.testing.assert_allclose(
        training.predict(scaled, {s_inp: x}, s_out), training.predict(net, {inp: x}, out), rtol=1e-6
    )
    assert net.neurons[0].neuron_type.amplitude == 0.01  # the original is unchanged

    def spike_count(network, probe):
        data = snn.Simulator(network).run_steps(100, inputs={network.nodes[0]: x})[probe]
        return (data != 0).sum()

    assert spike_count(scaled, scaled.probes[0]) >= 3.9 * spike_count(net, p_spikes)


def test_scaling_in_place_and_bad_scale():
    net, *_ = small_mnist_network()
    gain = net.neurons[0].gain.copy()
    assert training.scale_firing_rates(net, 2.5, inplace=True) is net
    np.testing.assert_allclose(net.neurons[0].gain, 2.5 * gain)
    assert net.neurons[0].neuron_type.amplitude == pytest.approx(0.004)
    with pytest.raises(ValueError, match="scale must be > 0, got 0.0"):
        training.scale_firing_rates(net, 0.0)
