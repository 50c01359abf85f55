"""Sweeps of the tutorial network: accuracy as one setting varies, and accuracy
and spike counts at every step of one run.

- `sweep_n_steps`, `sweep_synapse`, `sweep_firing_rate_scale` and
  `sweep_probe_synapse` vary one setting at a time (what `make demo` prints);
- `curves_over_steps` gives accuracy and spike counts at every step of one run
  (the network is causal and the image held constant, so step k of a long run
  is a k-step run); ``scripts/precompute_sweeps.py`` runs it for
  `CURVE_SETTINGS` on all 1,000 held-out digits and ships the result
  (`load_sweep_curves`), so that lecture 06 shows numbers measured on enough
  digits without waiting; `standard_error` says how far to trust them.
"""

from pathlib import Path

import numpy as np

from snnlib import training
from snnlib._checks import check_positive_int
from snnlib.course.mnist import (
    DT,
    LIF_LAYERS,
    SWEEP_CURVES_PATH,
    SWEEPS,
    TUTORIAL,
    _check_images_labels,
    _check_scale,
    _check_sweep,
    _check_synapse,
    _recipe,
    build_network,
    evaluate_spiking,
    rate_accuracy,
    run_spiking,
)
from snnlib.network import Layer, Probe
from snnlib.transforms import Dense

# --- sweeps -------------------------------------------------------------------------


def sweep_n_steps(params, images, labels, n_steps=SWEEPS["n_steps"], batch_size=200):
    """Spiking accuracy at each number of steps (tutorial otherwise), from one
    run of the longest. Returns ``[{"n_steps": k, "accuracy": a}, ...]``."""
    steps = _check_sweep(
        "sweep_n_steps", n_steps, lambda v: check_positive_int("sweep_n_steps", "n_steps", v)
    )
    acc = evaluate_spiking(
        params, images, labels, n_steps=max(steps), read_steps=steps, batch_size=batch_size
    )[TUTORIAL["probe_synapse"]]
    return [{"n_steps": k, "accuracy": acc[k]} for k in steps]


def sweep_synapse(params, images, labels, synapses=SWEEPS["synapse"], n_steps=30, batch_size=200):
    """Spiking accuracy with each connection synapse (set on every connection).
    Returns ``[{"synapse": s, "accuracy": a}, ...]``.

    Each filtered connection delays what it carries by a step, and its output
    starts at 0 and rises as ``1 - exp(-t / tau)``. The tutorial network has
    `N_FILTERED_IN_SERIES` (seven) connections in a row from input to output,
    so with a long time constant little of the image reaches the output within
    30 steps (10 ms gives chance there).
    """
    synapses = _check_sweep(
        "sweep_synapse", synapses, lambda v: _check_synapse("sweep_synapse", "synapse", v)
    )
    points = []
    for s in synapses:
        acc = evaluate_spiking(
            params, images, labels, n_steps=n_steps, synapse=s, batch_size=batch_size
        )
        points.append({"synapse": s, "accuracy": acc[TUTORIAL["probe_synapse"]][n_steps]})
    return points


def sweep_firing_rate_scale(
    params, images, labels, scales=SWEEPS["scale"], n_steps=30, batch_size=200
):
    """Spiking and rate accuracy at each firing-rate scale. Returns
    ``[{"scale": s, "accuracy": a, "rate_accuracy": r}, ...]``."""
    scales = _check_sweep(
        "sweep_firing_rate_scale", scales, lambda v: _check_scale("sweep_firing_rate_scale", v)
    )
    points = []
    for s in scales:
        acc = evaluate_spiking(
            params, images, labels, n_steps=n_steps, scale=s, batch_size=batch_size
        )
        rate = rate_accuracy(build_network(params, scale=s, learner_probes=False), images, labels)
        points.append(
            {"scale": s, "accuracy": acc[TUTORIAL["probe_synapse"]][n_steps], "rate_accuracy": rate}
        )
    return points


def sweep_probe_synapse(
    params, images, labels, probe_synapses=SWEEPS["probe_synapse"], n_steps=30, batch_size=200
):
    """Spiking accuracy read through each output-probe synapse, from one run.
    Returns ``[{"probe_synapse": s, "accuracy": a}, ...]``."""
    acc = evaluate_spiking(
        params,
        images,
        labels,
        n_steps=n_steps,
        probe_synapses=probe_synapses,
        batch_size=batch_size,
    )
    return [{"probe_synapse": s, "accuracy": a[n_steps]} for s, a in acc.items()]


# --- accuracy and spikes at every step (precomputed for lecture 06) ------------------

CURVE_STEPS = 100
"""Steps of the precomputed runs: step k of a run is a k-step run."""

CURVE_SETTINGS = (
    {"synapse": None, "scale": 1.0, "weights": "shipped"},
    {"synapse": 0.001, "scale": 1.0, "weights": "shipped"},
    {"synapse": 0.005, "scale": 1.0, "weights": "shipped"},
    {"synapse": 0.01, "scale": 1.0, "weights": "shipped"},
    {"synapse": None, "scale": 2.0, "weights": "shipped"},
    {"synapse": None, "scale": 5.0, "weights": "shipped"},
    {"synapse": None, "scale": 10.0, "weights": "shipped"},
    {"synapse": None, "scale": 1.0, "weights": "rate-regularised"},
)
"""The settings of the precomputed curves (in all, the output is read through a
probe with a 0.1 s lowpass and through one without synapse). ``weights`` is
``"shipped"`` (`PRETRAINED_PATH`) or ``"rate-regularised"`` (those fine-tuned
by `fine_tune_rates`)."""

RATE_REGULARISATION = {
    "n_digits": 256,
    "target_hz": 10.0,
    "weight": 1.0,
    "epochs": 1,
    "batch_size": 32,
    "learning_rate": 0.001,
    "seed": 0,
}
"""Lecture 06's fine-tuning with firing-rate regularisation (`fine_tune_rates`)."""


def fine_tune_rates(params, images, labels, **recipe):
    """Fine-tune ``params`` with firing-rate regularisation, as lecture 06 does.

    Rate training (as `train_tutorial`, without shifts) on the first
    ``n_digits`` of ``images``, with a penalty for each LIF layer added to the
    loss (`training.RateTarget`)::

        weight * (mean rate / target_hz - 1)**2

    ``recipe`` overrides entries of `RATE_REGULARISATION`. Deterministic: the
    same inputs give the same weights (on the same machine and BLAS).

    Returns
    -------
    (dict, dict)
        The new parameters ``{key: array}`` and the training history
        (``history["mean_rates"][-1]``: the LIF layers' mean rates in Hz).
    """
    recipe = _recipe("fine_tune_rates", RATE_REGULARISATION, recipe)
    n = recipe["n_digits"]
    inputs, labels = _check_images_labels(images[:n], labels[:n], "fine_tune_rates")
    model = build_network(params, learner_probes=False)
    targets = [
        training.RateTarget(
            model.layers[name], target_hz=recipe["target_hz"], weight=recipe["weight"]
        )
        for name in LIF_LAYERS
    ]
    history = training.train(
        model.network,
        {model.input: inputs},
        {model.output: labels},
        epochs=recipe["epochs"],
        batch_size=recipe["batch_size"],
        optimizer=training.Adam(recipe["learning_rate"]),
        rate_targets=targets,
        seed=recipe["seed"],
        progress_bar=False,
    )
    return training.get_params(model.network), history


def add_spike_counters(model):
    """Add to ``model`` a probe per LIF layer that records how many of its
    neurons spike at each step. Returns ``{layer name: probe}``.

    Each probe watches a node that sums the layer's output through a Dense(1)
    of ones with synapse None (the same step). A LIF neuron outputs
    ``amplitude / dt`` at a spike and 0 otherwise, so `count_spikes` divides::

        spikes at step k = (sum of the layer's output at step k) / (amplitude / dt)

    This records one number per layer and step instead of one per neuron.
    """
    probes = {}
    with model.network:
        for name in LIF_LAYERS:
            layer = model.layers[name]
            ones = Dense(units=1, use_bias=False, kernel=np.ones((layer.size, 1)))
            total = Layer(ones)(layer, synapse=None, label=f"{name}_total")
            probes[name] = Probe(total, label=f"{name}_spike_count")
    return probes


def count_spikes(record, neurons, dt=DT):
    """Spike counts ``(n, n_steps)`` from a spike counter's record ``(n, n_steps, 1)``."""
    per_spike = neurons.neuron_type.amplitude / dt
    return np.rint(np.asarray(record)[..., 0] / per_spike).astype(np.int64)


def curves_over_steps(
    params,
    images,
    labels,
    n_steps=CURVE_STEPS,
    synapse=None,
    scale=1.0,
    probe_synapse=0.1,
    batch_size=200,
    progress=False,
):
    """Is each digit classified right, and how many spikes did it take, at every step.

    The image is held constant and the network is causal (nothing at step k
    depends on later steps), so step k of this run is exactly a k-step run:
    one run of ``n_steps`` gives the accuracy for every shorter run too. A
    second output probe without a synapse gives the raw reading in the same run.

    Returns
    -------
    dict
        ``correct`` (n, n_steps) bool: the output probe's (``probe_synapse``)
        argmax at step k is the label; ``correct_raw``: the same for the raw
        output (probe synapse None); ``spikes`` {LIF layer: (n, n_steps) int}:
        spikes at step k; ``n_neurons`` {LIF layer: int}.
    """
    _, labels = _check_images_labels(images, labels, "curves_over_steps")
    model = build_network(
        params,
        synapse=synapse,
        scale=scale,
        probe_synapse=probe_synapse,
        learner_probes=False,
        extra_output_synapses=[None],
    )
    counters = add_spike_counters(model)
    data = run_spiking(
        model,
        images,
        n_steps,
        probes=["output", "output_None", *counters.values()],
        batch_size=batch_size,
        progress=progress,
    )
    return {
        "correct": data["output"].argmax(axis=2) == labels[:, None],
        "correct_raw": data["output_None"].argmax(axis=2) == labels[:, None],
        "spikes": {
            name: count_spikes(data[probe.label], model.layers[name])
            for name, probe in counters.items()
        },
        "n_neurons": {name: model.layers[name].size for name in LIF_LAYERS},
    }


def standard_error(accuracy, n):
    """Binomial standard error of an accuracy measured on ``n`` digits::

        se = sqrt(p (1 - p) / n)

    About two thirds of test sets of ``n`` digits drawn like this one would
    score within one ``se`` of the true accuracy (if it is not close to 0 or 1).
    """
    p = np.asarray(accuracy, dtype=float)
    return np.sqrt(p * (1 - p) / n)


def load_sweep_curves(path=SWEEP_CURVES_PATH):
    """The precomputed curves (``scripts/precompute_sweeps.py`` writes them).

    Returns
    -------
    dict
        The JSON file: ``provenance`` (what, how, the command, the digits, the
        weights) and ``runs``, one per `CURVE_SETTINGS` entry, each with its
        ``synapse``, ``scale``, ``weights``, ``n_digits`` and per step
        ``correct`` (how many of the digits are right after k steps, read
        through the 0.1 s output probe), ``correct_raw`` (read without a
        probe synapse) and ``spikes`` {LIF layer: spikes at step k, summed
        over the digits}.
    """
    import json

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; make it with python scripts/precompute_sweeps.py"
        )
    with open(path) as stream:
        return json.load(stream)


def find_run(curves, synapse=None, scale=1.0, weights="shipped"):
    """The run of ``curves`` (as `load_sweep_curves`) with these settings."""
    for run in curves["runs"]:
        if (run["synapse"], run["scale"], run["weights"]) == (synapse, scale, weights):
            return run
    have = [(r["synapse"], r["scale"], r["weights"]) for r in curves["runs"]]
    raise ValueError(
        f"no precomputed run with synapse={synapse}, scale={scale}, "
        f"weights={weights!r}; there are {have}"
    )


def run_accuracy(run, raw=False):
    """Accuracy after each number of steps (index k - 1), and its standard error:
    read through the output probe's lowpass (0.1 s), or with ``raw`` without it."""
    accuracy = np.asarray(run["correct_raw" if raw else "correct"]) / run["n_digits"]
    return accuracy, standard_error(accuracy, run["n_digits"])


def first_spike_steps(run):
    """The first step at which each LIF layer spiked, for any digit, in a
    precomputed run (None if it never did)."""
    return {
        name: next((k + 1 for k, n in enumerate(spikes) if n > 0), None)
        for name, spikes in run["spikes"].items()
    }


def run_spikes_per_image(run, n_steps):
    """Spikes per image over the first ``n_steps`` steps: all LIF layers, and the
    mean rate of each layer in Hz (``spikes / (neurons * n_steps * dt)``)."""
    per_layer = {
        name: sum(counts[:n_steps]) / run["n_digits"] for name, counts in run["spikes"].items()
    }
    rates = {name: per_layer[name] / (run["n_neurons"][name] * n_steps * DT) for name in per_layer}
    return sum(per_layer.values()), rates


def curve_points(curves, read_steps=(5, 10, 20, 30, 100), settings=None):
    """Each run of ``curves`` read after each of ``read_steps``.

    ``settings``: which runs, as keyword arguments of `find_run` (e.g.
    ``[{"synapse": 0.005}]``); default all. Returns a list of dicts:
    ``synapse``, ``scale``, ``weights``, ``n_steps``, ``accuracy``,
    ``standard_error``, ``spikes_per_image`` and ``rates_hz`` (per LIF layer),
    as `snnlib.course.widgets.draw_tradeoffs` takes them.
    """
    runs = curves["runs"] if settings is None else [find_run(curves, **s) for s in settings]
    points = []
    for run in runs:
        accuracy, se = run_accuracy(run)
        for k in read_steps:
            spikes, rates = run_spikes_per_image(run, k)
            points.append(
                {
                    "synapse": run["synapse"],
                    "scale": run["scale"],
                    "weights": run["weights"],
                    "n_steps": k,
                    "accuracy": float(accuracy[k - 1]),
                    "standard_error": float(se[k - 1]),
                    "spikes_per_image": spikes,
                    "rates_hz": rates,
                }
            )
    return points


def curves_table(points):
    """`curve_points` as printable rows (for `snnlib.course.widgets.format_table`)."""
    return [
        {
            "weights": p["weights"],
            "connection synapse": synapse_name(p["synapse"]),
            "rate scale": f"{p['scale']:g}",
            "n_steps": p["n_steps"],
            "accuracy %": f"{100 * p['accuracy']:.1f} ± {100 * p['standard_error']:.1f}",
            "spikes per image": round(p["spikes_per_image"]),
            "conv3_lif Hz": round(p["rates_hz"]["conv3_lif"], 1),
        }
        for p in points
    ]


def synapse_name(synapse):
    """A connection synapse as people say it: ``None``, ``5 ms``."""
    return "None" if synapse is None else f"{1000 * synapse:g} ms"
