"""Synapses against analytic responses."""

import numpy as np
import pytest

import snnlib as snn

DT = 0.001


def test_lowpass_step_response():
    tau = 0.02
    t = DT * np.arange(1, 201)
    y = snn.Lowpass(tau).filt(np.ones((200, 1)), DT)
    # zero-order hold is exact for a held input: y(t) = 1 - exp(-t / tau)
    np.testing.assert_allclose(y[:, 0], 1 - np.exp(-t / tau), rtol=1e-12)


def test_lowpass_discrete_update():
    tau = 0.01
    a = np.exp(-DT / tau)
    x = np.random.default_rng(0).normal(size=50)
    expected, y = [], 0.0
    for xk in x:  # y[k] = a y[k-1] + (1 - a) x[k]
        y = a * y + (1 - a) * xk
        expected.append(y)
    np.testing.assert_allclose(snn.Lowpass(tau).filt(x, DT), expected, rtol=1e-12, atol=1e-15)


def test_alpha_impulse_response():
    tau = 0.01
    n = 200
    impulse = np.zeros(n)
    impulse[0] = 1 / DT  # a pulse of unit area, held for the first step
    y = snn.Alpha(tau).filt(impulse, DT)

    # Zero-order hold is exact for inputs held over each step, so y[k] is the
    # continuous response at t = (k + 1) dt to that pulse: with the alpha step
    # response g(t) = 1 - (1 + t / tau) exp(-t / tau), y = (g(t) - g(t - dt)) / dt.
    def g(t):
        return 1 - (1 + t / tau) * np.exp(-t / tau)

    t = DT * np.arange(1, n + 1)
    np.testing.assert_allclose(y, (g(t) - g(t - DT)) / DT, rtol=1e-9, atol=1e-9)
    # which approaches the impulse response t exp(-t / tau) / tau^2, peaking at tau
    assert abs(t[np.argmax(y)] - tau) <= DT


def test_lowpass_impulse_response_has_area_one():
    impulse = np.zeros(2000)
    impulse[0] = 1 / DT
    y = snn.Lowpass(0.05).filt(impulse, DT)
    assert y.sum() * DT == pytest.approx(1.0, rel=1e-4)
    np.testing.assert_allclose(y[1:] / y[:-1], np.exp(-DT / 0.05))


def test_general_linear_filter_equals_lowpass():
    tau = 0.03
    x = np.random.default_rng(1).normal(size=(100, 3))
    np.testing.assert_allclose(
        snn.LinearFilter([1], [tau, 1]).filt(x, DT), snn.Lowpass(tau).filt(x, DT), rtol=1e-12
    )
    np.testing.assert_allclose(
        snn.LinearFilter([1], [tau**2, 2 * tau, 1]).filt(x, DT),
        snn.Alpha(tau).filt(x, DT),
        rtol=1e-12,
    )


def test_filter_with_passthrough():
    # H(s) = (s + 2) / (s + 1) = 1 + 1 / (s + 1): passthrough 1 plus a lowpass(1)
    x = np.random.default_rng(2).normal(size=100)
    y = snn.LinearFilter([1, 2], [1, 1]).filt(x, DT)
    a = np.exp(-DT)
    lowpass = np.zeros_like(x)
    state = 0.0
    for k, xk in enumerate(x):  # y[k] = x[k] + C x[k] with x[k+1] = a x[k] + b u[k]
        lowpass[k] = state
        state = a * state + (1 - a) * xk
    np.testing.assert_allclose(y, x + lowpass, rtol=1e-9, atol=1e-12)


def test_filt_axis_for_probe_data():
    data = np.random.default_rng(3).normal(size=(4, 30, 5))  # (batch, steps, units)
    by_item = np.stack([snn.Lowpass(0.01).filt(item, DT) for item in data])
    np.testing.assert_allclose(snn.Lowpass(0.01).filt(data, DT, axis=1), by_item)


def test_bare_number_means_lowpass():
    with snn.Network(default_synapse=0.01) as net:
        pass
    assert isinstance(net.default_synapse, snn.Lowpass) and net.default_synapse.tau == 0.01


@pytest.mark.parametrize(
    "zero", [snn.Lowpass(0), snn.Alpha(0), snn.synapses.as_synapse(0)], ids=repr
)
def test_zero_time_constant_does_not_smooth(zero):
    # H(s) = 1 when tau = 0: no state, the output is the input (the one step of
    # delay in a simulation comes from the simulator, not the filter)
    A, B, C, D = zero.discretize(DT)
    assert A.shape == (0, 0) and D.item() == 1.0
    x = np.random.default_rng(0).normal(size=(50, 3))
    np.testing.assert_array_equal(zero.filt(x, DT), x)


def test_small_time_constants_approach_zero():
    # Lowpass(tau) -> Lowpass(0) as tau -> 0: the step response at the first step
    # is 1 - exp(-dt / tau), which reaches 1 to double precision for tau << dt
    x = np.ones(5)
    for tau in (1e-3, 1e-4, 1e-5):
        np.testing.assert_allclose(
            snn.Lowpass(tau).filt(x, DT)[0], -np.expm1(-DT / tau), rtol=1e-12
        )
    np.testing.assert_array_equal(snn.Lowpass(1e-6).filt(x, DT), snn.Lowpass(0).filt(x, DT))


def test_expm_against_closed_form():
    from snnlib.synapses import _expm

    M = np.array([[-3.0, 1.0], [0.0, -3.0]])  # a defective matrix, as an alpha filter has
    expected = np.exp(-3.0) * np.array([[1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(_expm(M), expected, rtol=1e-13)
