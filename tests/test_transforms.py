"""Dense and Conv2D against a plain loop, a matrix product and to_matrix."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import snnlib as snn


def loop_correlation(image, kernel, stride, padding):
    """Direct definition: y[i, j, f] = sum_{a, b, c} x_pad[i*s + a, j*s + b, c] K[a, b, c, f]."""
    H, W, C = image.shape
    kh, kw, _, F = kernel.shape
    if padding == "same":
        out_h, out_w = -(-H // stride), -(-W // stride)
        pad_h = max((out_h - 1) * stride + kh - H, 0)
        pad_w = max((out_w - 1) * stride + kw - W, 0)
        top, left = pad_h // 2, pad_w // 2
    else:
        out_h, out_w = (H - kh) // stride + 1, (W - kw) // stride + 1
        pad_h = pad_w = top = left = 0
    padded = np.zeros((H + pad_h, W + pad_w, C))
    padded[top : top + H, left : left + W] = image
    y = np.zeros((out_h, out_w, F))
    for i in range(out_h):
        for j in range(out_w):
            for f in range(F):
                window = padded[i * stride : i * stride + kh, j * stride : j * stride + kw]
                y[i, j, f] = np.sum(window * kernel[..., f])
    return y


@settings(max_examples=40, deadline=None)
@given(
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    C=st.integers(1, 3),
    F=st.integers(1, 3),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same"]),
    seed=st.integers(0, 2**16),
)
def test_conv2d_against_loop_and_matrix(H, W, C, F, k, stride, padding, seed):
    if padding == "valid" and (k > H or k > W):
        with pytest.raises(ValueError, match="smaller than the kernel"):
            snn.Conv2D(F, k, stride, padding).output_shape((H, W, C))
        return
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(k, k, C, F))
    bias = rng.normal(size=F)
    conv = snn.Conv2D(F, k, strides=stride, padding=padding, kernel=kernel, bias=bias)
    images = rng.normal(size=(2, H, W, C))
    y = conv.apply(images.reshape(2, -1), (H, W, C))
    out_shape = conv.output_shape((H, W, C))
    for image, y_item in zip(images, y):
        expected = loop_correlation(image, kernel, stride, padding) + bias
        assert expected.shape == out_shape
        np.testing.assert_allclose(y_item, expected.ravel(), rtol=1e-10, atol=1e-12)
    M = conv.to_matrix((H, W, C))
    assert M.shape == (np.prod(out_shape), H * W * C)
    np.testing.assert_allclose(
        images.reshape(2, -1) @ M.T + np.tile(bias, M.shape[0] // F), y, rtol=1e-10, atol=1e-12
    )


def test_tutorial_output_shapes():
    shape = (28, 28, 1)
    expected = [(26, 26, 32), (12, 12, 64), (5, 5, 128)]
    for (filters, stride), want in zip([(32, 1), (64, 2), (128, 2)], expected):
        shape = snn.Conv2D(filters, 3, strides=stride).output_shape(shape)
        assert shape == want
    assert snn.Conv2D(8, 3, strides=2, padding="same").output_shape((28, 28, 1)) == (14, 14, 8)


def test_dense_is_a_matrix_product():
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(6, 4)), rng.normal(size=4)
    dense = snn.Dense(4, kernel=kernel, bias=bias)
    x = rng.normal(size=(5, 6))
    np.testing.assert_allclose(dense.apply(x, (6,)), x @ kernel + bias)
    np.testing.assert_allclose(dense.to_matrix((6,)), kernel.T)
    assert dense.output_shape((2, 3)) == (4,)


def test_weights_drawn_from_the_network_seed():
    def build(seed):
        with snn.Network(seed=seed):
            inp = snn.Node(np.zeros(36))
            conv = snn.Conv2D(4, 3)
            snn.Layer(conv)(inp, shape_in=(6, 6, 1))
        return conv

    a, b, c = build(1), build(1), build(2)
    np.testing.assert_array_equal(a.kernel, b.kernel)
    assert not np.array_equal(a.kernel, c.kernel)
    limit = np.sqrt(6 / (9 * 1 + 9 * 4))  # Glorot uniform, as Keras
    assert np.abs(a.kernel).max() <= limit and np.all(a.bias == 0)


def test_conv_without_bias_and_parameter_count():
    conv = snn.Conv2D(32, 3, use_bias=False, kernel=np.ones((3, 3, 1, 32)))
    x = np.ones((1, 28 * 28))
    assert np.all(conv.apply(x, (28, 28, 1)) == 9)
    assert conv.bias is None
