"""Precomputed frames of the explorers that answer the four questions.

On the website an explorer is a static copy: its controls and its first figure.
For the four explorers that carry the four questions, the site adds a few frames
of one control swept through its values, drawn here by the same compute and draw
functions the explorer calls (`snnlib.course.widgets`), each with a caption and
alt text read from the numbers it draws:

- lecture 01, `input_explorer` (question 4): the step looked at, 1 to 30;
- lecture 02, `convolution_explorer` (questions 1 and 3): the kernel; strides and padding;
- lecture 04, `synapse_explorer` (question 2): the synapse and its tau;
- lectures 05 and 06, `network_explorer` (question 3, and tuning): n_steps; the
  connection synapse.

`draw` writes an explorer's frames as PNG files, with a manifest of their
captions and alt text, into a folder of the execution cache named after a hash
of this file, so that a change here draws them again.
"""

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from snnlib.course import widgets


@dataclass
class Frame:
    caption: str  # the setting, as the explorer's controls name it
    alt: str  # what the figure shows, with its numbers
    figure: object  # a matplotlib figure


@dataclass
class Sweep:
    title: str  # which control moves, and over what
    values: list
    draw: Callable  # value -> Frame


# --- lecture 01: the input held at every step ----------------------------------------


@lru_cache(maxsize=1)
def _digit_record():
    images, labels = widgets.test_digits()
    return widgets.compute_input_record(images[0], n_steps=30), labels[0]


def input_frame(step):
    record, label = _digit_record()
    a, b, c = record["traces"][step]
    return Frame(
        caption=f"look at step = {step} (step {step + 1}, t = {step + 1} ms)",
        alt=(
            f"Left: the probe's record at step {step + 1} of 30, reshaped to 28 by 28: the "
            f"same digit {label} as at every other step. Right: three of its pixels over "
            f"30 ms, three flat lines at {a:.2f}, {b:.2f} and {c:.2f}, with a dotted line "
            f"at {step + 1} ms."
        ),
        figure=widgets.draw_input_record(record, step=step),
    )


# --- lecture 02: kernels, strides and padding -------------------------------------------


def convolution_frame(kernel="vertical edges (Sobel x)", strides=1, padding="valid"):
    images, _ = widgets.test_digits()
    result = widgets.compute_convolution(images[0], kernel, strides, padding)
    kh, kw = result["kernel"].shape
    h, w = result["shape_out"][:2]
    return Frame(
        caption=f"kernel = {kernel}, strides = {strides}, padding = {padding}",
        alt=(
            f"Left: a digit, 28 by 28 pixels. Middle: the {kh} by {kw} kernel "
            f"'{kernel}' with its values. Right: the output of sliding it over the digit "
            f"with strides {strides} and padding '{padding}', a {h} by {w} map in red "
            f"(positive) and blue (negative); {result['n_params']} shared weights, where a "
            f"dense matrix would need {result['n_dense']:,}."
        ),
        figure=widgets.draw_convolution(result),
    )


def kernel_frame(kernel):
    return convolution_frame(kernel=kernel)


def stride_frame(setting):
    strides, padding = setting
    return convolution_frame(strides=strides, padding=padding)


# --- lecture 04: a synapse on a probe or on a connection ---------------------------------


def synapse_frame(setting):
    kind, tau = setting
    result = widgets.compute_synapse_demo(kind, tau, x=0.5)
    name = "None" if kind == "None" else f"{kind}({tau * 1000:g} ms)"
    return Frame(
        caption=f"synapse = {kind}" + ("" if kind == "None" else f", tau = {tau:g} s"),
        alt=(
            f"Top: a neuron's {result['n_pre']} regular spikes in 0.3 s; left, a probe "
            f"filtered by {name} records them; right, a connection through {name} "
            "delivers the very same curve to the next neuron. Bottom: that next neuron fires "
            f"{result['n_post_probe']} spikes when its connection has no synapse, and "
            f"{result['n_post_conn']} with {name}."
        ),
        figure=widgets.draw_synapse_demo(result),
    )


# --- lectures 05 and 06: the spiking network -------------------------------------------


def network_frame(n_steps=30, synapse=None, scale=1):
    result = widgets.compute_network_demo(n_steps, synapse, 0.1, scale)
    label, says = result["labels"][0], result["predictions"][0]
    synapse_name = "None" if synapse is None else f"{synapse * 1000:g} ms"
    rates = ", ".join(f"{name} {rate:.0f} Hz" for name, rate in result["rates_hz"].items())
    return Frame(
        caption=(f"n_steps = {n_steps}, connection synapse = {synapse_name}, rate scale = {scale}"),
        alt=(
            f"The tutorial network, connection synapse {synapse_name}, firing-rate scale "
            f"{scale}, {n_steps} steps. Digit 0, a {label}, which the network reads as a "
            f"{says}. Its output probe's ten records over {n_steps} ms. Accuracy on 40 "
            f"digits against the step read: {100 * result['accuracy']:.0f}% after {n_steps} "
            f"steps. Mean firing rates: {rates}; {result['spikes_per_image']:,.0f} spikes "
            "per image."
        ),
        figure=widgets.draw_network_demo(result, digit=0),
    )


# Each frame costs about half a second to draw (most of it matplotlib's layout and
# PNG), so a sweep shows a few telling values, not every one.
SWEEPS = {
    "input_explorer": [
        Sweep("look at step, 1 to 30", [0, 1, 4, 9, 19, 29], input_frame),
    ],
    "convolution_explorer": [
        Sweep("kernel", list(widgets.NAMED_KERNELS), kernel_frame),
        Sweep("strides and padding", [(1, "valid"), (2, "valid"), (2, "same")], stride_frame),
    ],
    "synapse_explorer": [
        Sweep(
            "synapse and tau",
            [
                ("Lowpass", 0.002),
                ("Lowpass", 0.01),
                ("Lowpass", 0.1),
                ("Alpha", 0.01),
                ("None", 0.01),
            ],
            synapse_frame,
        ),
    ],
    "network_explorer": [
        Sweep("n_steps, 1 to 40", [1, 3, 5, 10, 20, 30, 40], lambda n: network_frame(n_steps=n)),
        Sweep(
            "connection synapse, at 30 steps",
            list(widgets.NETWORK_SYNAPSES),
            lambda s: network_frame(synapse=s),
        ),
    ],
}


def manifest_path(explorer, cache_dir):
    """Where ``explorer``'s manifest is (or will be) in ``cache_dir``."""
    spec = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return Path(cache_dir) / "explorer-frames" / spec / f"{explorer}.json"


def draw(explorer, cache_dir):
    """``[(sweep title, [(caption, alt, png path)])]`` for ``explorer``: drawn into
    ``cache_dir`` unless they are there already."""
    manifest = manifest_path(explorer, cache_dir)
    if not manifest.exists():
        manifest.parent.mkdir(parents=True, exist_ok=True)
        sweeps = []
        for s, sweep in enumerate(SWEEPS[explorer]):
            drawn = []
            for f, value in enumerate(sweep.values):
                frame = sweep.draw(value)
                png = manifest.parent / f"{explorer}-{s}-{f}.png"
                frame.figure.savefig(png, format="png", dpi=frame.figure.dpi)
                frame.figure.clear()
                drawn.append((frame.caption, frame.alt, str(png)))
            sweeps.append((sweep.title, drawn))
        # written last and at once: a manifest means that all its frames are there
        partial = manifest.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(sweeps))
        partial.replace(manifest)
    return json.loads(manifest.read_text())
