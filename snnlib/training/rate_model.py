"""The rate model: a network run with rate neurons, and its backward passes.

Spikes have no useful gradient, so, as NengoDL does, training swaps every
spiking neuron type for its rate equivalent and runs the network for one
"step" at steady state (synapses are ignored: a filter passes a constant on
unchanged). The same `Network` object is walked in dependency order:

- an input node outputs the training data (or its own value);
- a connection applies its transform, ``y = transform(x)`` (bias included);
- neurons output ``rate(J)`` with ``J = gain * input + bias``;
- a pass-through node outputs the sum of its inputs.

Neuron types in rate mode (forward pass -> derivative used for gradients):

==========================  ===============  ===========================================
in the network              forward          derivative
==========================  ===============  ===========================================
LIF, LIFRate                LIFRate.rates    SoftLIFRate(sigma=lif_smoothing).derivative
SoftLIFRate                 its rates        its derivative
SpikingRectifiedLinear,     RectifiedLinear  RectifiedLinear.derivative
RectifiedLinear
==========================  ===============  ===========================================

(NengoDL's ``lif_smoothing`` setting does the same: LIFRate forward, SoftLIFRate
gradient.) The backward passes are written out in numpy below, each beside its
equation. Training writes the new weights into ``conn.transform.kernel`` and
``conn.transform.bias``, so `snnlib.Simulator` then runs the very same network
with spikes.
"""

import numpy as np

from .._checks import check_number
from ..network import (
    Network,
    Neurons,
    Node,
    Probe,
    dependency_order,
    incoming_connections,
)
from ..neurons import LIFRate, NeuronType, RectifiedLinear, SoftLIFRate
from ..transforms import Conv2D, Dense, Transform

# --- neurons in rate mode --------------------------------------------------------

CHUNK_VALUES = 2**15
"""About how many values of ``J`` `RateNetwork` turns into rates at a time
(32,768: 128 KB in float32); see `RateNetwork._neuron_rates`."""


def rate_functions(neuron_type, lif_smoothing=0.05):
    """The rate forward function and its derivative for ``neuron_type``.

    Parameters
    ----------
    neuron_type : NeuronType
    lif_smoothing : float
        ``sigma`` of the `SoftLIFRate` whose derivative stands in for the LIF
        rate's (which is infinite where firing starts, at ``J = 1``).

    Returns
    -------
    forward, derivative : callables
        ``forward(J)`` is the output (``amplitude`` times the rate in Hz) and
        ``derivative(J)`` is ``d forward / dJ``, both of ``J``'s shape and
        float type (float32 when training).
    """
    if not isinstance(neuron_type, NeuronType):
        raise TypeError(f"rate_functions: expected a NeuronType, got {neuron_type!r}")
    if isinstance(neuron_type, SoftLIFRate):
        return _steady_state(neuron_type), neuron_type.derivative
    if isinstance(neuron_type, LIFRate):  # LIF and LIFRate
        lif_smoothing = check_number(
            "rate_functions", "lif_smoothing", lif_smoothing, low=0, low_open=True
        )
        params = dict(
            tau_rc=neuron_type.tau_rc, tau_ref=neuron_type.tau_ref, amplitude=neuron_type.amplitude
        )
        return (
            _steady_state(LIFRate(**params)),
            SoftLIFRate(sigma=lif_smoothing, **params).derivative,
        )
    if isinstance(neuron_type, RectifiedLinear):  # and SpikingRectifiedLinear
        relu = RectifiedLinear(amplitude=neuron_type.amplitude)
        return _steady_state(relu), relu.derivative
    raise TypeError(
        f"training has no rate equivalent for {neuron_type!r}; use LIF, "
        "LIFRate, SoftLIFRate, RectifiedLinear or SpikingRectifiedLinear"
    )


def _steady_state(rate_neuron_type):
    """The rate of a (non-spiking) neuron type for a constant ``J``: its ``step``,
    which is its ``rates`` computed in ``J``'s float type (``rates`` itself
    converts to float64 and checks the values, which training does not need)."""

    def forward(J):
        return rate_neuron_type.step(1.0, J, {})

    return forward


# --- transforms: forward and backward --------------------------------------------


def conv2d_forward(conv, x, shape_in):
    """``y = conv(x)`` for a batch, also returning the patches the backward pass needs.

    Every output position sees a ``kh x kw x C`` patch of the (padded) input;
    stacking the patches makes the correlation one matrix product::

        y[n, i, j, :] = patches[n, i, j, :] @ K.reshape(kh * kw * C, filters) + bias

    Returns ``y`` of shape ``(batch, out_h * out_w * filters)`` and ``patches``
    of shape ``(batch * out_h * out_w, kh * kw * C)``.
    """
    patches = conv.patches(x, shape_in)
    y = patches @ conv.kernel.astype(x.dtype, copy=False).reshape(-1, conv.filters)
    if conv.use_bias:
        y += conv.bias.astype(x.dtype, copy=False)
    return y.reshape(len(x), -1), patches


def conv2d_backward(conv, dy, patches, shape_in, need_dx=True):
    """Gradients of a Conv2D given ``dy = dLoss/dy`` (batch, out_h * out_w * filters).

    From ``y = patches @ K2 + bias`` (``K2`` the kernel as a matrix)::

        dK2      = patches^T @ dy           (summed over batch and positions)
        dbias    = sum of dy over batch and positions
        dpatches = dy @ K2^T

    and each patch entry is a copy of one input pixel, so ``dx`` adds up the
    ``dpatches`` entries that came from each pixel (the reverse of the stacking).

    Returns ``dx`` (batch, H*W*C) or None, ``dkernel`` and ``dbias`` (or None).
    """
    H, W, C = shape_in
    (kh, kw), (sh, sw) = conv.kernel_size, conv.strides
    out_h, pad_h = conv._padding(H, kh, sh)
    out_w, pad_w = conv._padding(W, kw, sw)
    batch = len(dy)
    dy = dy.reshape(batch * out_h * out_w, conv.filters)
    kernel2 = conv.kernel.astype(dy.dtype, copy=False).reshape(-1, conv.filters)
    dkernel = (patches.T @ dy).reshape(conv.kernel.shape)
    dbias = dy.sum(axis=0) if conv.use_bias else None
    if not need_dx:
        return None, dkernel, dbias
    dpatches = (dy @ kernel2.T).reshape(batch, out_h, out_w, kh * kw, C)
    dx = np.zeros((batch, H + sum(pad_h), W + sum(pad_w), C), dtype=dy.dtype)
    for index, (a, b) in enumerate((a, b) for a in range(kh) for b in range(kw)):
        dx[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw, :] += dpatches[:, :, :, index, :]
    dx = dx[:, pad_h[0] : pad_h[0] + H, pad_w[0] : pad_w[0] + W, :]
    return dx.reshape(batch, -1), dkernel, dbias


def dense_forward(dense, x):
    """``y = x @ kernel + bias`` for a batch ``x`` of shape ``(batch, n_in)``."""
    y = x @ dense.kernel.astype(x.dtype, copy=False)
    if dense.use_bias:
        y += dense.bias.astype(x.dtype, copy=False)
    return y


def dense_backward(dense, dy, x, need_dx=True):
    """Gradients of a Dense given ``dy``: ``dkernel = x^T dy``, ``dbias = sum(dy)``,
    ``dx = dy kernel^T``."""
    dkernel = x.T @ dy
    dbias = dy.sum(axis=0) if dense.use_bias else None
    dx = dy @ dense.kernel.astype(dy.dtype, copy=False).T if need_dx else None
    return dx, dkernel, dbias


# --- the loss -----------------------------------------------------------------------


def softmax_cross_entropy(logits, labels):
    """Mean softmax cross-entropy of ``logits`` (batch, classes) for integer ``labels``.

    With ``p = softmax(z)``, the loss of one item is ``-log p[label]`` and its
    gradient is ``dLoss/dz = p - onehot(label)`` (divided by the batch size, as
    the loss is a mean).

    Returns ``(loss, dlogits)``.
    """
    z = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_p[rows, labels].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return float(loss), dlogits / len(labels)


# --- the rate network --------------------------------------------------------------


class RateTarget:
    """Penalise the mean firing rate of a neuron layer for straying from a target.

    Adds ``weight * (mean_rate / target_hz - 1)^2`` to the loss, where
    ``mean_rate`` (in Hz) is the layer's output divided by ``amplitude``,
    averaged over the batch and the neurons (with ``active_only``, over the
    neurons that fire only, so that silent ones are not pushed to fire).

    Parameters
    ----------
    neurons : Neurons
    target_hz : float
        The wanted mean rate, in Hz (> 0).
    weight : float
        Strength of the penalty (>= 0).
    active_only : bool
        Average over the firing neurons (output > 0) only.
    """

    def __init__(self, neurons, target_hz, weight=0.1, active_only=False):
        if not isinstance(neurons, Neurons):
            raise TypeError(f"RateTarget: neurons must be a Neurons object, got {neurons!r}")
        self.neurons = neurons
        self.target_hz = check_number("RateTarget", "target_hz", target_hz, low=0, low_open=True)
        self.weight = check_number("RateTarget", "weight", weight, low=0)
        self.active_only = bool(active_only)

    def __repr__(self):
        return (
            f"RateTarget({self.neurons!r}, target_hz={self.target_hz}, "
            f"weight={self.weight}, active_only={self.active_only})"
        )

    def loss_and_grad(self, output, amplitude):
        """The penalty, its gradient with respect to the layer's ``output``, and the
        mean rate in Hz.

        With ``N`` values averaged, ``d penalty / d output =
        2 weight (mean_rate / target - 1) / (target amplitude N)`` for each of them
        (0 for the others).
        """
        counted = output > 0 if self.active_only else np.ones(output.shape, bool)
        n = max(int(counted.sum()), 1)
        mean_rate = float(output[counted].sum()) / (n * amplitude)
        error = mean_rate / self.target_hz - 1
        grad = counted * (2 * self.weight * error / (self.target_hz * amplitude * n))
        return self.weight * error**2, grad.astype(output.dtype), mean_rate


class RateNetwork:
    """A network run in rate mode: one steady-state pass, forward and backward.

    Parameters
    ----------
    network : Network
    output : Node, Neurons or Probe
        What the loss is computed on (a probe stands for its target).
    inputs : sequence of Node
        The input nodes that data will be given for.
    lif_smoothing : float
        ``sigma`` of the SoftLIFRate derivative used for LIF gradients.
    trainable : sequence of Connection, optional
        Connections whose transform is trained; default: every connection with
        a `Dense` or `Conv2D` transform that the output depends on.
    watch : sequence of Neurons, optional
        Extra layers whose outputs are kept (e.g. for rate regularisation).
    """

    def __init__(self, network, output, inputs, lif_smoothing=0.05, trainable=None, watch=()):
        if not isinstance(network, Network):
            raise TypeError(f"RateNetwork: network must be a Network, got {network!r}")
        self.network = network
        self.output = _target_of(network, output, "output")
        self.inputs = list(inputs)
        for node in self.inputs:
            if not (isinstance(node, Node) and node in network.nodes and node.is_input):
                raise ValueError(
                    f"RateNetwork: {node!r} is not an input node of {network!r}; "
                    "data can only be given for input nodes (Node(output=...))"
                )
        self.watch = [_target_of(network, w, "watched layer") for w in watch]
        self.incoming = incoming_connections(network)
        # in rate mode every connection counts, filtered or not
        self.order = dependency_order(
            [self.output] + self.watch,
            self.incoming,
            on_loop="RateNetwork: the network has a loop; rate-mode training needs a "
            "feedforward network",
        )
        needed = set(self.order)
        self.connections = [c for c in network.connections if c.post in needed]
        if trainable is None:
            trainable = [c for c in self.connections if isinstance(c.transform, Transform)]
        for conn in trainable:
            if conn not in network.connections or not isinstance(conn.transform, Transform):
                raise ValueError(
                    f"RateNetwork: {conn!r} cannot be trained: it must be a "
                    "connection of this network with a Dense or Conv2D transform"
                )
        self.trainable = list(trainable)
        self.rates = {
            n: rate_functions(n.neuron_type, lif_smoothing) for n in network.neurons if n in needed
        }
        # whether anything trainable lies upstream of an object (else its gradient
        # is not needed); self.order lists inputs first
        self._upstream = {}
        for obj in self.order:
            self._upstream[obj] = any(
                c in self.trainable or self._upstream[c.pre] for c in self.incoming[obj]
            )

    def parameters(self):
        """The trainable arrays (kernels and biases), in a fixed order."""
        params = []
        for conn in self.trainable:
            params.append(conn.transform.kernel)
            if conn.transform.use_bias:
                params.append(conn.transform.bias)
        return params

    def forward(self, inputs, dtype=np.float32, record=False):
        """One steady-state pass. ``inputs`` maps each input node to ``(batch, size)``.

        Returns ``{object: output (batch, size)}`` for every object computed.
        With ``record=True`` it also keeps what `backward` needs.
        """
        batch = len(next(iter(inputs.values())))
        out, self._cache = {}, {}
        for obj in self.order:
            if obj in inputs:
                out[obj] = np.asarray(inputs[obj], dtype=dtype).reshape(batch, -1)
            elif isinstance(obj, Node) and obj.is_input:
                # a node without data outputs its own value (steady state: its value at t=0)
                out[obj] = np.broadcast_to(obj.value.astype(dtype), (batch, obj.size))
            elif isinstance(obj, Node):  # pass-through: the sum of its inputs
                out[obj] = self._sum_inputs(obj, out, batch, dtype, record)
            else:  # neurons: J = gain * input + bias;  output = rate(J)
                total = self._sum_inputs(obj, out, batch, dtype, record)
                # the slope only where backward needs it: something trainable upstream
                needed = record and self._upstream[obj]
                out[obj], slope = self._neuron_rates(obj, total, needed)
                if needed:
                    self._cache[obj] = slope
        return out

    def _neuron_rates(self, neurons, total, record):
        """``J = gain * input + bias``, the output ``rate(J)`` and, if ``record``,
        the slope ``rate'(J)`` that `backward` needs.

        Computed a few items at a time, about `CHUNK_VALUES` values: each numpy
        operation makes a new array, and on a whole batch (a million values
        for conv1_lif) every one of the twenty or so in ``rate'(J)`` would take
        megabytes of fresh memory from the system. Pieces of 128 KB reuse the
        same memory, in the cache; the numbers are the same, 1.5 times faster.
        """
        forward, derivative = self.rates[neurons]
        gain = neurons.gain.astype(total.dtype)
        bias = neurons.bias.astype(total.dtype)
        output = np.empty_like(total)
        slope = np.empty_like(total) if record else None
        items = max(1, CHUNK_VALUES // neurons.size)
        for start in range(0, len(total), items):
            rows = slice(start, start + items)
            J = gain * total[rows] + bias
            output[rows] = forward(J)
            if record:
                slope[rows] = derivative(J)
        return output, slope

    def _sum_inputs(self, obj, out, batch, dtype, record):
        total = np.zeros((batch, obj.size), dtype)
        for conn in self.incoming[obj]:
            total += self._connection_forward(conn, out, record)
        return total

    def _connection_forward(self, conn, out, record):
        x = out[conn.pre]
        if isinstance(conn.transform, Conv2D):
            y, patches = conv2d_forward(conn.transform, x, conn.shape_in)
            if record:
                self._cache[conn] = patches
            return y
        if isinstance(conn.transform, Dense):
            if record:
                self._cache[conn] = x
            return dense_forward(conn.transform, x)
        return x * conn.transform if conn.transform != 1 else x

    def backward(self, output_grads):
        """Back-propagate ``{object: dLoss/d output}`` through the last recorded pass.

        Returns the gradients of the loss for `parameters`, in the same order.
        """
        grads = dict(output_grads)
        param_grads = {}
        for obj in reversed(self.order):
            if obj not in grads or not self._upstream[obj]:
                continue  # nothing trainable upstream: the gradient stops here
            d_out = grads.pop(obj)
            if obj in self.rates:
                # J = gain * input + bias  =>  dLoss/d input = gain * rate'(J) * dLoss/d output
                d_in = d_out * self._cache[obj] * obj.gain.astype(d_out.dtype)
            else:
                d_in = d_out  # a pass-through node passes its gradient to every input
            for conn in self.incoming[obj]:
                need_dx = self._upstream[conn.pre]
                d_pre, d_kernel, d_bias = self._connection_backward(conn, d_in, need_dx)
                if conn in self.trainable:
                    param_grads[conn] = (d_kernel, d_bias)
                if need_dx:
                    grads[conn.pre] = grads[conn.pre] + d_pre if conn.pre in grads else d_pre
        ordered = []
        for conn in self.trainable:
            if conn not in param_grads:  # the loss does not depend on it
                param_grads[conn] = (
                    np.zeros_like(conn.transform.kernel),
                    None if conn.transform.bias is None else np.zeros_like(conn.transform.bias),
                )
            d_kernel, d_bias = param_grads[conn]
            ordered.append(d_kernel)
            if conn.transform.use_bias:
                ordered.append(d_bias)
        return ordered

    def _connection_backward(self, conn, dy, need_dx):
        if isinstance(conn.transform, Conv2D):
            return conv2d_backward(conn.transform, dy, self._cache[conn], conn.shape_in, need_dx)
        if isinstance(conn.transform, Dense):
            return dense_backward(conn.transform, dy, self._cache[conn], need_dx)
        return (dy * conn.transform if conn.transform != 1 else dy), None, None

    def predict(self, inputs, batch_size=500, dtype=np.float32):
        """The output for all of ``inputs`` (``{node: (n, size)}``), in batches."""
        n = _check_data(self, inputs)
        pieces = []
        for start in range(0, n, batch_size):
            batch = {node: x[start : start + batch_size] for node, x in inputs.items()}
            pieces.append(self.forward(batch, dtype=dtype)[self.output])
        return np.concatenate(pieces)


def _target_of(network, obj, what):
    """A probe stands for its target; check the object is in ``network``."""
    if isinstance(obj, Probe):
        if obj not in network.probes:
            raise ValueError(f"{what}: {obj!r} is not a probe of {network!r}")
        obj = obj.target
    if obj not in network.nodes and obj not in network.neurons:
        raise ValueError(f"{what}: {obj!r} is not a node or neurons of {network!r}")
    return obj


def _check_data(model, inputs):
    """Check every input node has data of shape (n, size), with the same n."""
    counts = set()
    missing = [node for node in model.inputs if node not in inputs]
    if missing:
        raise ValueError(f"no data given for input node(s) {missing}")
    for node, x in inputs.items():
        if node not in model.inputs:
            raise ValueError(
                f"data given for {node!r}, which is not one of the inputs {model.inputs}"
            )
        x = np.asarray(x)
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != node.size:
            raise ValueError(
                f"data for {node!r} has shape {x.shape}; expected "
                f"(n, {node.size}) or (n,) + {node.shape}, one row per item"
            )
        counts.add(len(x))
    if len(counts) > 1:
        raise ValueError(f"the input arrays have different numbers of items {sorted(counts)}")
    n = counts.pop()
    if n == 0:
        raise ValueError("the input arrays are empty")
    return n


def predict(network, inputs, output, batch_size=500, dtype=np.float32):
    """Run ``network`` in rate mode on ``inputs`` (``{node: (n, size)}``) and return
    the output of ``output`` (a node, neurons or probe), ``(n, output.size)``."""
    model = RateNetwork(network, output, inputs=list(inputs))
    return model.predict(inputs, batch_size=batch_size, dtype=dtype)
