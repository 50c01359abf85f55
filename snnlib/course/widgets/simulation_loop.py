"""Lecture 01, the simulation loop: an image held at every step, and what probes record."""

import numpy as np

from snnlib.course.datasets import images_to_inputs
from snnlib.course.widgets.common import DT, _aligned, _axes_of, _show, test_digits
from snnlib.network import Network, Node, Probe
from snnlib.simulator import Simulator

# --- lecture 01: the simulation loop ------------------------------------------------


def compute_input_record(image, n_steps=30, dt=DT, pixels=((14, 14), (7, 14), (20, 10))):
    """Feed one image to a network as a node held for ``n_steps`` steps, and probe it.

    Parameters
    ----------
    image : array (28, 28)
        A digit (uint8 0-255 or floats in [0, 1]).
    n_steps : int
        How many time steps to run.
    dt : float
        The time step, in seconds.
    pixels : sequence of (row, column)
        Pixels whose value over time is returned as ``traces``.

    Returns
    -------
    dict
        ``t`` (n_steps,) in seconds; ``data`` the probe data (1, n_steps, 784);
        ``frames`` the same unflattened, (n_steps, 28, 28, 1); ``traces``
        (n_steps, len(pixels)); ``image`` the input as floats in [0, 1].
    """
    x = images_to_inputs(np.asarray(image)[None])  # (1, 784)
    with Network(default_synapse=None) as net:
        inp = Node(np.zeros(28 * 28), shape=(28, 28, 1))
        probe = Probe(inp)
    sim = Simulator(net, dt=dt)
    data = sim.run_steps(int(n_steps), inputs={inp: x})[probe]
    frames = probe.unflatten(data)[0]
    traces = np.stack([frames[:, r, c, 0] for r, c in pixels], axis=1)
    return {
        "t": sim.trange(),
        "data": data,
        "frames": frames,
        "traces": traces,
        "pixels": [tuple(p) for p in pixels],
        "image": x[0].reshape(28, 28),
    }


def draw_input_record(result, step=0, fig=None):
    """Left: the frame recorded at ``step`` (unflattened). Right: pixels over time."""
    fig, (ax_img, ax_t) = _axes_of(fig, 2, (9, 3.2))
    frames, t = result["frames"], result["t"]
    step = int(np.clip(step, 0, len(t) - 1))
    im = ax_img.imshow(frames[step, :, :, 0], cmap="gray", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax_img, label="pixel value (0-1)")
    for r, c in result["pixels"]:
        ax_img.plot(c, r, "o", markerfacecolor="none", markersize=8)
    ax_img.set_title(f"probe data at step {step + 1} (t = {t[step] * 1000:.0f} ms)")
    ax_img.set_xlabel("column")
    ax_img.set_ylabel("row")
    for i, (r, c) in enumerate(result["pixels"]):
        ax_t.plot(t * 1000, result["traces"][:, i], ".-", label=f"pixel ({r}, {c})")
    ax_t.axvline(t[step] * 1000, color="k", lw=0.8, ls=":")
    ax_t.set_xlabel("time (ms)")
    ax_t.set_ylabel("node output (pixel value, 0-1)")
    ax_t.set_ylim(-0.05, 1.05)
    ax_t.set_title(f"probe data {result['data'].shape}: (batch, steps, units)", fontsize=10)
    ax_t.legend(fontsize=8, loc="center right")
    return fig


def input_explorer():
    """Sliders: which digit, how many steps, which step to look at."""
    import ipywidgets as w

    images, labels = test_digits()

    def update(digit=0, n_steps=30, step=0):
        result = compute_input_record(images[digit], n_steps=n_steps)
        fig = draw_input_record(result, step=min(step, n_steps - 1))
        fig.suptitle(f"test digit {digit} (label {labels[digit]})")
        _show(fig)

    return w.interactive(
        update,
        **_aligned(
            digit=w.IntSlider(value=0, min=0, max=20, description="digit"),
            n_steps=w.IntSlider(value=30, min=1, max=60, description="n_steps"),
            step=w.IntSlider(value=0, min=0, max=59, description="look at step"),
        ),
    )
