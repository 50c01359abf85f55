"""Lectures 05 and 06, the spiking CNN: the tutorial network run on test digits,
cached per setting, its explorer, and the trade-offs of synapses and firing rates."""

import threading

import numpy as np

from snnlib.course import mnist
from snnlib.course.datasets import images_to_inputs
from snnlib.course.sweeps import add_spike_counters, count_spikes
from snnlib.course.widgets.common import DT, _aligned, _axes_of, _show, test_digits
from snnlib.simulator import Simulator
from snnlib.synapses import Lowpass

# --- lectures 05 and 06: the spiking CNN ------------------------------------------------

NETWORK_SYNAPSES = (None, 0.001, 0.005, 0.01)
"""Connection synapses (s) the network explorer offers."""
NETWORK_PROBE_SYNAPSES = (None, 0.01, 0.05, 0.1)
"""Output-probe synapses (s) the network explorer offers."""
NETWORK_SCALES = (1, 2, 5, 10)
"""Firing-rate scales the network explorer offers."""

# Runs of the tutorial network, cached per setting. Runs may be queued for a
# background thread (`precompute_network_runs`): `_pending` holds an Event per
# queued run and `_started` the one the thread is computing. A request for a
# run the thread has started waits for it; a request for one still queued takes
# it over, so a student never waits for the runs queued before theirs.
# Networks are only ever *built* in the calling thread: building uses the
# `with Network():` stack, which is shared by all threads.
_network_runs = {}  # (params key, synapse, scale, n_digits, n_steps) -> run
_pending = {}
_started = set()
_runs_lock = threading.Lock()
MAX_CACHED_RUNS = 64


def _params_key(params):
    return params if params is None or isinstance(params, str) else id(params)


def _run_key(params, synapse, scale, n_digits, n_steps):
    return (_params_key(params), synapse, float(scale), int(n_digits), int(n_steps))


def _build_for_run(params, synapse, scale):
    """The tutorial network without output synapse, with a spike counter on each
    LIF layer (one number per step, not one per neuron: `sweeps.add_spike_counters`)."""

    if isinstance(params, str) and params == "pretrained" and not mnist.PRETRAINED_PATH.exists():
        raise FileNotFoundError(f"the pretrained weights {mnist.PRETRAINED_PATH} are missing")
    model = mnist.build_network(
        params, synapse=synapse, scale=scale, probe_synapse=None, learner_probes=False
    )
    return model, add_spike_counters(model)


def _simulate_run(model, counters, n_digits, n_steps):
    images, labels = test_digits()
    images, labels = images[:n_digits], labels[:n_digits]
    sim = Simulator(model.network, dt=DT, progress_bar=False)
    inputs = {model.input: images_to_inputs(images)}
    data = sim.run_steps(int(n_steps), inputs=inputs, stateful=False)
    return {
        "output": data[model.probes["output"]],
        "spikes": {name: count_spikes(data[p], model.layers[name]) for name, p in counters.items()},
        "n_neurons": {name: model.layers[name].size for name in counters},
        "labels": labels,
        "images": images,
        "synapse": model.settings["synapse"],
        "scale": model.settings["scale"],
        "n_steps": int(n_steps),
    }


def _store_run(key, run):
    with _runs_lock:
        if len(_network_runs) >= MAX_CACHED_RUNS:
            _network_runs.pop(next(iter(_network_runs)))
        _network_runs[key] = run


def compute_network_run(params="pretrained", synapse=None, scale=1.0, n_digits=40, n_steps=40):
    """Run the tutorial network (`snnlib.course.mnist.build_network`) on the first
    ``n_digits`` bundled test digits for ``n_steps`` steps, once per setting.

    The output is probed **without** a synapse, so that any probe synapse can be
    applied afterwards (a probe's synapse changes only the record: lecture 04).
    Runs are cached per setting: a second call with the same arguments is free;
    a call for a run that `precompute_network_runs` is computing waits for it,
    and one for a run still queued there computes it at once.

    Returns
    -------
    dict
        ``output`` (n_digits, n_steps, 10), the raw Dense(10) output;
        ``spikes`` {layer: (n_digits, n_steps)} spike counts per step;
        ``n_neurons`` {layer: int}; ``labels``, ``images``; the settings.
    """
    key = _run_key(params, synapse, scale, n_digits, n_steps)
    while True:
        with _runs_lock:
            if key in _network_runs:
                return _network_runs[key]
            event = _pending.get(key)
            if event is not None and key not in _started:
                _pending.pop(key).set()  # queued, not begun: take it over
                event = None
        if event is None:
            break
        event.wait()  # computed in the background; if that failed, compute it here
    run = _simulate_run(*_build_for_run(params, synapse, scale), n_digits, n_steps)
    _store_run(key, run)
    return run


def precompute_network_runs(settings, params="pretrained", n_digits=40, n_steps=40):
    """Start computing the runs for ``settings`` (pairs ``(synapse, scale)``) in a
    background thread; return the thread (or None if all are cached).

    The networks are built here, in the calling thread; only the simulations run
    in the background. Errors there are not raised (nor printed): a run that
    failed is simply computed again when it is asked for.
    """
    jobs = []
    for synapse, scale in settings:
        key = _run_key(params, synapse, scale, n_digits, n_steps)
        with _runs_lock:
            if key in _network_runs or key in _pending:
                continue
        jobs.append((key, _build_for_run(params, synapse, scale)))
        with _runs_lock:
            _pending[key] = threading.Event()
    if not jobs:
        return None

    def work():
        for key, (model, counters) in jobs:
            with _runs_lock:
                if key not in _pending:  # a request took it over
                    continue
                _started.add(key)
            try:
                _store_run(key, _simulate_run(model, counters, n_digits, n_steps))
            except Exception:  # noqa: BLE001 - the run is redone on demand
                pass
            finally:
                with _runs_lock:
                    _started.discard(key)
                    _pending.pop(key).set()

    thread = threading.Thread(target=work, name="snnlib-network-runs", daemon=True)
    thread.start()
    return thread


def probe_record(raw, probe_synapse, dt=DT):
    """What a probe with ``probe_synapse`` records, from the unfiltered record
    ``raw`` (batch, n_steps, size): the filter's output one step later, 0 at
    the first step (as the simulator does); ``raw`` itself for ``None``."""
    if probe_synapse is None:
        return np.asarray(raw)
    filtered = Lowpass(probe_synapse).filt(raw, dt, axis=1)
    return np.concatenate([np.zeros_like(filtered[:, :1]), filtered[:, :-1]], axis=1)


def compute_network_demo(
    n_steps=30,
    synapse=None,
    probe_synapse=0.1,
    scale=1.0,
    params="pretrained",
    n_digits=40,
    max_steps=40,
):
    """The network explorer's numbers for one setting.

    Returns
    -------
    dict
        ``output`` (n_digits, n_steps, 10), the output probe's record;
        ``accuracy_over_steps`` (n_steps,); ``accuracy`` at the last step;
        ``predictions``, ``labels``; ``rates_hz`` {layer: mean rate over the
        run, Hz}; ``spikes_per_image`` (all LIF layers, over n_steps).
    """
    if not 1 <= n_steps <= max_steps:
        raise ValueError(f"n_steps must be between 1 and {max_steps}, got {n_steps}")
    run = compute_network_run(params, synapse, scale, n_digits, max_steps)
    output = probe_record(run["output"][:, :n_steps], probe_synapse)
    over_steps = (output.argmax(axis=2) == run["labels"][:, None]).mean(axis=0)
    counts = {name: s[:, :n_steps].sum(axis=1) for name, s in run["spikes"].items()}
    rates = {
        name: float(c.mean() / (run["n_neurons"][name] * n_steps * DT))
        for name, c in counts.items()
    }
    return {
        "output": output,
        "accuracy_over_steps": over_steps,
        "accuracy": float(over_steps[-1]),
        "predictions": output[:, -1].argmax(axis=1),
        "labels": run["labels"],
        "images": run["images"],
        "rates_hz": rates,
        "spikes_per_image": float(sum(c.mean() for c in counts.values())),
        "n_steps": n_steps,
        "synapse": synapse,
        "probe_synapse": probe_synapse,
        "scale": float(scale),
    }


def _seconds(value):
    return "None" if value is None else f"{value * 1000:g} ms"


def draw_network_demo(result, digit=0, fig=None):
    """Output record of one digit, accuracy over steps, and firing rates per layer."""
    fig, (ax_img, ax_out, ax_acc, ax_rate) = _axes_of(fig, 4, (13, 3.3))
    images, labels = result["images"], result["labels"]
    digit = int(np.clip(digit, 0, len(labels) - 1))
    ax_img.imshow(images[digit], cmap="gray")
    ax_img.set_title(f"digit {digit}: label {labels[digit]}, says {result['predictions'][digit]}")
    ax_img.set_xticks([])
    ax_img.set_yticks([])

    t_ms = np.arange(1, result["n_steps"] + 1) * DT * 1000
    for c in range(10):
        ax_out.plot(
            t_ms,
            result["output"][digit, :, c],
            lw=2.5 if c == labels[digit] else 0.8,
            label=str(c) if c == labels[digit] else None,
        )
    ax_out.set_xlabel("time (ms)")
    ax_out.set_ylabel("output probe record")
    ax_out.set_title(f"probe synapse {_seconds(result['probe_synapse'])}", fontsize=10)
    ax_out.legend(title="true class", fontsize=8, loc="upper left")

    ax_acc.plot(t_ms, 100 * result["accuracy_over_steps"], ".-")
    ax_acc.set_ylim(-5, 105)
    ax_acc.set_xlabel("time (ms) = steps")
    ax_acc.set_ylabel(f"accuracy on {len(labels)} digits (%)")
    ax_acc.set_title(
        f"after {result['n_steps']} steps: {100 * result['accuracy']:.0f}%", fontsize=10
    )

    names = list(result["rates_hz"])
    ax_rate.bar(range(len(names)), [result["rates_hz"][n] for n in names], color="C2")
    ax_rate.set_xticks(range(len(names)), names, fontsize=8)
    ax_rate.set_ylabel("mean firing rate (Hz)")
    ax_rate.set_title(f"{result['spikes_per_image']:,.0f} spikes per image", fontsize=10)
    fig.suptitle(
        f"connection synapse {_seconds(result['synapse'])}, "
        f"firing-rate scale {result['scale']:g}, {result['n_steps']} steps",
        fontsize=11,
    )
    return fig


def network_explorer(params="pretrained", n_digits=40, max_steps=40, precompute=True):
    """Controls: n_steps, connection synapse, probe synapse, firing-rate scale, digit.

    Each (connection synapse, scale) pair is simulated once; n_steps, the probe
    synapse and the digit only re-read that run. With ``precompute``, the runs
    of all the other pairs are computed in a background thread as soon as the
    explorer is shown (``widget.precompute_thread``), so that moving a control
    later redraws from the cache in well under a second.
    """
    import ipywidgets as w

    # The synapse dropdowns hold labels ("None", "5 ms"), looked up here: ipywidgets
    # takes a value of None for "nothing selected" and would show a blank box.
    synapses = {_seconds(v): v for v in NETWORK_SYNAPSES}
    probe_synapses = {_seconds(v): v for v in NETWORK_PROBE_SYNAPSES}

    def update(n_steps=30, synapse="None", probe_synapse="100 ms", scale=1, digit=0):
        result = compute_network_demo(
            n_steps,
            synapses[synapse],
            probe_synapses[probe_synapse],
            scale,
            params,
            n_digits,
            max_steps,
        )
        _show(draw_network_demo(result, digit))

    widget = w.interactive(
        update,
        **_aligned(
            n_steps=w.IntSlider(
                value=30, min=1, max=max_steps, description="n_steps", continuous_update=False
            ),
            synapse=w.Dropdown(
                options=list(synapses), value="None", description="connection synapse"
            ),
            probe_synapse=w.Dropdown(
                options=list(probe_synapses), value="100 ms", description="probe synapse"
            ),
            scale=w.Dropdown(options=NETWORK_SCALES, value=1, description="rate scale"),
            digit=w.IntSlider(
                value=0, min=0, max=n_digits - 1, description="digit", continuous_update=False
            ),
        ),
    )
    widget.precompute_thread = None
    if precompute:
        # one knob at a time first (what a student tries first), then the rest
        grid = (
            [(None, s) for s in NETWORK_SCALES]
            + [(syn, 1) for syn in NETWORK_SYNAPSES]
            + [(syn, s) for syn in NETWORK_SYNAPSES for s in NETWORK_SCALES]
        )
        widget.precompute_thread = precompute_network_runs(
            list(dict.fromkeys(grid)), params, n_digits, max_steps
        )
    return widget


def compute_tradeoffs(
    settings=((None, 1), (0.001, 1), (0.005, 1), (0.01, 1), (None, 2), (None, 5), (None, 10)),
    read_steps=(10, 20, 30, 40),
    probe_synapse=0.1,
    params="pretrained",
    n_digits=40,
    max_steps=40,
):
    """Accuracy and spike count for each ``(connection synapse, scale)`` in
    ``settings``, read after each of ``read_steps`` (one cached run per setting).

    Returns a list of dicts: ``synapse``, ``scale``, ``n_steps``, ``accuracy``,
    ``spikes_per_image`` and ``rates_hz`` (per LIF layer).
    """
    rows = []
    for synapse, scale in settings:
        for n_steps in read_steps:
            r = compute_network_demo(
                n_steps, synapse, probe_synapse, scale, params, n_digits, max_steps
            )
            rows.append(
                {
                    "synapse": synapse,
                    "scale": float(scale),
                    "n_steps": n_steps,
                    "accuracy": r["accuracy"],
                    "spikes_per_image": r["spikes_per_image"],
                    "rates_hz": r["rates_hz"],
                }
            )
    return rows


def tradeoff_table(rows):
    """`compute_tradeoffs` rows as printable dicts (for `format_table`)."""
    return [
        {
            "connection synapse": _seconds(r["synapse"]),
            "rate scale": f"{r['scale']:g}",
            "n_steps": r["n_steps"],
            "accuracy %": round(100 * r["accuracy"]),
            "spikes per image": round(r["spikes_per_image"]),
            "conv3_lif Hz": round(r["rates_hz"]["conv3_lif"], 1),
        }
        for r in rows
    ]


def draw_tradeoffs(rows, fig=None):
    """Accuracy against spikes per image: one line per setting, one point per n_steps."""
    fig, (ax,) = _axes_of(fig, 1, (7, 4))
    settings = list(dict.fromkeys((r["synapse"], r["scale"]) for r in rows))
    for i, (synapse, scale) in enumerate(settings):
        mine = [r for r in rows if (r["synapse"], r["scale"]) == (synapse, scale)]
        x = [r["spikes_per_image"] for r in mine]
        y = [100 * r["accuracy"] for r in mine]
        ax.plot(x, y, "o-", color=f"C{i}", label=f"synapse {_seconds(synapse)}, scale {scale:g}")
        for r, xi, yi in zip(mine, x, y):
            ax.annotate(
                f"{r['n_steps']}",
                (xi, yi),
                textcoords="offset points",
                xytext=(3, 3),
                fontsize=7,
                color=f"C{i}",
            )
    ax.set_xscale("symlog", linthresh=100)  # log scale that also shows 0 spikes
    ax.set_xlim(left=0)
    ax.set_xlabel("spikes per image (all LIF layers; log scale above 100)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-5, 105)
    ax.set_title("accuracy against spikes (numbers: n_steps)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return fig
