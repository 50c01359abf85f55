"""Neuron types against analytic results."""

import numpy as np
import pytest

import snnlib as snn


def simulate_population(neuron_type, J, n_steps, dt=0.001):
    """Run neurons with constant current J (one per neuron); return outputs (n_steps, n)."""
    J = np.asarray(J, dtype=float)
    state = neuron_type.make_state(J.shape)
    return np.array([neuron_type.step(dt, J, state) for _ in range(n_steps)])


@pytest.mark.parametrize("tau_rc, tau_ref", [(0.02, 0.002), (0.05, 0.001), (0.01, 0.0005)])
def test_lif_simulated_rate_matches_rates(tau_rc, tau_ref):
    lif = snn.LIF(tau_rc=tau_rc, tau_ref=tau_ref)
    J = np.linspace(1.2, 8, 12)
    dt, n_steps = 0.0001, 20000  # 2 s
    out = simulate_population(lif, J, n_steps, dt)
    simulated = out.sum(axis=0) * dt / (n_steps * dt)  # spikes (area 1 each) per second
    # within one spike over 2 s: sub-step spike timing keeps the rate exact
    np.testing.assert_allclose(simulated, lif.rates(J), atol=1 / (n_steps * dt))


def test_lif_rate_formula():
    lif = snn.LIF(tau_rc=0.02, tau_ref=0.002, amplitude=0.5)
    J = np.array([-1.0, 0.5, 1.0, 2.0, 10.0])
    expected = [
        0,
        0,
        0,
        0.5 / (0.002 + 0.02 * np.log(1 + 1 / 1.0)),
        0.5 / (0.002 + 0.02 * np.log(1 + 1 / 9.0)),
    ]
    np.testing.assert_allclose(lif.rates(J), expected)
    assert lif.rates(J.reshape(5, 1)).shape == (5, 1)


def test_lif_spike_height_and_first_spike_time():
    dt = 0.001
    lif = snn.LIF(amplitude=0.01)
    J = np.array([2.0])
    out = simulate_population(lif, J, 100, dt)
    assert set(np.unique(out)) == {0.0, 0.01 / dt}
    # v(t) = J (1 - exp(-t / tau_rc)) reaches 1 at t = -tau_rc log(1 - 1 / J)
    t_cross = -0.02 * np.log(1 - 1 / 2.0)
    first = np.argmax(out[:, 0] > 0)
    assert first == int(np.ceil(t_cross / dt)) - 1  # step k covers (k*dt, (k+1)*dt]


def test_lif_voltage_follows_exact_solution():
    lif = snn.LIF()
    state = lif.make_state((1,))
    J = np.array([0.8])  # below threshold: never spikes
    for k in range(1, 51):
        lif.step(0.001, J, state)
        np.testing.assert_allclose(state["voltage"], 0.8 * (1 - np.exp(-k * 0.001 / 0.02)))


def test_lif_refractory_period_holds_voltage_at_zero():
    lif = snn.LIF(tau_ref=0.005)
    state = lif.make_state((1,))
    J = np.array([50.0])
    out = [lif.step(0.001, J, state)[0] for _ in range(30)]
    spike_steps = np.flatnonzero(out)
    # with a huge current the interval between spikes is tau_ref plus a sliver
    assert np.all(np.diff(spike_steps) >= 5)
    assert np.all(np.diff(spike_steps) <= 6)


def test_lif_min_voltage():
    lif = snn.LIF(min_voltage=-0.5)
    state = lif.make_state((1,))
    for _ in range(500):
        lif.step(0.001, np.array([-10.0]), state)
    assert state["voltage"][0] == -0.5
    lif = snn.LIF()  # default floor is 0
    state = lif.make_state((1,))
    lif.step(0.001, np.array([-10.0]), state)
    assert state["voltage"][0] == 0


def test_spiking_relu_rate_and_spikes():
    dt = 0.001
    neuron = snn.SpikingRectifiedLinear(amplitude=0.1)
    J = np.array([-5.0, 0.0, 10.0, 250.0, 1500.0])
    out = simulate_population(neuron, J, 1000, dt)
    np.testing.assert_allclose(out.sum(axis=0) * dt, neuron.rates(J), atol=0.1)
    # more than one spike per step is allowed above 1/dt
    assert out[:, 4].max() == pytest.approx(0.1 / dt * 2)


def test_relu_and_lifrate_step_equal_rates():
    for neuron in (snn.RectifiedLinear(amplitude=2), snn.LIFRate(amplitude=0.01)):
        J = np.linspace(-2, 5, 20)
        np.testing.assert_allclose(neuron.step(0.001, J, {}), neuron.rates(J))


def test_gain_bias_tutorial_values():
    gain, bias = snn.gain_bias(snn.LIF(amplitude=0.01), max_rates=100, intercepts=0)
    assert gain == pytest.approx(2.0332447817, rel=1e-9)
    assert bias == pytest.approx(1.0)


@pytest.mark.parametrize(
    "neuron_type",
    [snn.LIF(), snn.LIFRate(tau_rc=0.05), snn.RectifiedLinear(), snn.SpikingRectifiedLinear()],
)
def test_gain_bias_meets_its_definition(neuron_type):
    max_rates = np.array([50.0, 100.0, 200.0])
    intercepts = np.array([-0.5, 0.0, 0.3])
    gain, bias = snn.gain_bias(neuron_type, max_rates, intercepts)
    np.testing.assert_allclose(neuron_type.rates(gain * 1 + bias), max_rates)
    # just below the intercept: silent; just above: firing
    assert np.all(neuron_type.rates(gain * (intercepts - 1e-6) + bias) == 0)
    assert np.all(neuron_type.rates(gain * (intercepts + 1e-2) + bias) > 0)


def test_softlif_approaches_lif_rate_and_its_derivative_is_right():
    J = np.linspace(-1, 6, 50)
    lif = snn.LIFRate(amplitude=0.01)
    soft = snn.SoftLIFRate(sigma=1e-4, amplitude=0.01)
    far = np.abs(J - 1) > 0.05
    np.testing.assert_allclose(soft.rates(J)[far], lif.rates(J)[far], rtol=1e-3, atol=1e-6)
    soft = snn.SoftLIFRate(sigma=0.5)
    h = 1e-6
    numeric = (soft.rates(J + h) - soft.rates(J - h)) / (2 * h)
    np.testing.assert_allclose(soft.derivative(J), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_softlif_derivative_matches_finite_differences_everywhere(sigma):
    """The derivative against central differences of the rate curve, in float64,
    at the training's smoothing (0.05) too: around threshold, where the slope
    changes fast, and far below it, where the rate falls only like
    1 / log(1 / j_s) and the slope is small but not 0."""
    soft = snn.SoftLIFRate(sigma=sigma, tau_rc=0.02, tau_ref=0.002, amplitude=0.01)
    J = np.concatenate([np.linspace(-4, 0.5, 19), np.linspace(0.6, 1.4, 33), [2, 5, 20]])
    h = 1e-6 * sigma
    numeric = (soft.rates(J + h) - soft.rates(J - h)) / (2 * h)
    assert np.all(numeric > 0)
    np.testing.assert_allclose(soft.derivative(J), numeric, rtol=1e-6)


def test_softlif_derivative_in_float32_matches_float64():
    """Training computes the derivative in float32: the same numbers to float32
    precision, down to where float32 runs out (z = (J - 1) / sigma below about
    -86: 1 / j_s overflows and the derivative is 0)."""
    sigma = 0.05
    soft = snn.SoftLIFRate(sigma=sigma, amplitude=0.01)
    J32 = np.linspace(1 - 85 * sigma, 30, 2001, dtype=np.float32)
    d32 = soft.derivative(J32)
    assert d32.dtype == np.float32 and soft.rates(J32).dtype == np.float64
    assert soft.step(1.0, J32, {}).dtype == np.float32
    np.testing.assert_allclose(d32, soft.derivative(J32.astype(np.float64)), rtol=2e-5)
    far_below = np.array([1 - 87 * sigma, 1 - 200 * sigma, -1e30], dtype=np.float32)
    assert np.all(soft.derivative(far_below) == 0)
    assert np.all(soft.derivative(far_below.astype(np.float64)[:2]) > 0)


def test_initial_state():
    lif = snn.LIF()
    state = lif.make_state((2, 3), initial_state={"voltage": 0.5})
    assert np.all(state["voltage"] == 0.5) and np.all(state["refractory_time"] == 0)
    with pytest.raises(ValueError, match="unknown state variable 'current'"):
        lif.make_state((3,), initial_state={"current": 1})


def lif_step_as_nengo_writes_it(lif, dt, J, state):
    """The LIF update on whole arrays, line for line as Nengo's reference
    simulator computes it. `LIF.step` handles the refractory and spiking
    neurons by their indices, to be faster; it must give the same numbers."""
    voltage, refractory_time = state["voltage"], state["refractory_time"]
    refractory_time -= dt
    delta_t = np.clip(dt - refractory_time, 0, dt)
    voltage -= (J - voltage) * np.expm1(-delta_t / lif.tau_rc)
    spiked = voltage > 1
    output = np.zeros_like(voltage)
    output[spiked] = lif.amplitude / dt
    t_spike = dt + lif.tau_rc * np.log1p(-(voltage[spiked] - 1) / (J[spiked] - 1))
    voltage[voltage < lif.min_voltage] = lif.min_voltage
    voltage[spiked] = 0
    refractory_time[spiked] = lif.tau_ref + t_spike
    return output


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "lif",
    [
        snn.LIF(amplitude=0.01),
        snn.LIF(tau_rc=0.05, tau_ref=0.0005, min_voltage=-0.5),
        snn.LIF(tau_ref=0.0, min_voltage=-np.inf, amplitude=2.0),
    ],
)
def test_lif_step_equals_the_whole_array_update_bit_for_bit(lif, dtype):
    """Many neurons, currents from far below threshold to fast firing, for
    200 steps: every output, voltage and refractory time is identical."""
    rng = np.random.default_rng(7)
    shape = (4, 500)
    ours = lif.make_state(shape, dtype=dtype)
    ours["voltage"][...] = rng.uniform(-1, 1, shape)
    theirs = {name: value.copy() for name, value in ours.items()}
    for step in range(200):
        J = rng.uniform(-3, 6, shape).astype(dtype)
        out = lif.step(0.001, J, ours)
        expected = lif_step_as_nengo_writes_it(lif, 0.001, J, theirs)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, expected, err_msg=f"step {step}")
        for name in lif.state_names:
            np.testing.assert_array_equal(ours[name], theirs[name], err_msg=f"{name}, step {step}")
    assert 0 < np.mean(out > 0) < 0.5  # some neurons spike, and not all
