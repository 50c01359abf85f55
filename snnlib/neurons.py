"""Neuron types: what turns an input current ``J`` into an output.

Every neuron type here computes the same numbers as Nengo's reference simulator
(``nengo.neurons``), so what you learn here carries over to Nengo and NengoDL.

A neuron type does three jobs:

- ``rates(J)``: the steady-state output (spikes per second, times ``amplitude``)
  for a constant current ``J``;
- ``step(dt, J, state)``: advance one time step of length ``dt`` seconds and
  return the output of that step;
- ``gain_bias(max_rates, intercepts)``: the gain and bias that give a neuron the
  chosen maximum rate (at input 1) and intercept (the input where it starts to fire).

Spiking types output ``amplitude / dt`` in a step where a neuron spikes and 0
otherwise, so that a spike's *area* (height times ``dt``) is ``amplitude``.
"""

import numpy as np

from ._checks import as_finite_array, check_number


class NeuronType:
    """Base class of all neuron types.

    Parameters
    ----------
    amplitude : float
        Scale of the output (for spiking types, each spike has area ``amplitude``).
    """

    spiking = False
    state_names = ()  # the variables a neuron keeps from one step to the next

    def __init__(self, amplitude=1.0):
        self.amplitude = check_number(
            type(self).__name__, "amplitude", amplitude, low=0, low_open=True
        )

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self):
        return {"amplitude": self.amplitude}

    def _current(self, J):
        return as_finite_array(type(self).__name__, "J (input current)", J)

    def rates(self, J):
        """Steady-state output for a constant input current ``J`` (same shape as ``J``)."""
        raise NotImplementedError

    def gain_bias(self, max_rates, intercepts):
        """Gain and bias so that ``rates(gain * x + bias)`` starts at
        ``x = intercepts`` and reaches ``max_rates`` at ``x = 1``."""
        raise NotImplementedError

    def make_state(self, shape, dtype=np.float64, initial_state=None):
        """The state variables at rest (all zeros), as a dict of arrays of ``shape``.

        ``initial_state`` maps a state name to a value (or array) to start from.
        """
        state = {name: np.zeros(shape, dtype=dtype) for name in self.state_names}
        for name, value in (initial_state or {}).items():
            if name not in state:
                raise ValueError(
                    f"{type(self).__name__}: unknown state variable {name!r}; "
                    f"its state variables are {list(self.state_names)}"
                )
            value = as_finite_array(type(self).__name__, f"initial {name}", value)
            try:
                state[name][...] = value
            except ValueError:
                raise ValueError(
                    f"{type(self).__name__}: initial {name} has shape {value.shape}, "
                    f"which does not fit the state's shape {shape}"
                ) from None
        return state

    def step(self, dt, J, state):
        """Advance ``state`` in place by ``dt`` seconds; return this step's output."""
        return self.rates(J)


class RectifiedLinear(NeuronType):
    """A rectified linear unit (ReLU): ``output = amplitude * max(J, 0)``."""

    def rates(self, J):
        J = self._current(J)
        return self.amplitude * np.maximum(J, 0.0)

    def step(self, dt, J, state):
        return self.amplitude * np.maximum(J, 0.0)  # amplitude * max(J, 0)

    def derivative(self, J):
        """d(rates)/dJ: ``amplitude`` where ``J > 0``, else 0."""
        return self.amplitude * (np.asarray(J) > 0)

    def gain_bias(self, max_rates, intercepts):
        """Shift and scale the line: ``gain = max_rates / (1 - intercepts)``,
        ``bias = -intercepts * gain``."""
        max_rates, intercepts = _rates_and_intercepts(self, max_rates, intercepts)
        gain = max_rates / (1 - intercepts)
        bias = -intercepts * gain
        return gain, bias


class SpikingRectifiedLinear(RectifiedLinear):
    """A spiking rectified linear neuron: an integrator with no leak.

    The voltage integrates the rectified current; each time it passes 1 the
    neuron spikes and the voltage drops by 1::

        v <- v + dt * max(J, 0)
        n_spikes = floor(v);   v <- v - n_spikes
        output = n_spikes * amplitude / dt

    Its rate is ``amplitude * max(J, 0)``, the same as `RectifiedLinear`.
    """

    spiking = True
    state_names = ("voltage",)

    def step(self, dt, J, state):
        voltage = state["voltage"]
        voltage += np.maximum(J, 0) * dt  # v <- v + dt * max(J, 0)
        n_spikes = np.floor(voltage)  # one spike for each whole unit of v
        voltage -= n_spikes
        return (self.amplitude / dt) * n_spikes


class LIFRate(NeuronType):
    """The rate (non-spiking) leaky integrate-and-fire neuron.

    Its output is the firing rate of a `LIF` neuron driven by a constant current::

        rate(J) = amplitude / (tau_ref + tau_rc * log(1 + 1 / (J - 1)))   if J > 1
        rate(J) = 0                                                       otherwise

    Parameters
    ----------
    tau_rc : float
        Membrane time constant, in seconds (> 0).
    tau_ref : float
        Absolute refractory period, in seconds (>= 0).
    amplitude : float
        Scale of the output.
    """

    def __init__(self, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
        super().__init__(amplitude)
        name = type(self).__name__
        self.tau_rc = check_number(name, "tau_rc", tau_rc, low=0, low_open=True)
        self.tau_ref = check_number(name, "tau_ref", tau_ref, low=0)

    def _params(self):
        return {"tau_rc": self.tau_rc, "tau_ref": self.tau_ref, "amplitude": self.amplitude}

    def rates(self, J):
        J = self._current(J)
        return LIFRate.step(self, 1.0, J, {})

    def step(self, dt, J, state):
        j = J - 1
        out = np.zeros_like(j)
        firing = j > 0
        # the time between spikes is tau_ref plus the time for v to climb from 0 to 1
        out[firing] = self.amplitude / (self.tau_ref + self.tau_rc * np.log1p(1 / j[firing]))
        return out

    def gain_bias(self, max_rates, intercepts):
        """Nengo's gain and bias for LIF neurons.

        Solve ``rate(gain * 1 + bias) = max_rates`` and ``gain * intercepts + bias = 1``
        (the current where firing starts): with
        ``x = 1 / (1 - exp((tau_ref - 1 / max_rates) / tau_rc))``, the current at
        ``max_rates``, ``gain = (1 - x) / (intercepts - 1)`` and
        ``bias = 1 - gain * intercepts``.
        """
        max_rates, intercepts = _rates_and_intercepts(self, max_rates, intercepts)
        if self.tau_ref > 0 and np.any(max_rates >= 1 / self.tau_ref):
            raise ValueError(
                f"{self!r}: max_rates {_show(max_rates)} cannot be reached; a neuron "
                f"with tau_ref={self.tau_ref} fires below 1 / tau_ref = "
                f"{1 / self.tau_ref:.3f} Hz"
            )
        x = 1.0 / (1 - np.exp((self.tau_ref - 1.0 / max_rates) / self.tau_rc))
        gain = (1 - x) / (intercepts - 1.0)
        bias = 1 - gain * intercepts
        return gain, bias


class LIF(LIFRate):
    """The spiking leaky integrate-and-fire neuron, updated exactly as Nengo does.

    Between spikes the membrane voltage ``v`` follows ``tau_rc dv/dt = J - v``.
    With ``J`` constant over a step, the exact solution over a time ``t`` is::

        v(t) = v(0) + (J - v(0)) * (1 - exp(-t / tau_rc))

    When ``v`` passes 1 the neuron spikes (output ``amplitude / dt`` in that step),
    ``v`` is reset to 0 and held there for ``tau_ref`` seconds, counted from the
    moment within the step when ``v`` crossed 1 (sub-step spike timing). This
    makes simulated rates equal `rates` whenever ``tau_ref >= dt``; with a
    shorter ``tau_ref`` the rest of the spiking step is lost, as in Nengo.

    Parameters
    ----------
    tau_rc : float
        Membrane time constant, in seconds (> 0).
    tau_ref : float
        Absolute refractory period, in seconds (>= 0).
    min_voltage : float
        Lowest voltage allowed (<= 0); ``-np.inf`` means no floor.
    amplitude : float
        Area of each spike; the output in a spiking step is ``amplitude / dt``.
    """

    spiking = True
    state_names = ("voltage", "refractory_time")

    def __init__(self, tau_rc=0.02, tau_ref=0.002, min_voltage=0.0, amplitude=1.0):
        super().__init__(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
        if min_voltage != -np.inf:
            min_voltage = check_number("LIF", "min_voltage", min_voltage, high=0)
        self.min_voltage = min_voltage

    def _params(self):
        return {**super()._params(), "min_voltage": self.min_voltage}

    def step(self, dt, J, state):
        voltage, refractory_time = state["voltage"], state["refractory_time"]
        tau_rc = self.tau_rc

        refractory_time -= dt
        # A neuron integrates for the part of this step it is not refractory,
        # delta_t = clip(dt - refractory_time, 0, dt): all of dt, except for the
        # few neurons still refractory (refractory_time > 0). Spikes and refractory
        # neurons are few, so they are handled by their (flat) indices; the numbers
        # are those of the whole-array update Nengo writes (tests/test_neurons.py).
        refractory = np.flatnonzero(refractory_time > 0)
        v_ref, J_ref = np.take(voltage, refractory), np.take(J, refractory)
        delta_t = np.clip(dt - np.take(refractory_time, refractory), 0, dt)

        # v(t) = v(0) + (J - v(0)) * (1 - exp(-t / tau_rc)), first with t = dt for
        # every neuron (one exp for all), then with t = delta_t for the refractory ones
        voltage -= (J - voltage) * np.expm1(-np.asarray(dt, voltage.dtype) / tau_rc)
        np.put(voltage, refractory, v_ref - (J_ref - v_ref) * np.expm1(-delta_t / tau_rc))

        spiked = np.flatnonzero(voltage > 1)
        output = np.zeros_like(voltage)
        np.put(output, spiked, self.amplitude / dt)

        # set v = 1 in the equation above and solve for the time since the
        # crossing, -tau_rc * log(1 - (v - 1) / (J - 1)); so the crossing happened
        # at t_spike = dt + tau_rc * log(...) from the start of this step (0 to dt).
        # Refractoriness counts from there: tau_ref + t_spike, less the next dt
        v_spiked, J_spiked = np.take(voltage, spiked), np.take(J, spiked)
        t_spike = dt + tau_rc * np.log1p(-(v_spiked - 1) / (J_spiked - 1))

        if self.min_voltage > -np.inf:
            np.maximum(voltage, self.min_voltage, out=voltage)
        np.put(voltage, spiked, 0)
        np.put(refractory_time, spiked, self.tau_ref + t_spike)
        return output


class SoftLIFRate(LIFRate):
    """A smoothed LIF rate curve, used for gradients when training (as NengoDL does).

    The hard LIF rate has an infinite slope where firing starts (``J = 1``).
    Replacing ``j = J - 1`` by a softplus, ``j_s = sigma * log(1 + exp(j / sigma))``,
    rounds that corner off::

        rate(J) = amplitude / (tau_ref + tau_rc * log(1 + 1 / j_s))

    It tends to `LIFRate` as ``sigma`` goes to 0.

    Parameters
    ----------
    sigma : float
        Smoothing width, in units of current (> 0).
    """

    def __init__(self, sigma=1.0, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
        super().__init__(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
        self.sigma = check_number("SoftLIFRate", "sigma", sigma, low=0, low_open=True)

    def _params(self):
        return {"sigma": self.sigma, **super()._params()}

    def _softplus(self, J):
        """``z = (J - 1) / sigma``, ``e = exp(-|z|)`` and the smoothed current
        ``j_s = sigma * log(1 + exp(z))``, in ``J``'s float type (float32 stays float32)."""
        z = (_float_array(J) - 1) / self.sigma
        e = np.exp(-np.abs(z))  # in (0, 1]: it never overflows
        # softplus, written to avoid overflow: log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
        j_s = self.sigma * (np.maximum(z, 0) + np.log1p(e))
        return z, e, j_s

    def rates(self, J):
        J = self._current(J)
        return self.step(1.0, J, {})

    def step(self, dt, J, state):
        _, _, j_s = self._softplus(J)
        # far below threshold j_s is 0 (or so small that 1 / j_s overflows): rate 0
        with np.errstate(divide="ignore", over="ignore"):
            return self.amplitude / (self.tau_ref + self.tau_rc * np.log1p(1 / j_s))

    def derivative(self, J):
        """d(rate)/dJ, by the chain rule through ``j_s``, with ``z = (J - 1) / sigma``::

            d rate / d j_s = amplitude * tau_rc / (j_s (j_s + 1) period^2),
                             period = tau_ref + tau_rc * log(1 + 1 / j_s)
            d j_s / d J    = sigmoid(z) = 1 / (1 + exp(-z))

        computed in ``J``'s float type (training uses float32, about twice as
        fast as float64). Far below threshold, where ``1 / j_s`` overflows
        (``z`` below about -86 in float32, -700 in float64), it is 0.
        """
        z, e, j_s = self._softplus(J)
        # the sigmoid from the same e = exp(-|z|), without overflow:
        # 1 / (1 + e) where z >= 0, and e / (1 + e) where z < 0
        sigmoid = np.where(z >= 0, 1, e) / (1 + e)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            # log(1 + x) rather than log1p(x): x = 1 / j_s is not small where it
            # matters, and numpy computes log several times faster than log1p
            period = self.tau_ref + self.tau_rc * np.log(1 + 1 / j_s)
            d_rate = self.amplitude * self.tau_rc / (j_s * (j_s + 1) * period**2)
        return np.where(j_s > 0, d_rate * sigmoid, 0)


def _float_array(J):
    """``J`` as an array of floats: float32 and float64 arrays stay as they are."""
    J = np.asarray(J)
    return J if np.issubdtype(J.dtype, np.floating) else J.astype(np.float64)


def _show(values):
    values = np.asarray(values)
    return values.item() if values.size == 1 else values


def _rates_and_intercepts(neuron_type, max_rates, intercepts):
    name = repr(neuron_type)
    max_rates = np.atleast_1d(as_finite_array(name, "max_rates", max_rates))
    intercepts = np.atleast_1d(as_finite_array(name, "intercepts", intercepts))
    if np.any(max_rates <= 0):
        raise ValueError(f"{name}: max_rates must be > 0 Hz, got {_show(max_rates)}")
    if np.any(intercepts >= 1):
        raise ValueError(
            f"{name}: intercepts must be < 1 (the input where the maximum rate is "
            f"reached), got {_show(intercepts)}"
        )
    return max_rates, intercepts


def gain_bias(neuron_type, max_rates, intercepts):
    """Gain and bias for neurons of ``neuron_type`` (Nengo's formulas).

    Parameters
    ----------
    neuron_type : NeuronType
    max_rates : float or array
        Output rate, in Hz, at input ``x = 1``.
    intercepts : float or array
        Input ``x`` at which firing starts (< 1).

    Returns
    -------
    gain, bias : arrays
        For ``LIF(amplitude=0.01)`` with ``max_rates=100, intercepts=0``, the
        tutorial's setting, ``gain = 2.0332`` and ``bias = 1``.
    """
    if not isinstance(neuron_type, NeuronType):
        raise TypeError(f"gain_bias: neuron_type must be a NeuronType, got {neuron_type!r}")
    gain, bias = neuron_type.gain_bias(max_rates, intercepts)
    if gain.size == 1:
        return gain.item(), bias.item()
    return gain, bias
