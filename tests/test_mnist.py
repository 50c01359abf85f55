"""Tests of snnlib.course.mnist (the tutorial network, spiking evaluation, sweeps),
the shipped weights, snnlib.course.plots and ``python -m snnlib.course.demo``."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import snnlib as snn
from snnlib import training
from snnlib.course import mnist
from snnlib.course.datasets import load_mnist

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def test_digits():
    _, (x_test, y_test) = load_mnist(source="bundled", verbose=False)
    return x_test, y_test


@pytest.fixture(scope="module")
def params():
    return mnist.pretrained_params()


# --- the network ------------------------------------------------------------------


def test_network_is_the_tutorials():
    model = mnist.build_network()
    net = model.network
    shapes = [model.layers[name].shape for name in
              ("conv1", "conv1_lif", "conv2", "conv2_lif", "conv3", "conv3_lif", "output")]
    assert shapes == [(26, 26, 32), (26, 26, 32), (12, 12, 64), (12, 12, 64),
                      (5, 5, 128), (5, 5, 128), (10,)]
    assert all(conn.synapse is None for conn in net.connections)
    convs = [c.transform for c in net.connections if isinstance(c.transform, snn.Conv2D)]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (32, (3, 3), (1, 1)), (64, (3, 3), (2, 2)), (128, (3, 3), (2, 2))]
    for neurons in net.neurons:
        assert isinstance(neurons.neuron_type, snn.LIF)
        assert neurons.neuron_type.amplitude == 0.01
        np.testing.assert_allclose(neurons.gain, 2.0332, atol=1e-4)
        np.testing.assert_allclose(neurons.bias, 1.0)
    synapses = {name: p.synapse for name, p in model.probes.items()}
    assert synapses["output"].tau == 0.1
    assert synapses["conv3"] is None and synapses["conv3_lif"] is None
    assert synapses["conv3_filt"].tau == 0.1 and synapses["conv3_lif_filt"].tau == 0.1
    assert model.probes["conv3_lif"].target is model.layers["conv3_lif"]


def test_network_settings():
    model = mnist.build_network(synapse=0.005, scale=4, probe_synapse=None,
                                learner_probes=False)
    assert all(conn.synapse.tau == 0.005 for conn in model.network.connections)
    assert model.probes["output"].synapse is None
    assert set(model.probes) == {"output"}
    lif = model.layers["conv2_lif"]
    assert lif.neuron_type.amplitude == pytest.approx(0.0025)
    np.testing.assert_allclose(lif.gain, 4 * 2.0332, atol=1e-3)


def test_bad_settings_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="synapse must be > 0|time constant must be > 0"):
        mnist.build_network(synapse=-0.01)
    with pytest.raises(ValueError, match="probe_synapse must be None or a time constant"):
        mnist.build_network(probe_synapse="slow")
    with pytest.raises(ValueError, match="scale must be a number > 0, got 0"):
        mnist.build_network(scale=0)
    with pytest.raises(TypeError, match="params must be None, 'pretrained', a path or a dict"):
        mnist.build_network(params=3)
    with pytest.raises(FileNotFoundError, match="nothing.npz not found"):
        mnist.build_network(params=tmp_path / "nothing.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip file")
    with pytest.raises(ValueError, match="damaged"):
        mnist.build_network(params=corrupt)
    with pytest.raises(ValueError, match="does not fit this network"):
        mnist.build_network(params={"connection0.kernel": np.zeros((3, 3, 1, 32))})


def test_probe_not_in_network():
    model = mnist.build_network(learner_probes=False)
    with pytest.raises(ValueError, match="no probe 'conv3_lif' .*learner_probes=True"):
        model.probe("conv3_lif")
    with pytest.raises(ValueError, match="no probe 'conv4'.*its probes are"):
        mnist.run_spiking(model, np.zeros((1, 28, 28), np.uint8), probes=("conv4",))
    other = mnist.build_network()
    with pytest.raises(ValueError, match="is not a probe of this network"):
        model.probe(other.probes["output"])


# --- the shipped weights ---------------------------------------------------------


def test_shipped_weights_load_and_are_small():
    assert mnist.PRETRAINED_PATH.stat().st_size < 1_000_000
    model = mnist.build_network("pretrained", learner_probes=False)
    shipped = mnist.pretrained_params()
    assert all(v.dtype == np.float32 for v in shipped.values())
    for key, value in training.get_params(model.network).items():
        np.testing.assert_array_equal(value, shipped[key])


def test_shipped_weights_are_documented():
    from snnlib.course.datasets import file_sha256

    readme = (mnist.PRETRAINED_PATH.parent / "README.md").read_text()
    assert file_sha256(mnist.PRETRAINED_PATH) in readme  # retrained? update the README
    assert f"{mnist.PRETRAINED_PATH.stat().st_size:,} bytes" in readme


def test_shipped_weights_rate_accuracy(test_digits, params):
    x_test, y_test = test_digits
    model = mnist.build_network(params, learner_probes=False)
    assert mnist.rate_accuracy(model, x_test[:300], y_test[:300]) >= 0.97


def test_shipped_weights_spiking_accuracy_is_close_to_rate(test_digits, params):
    x, y = test_digits[0][:100], test_digits[1][:100]
    model = mnist.build_network(params, learner_probes=False)
    rate = mnist.rate_accuracy(model, x, y)
    spiking = mnist.spiking_accuracy(model, x, y, n_steps=30)
    assert spiking >= rate - 0.03


# --- spiking evaluation ------------------------------------------------------------


def test_reading_steps_from_a_longer_run_equals_shorter_runs(test_digits, params):
    x, y = test_digits[0][:8], test_digits[1][:8]
    model = mnist.build_network(params, learner_probes=False)
    long = mnist.run_spiking(model, x, n_steps=20)["output"]
    short = mnist.run_spiking(model, x, n_steps=12)["output"]
    np.testing.assert_array_equal(long[:, :12], short)
    accuracy = mnist.evaluate_spiking(params, x, y, n_steps=20, read_steps=[12, 20])
    expected = (short[:, -1].argmax(axis=1) == y).mean()
    assert accuracy[0.1][12] == expected


def test_probe_synapses_from_one_run_equal_separate_runs(test_digits, params):
    x, y = test_digits[0][:8], test_digits[1][:8]
    together = mnist.evaluate_spiking(params, x, y, n_steps=15, probe_synapses=(None, 0.01))
    model = mnist.build_network(params, probe_synapse=0.01, learner_probes=False)
    alone = mnist.run_spiking(model, x, n_steps=15)["output"]
    assert together[0.01][15] == (alone[:, -1].argmax(axis=1) == y).mean()
    # a probe's synapse filters the record: the same as filtering the raw output
    raw = mnist.run_spiking(mnist.build_network(params, probe_synapse=None,
                                                learner_probes=False), x, n_steps=15)["output"]
    filtered = snn.Lowpass(0.01).filt(raw, dt=0.001, axis=1)
    np.testing.assert_allclose(alone[:, 1:], filtered[:, :-1], rtol=1e-4, atol=1e-5)


def test_learner_probes_have_the_threads_shapes(test_digits, params):
    model = mnist.build_network(params)
    data = mnist.run_spiking(model, test_digits[0][:2], n_steps=5, probes=mnist.LEARNER_PROBES)
    assert {k: v.shape for k, v in data.items()} == {k: (2, 5, 3200) for k in mnist.LEARNER_PROBES}
    spikes = data["conv3_lif"]
    assert set(np.unique(spikes)) <= {0.0, np.float32(10.0)}  # amplitude / dt


def test_image_and_label_counts_must_match(test_digits, params):
    x, y = test_digits
    model = mnist.build_network(params, learner_probes=False)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        mnist.rate_accuracy(model, x[:5], y[:4])
    with pytest.raises(ValueError, match="5 images but 6 labels"):
        mnist.spiking_accuracy(model, x[:5], y[:6])
    with pytest.raises(ValueError, match="images must have shape"):
        mnist.rate_accuracy(model, x[:5, :27], y[:5])
    with pytest.raises(ValueError, match="labels must be integers"):
        mnist.evaluate_spiking(params, x[:5], y[:5].astype(float))


# --- sweeps ------------------------------------------------------------------------


def test_sweeps_return_their_points(test_digits, params):
    x, y = test_digits[0][:6], test_digits[1][:6]
    points = mnist.sweep_n_steps(params, x, y, n_steps=(3, 10))
    assert [p["n_steps"] for p in points] == [3, 10]
    synapse = mnist.sweep_synapse(params, x, y, synapses=(None, 0.005), n_steps=5)
    assert [p["synapse"] for p in synapse] == [None, 0.005]
    scale = mnist.sweep_firing_rate_scale(params, x, y, scales=(2,), n_steps=5)
    assert set(scale[0]) == {"scale", "accuracy", "rate_accuracy"}
    probe = mnist.sweep_probe_synapse(params, x, y, probe_synapses=(None, 0.1), n_steps=5)
    assert [p["probe_synapse"] for p in probe] == [None, 0.1]
    for p in points + probe + scale:
        assert 0 <= p["accuracy"] <= 1


@pytest.mark.parametrize("sweep, values, message", [
    (mnist.sweep_n_steps, (10, 0), "n_steps must be a whole number >= 1, got 0"),
    (mnist.sweep_n_steps, (2.5,), "n_steps must be a whole number >= 1, got 2.5"),
    (mnist.sweep_n_steps, (), "at least one value"),
    (mnist.sweep_synapse, (None, -0.005), "must be > 0 seconds, got -0.005"),
    (mnist.sweep_synapse, ("fast",), "synapse must be None or a time constant in seconds"),
    (mnist.sweep_firing_rate_scale, (1, -2), "scale must be a number > 0, got -2"),
    (mnist.sweep_firing_rate_scale, (np.inf,), "scale must be a number > 0, got inf"),
    (mnist.sweep_probe_synapse, (0.1, 0), "must be > 0 seconds, got 0"),
])
def test_sweep_values_that_are_not_allowed(sweep, values, message, test_digits):
    x, y = test_digits[0][:2], test_digits[1][:2]
    with pytest.raises(ValueError, match=message):
        sweep("pretrained", x, y, values)


# --- training helpers --------------------------------------------------------------


def test_random_shifts_move_whole_images():
    rng = np.random.default_rng(0)
    images = np.zeros((50, 28, 28), np.float32)
    images[:, 10:18, 12:16] = 1
    x = images.reshape(50, -1)
    shifted = mnist.random_shifts(2)(x, rng).reshape(50, 28, 28)
    assert np.all(shifted.sum(axis=(1, 2)) == 32)  # nothing falls off the edge here
    rows = np.array([np.nonzero(s.any(axis=1))[0][0] for s in shifted]) - 10
    cols = np.array([np.nonzero(s.any(axis=0))[0][0] for s in shifted]) - 12
    assert set(rows) == set(cols) == {-2, -1, 0, 1, 2}
    np.testing.assert_array_equal(mnist.random_shifts(0)(x, rng), x)
    with pytest.raises(ValueError, match="max_shift must be a whole number of pixels"):
        mnist.random_shifts(2.5)


def test_train_tutorial_checks_its_inputs():
    (x_train, y_train), _ = load_mnist(source="bundled", verbose=False)
    with pytest.raises(ValueError, match="unknown settings"):
        mnist.train_tutorial(x_train[:10], y_train[:10], epoch=3)
    with pytest.raises(ValueError, match="10 images but 9 labels"):
        mnist.train_tutorial(x_train[:10], y_train[:9])
    with pytest.raises(ValueError, match="images must have shape"):
        mnist.train_tutorial(x_train[:10, :, :20], y_train[:10])


def test_train_tutorial_runs(capsys):
    (x_train, y_train), _ = load_mnist(source="bundled", verbose=False)
    model, history = mnist.train_tutorial(x_train[:64], y_train[:64], epochs=1, batch_size=32)
    assert len(history["loss"]) == 1 and history["recipe"]["batch_size"] == 32
    assert "epoch 1/1" in capsys.readouterr().out


# --- the demo ----------------------------------------------------------------------


def test_demo_quick_writes_results_and_figures(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "snnlib.course.demo", "--quick", "--output", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    results = json.loads((out / "results.json").read_text())
    for key in ("rate_accuracy", "spiking_accuracy", "sweeps", "settings"):
        assert key in results
    assert set(results["sweeps"]) == {"n_steps", "synapse", "scale", "probe_synapse"}
    assert [p["synapse"] for p in results["sweeps"]["synapse"]] == [None, 0.001, 0.005, 0.01]
    assert [p["scale"] for p in results["sweeps"]["scale"]] == [1, 2, 5, 10, 20]
    for name in results["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(results["figures"]) >= {"accuracy_vs_n_steps.png", "learner_probes.png",
                                       "output_over_time.png"}
    assert "spiking, tutorial settings" in result.stdout


def run_demo(*args):
    return subprocess.run([sys.executable, "-m", "snnlib.course.demo", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_demo_rejects_bad_options(tmp_path):
    result = run_demo("--train", "--params", "x.npz", "--output", tmp_path)
    assert result.returncode == 2 and "not both" in result.stderr
    result = run_demo("--params", tmp_path / "none.npz", "--output", tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("none.npz not found; make one with "
                                          "save_params(network, path) or train it first")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, kernel=np.zeros(3))
    result = run_demo("--params", wrong, "--output", tmp_path)
    assert result.returncode == 1 and "does not fit this network" in result.stderr
    assert "Traceback" not in result.stderr
