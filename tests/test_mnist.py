"""Tests of snnlib.course.mnist (the tutorial network, spiking evaluation, sweeps),
the shipped weights, snnlib.course.plots and ``python -m snnlib.course.demo``."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import snnlib as snn
from snnlib import training
from snnlib.course import mnist, sweeps
from snnlib.course.datasets import file_sha256, images_to_inputs, load_mnist

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
    shapes = [
        model.layers[name].shape
        for name in ("conv1", "conv1_lif", "conv2", "conv2_lif", "conv3", "conv3_lif", "output")
    ]
    assert shapes == [
        (26, 26, 32),
        (26, 26, 32),
        (12, 12, 64),
        (12, 12, 64),
        (5, 5, 128),
        (5, 5, 128),
        (10,),
    ]
    assert all(conn.synapse is None for conn in net.connections)
    convs = [c.transform for c in net.connections if isinstance(c.transform, snn.Conv2D)]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (32, (3, 3), (1, 1)),
        (64, (3, 3), (2, 2)),
        (128, (3, 3), (2, 2)),
    ]
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
    model = mnist.build_network(synapse=0.005, scale=4, probe_synapse=None, learner_probes=False)
    assert all(conn.synapse.tau == 0.005 for conn in model.network.connections)
    assert model.probes["output"].synapse is None
    assert set(model.probes) == {"output"}
    lif = model.layers["conv2_lif"]
    assert lif.neuron_type.amplitude == pytest.approx(0.0025)
    np.testing.assert_allclose(lif.gain, 4 * 2.0332, atol=1e-3)


def test_bad_settings_are_clear_errors(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"build_network: synapse: a synapse time constant "
        r"must be a finite number >= 0 seconds, got -0.01",
    ):
        mnist.build_network(synapse=-0.01)
    for bad in (np.nan, np.inf):
        with pytest.raises(
            ValueError, match=f"probe_synapse: .*finite number >= 0 seconds, got {bad}"
        ):
            mnist.build_network(probe_synapse=bad)
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


def test_synapse_zero_is_valid_as_in_nengo():
    """0 (Lowpass(0)) is a filter that does not smooth but delays by one step."""
    model = mnist.build_network(synapse=0, probe_synapse=0, learner_probes=False)
    assert all(conn.synapse.tau == 0 for conn in model.network.connections)
    assert model.probes["output"].synapse.tau == 0
    assert model.settings["synapse"] == 0.0


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


@pytest.mark.parametrize("synapse, scale", [(None, 1), (0.005, 1), (None, 5)])
def test_reading_steps_from_a_longer_run_equals_shorter_runs(test_digits, params, synapse, scale):
    """The run is causal: step k of a long run is a k-step run, with filtered
    connections and scaled rates too (the precomputed curves rely on it)."""
    x, y = test_digits[0][:8], test_digits[1][:8]
    model = mnist.build_network(params, synapse=synapse, scale=scale, learner_probes=False)
    long = mnist.run_spiking(model, x, n_steps=40)["output"]
    short = mnist.run_spiking(model, x, n_steps=25)["output"]
    np.testing.assert_array_equal(long[:, :25], short)
    accuracy = mnist.evaluate_spiking(
        params, x, y, n_steps=40, read_steps=[25, 40], synapse=synapse, scale=scale
    )
    expected = (short[:, -1].argmax(axis=1) == y).mean()
    assert accuracy[0.1][25] == expected
    curves = sweeps.curves_over_steps(params, x, y, n_steps=40, synapse=synapse, scale=scale)
    np.testing.assert_array_equal(curves["correct"][:, 24], short[:, -1].argmax(axis=1) == y)


def test_each_of_the_seven_connections_delays_by_a_step(test_digits, params):
    """With a synapse on every connection (here 0: a pure one-step delay), the
    image at step 1 can reach the output at step 8 at the earliest: seven
    filtered connections in series. With None it can at step 1."""
    x = test_digits[0][:5]
    model = mnist.build_network(params, synapse=0, probe_synapse=None, learner_probes=False)
    assert len(model.network.connections) == mnist.N_FILTERED_IN_SERIES == 7
    path = [(c.pre.label, c.post.label) for c in model.network.connections]
    assert path == [
        ("input", "conv1"),
        ("conv1", "conv1_lif"),
        ("conv1_lif", "conv2"),
        ("conv2", "conv2_lif"),
        ("conv2_lif", "conv3"),
        ("conv3", "conv3_lif"),
        ("conv3_lif", "output"),
    ]
    bias = params["connection6.bias"]
    out = mnist.run_spiking(model, x, n_steps=12)["output"]
    assert np.all(out[:, 0] == 0)  # the last filter starts empty
    assert np.all(out[:, 1:7] == bias)  # then only the Dense bias, one step late
    none = mnist.build_network(params, synapse=None, probe_synapse=None, learner_probes=False)
    out_none = mnist.run_spiking(none, x, n_steps=12)["output"]

    def first_step_with_the_image(output):  # the first step the output is not the bias
        return 1 + np.argmax(np.any(output != bias, axis=(0, 2)) & (np.arange(12) > 0))

    # the neurons need a step or two to reach threshold either way; here the
    # first spikes of conv3_lif reach the output at step 3, with delays at step 9
    assert (first_step_with_the_image(out_none), first_step_with_the_image(out)) == (3, 9)


def test_a_filtered_connection_charges_up_as_one_minus_exp(test_digits, params):
    """conv1 receives the image through a lowpass: 0 at step 1, then
    (1 - exp(-(k - 1) dt / tau)) times the convolved image at step k."""
    tau, x = 0.01, test_digits[0][:2]
    model = mnist.build_network(params, synapse=tau, learner_probes=False)
    with model.network:
        conv1 = snn.Probe(model.layers["conv1"], label="conv1")
    record = mnist.run_spiking(model, x, n_steps=30, probes=[conv1])["conv1"]
    conv = model.network.connections[0].apply_transform(images_to_inputs(x).astype(np.float64))
    k = np.arange(1, 31)
    expected = (1 - np.exp(-(k - 1) * mnist.DT / tau))[None, :, None] * conv[:, None, :]
    np.testing.assert_allclose(record, expected, rtol=1e-4, atol=1e-4)


def test_spike_counters_count_every_spike(test_digits, params):
    x, y = test_digits[0][:3], test_digits[1][:3]
    for scale in (1, 5):
        model = mnist.build_network(params, scale=scale, learner_probes=False)
        with model.network:
            full = {name: snn.Probe(model.layers[name], label=name) for name in mnist.LIF_LAYERS}
        counters = sweeps.add_spike_counters(model)
        data = mnist.run_spiking(model, x, n_steps=12, probes=[*full.values(), *counters.values()])
        for name in mnist.LIF_LAYERS:
            expected = (data[name] > 0).sum(axis=2)
            counted = sweeps.count_spikes(data[counters[name].label], model.layers[name])
            np.testing.assert_array_equal(counted, expected)
        assert sum(c.sum() for c in data.values()) > 0
    curves = sweeps.curves_over_steps(params, x, y, n_steps=12, scale=5)
    np.testing.assert_array_equal(
        curves["spikes"]["conv2_lif"], (data["conv2_lif"] > 0).sum(axis=2)
    )
    assert curves["n_neurons"] == {"conv1_lif": 21632, "conv2_lif": 9216, "conv3_lif": 3200}


def test_standard_error_is_binomial():
    assert sweeps.standard_error(0.5, 100) == pytest.approx(0.05)
    assert sweeps.standard_error(0.98, 1000) == pytest.approx(np.sqrt(0.98 * 0.02 / 1000))
    np.testing.assert_allclose(sweeps.standard_error([0, 1], 10), [0, 0])


def test_probe_synapses_from_one_run_equal_separate_runs(test_digits, params):
    x, y = test_digits[0][:8], test_digits[1][:8]
    together = mnist.evaluate_spiking(params, x, y, n_steps=15, probe_synapses=(None, 0.01))
    model = mnist.build_network(params, probe_synapse=0.01, learner_probes=False)
    alone = mnist.run_spiking(model, x, n_steps=15)["output"]
    assert together[0.01][15] == (alone[:, -1].argmax(axis=1) == y).mean()
    # a probe's synapse filters the record: the same as filtering the raw output
    raw = mnist.run_spiking(
        mnist.build_network(params, probe_synapse=None, learner_probes=False), x, n_steps=15
    )["output"]
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
    points = sweeps.sweep_n_steps(params, x, y, n_steps=(3, 10))
    assert [p["n_steps"] for p in points] == [3, 10]
    synapse = sweeps.sweep_synapse(params, x, y, synapses=(None, 0.005), n_steps=5)
    assert [p["synapse"] for p in synapse] == [None, 0.005]
    scale = sweeps.sweep_firing_rate_scale(params, x, y, scales=(2,), n_steps=5)
    assert set(scale[0]) == {"scale", "accuracy", "rate_accuracy"}
    probe = sweeps.sweep_probe_synapse(params, x, y, probe_synapses=(None, 0.1), n_steps=5)
    assert [p["probe_synapse"] for p in probe] == [None, 0.1]
    for p in points + probe + scale:
        assert 0 <= p["accuracy"] <= 1


@pytest.mark.parametrize(
    "sweep, values, message",
    [
        (sweeps.sweep_n_steps, (10, 0), "n_steps must be a whole number >= 1, got 0"),
        (sweeps.sweep_n_steps, (2.5,), "n_steps must be a whole number >= 1, got 2.5"),
        (sweeps.sweep_n_steps, (), "at least one value"),
        (sweeps.sweep_synapse, (None, -0.005), "must be a finite number >= 0 seconds, got -0.005"),
        (sweeps.sweep_synapse, (np.nan,), "must be a finite number >= 0 seconds, got nan"),
        (sweeps.sweep_synapse, ("fast",), "synapse must be None or a time constant in seconds"),
        (sweeps.sweep_firing_rate_scale, (1, -2), "scale must be a number > 0, got -2"),
        (sweeps.sweep_firing_rate_scale, (np.inf,), "scale must be a number > 0, got inf"),
        (sweeps.sweep_probe_synapse, (0.1, -0.1), "must be a finite number >= 0 seconds, got -0.1"),
        (sweeps.sweep_probe_synapse, (np.inf,), "must be a finite number >= 0 seconds, got inf"),
    ],
)
def test_sweep_values_that_are_not_allowed(sweep, values, message, test_digits):
    x, y = test_digits[0][:2], test_digits[1][:2]
    with pytest.raises(ValueError, match=message):
        sweep("pretrained", x, y, values)


def test_probe_synapse_zero_records_the_output_one_step_late(test_digits, params):
    """As in Nengo: a probe with synapse 0 records what synapse None recorded the
    step before, so its accuracy at step k is None's at step k - 1."""
    x, y = test_digits[0][:6], test_digits[1][:6]
    acc = mnist.evaluate_spiking(
        params, x, y, n_steps=12, read_steps=[11, 12], probe_synapses=(None, 0)
    )
    assert acc[0.0][12] == acc[None][11]
    model = mnist.build_network(
        params, probe_synapse=None, extra_output_synapses=[0], learner_probes=False
    )
    data = mnist.run_spiking(model, x, n_steps=12, probes=["output", "output_0.0"])
    np.testing.assert_array_equal(data["output_0.0"][:, 1:], data["output"][:, :-1])
    assert np.all(data["output_0.0"][:, 0] == 0)


# --- the precomputed curves (snnlib/course/data/mnist_sweep_curves.json) -------------------


@pytest.fixture(scope="module")
def curves():
    return sweeps.load_sweep_curves()


def test_precomputed_curves_say_where_they_come_from(curves):
    import fnmatch
    import tomllib

    text = mnist.SWEEP_CURVES_PATH.read_text()
    assert mnist.SWEEP_CURVES_PATH.stat().st_size < 100_000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["snnlib.course"]
    assert any(fnmatch.fnmatch("data/" + mnist.SWEEP_CURVES_PATH.name, p) for p in package_data)
    assert mnist.SWEEP_CURVES_PATH.name in (mnist.DATA_DIR / "README.md").read_text()
    assert str(ROOT) not in text and "/home/" not in text  # no path of a machine
    source = curves["provenance"]
    assert source["command"].startswith("python scripts/precompute_sweeps.py")
    assert (ROOT / source["command"].split()[1]).exists()
    for key in ("digits", "weights"):  # the files they were computed from, unchanged
        path = ROOT / source[key]["file"]
        assert source[key]["sha256"] == file_sha256(path), f"{path} changed: rerun the script"
    assert source["weights"]["file"] == "snnlib/course/data/mnist_tutorial_params.npz"
    assert source["digits"]["n_digits"] == 1000
    assert source["settings"] == {
        "dt": mnist.DT,
        "n_steps": sweeps.CURVE_STEPS,
        "batch_size": 200,
        "probe_synapse": 0.1,
        "dtype": "float32",
        "blas_threads": 1,
    }
    assert {
        k: v for k, v in source["rate_regularisation"].items() if k != "how"
    } == sweeps.RATE_REGULARISATION
    settings = [{k: run[k] for k in ("synapse", "scale", "weights")} for run in curves["runs"]]
    assert settings == list(sweeps.CURVE_SETTINGS)
    for run in curves["runs"]:
        assert run["n_digits"] == 1000
        assert len(run["correct"]) == len(run["correct_raw"]) == sweeps.CURVE_STEPS
        assert all(len(s) == sweeps.CURVE_STEPS for s in run["spikes"].values())
        assert all(0 <= c <= 1000 for c in run["correct"])
        check = run["check"]
        assert all(c <= t for c, t in zip(check["correct"], run["correct"], strict=True))


def test_precomputed_curves_are_recomputed_exactly(curves, tmp_path):
    """The script, run again on the first digits: the right answers (through the
    probe and raw) and the spikes of every layer at every one of the 100 steps,
    and the rate network's answers, exactly as the file has them for those digits."""
    n = curves["runs"][0]["check"]["n_digits"]
    assert n >= 10
    out = tmp_path / "check.json"
    result = subprocess.run(
        [sys.executable, "scripts/precompute_sweeps.py", "--digits", str(n), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0 and result.stderr == "", result.stdout + result.stderr
    again = sweeps.load_sweep_curves(out)
    assert again["provenance"]["command"] == (
        f"python scripts/precompute_sweeps.py --digits {n} --output {out}"
    )
    assert "\r" not in result.stdout  # progress in a log: one line per update
    for run, new in zip(curves["runs"], again["runs"], strict=True):
        setting = {key: run[key] for key in ("synapse", "scale", "weights")}
        assert {key: new[key] for key in setting} == setting
        for key in ("correct", "correct_raw", "spikes", "rate_correct"):
            assert new[key] == run["check"][key], (setting, key)
        assert new["n_neurons"] == run["n_neurons"]


def test_precomputed_curves_support_lecture_06(curves):
    """The numbers lecture 06's text quotes, and what it concludes from them.
    Rerun the script and this fails: then read the lecture again."""

    def percent(synapse=None, scale=1.0, weights="shipped", raw=False):
        run = sweeps.find_run(curves, synapse, scale, weights)
        return np.round(100 * sweeps.run_accuracy(run, raw)[0], 1)

    def spikes(n_steps, synapse=None, scale=1.0, weights="shipped"):
        return sweeps.run_spikes_per_image(
            sweeps.find_run(curves, synapse, scale, weights), n_steps
        )

    none = percent()
    assert (none[2], none[4], none[9], none[19], none[29]) == (10.7, 88.5, 97.4, 98.0, 98.4)
    assert (none[39], none[49], none[99]) == (98.0, 98.0, 98.1)
    assert (none[29:].min(), none[29:].max()) == (97.7, 98.5)
    assert none.max() == none[30] == 98.5  # "the highest point of the curve (98.5% at 31)"
    assert round(none[19:].mean(), 1) == 98.0  # "settles at about 98.0%"
    tutorial = sweeps.find_run(curves)
    assert tutorial["rate_correct"] == 983
    assert {
        "from_steps": 30,
        "to_steps": 50,
        "right_then_wrong": 4,
        "wrong_then_right": 0,
    } in tutorial["changes"]
    se30, se50 = sweeps.standard_error(np.array([0.984, 0.980]), 1000)
    assert 0.5 < (0.984 - 0.980) / np.hypot(se30, se50) < 1  # "less than one s.e."
    # scaling: faster start, spike counts far from s times, rate network
    assert [percent(scale=s)[2] for s in (2, 5, 10)] == [86.1, 96.9, 97.3]
    assert round(spikes(30)[0], -3) == 26_000 and round(spikes(30, scale=10)[0], -3) == 63_000
    after20 = np.array([percent(scale=s)[19:] for s in (1, 2, 5)])
    assert round(np.ptp(after20, axis=0).max(), 1) == 0.7  # "within 0.7 points"
    assert (percent(scale=10)[19:].min(), percent(scale=10)[19:].max()) == (97.3, 98.0)
    assert percent(scale=10)[19:].mean() < after20.mean(axis=1).min()  # "a little below them"
    assert [sweeps.find_run(curves, scale=s)["rate_correct"] for s in (1, 2, 5, 10)] == [
        983,
        983,
        982,
        976,
    ]
    # connection synapses: chance (all called the bias's class) until the signal is through
    first = {s: sweeps.first_spike_steps(sweeps.find_run(curves, s)) for s in (0.001, 0.005, 0.01)}
    assert first[0.01] == {"conv1_lif": 10, "conv2_lif": 19, "conv3_lif": 27}
    assert np.all(percent(0.01)[1:30] == 10.0)
    bias = mnist.pretrained_params()["connection6.bias"]
    _, (_, y_test) = load_mnist(source="bundled", verbose=False)
    assert (y_test == bias.argmax()).sum() == 100
    for synapse in (0.001, 0.005, 0.01):
        assert percent(synapse)[9] == 10.0 < percent()[9]  # later than None
    filtered = np.array([percent(s)[39:] for s in (None, 0.001, 0.005, 0.01)])
    assert (filtered.min(), filtered.max()) == (97.6, 98.4)  # 40 to 100 steps
    assert list(filtered[:, -1]) == [98.1, 98.3, 98.1, 98.0]  # at 100 steps
    gains = [  # "1.5 digits above, 0.8 above, 0.2 below (never more than 7 digits apart)"
        (np.array(sweeps.find_run(curves, synapse)["correct"]) - np.array(tutorial["correct"]))[39:]
        for synapse in (0.001, 0.005, 0.01)
    ]
    assert [round(gain.mean(), 1) for gain in gains] == [1.5, 0.8, -0.2]
    assert max(np.abs(gain).max() for gain in gains) == 7
    # read raw (probe synapse None), the synapses help
    raw = {s: percent(s, raw=True)[49:] for s in (None, 0.001, 0.005, 0.01)}  # 50-100 steps
    assert (raw[None].min(), raw[None].max()) == (58.0, 77.7)  # "between 58% and 78%"
    assert (raw[0.001].min(), raw[0.001].max()) == (89.2, 94.8)  # "89% to 95%"
    both = np.concatenate([raw[0.005], raw[0.01]])
    assert (both.min(), both.max()) == (97.3, 98.5)
    # rate regularisation: fewer spikes, a little less accurate at 30 steps, worse early
    reg, reg_spikes = percent(weights="rate-regularised"), spikes(30, weights="rate-regularised")
    assert (reg[4], reg[9], reg[29], reg[99]) == (80.2, 96.9, 97.4, 97.9)
    assert round(reg_spikes[0], -2) == 22_900 and round(spikes(30)[0], -2) == 26_400
    assert round(reg_spikes[1]["conv3_lif"]) == 10 and round(spikes(30)[1]["conv3_lif"]) == 19
    assert abs(reg_spikes[1]["conv1_lif"] - spikes(30)[1]["conv1_lif"]) < 1
    assert sweeps.find_run(curves, weights="rate-regularised")["rate_correct"] == 980


def test_curves_table_and_lookups(curves):
    points = sweeps.curve_points(curves, read_steps=(10, 30), settings=[{"synapse": 0.005}])
    rows = sweeps.curves_table(points)
    assert [r["n_steps"] for r in rows] == [10, 30]
    assert len(sweeps.curve_points(curves)) == 5 * len(sweeps.CURVE_SETTINGS)
    run = sweeps.find_run(curves, 0.005)
    accuracy, se = sweeps.run_accuracy(run)
    assert rows[1]["accuracy %"] == f"{100 * accuracy[29]:.1f} ± {100 * se[29]:.1f}"
    spikes, rates = sweeps.run_spikes_per_image(run, 30)
    assert rows[1]["spikes per image"] == round(spikes)
    assert spikes == pytest.approx(sum(sum(s[:30]) for s in run["spikes"].values()) / 1000)
    assert rates["conv3_lif"] == pytest.approx(
        sum(run["spikes"]["conv3_lif"][:30]) / (1000 * 3200 * 30 * mnist.DT)
    )
    assert sweeps.first_spike_steps({"spikes": {"a": [0, 0, 3, 1], "b": [0, 0, 0, 0]}}) == {
        "a": 3,
        "b": None,
    }
    with pytest.raises(ValueError, match="no precomputed run with synapse=0.002"):
        sweeps.find_run(curves, 0.002)
    with pytest.raises(FileNotFoundError, match="precompute_sweeps.py"):
        sweeps.load_sweep_curves(ROOT / "nothing.json")


def test_fine_tune_rates_checks_its_recipe():
    (x_train, y_train), _ = load_mnist(source="bundled", verbose=False)
    with pytest.raises(ValueError, match="unknown settings \\['target'\\]"):
        sweeps.fine_tune_rates("pretrained", x_train, y_train, target=5)


# --- progress output --------------------------------------------------------------


class FakeStdout(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_redraws_on_a_terminal_and_writes_lines_to_a_log(
    tty, monkeypatch, capsys, test_digits, params
):
    from snnlib import simulator

    for show in (
        lambda: [simulator._progress(i, 3, 30) for i in (1, 2, 3)],
        lambda: mnist.run_spiking(
            mnist.build_network(params, learner_probes=False),
            test_digits[0][:3],
            n_steps=2,
            batch_size=1,
            progress=True,
        ),
    ):
        fake = FakeStdout(tty)
        monkeypatch.setattr(sys, "stdout", fake)
        show()
        monkeypatch.undo()
        text = fake.getvalue()
        if tty:  # one line, redrawn: three updates, each after a carriage return
            assert text.count("\r") == 3 and text.count("\n") == 1 and text.endswith("\n")
        else:  # a log: one line per update, no carriage returns
            assert "\r" not in text and len(text.splitlines()) == 3 and text.endswith("\n")
        assert "3/3" in text.splitlines()[-1].split("\r")[-1]
    assert capsys.readouterr().err == ""


def test_simulator_progress_over_chunks_goes_to_stdout(capsys):
    with snn.Network() as net:
        node = snn.Node(np.zeros(2))
        snn.Probe(node)
    sim = snn.Simulator(net, chunk_size=2, progress_bar=True)
    sim.run_steps(3, inputs={node: np.zeros((5, 2))})
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines()[-1].endswith("chunk 3/3") and "\r" not in captured.out


# --- plots ---------------------------------------------------------------------------


def _png(fig):
    from snnlib.course.plots import figure_png

    return figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_curves_plot_one_band_per_run(curves):
    from snnlib.course import plots

    fig = plots.accuracy_curves(curves)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:4] == ["synapse None", "synapse 1 ms", "synapse 5 ms", "synapse 10 ms"]
    run = sweeps.find_run(curves, 0.005)
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), 100 * np.array(run["correct"]) / 1000)
    assert len(ax.collections) == 4  # the ± 1 s.e. bands
    assert "1,000 held-out digits" in ax.get_title()
    fig = plots.accuracy_curves(
        curves,
        settings=[{"scale": 5}, {"weights": "rate-regularised"}],
        max_steps=40,
        ylim=(90, 100),
    )
    assert [line.get_label() for line in fig.axes[0].get_lines()][:2] == [
        "synapse None, scale 5",
        "synapse None, rate-regularised",
    ]
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 40
    assert _png(fig)
    fig = plots.accuracy_curves(curves, settings=[{"synapse": 0.01}], raw=True)
    np.testing.assert_allclose(
        fig.axes[0].get_lines()[0].get_ydata(),
        100 * np.array(sweeps.find_run(curves, 0.01)["correct_raw"]) / 1000,
    )
    assert "raw output" in fig.axes[0].get_title()


def test_sweep_plots_show_standard_errors():
    from snnlib.course import plots

    points = [{"n_steps": 10, "accuracy": 0.9}, {"n_steps": 20, "accuracy": 0.98}]
    fig = plots.accuracy_vs_steps(points, rate_accuracy=0.99, n_digits=100)
    bars = fig.axes[0].containers[0]  # the error bars
    low, high = bars.lines[1][0].get_data()[1][0], bars.lines[1][1].get_data()[1][0]
    assert high - low == pytest.approx(2 * 100 * np.sqrt(0.9 * 0.1 / 100))
    assert any("100 digits" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert _png(fig)
    sweeps = {
        "synapse": [{"synapse": None, "accuracy": 0.97}],
        "scale": [{"scale": 1, "accuracy": 0.97, "rate_accuracy": 0.98}],
        "probe_synapse": [{"probe_synapse": 0.1, "accuracy": 0.98}],
    }
    fig = plots.sweeps(sweeps, n_digits={"synapse": 300, "scale": 300, "probe_synapse": 1000})
    assert "300 digits" in fig.axes[0].get_title() and "1000 digits" in fig.axes[2].get_title()
    assert _png(fig)


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
    result = subprocess.run(
        [sys.executable, "-m", "snnlib.course.demo", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
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
    assert set(results["figures"]) >= {
        "accuracy_vs_n_steps.png",
        "learner_probes.png",
        "output_over_time.png",
    }
    assert "spiking, tutorial settings" in result.stdout
    assert "± standard error" in result.stdout
    assert "\r" not in result.stdout  # a pipe, not a terminal: one line per update
    # the weights by their place in the package, never by a path of this machine
    assert results["weights"] == "snnlib/course/data/mnist_tutorial_params.npz"
    assert results["weights_sha256"] == file_sha256(mnist.PRETRAINED_PATH)
    assert str(ROOT) not in (out / "results.json").read_text()


def test_demo_names_the_weights_it_was_given():
    from snnlib.course import demo

    assert (
        demo.weights_name(mnist.PRETRAINED_PATH) == "snnlib/course/data/mnist_tutorial_params.npz"
    )
    assert demo.weights_name(Path("runs/my.npz")) == "runs/my.npz"


def test_demo_prints_the_precomputed_curves(capsys, curves):
    from snnlib.course import demo

    demo.print_precomputed_curves(read_steps=(10, 30))
    out = capsys.readouterr().out
    accuracy, se = sweeps.run_accuracy(sweeps.find_run(curves, 0.01))
    assert f"{100 * accuracy[29]:.1f}±{100 * se[29]:.1f}" in out
    raw, raw_se = sweeps.run_accuracy(sweeps.find_run(curves, None), raw=True)
    assert f"{100 * raw[9]:.1f}±{100 * raw_se[9]:.1f}" in out.split("raw output")[1]
    assert "1,000 digits" in out and "seven" in out


def run_demo(*args):
    return subprocess.run(
        [sys.executable, "-m", "snnlib.course.demo", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_rejects_bad_options(tmp_path):
    result = run_demo("--train", "--params", "x.npz", "--output", tmp_path)
    assert result.returncode == 2 and "not both" in result.stderr
    result = run_demo("--params", tmp_path / "none.npz", "--output", tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "none.npz not found; make one with save_params(network, path) or train it first"
    )
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, kernel=np.zeros(3))
    result = run_demo("--params", wrong, "--output", tmp_path)
    assert result.returncode == 1 and "does not fit this network" in result.stderr
    assert "Traceback" not in result.stderr
