"""Transforms: the linear maps that sit on connections.

A Conv2D "layer" is not a group of neurons: it is a linear transform applied to
whatever travels along a connection (pixels, or the previous layer's spikes).
Both transforms here use Keras's argument names and layouts:

- `Dense(units)`: ``y = x @ kernel + bias``, kernel of shape ``(n_in, units)``;
- `Conv2D(filters, kernel_size, strides, padding)`: channels-last correlation
  (no kernel flip, as Keras and Nengo compute it), kernel of shape
  ``kernel_size + (in_channels, filters)``.

Every transform applies to a batch (leading axis), reports ``output_shape``,
and gives ``to_matrix(shape_in)``: the dense matrix ``M`` of shape
``(n_out, n_in)`` with ``y = M @ x + bias`` for a flattened input ``x``.
"""

import numbers

import numpy as np

from ._checks import as_finite_array, as_shape, check_positive_int


class Transform:
    """Base class: holds ``kernel`` and ``bias`` once they are known.

    Weights given to the constructor are used as they are; otherwise they are
    drawn (Glorot-uniform kernel, zero bias, as Keras does) when the transform
    is first connected, from the network's random generator.
    """

    def __init__(self, kernel=None, bias=None, use_bias=True):
        name = type(self).__name__
        self.use_bias = bool(use_bias)
        self.kernel = None if kernel is None else as_finite_array(name, "kernel", kernel)
        if bias is not None and not self.use_bias:
            raise ValueError(f"{name}: bias was given but use_bias=False")
        self.bias = None if bias is None else as_finite_array(name, "bias", bias)

    def output_shape(self, shape_in):
        raise NotImplementedError

    def kernel_shape(self, shape_in):
        raise NotImplementedError

    def fan_in_out(self, shape_in):
        raise NotImplementedError

    def size_in(self, shape_in):
        return int(np.prod(shape_in))

    def size_out(self, shape_in):
        return int(np.prod(self.output_shape(shape_in)))

    def init_params(self, shape_in, rng):
        """Check given weights against ``shape_in``; draw any that are missing."""
        name = type(self).__name__
        shape = self.kernel_shape(shape_in)
        if self.kernel is None:
            fan_in, fan_out = self.fan_in_out(shape_in)
            limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot (Xavier) uniform
            self.kernel = rng.uniform(-limit, limit, size=shape)
        elif self.kernel.shape != shape:
            raise ValueError(
                f"{name}: kernel has shape {self.kernel.shape}, but an input of shape "
                f"{tuple(shape_in)} needs a kernel of shape {shape}"
            )
        n_out = self.output_shape(shape_in)[-1]
        if self.use_bias and self.bias is None:
            self.bias = np.zeros(n_out)
        elif self.use_bias and self.bias.shape != (n_out,):
            raise ValueError(f"{name}: bias has shape {self.bias.shape}, expected ({n_out},)")

    def _check_batch(self, x, shape_in):
        name = type(self).__name__
        x = np.asarray(x)
        n_in = self.size_in(shape_in)
        fits = (x.ndim == 2 and x.shape[1] == n_in) or x.shape[1:] == tuple(shape_in)
        if not fits:
            raise ValueError(
                f"{name}: input of shape {x.shape} does not fit shape_in "
                f"{tuple(shape_in)}; expected (batch, {n_in}) or (batch,) + shape_in"
            )
        if self.kernel is None:
            raise ValueError(f"{name}: no kernel yet; give kernel= or connect it first")
        return x

    def to_matrix(self, shape_in):
        """The dense matrix ``M``, shape ``(n_out, n_in)``, with ``y = M @ x + bias``.

        Column ``i`` of ``M`` is the response to the ``i``-th unit input (without bias).
        """
        shape_in = as_shape(type(self).__name__, "shape_in", shape_in)
        n_in = self.size_in(shape_in)
        unit_inputs = np.eye(n_in)
        responses = self.apply(unit_inputs, shape_in, include_bias=False)
        return responses.T

    def apply(self, x, shape_in, include_bias=True):
        raise NotImplementedError


class Dense(Transform):
    """A fully connected transform: ``y = x @ kernel + bias``.

    Parameters
    ----------
    units : int
        Size of the output.
    use_bias : bool
        Add a bias (zeros unless given).
    kernel : array, optional
        Weights of shape ``(n_in, units)`` (the transpose of Nengo's
        ``(size_out, size_in)`` matrix).
    bias : array, optional
        Shape ``(units,)``.
    """

    def __init__(self, units, use_bias=True, kernel=None, bias=None):
        super().__init__(kernel=kernel, bias=bias, use_bias=use_bias)
        self.units = check_positive_int("Dense", "units", units)

    def __repr__(self):
        return f"Dense(units={self.units})"

    def output_shape(self, shape_in):
        return (self.units,)

    def kernel_shape(self, shape_in):
        return (self.size_in(shape_in), self.units)

    def fan_in_out(self, shape_in):
        return self.size_in(shape_in), self.units

    def apply(self, x, shape_in, include_bias=True):
        """Apply to a batch ``x`` of shape ``(batch, n_in)``; returns ``(batch, units)``."""
        x = self._check_batch(x, shape_in)
        y = x.reshape(len(x), -1) @ self.kernel.astype(x.dtype, copy=False)
        if include_bias and self.use_bias:
            y += self.bias.astype(x.dtype, copy=False)
        return y


class Conv2D(Transform):
    """A 2-D convolution (correlation), channels last, as Keras's ``Conv2D``.

    For input ``x`` of shape ``(H, W, C)`` and kernel ``K`` of shape
    ``(kh, kw, C, filters)``, output position ``(i, j)`` of filter ``f`` is::

        y[i, j, f] = bias[f] + sum_{a, b, c} x[i*s + a - p_top, j*s + b - p_left, c] * K[a, b, c, f]

    with stride ``s``; ``valid`` padding uses no padding (``p = 0``), ``same``
    pads with zeros as TensorFlow and Nengo do so that the output is
    ``ceil(H / s)`` by ``ceil(W / s)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int, int)
    strides : int or (int, int)
    padding : ``"valid"`` or ``"same"``
    use_bias : bool
    kernel : array, optional
        Shape ``kernel_size + (in_channels, filters)``.
    bias : array, optional
        Shape ``(filters,)``.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        strides=1,
        padding="valid",
        use_bias=True,
        kernel=None,
        bias=None,
    ):
        super().__init__(kernel=kernel, bias=bias, use_bias=use_bias)
        self.filters = check_positive_int("Conv2D", "filters", filters)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def __repr__(self):
        return (
            f"Conv2D(filters={self.filters}, kernel_size={self.kernel_size}, "
            f"strides={self.strides}, padding={self.padding!r})"
        )

    def _check_shape_in(self, shape_in):
        shape_in = as_shape("Conv2D", "shape_in", shape_in)
        if len(shape_in) != 3:
            raise ValueError(
                f"{self!r}: shape_in must be (height, width, channels), got {shape_in}"
            )
        return shape_in

    def _padding(self, size, k, s):
        """Output size and (before, after) zero padding along one spatial axis."""
        if self.padding == "valid":
            return (size - k) // s + 1, (0, 0)
        out = -(-size // s)  # ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        return out, (total // 2, total - total // 2)

    def output_shape(self, shape_in):
        H, W, _ = self._check_shape_in(shape_in)
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        out_h, _ = self._padding(H, kh, sh)
        out_w, _ = self._padding(W, kw, sw)
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"{self!r}: input {H}x{W} is smaller than the kernel {kh}x{kw} "
                "with 'valid' padding; the output would be empty"
            )
        return (out_h, out_w, self.filters)

    def kernel_shape(self, shape_in):
        shape_in = self._check_shape_in(shape_in)
        return self.kernel_size + (shape_in[2], self.filters)

    def fan_in_out(self, shape_in):
        kh, kw, c, f = self.kernel_shape(shape_in)
        return kh * kw * c, kh * kw * f

    def patches(self, x, shape_in):
        """For a batch ``x``, the ``kh x kw x C`` patch of (padded) input that each
        output position sees, one row per (item, position): an array of shape
        ``(batch * out_h * out_w, kh * kw * C)``, ordered as the flattened kernel.

        Offset ``(a, b)`` of every patch is a strided, shifted view of the image.
        """
        shape_in = self._check_shape_in(shape_in)
        x = self._check_batch(x, shape_in).reshape((-1,) + shape_in)
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        out_h, pad_h = self._padding(shape_in[0], kh, sh)
        out_w, pad_w = self._padding(shape_in[1], kw, sw)
        if self.padding == "same":
            x = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
        patches = np.stack(
            [
                x[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw, :]
                for a in range(kh)
                for b in range(kw)
            ],
            axis=3,
        )
        return patches.reshape(len(x) * out_h * out_w, kh * kw * shape_in[2])

    def apply(self, x, shape_in, include_bias=True):
        """Apply to a batch ``x`` of shape ``(batch, H*W*C)`` or ``(batch, H, W, C)``.

        Returns ``(batch, out_h * out_w * filters)``, flattened channels-last.
        The correlation is one matrix product of the patches with the kernel
        flattened to ``(kh * kw * C, filters)``.
        """
        patches = self.patches(x, shape_in)
        kernel = self.kernel.astype(patches.dtype, copy=False).reshape(-1, self.filters)
        y = patches @ kernel
        if include_bias and self.use_bias:
            y += self.bias.astype(y.dtype, copy=False)
        return y.reshape(len(np.asarray(x)), -1)


def _pair(name, value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    value = tuple(value) if isinstance(value, (tuple, list)) else value
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value
        )
    ):
        raise ValueError(f"Conv2D: {name} must be an int >= 1 or a pair of them, got {value!r}")
    return (int(value[0]), int(value[1]))
