"""The NengoDL spiking-MNIST tutorial network: build, train, evaluate with spikes.

The network is the tutorial's: three Conv2D transforms (32, 64 and 128
filters of 3x3, strides 1, 2, 2), each followed by a layer of
``LIF(amplitude=0.01)`` neurons with ``max_rates=100, intercepts=0``, then
``Dense(10)``. Connection synapses are ``None``; the output is read through a
probe with a 0.1 s lowpass after 30 steps of 1 ms, the image held constant.

- `build_network` makes it (from given or pretrained parameters, with a
  chosen connection synapse, firing-rate scale and output-probe synapse);
- `rate_accuracy` and `spiking_accuracy` score it; `run_spiking` gives the
  probe data; `evaluate_spiking` reads several probes and steps from one run;
- the sweeps (one setting at a time, and every step of one run) are in
  `snnlib.course.sweeps`;
- `train_tutorial` trains it on the bundled digits (random shifts, Adam,
  cosine learning-rate decay); ``scripts/train_tutorial.py`` runs it and
  writes `PRETRAINED_PATH`, the weights shipped with snnlib.

Examples
--------
>>> from snnlib import mnist
>>> from snnlib.course.datasets import load_mnist
>>> (x_train, y_train), (x_test, y_test) = load_mnist(verbose=False)
>>> model = mnist.build_network(params="pretrained")
>>> mnist.spiking_accuracy(model, x_test[:100], y_test[:100])    # doctest: +SKIP
0.99
"""

import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from snnlib import training
from snnlib._checks import check_positive_int
from snnlib._progress import show_progress
from snnlib.course.datasets import images_to_inputs
from snnlib.network import Layer, Network, Node, Probe
from snnlib.neurons import LIF, gain_bias
from snnlib.simulator import Simulator
from snnlib.synapses import as_synapse
from snnlib.transforms import Conv2D, Dense

DATA_DIR = Path(__file__).resolve().parent / "data"
PRETRAINED_PATH = DATA_DIR / "mnist_tutorial_params.npz"
"""Weights of the tutorial network trained on the bundled digits (float32)."""
SWEEP_CURVES_PATH = DATA_DIR / "mnist_sweep_curves.json"
"""Accuracy and spike counts at every step, precomputed for `CURVE_SETTINGS`
by ``scripts/precompute_sweeps.py`` (see `load_sweep_curves`)."""

DT = 0.001
TUTORIAL = {"n_steps": 30, "synapse": None, "scale": 1.0, "probe_synapse": 0.1}
"""The tutorial's settings: 30 steps, connection synapses None, no firing-rate
scaling, output probe lowpass 0.1 s."""

# The layers: (name, filters, strides, shape_in)
CONV_LAYERS = (
    ("conv1", 32, 1, (28, 28, 1)),
    ("conv2", 64, 2, (26, 26, 32)),
    ("conv3", 128, 2, (12, 12, 64)),
)

SWEEPS = {
    "n_steps": (5, 10, 15, 20, 25, 30, 35, 40),
    "synapse": (None, 0.001, 0.005, 0.01),
    "scale": (1, 2, 5, 10, 20),
    "probe_synapse": (None, 0.01, 0.1),
}
"""The values each sweep tries by default (one setting varied, the others the tutorial's)."""

LEARNER_PROBES = ("conv3", "conv3_filt", "conv3_lif", "conv3_lif_filt")
"""The four probes of the forum thread: conv3 and conv3_lif, raw and filtered 0.1 s."""

LIF_LAYERS = ("conv1_lif", "conv2_lif", "conv3_lif")

N_FILTERED_IN_SERIES = 7
"""Connections from the input to the output, one after another: input -> conv1
-> conv1_lif -> conv2 -> conv2_lif -> conv3 -> conv3_lif -> output. A
synapse given to `build_network` is set on all of them: each adds a step of delay."""


@dataclass
class TutorialNetwork:
    """The tutorial network and handles on its parts.

    Attributes
    ----------
    network : Network
    input : Node
        Takes an image as 784 values in [0, 1] (row-major, channels-last).
    output : Node
        The Dense(10) layer's output (the logits).
    layers : dict
        ``name -> object``: ``conv1``, ``conv1_lif``, ..., ``conv3_lif``, ``output``.
    probes : dict
        ``name -> Probe``: ``output`` (and ``output_<synapse>`` extras), and with
        ``learner_probes`` the four of `LEARNER_PROBES`.
    settings : dict
        ``synapse``, ``scale``, ``probe_synapse`` it was built with.
    """

    network: Network
    input: Node
    output: Node
    layers: dict
    probes: dict
    settings: dict = field(default_factory=dict)

    def probe(self, name):
        """The probe called ``name``, or a ValueError listing the probes there are."""
        if isinstance(name, Probe):
            if name not in self.network.probes:
                raise ValueError(
                    f"{name!r} is not a probe of this network; its probes are {sorted(self.probes)}"
                )
            return name
        if name not in self.probes:
            hint = " (build the network with learner_probes=True)" if name in LEARNER_PROBES else ""
            raise ValueError(
                f"no probe {name!r} in this network{hint}; its probes are {sorted(self.probes)}"
            )
        return self.probes[name]


def build_network(
    params=None,
    synapse=None,
    scale=1.0,
    probe_synapse=0.1,
    learner_probes=True,
    extra_output_synapses=(),
    seed=0,
):
    """Build the tutorial network (DESIGN.md's example).

    Parameters
    ----------
    params : None, "pretrained", path or dict
        Weights: None draws them from ``seed`` (Glorot uniform, zero biases, as
        Keras); ``"pretrained"`` loads `PRETRAINED_PATH`; a path loads that
        ``.npz`` file; a dict is ``{key: array}`` as from `training.get_params`.
    synapse : None or float
        Synapse of every connection (the tutorial's is None).
    scale : float
        Firing-rate scale (`training.scale_firing_rates`): gains times
        ``scale``, amplitudes divided by it. 1 is the tutorial.
    probe_synapse : None or float
        Synapse of the output probe (the tutorial's is 0.1 s).
    learner_probes : bool
        Add the learner's four probes of conv3 and conv3_lif. They record
        3,200 values a step each: leave them out to evaluate many digits.
    extra_output_synapses : sequence
        More output probes, one per synapse, named ``output_<synapse>``.
    seed : int
        The network's seed.

    Returns
    -------
    TutorialNetwork
    """
    neuron_type = LIF(amplitude=0.01)
    gain, bias = gain_bias(neuron_type, max_rates=100, intercepts=0)
    synapse = _check_synapse("build_network", "synapse", synapse)
    probe_synapse = _check_synapse("build_network", "probe_synapse", probe_synapse)
    layers = {}
    with Network(seed=seed, default_synapse=synapse, label="spiking MNIST") as net:
        inp = Node(np.zeros(28 * 28), label="input")
        x = inp
        for name, filters, strides, shape_in in CONV_LAYERS:
            x = layers[name] = Layer(Conv2D(filters=filters, strides=strides, kernel_size=3))(
                x, shape_in=shape_in, label=name
            )
            x = layers[name + "_lif"] = Layer(neuron_type)(
                x, gain=gain, bias=bias, label=name + "_lif"
            )
        out = layers["output"] = Layer(Dense(units=10))(x, label="output")

        probes = {"output": Probe(out, synapse=probe_synapse, label="out_p_filt")}
        for extra in extra_output_synapses:
            extra = _check_synapse("build_network", "extra_output_synapses", extra)
            probes[f"output_{extra}"] = Probe(out, synapse=extra, label=f"out_p_{extra}")
        if learner_probes:
            probes["conv3"] = Probe(layers["conv3"], label="conv3_p")
            probes["conv3_filt"] = Probe(layers["conv3"], synapse=0.1, label="conv3_p_filt")
            probes["conv3_lif"] = Probe(layers["conv3_lif"], label="conv3_lif_p")
            probes["conv3_lif_filt"] = Probe(
                layers["conv3_lif"], synapse=0.1, label="conv3_lif_p_filt"
            )
    if params is not None:
        if isinstance(params, str) and params == "pretrained":
            training.load_params(net, PRETRAINED_PATH)
        elif isinstance(params, (str, Path)):
            training.load_params(net, params)
        elif isinstance(params, dict):
            training.set_params(net, params)
        else:
            raise TypeError(
                f"build_network: params must be None, 'pretrained', a path or a "
                f"dict of arrays, got {type(params).__name__}"
            )
    scale = _check_scale("build_network", scale)
    if scale != 1:
        training.scale_firing_rates(net, scale, inplace=True)
    settings = {"synapse": synapse, "scale": scale, "probe_synapse": probe_synapse}
    return TutorialNetwork(net, inp, out, layers, probes, settings)


def pretrained_params():
    """The shipped weights, as ``{key: array}``."""
    return training.read_params(PRETRAINED_PATH)


# --- checking what the user gives -------------------------------------------------


def _check_images_labels(images, labels, owner):
    inputs = images_to_inputs(images)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{owner}: labels must be integers of shape (n,), got shape "
            f"{labels.shape} and dtype {labels.dtype}"
        )
    if len(labels) != len(inputs):
        raise ValueError(
            f"{owner}: {len(inputs)} images but {len(labels)} labels; give one label per image"
        )
    if len(labels) == 0:
        raise ValueError(f"{owner}: no images given")
    return inputs, labels


def _recipe(owner, defaults, overrides):
    """``defaults`` with ``overrides`` applied; a setting not in ``defaults`` is an error."""
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(
            f"{owner}: unknown settings {sorted(unknown)}; the recipe has {sorted(defaults)}"
        )
    return {**defaults, **overrides}


def _check_synapse(owner, name, value):
    """None or a time constant >= 0 in seconds (returned as a float). As in
    Nengo, 0 is a filter that does not smooth but delays by a step."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{owner}: {name} must be None or a time constant in seconds, got {value!r}"
        )
    as_synapse(float(value), f"{owner}: {name}")  # checks >= 0 and finite
    return float(value)


def _check_scale(owner, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{owner}: a firing-rate scale must be a number > 0, got {value!r}")
    return float(value)


def _check_sweep(owner, values, check):
    values = list(values) if not isinstance(values, (str, bytes)) else [values]
    if not values:
        raise ValueError(f"{owner}: give at least one value to sweep")
    return [check(v) for v in values]


# --- rate and spiking evaluation ----------------------------------------------------


def rate_outputs(model, images, batch_size=500):
    """The rate network's output (logits), ``(n, 10)``, for ``images``."""
    inputs = images_to_inputs(images)
    return training.predict(
        model.network, {model.input: inputs}, model.output, batch_size=batch_size
    )


def rate_accuracy(model, images, labels):
    """Accuracy of the rate network (the one trained) on ``images``."""
    inputs, labels = _check_images_labels(images, labels, "rate_accuracy")
    logits = training.predict(model.network, {model.input: inputs}, model.output)
    return float((logits.argmax(axis=1) == labels).mean())


def run_spiking(model, images, n_steps=30, probes=("output",), batch_size=200, progress=False):
    """Run the spiking network on ``images``, each held for ``n_steps`` steps.

    Parameters
    ----------
    model : TutorialNetwork
    images : array (n, 28, 28)
        uint8 pixels (divided by 255 here) or floats in [0, 1].
    n_steps : int
    probes : sequence of str or Probe
        Which probes to return: names as in ``model.probes``, or probes added
        to ``model.network``.
    batch_size : int
        Images per call of the simulator (a progress line per batch); each is
        run a chunk of `Simulator.chunk_size` images at a time.
    progress : bool
        Print a line per batch on standard output.

    Returns
    -------
    dict
        ``name -> array (n, n_steps, size)``, keyed as ``probes`` (a Probe
        object by its label, if it has one).
    """
    n_steps = check_positive_int("run_spiking", "n_steps", n_steps)
    # a Probe object is returned under its label (or, without one, under itself)
    wanted = {(p if isinstance(p, str) else p.label or p): model.probe(p) for p in probes}
    inputs = images_to_inputs(images)
    sim = Simulator(model.network, dt=DT, progress_bar=False)
    pieces = {name: [] for name in wanted}
    for start in range(0, len(inputs), batch_size):
        # every batch from rest; memory for the state grows with the chunk only
        batch = inputs[start : start + batch_size]
        data = sim.run_steps(n_steps, inputs={model.input: batch}, stateful=False)
        for name, probe in wanted.items():
            pieces[name].append(data[probe])
        if progress:
            done = min(start + batch_size, len(inputs))
            show_progress(
                f"spiking: {done}/{len(inputs)} images, {n_steps} steps",
                finished=done == len(inputs),
            )
    return {name: np.concatenate(p) for name, p in pieces.items()}


def accuracy_over_steps(outputs, labels):
    """Accuracy at every step: ``argmax`` of ``outputs`` (n, n_steps, 10) at each step."""
    return (np.asarray(outputs).argmax(axis=2) == np.asarray(labels)[:, None]).mean(axis=0)


def spiking_accuracy(model, images, labels, n_steps=30, batch_size=200):
    """Accuracy of the spiking network: the output probe's argmax at the last step."""
    _, labels = _check_images_labels(images, labels, "spiking_accuracy")
    outputs = run_spiking(model, images, n_steps, batch_size=batch_size)["output"]
    return float(accuracy_over_steps(outputs, labels)[-1])


def evaluate_spiking(
    params,
    images,
    labels,
    n_steps=30,
    read_steps=None,
    synapse=None,
    scale=1.0,
    probe_synapses=(0.1,),
    batch_size=200,
    progress=False,
):
    """Spiking accuracies read from one simulation, for several probes and steps.

    A probe's synapse only smooths what is recorded, so one run with one output
    probe per synapse gives all of them. The input is held constant and the
    simulation is causal, so the accuracy after ``k`` steps of a longer run is
    exactly that of a ``k``-step run.

    Returns
    -------
    dict
        ``{probe_synapse: {n_steps: accuracy}}`` for each of ``probe_synapses``
        and each of ``read_steps`` (default: ``n_steps`` only).
    """
    _, labels = _check_images_labels(images, labels, "evaluate_spiking")
    probe_synapses = _check_sweep(
        "evaluate_spiking",
        probe_synapses,
        lambda v: _check_synapse("evaluate_spiking", "probe synapse", v),
    )
    n_steps = check_positive_int("evaluate_spiking", "n_steps", n_steps)
    read_steps = (
        [n_steps]
        if read_steps is None
        else _check_sweep(
            "evaluate_spiking",
            read_steps,
            lambda v: check_positive_int("evaluate_spiking", "n_steps", v),
        )
    )
    if max(read_steps) > n_steps:
        raise ValueError(
            f"evaluate_spiking: read_steps go up to {max(read_steps)}, "
            f"beyond the {n_steps} steps run"
        )
    model = build_network(
        params,
        synapse=synapse,
        scale=scale,
        probe_synapse=None,
        learner_probes=False,
        extra_output_synapses=[s for s in probe_synapses if s is not None],
    )
    names = ["output" if s is None else f"output_{s}" for s in probe_synapses]
    outputs = run_spiking(
        model, images, n_steps, probes=sorted(set(names)), batch_size=batch_size, progress=progress
    )
    result = {}
    for s, name in zip(probe_synapses, names, strict=True):
        over_steps = accuracy_over_steps(outputs[name], labels)
        result[s] = {k: float(over_steps[k - 1]) for k in read_steps}
    return result


# --- training -----------------------------------------------------------------------


def random_shifts(max_shift=2):
    """An ``augment`` function for `training.train`: shift each image by a random
    whole number of pixels, up to ``max_shift`` each way, filling with zeros."""
    if (
        isinstance(max_shift, bool)
        or not isinstance(max_shift, numbers.Integral)
        or not 0 <= max_shift < 14
    ):
        raise ValueError(
            f"random_shifts: max_shift must be a whole number of pixels from 0 "
            f"to 13, got {max_shift!r}"
        )

    def augment(x, rng):
        if max_shift == 0:
            return x
        images = x.reshape(-1, 28, 28)
        m = max_shift
        padded = np.pad(images, ((0, 0), (m, m), (m, m)))
        shifts = rng.integers(-m, m + 1, size=(len(images), 2))
        shifted = np.empty_like(images)
        for i, (dy, dx) in enumerate(shifts):
            shifted[i] = padded[i, m + dy : m + dy + 28, m + dx : m + dx + 28]
        return shifted.reshape(x.shape)

    return augment


TRAINING_RECIPE = {
    "epochs": 12,
    "batch_size": 64,
    "learning_rate": 0.003,
    "final_learning_rate": 1e-5,
    "max_shift": 2,
    "lif_smoothing": 0.05,
    "conv1_init_scale": 16.0,
    "train_conv1": False,
}
"""How the shipped weights were trained (see `train_tutorial`)."""


def train_tutorial(x_train, y_train, seed=0, validation=None, progress_bar=True, **recipe):
    """Train the tutorial network on ``(x_train, y_train)``, as the shipped weights were.

    Rate neurons (LIFRate forward, SoftLIFRate gradient), softmax cross-entropy,
    Adam with a cosine learning-rate decay, random shifts of up to 2 pixels;
    conv1 keeps its initial weights unless ``train_conv1`` (see below).
    ``recipe`` overrides entries of `TRAINING_RECIPE`. ``seed`` seeds the
    initial weights, the shuffling and the shifts.

    Returns ``(model, history)``.
    """
    recipe = _recipe("train_tutorial", TRAINING_RECIPE, recipe)
    inputs, labels = _check_images_labels(x_train, y_train, "train_tutorial")
    model = build_network(seed=seed, learner_probes=False)
    # conv1 feeds spikes to conv2, so it must fire soon and often within 30 steps.
    # From Glorot's small start (limit sqrt(6 / (9 + 9 * 32)) = 0.14) training
    # leaves its firing neurons near 30 Hz: a first spike only after ~25 ms, then
    # sparse volleys, and the spiking network falls 1-2 points behind the rate
    # one. Starting 16 times larger they fire at 90 Hz or more, and the gap closes.
    conv1 = model.network.connections[0]
    conv1.transform.kernel *= recipe["conv1_init_scale"]
    # So large, conv1 barely moves in training anyway: Adam's steps are about the
    # learning rate each, and 30 epochs changed its kernel by 7% (rms). Leaving
    # it as it starts skips the slopes of its 21,632 LIF neurons per image and
    # its backward pass: nearly half of the training time.
    trainable = [
        conn
        for conn in model.network.connections
        if isinstance(conn.transform, (Conv2D, Dense))
        and (recipe["train_conv1"] or conn is not conv1)
    ]
    if validation is not None:
        val_inputs, val_labels = _check_images_labels(*validation, "train_tutorial validation")
        validation = ({model.input: val_inputs}, val_labels)
    history = training.train(
        model.network,
        {model.input: inputs},
        {model.output: labels},
        epochs=recipe["epochs"],
        batch_size=recipe["batch_size"],
        optimizer=training.Adam(recipe["learning_rate"]),
        learning_rate_schedule=training.cosine_decay(
            recipe["learning_rate"], recipe["epochs"], recipe["final_learning_rate"]
        ),
        augment=random_shifts(recipe["max_shift"]),
        lif_smoothing=recipe["lif_smoothing"],
        trainable=trainable,
        seed=seed,
        validation=validation,
        progress_bar=progress_bar,
    )
    history["recipe"] = recipe
    return model, history
