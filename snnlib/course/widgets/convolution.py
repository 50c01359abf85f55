"""Lecture 02, convolution: kernels, strides and padding on a digit; shapes
through the tutorial's stack; a Conv2D as one dense matrix."""

import numpy as np

from snnlib.course.datasets import images_to_inputs
from snnlib.course.widgets.common import _aligned, _axes_of, _show, test_digits
from snnlib.transforms import Conv2D

# --- lecture 02: convolution --------------------------------------------------------

NAMED_KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "blur (3x3 box)": np.full((3, 3), 1 / 9),
    "vertical edges (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    "horizontal edges (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float),
    "outline (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "blur (5x5 box)": np.full((5, 5), 1 / 25),
}
"""Hand-made kernels, (kh, kw), for a one-channel, one-filter Conv2D."""


def compute_convolution(image, kernel="identity", strides=1, padding="valid"):
    """Apply a named kernel to a digit with snnlib's `Conv2D` (one filter).

    Returns
    -------
    dict
        ``image`` (28, 28) floats; ``kernel`` (kh, kw); ``feature_map``
        (out_h, out_w); ``shape_in`` (28, 28, 1); ``shape_out``;
        ``n_params`` (weights in the kernel); ``n_dense`` (weights a dense
        matrix between the same input and output would need).
    """
    if isinstance(kernel, str):
        if kernel not in NAMED_KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose from {list(NAMED_KERNELS)}")
        name, kernel = kernel, NAMED_KERNELS[kernel]
    else:
        name, kernel = "custom", np.asarray(kernel, float)
    x = images_to_inputs(np.asarray(image)[None])  # (1, 784)
    shape_in = (28, 28, 1)
    conv = Conv2D(
        filters=1,
        kernel_size=kernel.shape,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel=kernel[:, :, None, None],
    )
    shape_out = conv.output_shape(shape_in)
    y = conv.apply(x, shape_in)
    return {
        "name": name,
        "image": x[0].reshape(28, 28),
        "kernel": kernel,
        "feature_map": y[0].reshape(shape_out)[:, :, 0],
        "shape_in": shape_in,
        "shape_out": shape_out,
        "strides": strides,
        "padding": padding,
        "n_params": kernel.size,
        "n_dense": 28 * 28 * int(np.prod(shape_out)),
    }


def draw_convolution(result, fig=None):
    """Input digit, kernel (with its values) and feature map, with their shapes."""
    fig, (ax_in, ax_k, ax_out) = _axes_of(fig, 3, (10, 3.3))
    im = ax_in.imshow(result["image"], cmap="gray", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax_in, shrink=0.8, label="pixel value (0-1)")
    ax_in.set_title(f"input {result['shape_in']}")
    kernel = result["kernel"]
    limit = max(np.abs(kernel).max(), 1e-9)
    ax_k.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if kernel.size <= 25:
        for (r, c), v in np.ndenumerate(kernel):
            ax_k.text(
                c,
                r,
                f"{v:.2g}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if abs(v) > 0.6 * limit else "black",
            )
    ax_k.set_title(f"kernel {kernel.shape[0]}x{kernel.shape[1]}: {result['name']}")
    fmap = result["feature_map"]
    limit = max(np.abs(fmap).max(), 1e-9)
    im = ax_out.imshow(fmap, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(im, ax=ax_out, shrink=0.8, label="output value")
    ax_out.set_title(
        f"output {result['shape_out']}\nstrides={result['strides']}, padding={result['padding']!r}"
    )
    for ax in (ax_in, ax_k, ax_out):
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    return fig


def convolution_explorer():
    """Controls: kernel, strides, padding, digit."""
    import ipywidgets as w

    images, labels = test_digits()

    def update(kernel="vertical edges (Sobel x)", strides=1, padding="valid", digit=0):
        result = compute_convolution(images[digit], kernel, strides, padding)
        fig = draw_convolution(result)
        fig.suptitle(
            f"{result['n_params']} shared weights, where a dense matrix from "
            f"28x28 to {result['shape_out'][0]}x{result['shape_out'][1]} would "
            f"need {result['n_dense']:,}",
            fontsize=10,
        )
        _show(fig)

    return w.interactive(
        update,
        **_aligned(
            kernel=w.Dropdown(
                options=list(NAMED_KERNELS), value="vertical edges (Sobel x)", description="kernel"
            ),
            strides=w.IntSlider(value=1, min=1, max=4, description="strides"),
            padding=w.Dropdown(options=["valid", "same"], value="valid", description="padding"),
            digit=w.IntSlider(value=0, min=0, max=20, description="digit"),
        ),
    )


def conv_stack_table(shape_in=(28, 28, 1), layers=((32, 3, 1), (64, 3, 2), (128, 3, 2)), units=10):
    """Shapes and parameter counts of a stack of 'valid' Conv2D layers, then Dense.

    ``layers`` holds ``(filters, kernel_size, strides)``. Returns a list of dicts
    with ``layer``, ``shape_in``, ``shape_out``, ``kernel_shape``, ``n_params``
    (kernel plus bias) and ``n_dense`` (the weights of ``to_matrix``).
    """
    rows, shape = [], tuple(shape_in)
    for i, (filters, k, s) in enumerate(layers, start=1):
        conv = Conv2D(filters=filters, kernel_size=k, strides=s)
        out = conv.output_shape(shape)
        rows.append(
            {
                "layer": f"conv{i}",
                "shape_in": shape,
                "shape_out": out,
                "kernel_shape": conv.kernel_shape(shape),
                "n_params": int(np.prod(conv.kernel_shape(shape))) + filters,
                "n_dense": int(np.prod(shape)) * int(np.prod(out)),
            }
        )
        shape = out
    n_in = int(np.prod(shape))
    rows.append(
        {
            "layer": "dense",
            "shape_in": shape,
            "shape_out": (units,),
            "kernel_shape": (n_in, units),
            "n_params": n_in * units + units,
            "n_dense": n_in * units,
        }
    )
    return rows


def format_table(rows, columns=None):
    """A list of dicts as an aligned text table (for print)."""
    columns = columns or list(rows[0])
    cells = [[str(c) for c in columns]] + [[_fmt(row[c]) for c in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.rjust(wd) for v, wd in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def _fmt(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def draw_matrix(matrix, shape_in, shape_out, fig=None):
    """The dense matrix of a transform: rows are outputs, columns inputs."""
    fig, (ax,) = _axes_of(fig, 1, (6, 4))
    limit = max(np.abs(matrix).max(), 1e-9)
    im = ax.imshow(
        matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest"
    )
    fig.colorbar(im, ax=ax, label="weight")
    ax.set_xlabel(f"input index (flattened {tuple(shape_in)}, channels last)")
    ax.set_ylabel(f"output index (flattened {tuple(shape_out)})")
    ax.set_title(f"to_matrix: shape {matrix.shape} = (n_out, n_in)")
    return fig
