"""Lecture 03, LIF neurons: the voltage over time, rate curves, gain and bias."""

import numpy as np

from snnlib.course.widgets.common import DT, _aligned, _axes_of, _show
from snnlib.network import Connection, Network, Neurons, Node, Probe
from snnlib.neurons import LIF, SpikingRectifiedLinear, gain_bias
from snnlib.simulator import Simulator

# --- lecture 03: LIF neurons ------------------------------------------------------


def compute_lif_demo(
    J=2.0, tau_rc=0.02, tau_ref=0.002, amplitude=1.0, dt=DT, t_end=0.1, t_rate=1.0
):
    """Drive one LIF neuron with a constant current ``J`` and record its voltage.

    The neuron is stepped with `LIF.step`, exactly as the simulator does.

    Parameters
    ----------
    J : float
        Input current (dimensionless; the neuron fires when ``J > 1``).
    tau_rc, tau_ref : float
        Membrane time constant and refractory period, in seconds.
    amplitude : float
        Area of each spike; the output in a spiking step is ``amplitude / dt``.
    t_end : float
        Length of the returned traces, in seconds.
    t_rate : float
        Length of the run used to measure the firing rate, in seconds.

    Returns
    -------
    dict
        ``t``, ``voltage``, ``output`` (each (n,), over ``t_end``); ``spike_times``
        (s, over ``t_rate``); ``rate_hz`` measured (spikes per second, from the
        intervals between spikes); ``rate_hz_theory`` = ``rates(J) / amplitude``;
        ``rate_output`` = ``amplitude * rate_hz``, the neuron's mean output;
        ``spike_height`` = ``amplitude / dt``.
    """
    neuron = LIF(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude)
    n_show = int(round(t_end / dt))
    n_total = max(n_show, int(round(t_rate / dt)))
    state = neuron.make_state((1,))
    current = np.array([float(J)])
    voltage, output = np.empty(n_total), np.empty(n_total)
    for k in range(n_total):
        output[k] = neuron.step(dt, current, state)[0]
        voltage[k] = state["voltage"][0]
    t = dt * np.arange(1, n_total + 1)
    spike_times = t[output > 0]
    if len(spike_times) >= 2:
        rate_hz = (len(spike_times) - 1) / (spike_times[-1] - spike_times[0])
    else:
        rate_hz = len(spike_times) / t[-1]
    rate_theory = float(neuron.rates(current)[0]) / amplitude
    return {
        "t": t[:n_show],
        "voltage": voltage[:n_show],
        "output": output[:n_show],
        "spike_times": spike_times,
        "rate_hz": float(rate_hz),
        "rate_hz_theory": rate_theory,
        "rate_output": amplitude * float(rate_hz),
        "spike_height": amplitude / dt,
        "J": float(J),
        "neuron": neuron,
        "dt": dt,
    }


def compute_rate_curve(
    neuron_type,
    J=np.linspace(0, 5, 101),
    J_sim=np.arange(0.5, 5.01, 0.5),
    gain=1.0,
    t_run=1.0,
    dt=DT,
):
    """``rates(gain * J)`` for a neuron type, and rates measured by simulating it.

    The simulated neurons are one batch of a `Simulator` run (input node ->
    neurons with this ``gain``, no synapse), one neuron per value in ``J_sim``;
    their measured rate is the spike count divided by ``t_run``.

    Returns
    -------
    dict
        ``J``, ``rates`` (the curve), ``J_sim``, ``rates_sim`` (measured), all
        rates in output units (Hz times ``amplitude``).
    """
    J, J_sim = np.asarray(J, float), np.asarray(J_sim, float)
    with Network(default_synapse=None) as net:
        inp = Node(np.zeros(len(J_sim)))
        ens = Neurons(len(J_sim), neuron_type, gain=gain)
        Connection(inp, ens)
        probe = Probe(ens)
    sim = Simulator(net, dt=dt, dtype=np.float64)
    out = sim.run(t_run, inputs={inp: J_sim[None]})[probe][0]  # (n_steps, n)
    # each spike is amplitude / dt high: sum * dt is amplitude times the count
    rates_sim = out.sum(axis=0) * dt / (sim.n_steps * dt)
    return {
        "J": J,
        "rates": neuron_type.rates(gain * J),
        "J_sim": J_sim,
        "rates_sim": rates_sim,
        "neuron_type": neuron_type,
        "gain": gain,
    }


def compute_relu_vs_lif(
    J=np.linspace(-1, 5, 241), J_sim=np.arange(0.5, 5.01, 0.5), relu_gain=50.0, t_run=1.0
):
    """Rate curves (Hz, amplitude 1) of LIF and of a (spiking) rectified linear
    neuron with gain ``relu_gain``, each with simulated points."""
    return {
        "LIF": compute_rate_curve(LIF(), J, J_sim, t_run=t_run),
        f"SpikingRectifiedLinear (gain {relu_gain:g})": compute_rate_curve(
            SpikingRectifiedLinear(), J, J_sim, gain=relu_gain, t_run=t_run
        ),
    }


def draw_rate_curves(curves, fig=None):
    """Each curve of ``{name: compute_rate_curve(...)}`` with its simulated points."""
    fig, (ax,) = _axes_of(fig, 1, (6, 3.4))
    for i, (name, c) in enumerate(curves.items()):
        ax.plot(c["J"], c["rates"], color=f"C{i}", label=f"{name}: rates(J)")
        ax.plot(c["J_sim"], c["rates_sim"], "o", color=f"C{i}", ms=4, label=f"{name}: simulated")
    ax.axvline(1, color="gray", ls=":", lw=1)
    ax.set_xlabel("input current J (dimensionless)")
    ax.set_ylabel("firing rate (Hz, amplitude 1)")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def draw_lif_demo(result, fig=None):
    """Voltage, output spikes, and the rate curve with this neuron's point on it."""
    fig, (ax_v, ax_s, ax_r) = _axes_of(fig, 3, (11, 3.2))
    t_ms = result["t"] * 1000
    ax_v.plot(t_ms, result["voltage"], lw=1.2)
    spiked = result["output"] > 0
    ax_v.plot(t_ms[spiked], np.ones(spiked.sum()), "v", color="C3", ms=5, label="spike")
    ax_v.axhline(1, color="r", ls="--", lw=1, label="threshold 1")
    ax_v.axhline(result["J"], color="gray", ls=":", lw=1, label=f"J = {result['J']:.2f}")
    ax_v.set_xlabel("time (ms)")
    ax_v.set_ylabel("voltage v (dimensionless)")
    ax_v.set_title("membrane voltage")
    ax_v.legend(fontsize=8, loc="lower right")

    ax_s.plot(t_ms, result["output"], lw=1)
    ax_s.set_xlabel("time (ms)")
    ax_s.set_ylabel("output (amplitude / dt per spike)")
    ax_s.set_title(f"spikes of height {result['spike_height']:.3g}")

    neuron, J = result["neuron"], result["J"]
    J_axis = np.linspace(0, max(5, 1.2 * J), 200)
    ax_r.plot(J_axis, neuron.rates(J_axis) / neuron.amplitude, label="rates(J) / amplitude")
    ax_r.plot(
        [J], [result["rate_hz"]], "o", color="C3", label=f"simulated: {result['rate_hz']:.1f} Hz"
    )
    ax_r.set_xlabel("input current J (dimensionless)")
    ax_r.set_ylabel("firing rate (Hz)")
    ax_r.set_title(
        f"theory {result['rate_hz_theory']:.1f} Hz; mean output {result['rate_output']:.3g}"
    )
    ax_r.legend(fontsize=8, loc="upper left")
    return fig


def lif_explorer():
    """Sliders: input current, tau_rc, tau_ref, amplitude."""
    import ipywidgets as w

    def update(J=2.0, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
        _show(draw_lif_demo(compute_lif_demo(J, tau_rc, tau_ref, amplitude)))

    return w.interactive(
        update,
        **_aligned(
            J=w.FloatSlider(value=2.0, min=0.0, max=10.0, step=0.1, description="J"),
            tau_rc=w.FloatSlider(
                value=0.02,
                min=0.002,
                max=0.1,
                step=0.002,
                readout_format=".3f",
                description="tau_rc (s)",
            ),
            tau_ref=w.FloatSlider(
                value=0.002,
                min=0.0,
                max=0.01,
                step=0.001,
                readout_format=".3f",
                description="tau_ref (s)",
            ),
            amplitude=w.FloatLogSlider(
                value=1.0, base=10, min=-3, max=0, step=1, description="amplitude"
            ),
        ),
    )


def compute_tuning(
    max_rates=100.0, intercepts=0.0, tau_rc=0.02, tau_ref=0.002, x=np.linspace(-1, 1.5, 251)
):
    """Nengo's gain and bias for an LIF neuron, and its rate against its input ``x``.

    Returns
    -------
    dict
        ``gain``, ``bias``; ``x``; ``rate_hz`` = ``rates(gain * x + bias)`` for
        ``amplitude = 1`` (spikes per second); ``J`` = ``gain * x + bias``.
    """
    neuron = LIF(tau_rc=tau_rc, tau_ref=tau_ref)
    gain, bias = gain_bias(neuron, max_rates, intercepts)
    x = np.asarray(x, float)
    J = gain * x + bias
    return {
        "gain": gain,
        "bias": bias,
        "x": x,
        "J": J,
        "rate_hz": neuron.rates(J),
        "max_rates": max_rates,
        "intercepts": intercepts,
    }


def draw_tuning(result, fig=None):
    """Rate against input, with the intercept and the rate at x = 1 marked."""
    fig, (ax,) = _axes_of(fig, 1, (6, 3.4))
    ax.plot(result["x"], result["rate_hz"])
    ax.axvline(
        result["intercepts"], color="gray", ls=":", label=f"intercept {result['intercepts']}"
    )
    ax.plot(
        [1], [result["max_rates"]], "o", color="C3", label=f"rate {result['max_rates']} Hz at x = 1"
    )
    ax.set_xlabel("input x (what the connection delivers)")
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title(f"J = gain * x + bias, gain = {result['gain']:.4f}, bias = {result['bias']:.4f}")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def tuning_explorer():
    """Sliders: max_rates and intercepts -> gain, bias and the rate curve."""
    import ipywidgets as w

    def update(max_rates=100.0, intercepts=0.0):
        _show(draw_tuning(compute_tuning(max_rates, intercepts)))

    return w.interactive(
        update,
        **_aligned(
            max_rates=w.FloatSlider(value=100, min=10, max=400, step=10, description="max_rates"),
            intercepts=w.FloatSlider(
                value=0.0, min=-0.9, max=0.9, step=0.1, description="intercepts"
            ),
        ),
    )
