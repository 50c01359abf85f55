"""Lecture 04, synapses: impulse responses, filtering on a probe against on a
connection, and the one-step delay of a filter (even of 0) against None."""

import numbers

import numpy as np

from snnlib.course.widgets.common import DT, SYNAPSE_KINDS, _aligned, _axes_of, _show, new_figure
from snnlib.network import Connection, Network, Neurons, Node, Probe
from snnlib.neurons import LIF, gain_bias
from snnlib.simulator import Simulator
from snnlib.synapses import Alpha, Lowpass

# --- lecture 04: synapses -------------------------------------------------------------


def make_synapse(kind, tau):
    """``"Lowpass"``, ``"Alpha"`` or ``"None"`` with time constant ``tau`` (s)."""
    if kind in (None, "None"):
        return None
    if kind == "Lowpass":
        return Lowpass(tau)
    if kind == "Alpha":
        return Alpha(tau)
    raise ValueError(f"synapse kind must be one of {SYNAPSE_KINDS}, got {kind!r}")


def compute_impulse_response(kind="Lowpass", tau=0.01, dt=DT, t_end=0.1):
    """Filter a spike of area 1 (height ``1 / dt`` for the first step).

    Returns
    -------
    dict
        ``t`` (s, from ``dt``), ``y`` the discrete response (what `filt` gives),
        ``t_fine`` and ``h`` the continuous impulse response (1/s);
        ``area`` = ``sum(y) * dt``.
    """
    n = int(round(t_end / dt))
    spike = np.zeros(n)
    spike[0] = 1 / dt
    t = dt * np.arange(1, n + 1)
    t_fine = np.linspace(0, t_end, 400)
    synapse = make_synapse(kind, tau)
    if synapse is None:
        y, h = spike.copy(), np.zeros_like(t_fine)
    else:
        y = synapse.filt(spike, dt)
        if kind == "Lowpass":
            h = np.exp(-t_fine / tau) / tau
        else:
            h = t_fine * np.exp(-t_fine / tau) / tau**2
    return {
        "t": t,
        "y": y,
        "t_fine": t_fine,
        "h": h,
        "area": float(y.sum() * dt),
        "kind": kind,
        "tau": tau,
    }


def draw_impulse_response(result, fig=None):
    fig, (ax,) = _axes_of(fig, 1, (6, 3.2))
    ax.plot(result["t"] * 1000, result["y"], ".", ms=4, label="discrete (filt), dt steps")
    if result["kind"] != "None":
        ax.plot(result["t_fine"] * 1000, result["h"], "-", lw=1, label="h(t), continuous")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("response (1/s)")
    ax.set_title(
        f"{result['kind']}, tau = {result['tau'] * 1000:.0f} ms: area {result['area']:.3f}"
    )
    ax.legend(fontsize=8)
    return fig


def impulse_explorer():
    import ipywidgets as w

    def update(kind="Lowpass", tau=0.01):
        _show(draw_impulse_response(compute_impulse_response(kind, tau)))

    return w.interactive(
        update,
        **_aligned(
            kind=w.Dropdown(options=list(SYNAPSE_KINDS), value="Lowpass", description="synapse"),
            tau=w.FloatSlider(
                value=0.01,
                min=0.002,
                max=0.05,
                step=0.002,
                readout_format=".3f",
                description="tau (s)",
            ),
        ),
    )


def compute_synapse_demo(kind="Lowpass", tau=0.01, x=0.5, n_steps=300, dt=DT):
    """One spiking neuron ``pre`` (the tutorial's LIF(amplitude=0.01), gain/bias for
    100 Hz, 0 intercept) drives two identical neurons:

    - ``post_probe``: connected with ``synapse=None``; the synapse sits on a
      probe of ``pre`` instead, where it smooths the record only;
    - ``post_conn``: connected through the synapse (via a pass-through node,
      so that what the connection delivers can be probed).

    Parameters
    ----------
    kind : "Lowpass", "Alpha" or "None"
    tau : float
        Synapse time constant, in seconds.
    x : float
        Constant input to ``pre`` (it fires at ``rates(gain * x + bias)``).

    Returns
    -------
    dict
        Arrays (n_steps,): ``t``; ``pre`` raw spikes; ``pre_probe`` the filtered
        probe of ``pre``; ``delivered`` what the filtered connection delivers;
        ``post_probe``, ``post_conn`` the two neurons' spikes. Counts
        ``n_post_probe``, ``n_post_conn``.
    """
    synapse = make_synapse(kind, tau)
    neuron_type = LIF(amplitude=0.01)
    gain, bias = gain_bias(neuron_type, max_rates=100, intercepts=0)
    with Network(default_synapse=None) as net:
        stim = Node([float(x)])
        pre = Neurons(1, neuron_type, gain=gain, bias=bias, label="pre")
        Connection(stim, pre)
        post_probe = Neurons(1, neuron_type, gain=gain, bias=bias, label="post_probe")
        Connection(pre, post_probe, synapse=None)
        delivered = Node(size_in=1, label="delivered")
        Connection(pre, delivered, synapse=synapse)
        post_conn = Neurons(1, neuron_type, gain=gain, bias=bias, label="post_conn")
        Connection(delivered, post_conn, synapse=None)
        probes = {
            "pre": Probe(pre),
            "pre_probe": Probe(pre, synapse=synapse),
            "delivered": Probe(delivered),
            "post_probe": Probe(post_probe),
            "post_conn": Probe(post_conn),
        }
    sim = Simulator(net, dt=dt, dtype=np.float64)
    data = sim.run_steps(int(n_steps))
    result = {name: data[p][0, :, 0] for name, p in probes.items()}
    result.update(
        t=sim.trange(),
        kind=kind,
        tau=tau,
        dt=dt,
        x=x,
        spike_height=neuron_type.amplitude / dt,
        n_pre=int((result["pre"] > 0).sum()),
        n_post_probe=int((result["post_probe"] > 0).sum()),
        n_post_conn=int((result["post_conn"] > 0).sum()),
    )
    return result


def draw_synapse_demo(result, fig=None):
    """Left column: synapse on a probe. Right column: the same synapse on the connection."""
    if fig is None:
        fig, axes = new_figure(2, 2, figsize=(11, 5.2), sharex=True)
    else:
        fig.clear()
        axes = fig.subplots(2, 2, sharex=True)
    t_ms = result["t"] * 1000
    height = result["spike_height"]
    syn = "None" if result["kind"] == "None" else f"{result['kind']}({result['tau'] * 1000:.0f} ms)"

    filtered_max = max(result["pre_probe"].max(), result["delivered"].max())
    top = height * 1.05 if result["kind"] == "None" else max(2.5 * filtered_max, 0.1)
    mean = result["n_pre"] * 0.01 / result["t"][-1]  # amplitude times the rate
    for ax in axes[0]:
        ax.vlines(
            t_ms[result["pre"] > 0],
            0,
            height,
            color="0.75",
            lw=1,
            label=f"pre spikes ({height:.0f} high" + (")" if top > height else ", cut off)"),
        )
        ax.axhline(mean, color="k", ls=":", lw=1, label=f"amplitude x rate = {mean:.2f}")
        ax.set_ylabel("value (output units)")
        ax.set_ylim(0, top)
    axes[0, 0].plot(
        t_ms, result["pre_probe"], color="C0", lw=1.5, label=f"probe record, synapse {syn}"
    )
    axes[0, 0].set_title("synapse on the PROBE: only the record changes", fontsize=10)
    axes[0, 1].plot(
        t_ms,
        result["delivered"],
        color="C1",
        lw=1.5,
        label=f"delivered by connection, synapse {syn}",
    )
    axes[0, 1].set_title("synapse on the CONNECTION: the next layer gets this", fontsize=10)
    for ax in axes[0]:
        ax.legend(fontsize=8, loc="upper right")

    for ax, key, conn in ((axes[1, 0], "post_probe", "None"), (axes[1, 1], "post_conn", syn)):
        spikes = t_ms[result[key] > 0]
        ax.eventplot(
            [t_ms[result["pre"] > 0], spikes],
            lineoffsets=[1, 0],
            linelengths=0.8,
            colors=["0.6", "C3"],
        )
        ax.set_yticks([0, 1], ["next LIF", "pre"])
        ax.set_xlabel("time (ms)")
        ax.set_title(f"connection synapse {conn}: next LIF fires {len(spikes)} spikes", fontsize=10)
    return fig


def synapse_explorer():
    """Controls: synapse kind and tau (placed on a probe, or on a connection), input x."""
    import ipywidgets as w

    def update(kind="Lowpass", tau=0.01, x=0.5):
        _show(draw_synapse_demo(compute_synapse_demo(kind, tau, x)))

    return w.interactive(
        update,
        **_aligned(
            kind=w.Dropdown(options=list(SYNAPSE_KINDS), value="Lowpass", description="synapse"),
            tau=w.FloatLogSlider(
                value=0.01,
                base=10,
                min=-3,
                max=-1,
                step=0.1,
                readout_format=".3f",
                description="tau (s)",
            ),
            x=w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="input x"),
        ),
    )


def compute_delay_demo(synapses=(None, 0, 0.005), n_steps=8, dt=DT):
    """A step input (0, then 1 from step 3 on) through connections with each synapse.

    Returns ``{"t": ..., "input": ..., "delivered": {name of synapse: array}}``.
    ``None`` delivers in the same step; any filter, even ``0`` (``Lowpass(0)``,
    which does not smooth), one step later.
    """

    def step_input(t):
        return [1.0 if t >= 3 * dt - 1e-12 else 0.0]

    with Network() as net:
        inp = Node(step_input)
        p_in = Probe(inp)
        outs = {}
        for syn in synapses:
            node = Node(size_in=1)
            Connection(inp, node, synapse=syn)
            outs[_synapse_name(syn)] = Probe(node)
    sim = Simulator(net, dt=dt, dtype=np.float64)
    data = sim.run_steps(n_steps)
    return {
        "t": sim.trange(),
        "input": data[p_in][0, :, 0],
        "delivered": {k: data[p][0, :, 0] for k, p in outs.items()},
    }


def _synapse_name(synapse):
    """``"None"``, or the filter a synapse means: ``0`` is ``"Lowpass(0)"``."""
    if synapse is None:
        return "None"
    if isinstance(synapse, numbers.Real):  # a bare number means Lowpass(number)
        return f"Lowpass({synapse:g})"
    return f"{type(synapse).__name__}({synapse.tau:g})"
