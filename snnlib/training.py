"""Training: fit a network's transforms with rate neurons, then run it with spikes.

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

Examples
--------
>>> history = train(net, inputs={inp: x_train}, targets={out: y_train},
...                 epochs=10, optimizer=Adam(0.001))       # doctest: +SKIP
>>> save_params(net, "params.npz")                         # doctest: +SKIP
"""

import copy
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from ._checks import check_number, check_positive_int
from .network import Network, Neurons, Node, Probe, dependency_order, incoming_connections
from .neurons import LIFRate, NeuronType, RectifiedLinear, SoftLIFRate
from .transforms import Conv2D, Dense, Transform

# --- neurons in rate mode --------------------------------------------------------


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
        ``derivative(J)`` is ``d forward / dJ``, both of ``J``'s shape.
    """
    if not isinstance(neuron_type, NeuronType):
        raise TypeError(f"rate_functions: expected a NeuronType, got {neuron_type!r}")
    if isinstance(neuron_type, SoftLIFRate):
        return neuron_type.rates, neuron_type.derivative
    if isinstance(neuron_type, LIFRate):  # LIF and LIFRate
        lif_smoothing = check_number("rate_functions", "lif_smoothing", lif_smoothing,
                                     low=0, low_open=True)
        params = dict(tau_rc=neuron_type.tau_rc, tau_ref=neuron_type.tau_ref,
                      amplitude=neuron_type.amplitude)
        return LIFRate(**params).rates, SoftLIFRate(sigma=lif_smoothing, **params).derivative
    if isinstance(neuron_type, RectifiedLinear):  # and SpikingRectifiedLinear
        relu = RectifiedLinear(amplitude=neuron_type.amplitude)
        return relu.rates, relu.derivative
    raise TypeError(f"training has no rate equivalent for {neuron_type!r}; use LIF, "
                    "LIFRate, SoftLIFRate, RectifiedLinear or SpikingRectifiedLinear")


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
        dx[:, a:a + sh * out_h:sh, b:b + sw * out_w:sw, :] += dpatches[:, :, :, index, :]
    dx = dx[:, pad_h[0]:pad_h[0] + H, pad_w[0]:pad_w[0] + W, :]
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


# --- optimisers ----------------------------------------------------------------------


class Adam:
    """Adam (Kingma and Ba, 2015), with Keras's defaults.

    For each parameter ``p`` with gradient ``g``, at step ``t``::

        m = beta_1 m + (1 - beta_1) g           (running mean of g)
        v = beta_2 v + (1 - beta_2) g^2         (running mean of g^2)
        p -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    with the bias corrections ``m_hat = m / (1 - beta_1^t)`` and
    ``v_hat = v / (1 - beta_2^t)``. Parameters are updated in place.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = check_number("Adam", "learning_rate", learning_rate,
                                          low=0, low_open=True)
        self.beta_1 = check_number("Adam", "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number("Adam", "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number("Adam", "epsilon", epsilon, low=0, low_open=True)
        self.t, self.m, self.v = 0, None, None

    def __repr__(self):
        return f"Adam(learning_rate={self.learning_rate})"

    def step(self, params, grads):
        """Update each array in ``params`` in place from its gradient in ``grads``."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        correction_1 = 1 - self.beta_1**self.t
        correction_2 = 1 - self.beta_2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta_1
            m += (1 - self.beta_1) * g
            v *= self.beta_2
            v += (1 - self.beta_2) * g * g
            p -= self.learning_rate * (m / correction_1) / (np.sqrt(v / correction_2)
                                                            + self.epsilon)


class RMSprop:
    """RMSprop (Hinton), with Keras's defaults (NengoDL's MNIST tutorial uses it).

    For each parameter ``p`` with gradient ``g``::

        v = rho v + (1 - rho) g^2
        p -= learning_rate * g / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        self.learning_rate = check_number("RMSprop", "learning_rate", learning_rate,
                                          low=0, low_open=True)
        self.rho = check_number("RMSprop", "rho", rho, low=0, high=1)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0, low_open=True)
        self.v = None

    def __repr__(self):
        return f"RMSprop(learning_rate={self.learning_rate})"

    def step(self, params, grads):
        """Update each array in ``params`` in place from its gradient in ``grads``."""
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v *= self.rho
            v += (1 - self.rho) * g * g
            p -= self.learning_rate * g / (np.sqrt(v) + self.epsilon)


def cosine_decay(initial, epochs, final=0.0):
    """A learning-rate schedule: ``lr(epoch)`` falls from ``initial`` (epoch 0) to
    ``final`` (last epoch) along half a cosine::

        lr(e) = final + (initial - final) * (1 + cos(pi * e / (epochs - 1))) / 2
    """
    initial = check_number("cosine_decay", "initial", initial, low=0, low_open=True)
    final = check_number("cosine_decay", "final", final, low=0)
    epochs = check_positive_int("cosine_decay", "epochs", epochs)

    def schedule(epoch):
        fraction = epoch / (epochs - 1) if epochs > 1 else 0.0
        return final + (initial - final) * (1 + np.cos(np.pi * min(fraction, 1.0))) / 2

    return schedule


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
        self.target_hz = check_number("RateTarget", "target_hz", target_hz, low=0,
                                      low_open=True)
        self.weight = check_number("RateTarget", "weight", weight, low=0)
        self.active_only = bool(active_only)

    def __repr__(self):
        return (f"RateTarget({self.neurons!r}, target_hz={self.target_hz}, "
                f"weight={self.weight}, active_only={self.active_only})")

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

    def __init__(self, network, output, inputs, lif_smoothing=0.05, trainable=None,
                 watch=()):
        if not isinstance(network, Network):
            raise TypeError(f"RateNetwork: network must be a Network, got {network!r}")
        self.network = network
        self.output = _target_of(network, output, "output")
        self.inputs = list(inputs)
        for node in self.inputs:
            if not (isinstance(node, Node) and node in network.nodes and node.is_input):
                raise ValueError(f"RateNetwork: {node!r} is not an input node of {network!r}; "
                                 "data can only be given for input nodes (Node(output=...))")
        self.watch = [_target_of(network, w, "watched layer") for w in watch]
        self.incoming = incoming_connections(network)
        # in rate mode every connection counts, filtered or not
        self.order = dependency_order(
            [self.output] + self.watch, self.incoming,
            on_loop="RateNetwork: the network has a loop; rate-mode training needs a "
                    "feedforward network")
        needed = set(self.order)
        self.connections = [c for c in network.connections if c.post in needed]
        if trainable is None:
            trainable = [c for c in self.connections if isinstance(c.transform, Transform)]
        for conn in trainable:
            if conn not in network.connections or not isinstance(conn.transform, Transform):
                raise ValueError(f"RateNetwork: {conn!r} cannot be trained: it must be a "
                                 "connection of this network with a Dense or Conv2D transform")
        self.trainable = list(trainable)
        self.rates = {n: rate_functions(n.neuron_type, lif_smoothing)
                      for n in network.neurons if n in needed}
        # whether anything trainable lies upstream of an object (else its gradient
        # is not needed); self.order lists inputs first
        self._upstream = {}
        for obj in self.order:
            self._upstream[obj] = any(c in self.trainable or self._upstream[c.pre]
                                      for c in self.incoming[obj])

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
                J = obj.gain.astype(dtype) * total + obj.bias.astype(dtype)
                forward, derivative = self.rates[obj]
                out[obj] = forward(J).astype(dtype, copy=False)
                if record:
                    self._cache[obj] = derivative(J).astype(dtype, copy=False)
        return out

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
            if obj not in grads or not self.incoming[obj]:
                continue
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
                param_grads[conn] = (np.zeros_like(conn.transform.kernel),
                                     None if conn.transform.bias is None
                                     else np.zeros_like(conn.transform.bias))
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
            batch = {node: x[start:start + batch_size] for node, x in inputs.items()}
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
            raise ValueError(f"data given for {node!r}, which is not one of the inputs "
                             f"{model.inputs}")
        x = np.asarray(x)
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != node.size:
            raise ValueError(f"data for {node!r} has shape {x.shape}; expected "
                             f"(n, {node.size}) or (n,) + {node.shape}, one row per item")
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


# --- training ---------------------------------------------------------------------


def train(network, inputs, targets, epochs=10, batch_size=64, optimizer=None, seed=0,
          learning_rate_schedule=None, augment=None, rate_targets=(), lif_smoothing=0.05,
          trainable=None, validation=None, dtype=np.float32, progress_bar=True):
    """Train the transforms of ``network`` with rate neurons and softmax cross-entropy.

    Parameters
    ----------
    network : Network
    inputs : dict
        ``{input_node: data}``, data of shape ``(n, node.size)``.
    targets : dict
        ``{output: labels}``: one output (a node, neurons or probe whose target
        gives the logits) and integer class labels of shape ``(n,)``.
    epochs : int
    batch_size : int
    optimizer : Adam or RMSprop, optional
        Default ``Adam(0.001)``.
    seed : int
        Seeds the shuffling and ``augment``.
    learning_rate_schedule : callable, optional
        ``schedule(epoch) -> learning rate``, applied at the start of each epoch
        (e.g. `cosine_decay`).
    augment : callable, optional
        ``augment(x_batch, rng) -> x_batch`` changes each minibatch of every
        input (e.g. random shifts of images).
    rate_targets : sequence of RateTarget
        Firing-rate regularisation terms added to the loss.
    lif_smoothing : float
        ``sigma`` of the SoftLIFRate derivative used for LIF gradients.
    trainable : sequence of Connection, optional
        Default: every Dense and Conv2D connection the output depends on.
    validation : tuple, optional
        ``(inputs, labels)`` scored (rate accuracy) at the end of each epoch.
    dtype : numpy dtype
        float32 (fast) or float64.
    progress_bar : bool
        Print a progress bar per epoch on standard output.

    Returns
    -------
    dict
        Per epoch lists: ``loss`` (cross-entropy), ``accuracy`` (on the
        training minibatches), ``rate_loss``, ``mean_rates`` (Hz, per rate
        target), ``learning_rate``, ``seconds``, and ``val_accuracy`` if
        ``validation`` was given.
    """
    if not isinstance(targets, dict) or len(targets) != 1:
        raise ValueError(f"train: targets must be a dict with one entry {{output: labels}}, "
                         f"got {targets!r:.100}")
    (output, labels), = targets.items()
    for rt in rate_targets:
        if not isinstance(rt, RateTarget):
            raise TypeError(f"train: rate_targets must be RateTarget objects, got {rt!r}")
    model = RateNetwork(network, output, inputs=list(inputs), lif_smoothing=lif_smoothing,
                        trainable=trainable, watch=[rt.neurons for rt in rate_targets])
    n = _check_data(model, inputs)
    labels = _check_labels(labels, n, model.output.size, "train")
    epochs = check_positive_int("train", "epochs", epochs)
    batch_size = check_positive_int("train", "batch_size", batch_size)
    optimizer = Adam() if optimizer is None else optimizer
    if not hasattr(optimizer, "step"):
        raise TypeError(f"train: optimizer must be Adam(...) or RMSprop(...), got {optimizer!r}")
    if validation is not None:
        val_inputs, val_labels = validation
        val_n = _check_data(model, val_inputs)
        val_labels = _check_labels(val_labels, val_n, model.output.size, "train validation")

    inputs = {node: np.asarray(x).reshape(n, -1) for node, x in inputs.items()}
    rng = np.random.default_rng(seed)
    params = model.parameters()
    history = {"loss": [], "accuracy": [], "rate_loss": [], "mean_rates": [],
               "learning_rate": [], "seconds": []}
    if validation is not None:
        history["val_accuracy"] = []

    n_batches = -(-n // batch_size)
    for epoch in range(epochs):
        if learning_rate_schedule is not None:
            optimizer.learning_rate = float(learning_rate_schedule(epoch))
        start_time = time.perf_counter()
        order = rng.permutation(n)
        totals = {"loss": 0.0, "correct": 0, "rate_loss": 0.0,
                  "rates": np.zeros(len(rate_targets))}
        for b in range(n_batches):
            items = order[b * batch_size:(b + 1) * batch_size]
            batch = {node: x[items] for node, x in inputs.items()}
            if augment is not None:
                batch = {node: augment(x, rng) for node, x in batch.items()}
            out = model.forward(batch, dtype=dtype, record=True)
            logits = out[model.output]
            loss, d_logits = softmax_cross_entropy(logits, labels[items])
            output_grads = {model.output: d_logits.astype(dtype)}
            for i, rt in enumerate(rate_targets):
                amplitude = rt.neurons.neuron_type.amplitude
                r_loss, r_grad, mean_rate = rt.loss_and_grad(out[rt.neurons], amplitude)
                totals["rate_loss"] += r_loss * len(items)
                totals["rates"][i] += mean_rate * len(items)
                if rt.neurons in output_grads:
                    output_grads[rt.neurons] = output_grads[rt.neurons] + r_grad
                else:
                    output_grads[rt.neurons] = r_grad
            grads = model.backward(output_grads)
            optimizer.step(params, grads)

            totals["loss"] += loss * len(items)
            totals["correct"] += int((logits.argmax(axis=1) == labels[items]).sum())
            if progress_bar:
                seen = min((b + 1) * batch_size, n)
                _progress(epoch, epochs, b + 1, n_batches,
                          f"loss {totals['loss'] / seen:.4f}  "
                          f"accuracy {100 * totals['correct'] / seen:5.1f}%")
        if not np.all([np.all(np.isfinite(p)) for p in params]):
            raise FloatingPointError(
                f"train: the parameters became NaN or infinite in epoch {epoch + 1}; "
                f"try a smaller learning rate than {optimizer.learning_rate}")
        history["loss"].append(totals["loss"] / n)
        history["accuracy"].append(totals["correct"] / n)
        history["rate_loss"].append(totals["rate_loss"] / n)
        history["mean_rates"].append((totals["rates"] / n).tolist())
        history["learning_rate"].append(optimizer.learning_rate)
        history["seconds"].append(time.perf_counter() - start_time)
        summary = f"loss {history['loss'][-1]:.4f}  accuracy {100 * history['accuracy'][-1]:5.1f}%"
        if rate_targets:
            rates = ", ".join(f"{r:.0f}" for r in history["mean_rates"][-1])
            summary += f"  rates {rates} Hz"
        if validation is not None:
            predicted = model.predict(val_inputs, dtype=dtype).argmax(axis=1)
            history["val_accuracy"].append(float((predicted == val_labels).mean()))
            summary += f"  val accuracy {100 * history['val_accuracy'][-1]:5.1f}%"
        if progress_bar:
            _progress(epoch, epochs, n_batches, n_batches,
                      f"{summary}  {history['seconds'][-1]:.1f} s", finished=True)
    return history


def _check_labels(labels, n, n_classes, owner):
    labels = np.asarray(labels)
    if labels.ndim > 1 and all(s == 1 for s in labels.shape[1:]):
        labels = labels.reshape(len(labels))  # NengoDL-style (n, 1, 1) labels
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{owner}: labels must be integer class numbers of shape (n,), "
                         f"got shape {labels.shape} and dtype {labels.dtype}")
    if len(labels) != n:
        raise ValueError(f"{owner}: there are {n} input items but {len(labels)} labels; "
                         "give one label per item")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{owner}: labels must be 0 to {n_classes - 1} (the output has "
                         f"{n_classes} values), got {labels.min()} to {labels.max()}")
    return labels.astype(np.intp)


def _progress(epoch, epochs, n_done, total, message, finished=False, width=30):
    """One progress line per epoch on standard output (never stderr, which
    nbgrader counts against a grading cell)."""
    filled = width * n_done // total
    sys.stdout.write(f"\repoch {epoch + 1:>{len(str(epochs))}}/{epochs} "
                     f"[{'#' * filled}{'.' * (width - filled)}] {n_done}/{total}  {message}")
    if finished:
        sys.stdout.write("\n")
    sys.stdout.flush()


# --- saving and loading parameters ----------------------------------------------


def param_keys(network):
    """``{key: (connection, "kernel" or "bias")}`` for every Dense/Conv2D connection.

    A connection is named by its ``label``, or else ``connection<i>`` with ``i``
    its position in ``network.connections`` (the order it was made in).
    """
    keys = {}
    for i, conn in enumerate(network.connections):
        if isinstance(conn.transform, Transform):
            name = conn.label or f"connection{i}"
            keys[f"{name}.kernel"] = (conn, "kernel")
            if conn.transform.use_bias:
                keys[f"{name}.bias"] = (conn, "bias")
    return keys


def get_params(network):
    """The network's kernels and biases as ``{key: array}`` (copies; see `param_keys`)."""
    return {key: np.array(getattr(conn.transform, what))
            for key, (conn, what) in param_keys(network).items()}


def set_params(network, params, source="params"):
    """Write ``{key: array}`` (as from `get_params`) into the network's transforms.

    Every key must be there, with the right shape, and nothing else; otherwise
    a ValueError says which connection and what was expected. ``source`` names
    where the parameters came from, in messages.
    """
    keys = param_keys(network)
    missing = [k for k in keys if k not in params]
    extra = [k for k in params if k not in keys]
    if missing or extra:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(
                f"{k} (for {keys[k][0]!r})" for k in missing))
        if extra:
            problems.append("unexpected " + ", ".join(extra))
        raise ValueError(f"{source} does not fit this network: {'; '.join(problems)}. "
                         f"The network's parameters are {list(keys)}")
    checked = {}
    for key, (conn, what) in keys.items():
        value = np.asarray(params[key])
        expected = getattr(conn.transform, what).shape
        if value.shape != expected:
            raise ValueError(f"{source}: {key} has shape {value.shape}, but {conn!r} "
                             f"({conn.transform!r}) needs {what} of shape {expected}")
        if not np.issubdtype(value.dtype, np.floating) or not np.all(np.isfinite(value)):
            raise ValueError(f"{source}: {key} must be finite floating-point numbers, got "
                             f"dtype {value.dtype}")
        checked[key] = value
    for key, (conn, what) in keys.items():  # only once everything is checked
        setattr(conn.transform, what, checked[key].astype(np.float64))


def save_params(network, path, dtype=np.float32):
    """Save the network's kernels and biases to the ``.npz`` file ``path``.

    ``dtype`` float32 (the default) halves the size; float64 keeps every bit.
    """
    params = {key: value.astype(dtype) for key, value in get_params(network).items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:  # a file object: numpy adds no ".npz" suffix
        np.savez_compressed(stream, **params)
    return path


def load_params(network, path):
    """Load kernels and biases saved by `save_params` into ``network``.

    Raises
    ------
    FileNotFoundError
        If there is no file ``path``.
    ValueError
        If the file is not a readable ``.npz`` file, or its parameters do not
        fit the network (names and shapes, see `set_params`).
    """
    params = read_params(path)
    set_params(network, params, source=f"parameter file {path}")
    return network


def read_params(path):
    """Read a parameter ``.npz`` file into ``{key: array}``, with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"parameter file {path} not found; make one with "
                                "save_params(network, path) or train it first")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(f"parameter file {path} is damaged or not an .npz file of "
                         f"parameters ({type(error).__name__}: {error})") from None


# --- firing-rate scaling ---------------------------------------------------------


def scale_firing_rates(network, scale, inplace=False):
    """Scale firing rates as NengoDL does: each neuron's gain times ``scale``,
    its amplitude divided by ``scale``.

    The input current becomes ``J = scale * gain * x + bias``. For rectified
    linear neurons the output, ``(amplitude / scale) * scale * gain * x``, is
    unchanged while the neurons spike ``scale`` times as often, so spike
    counts (and the spiking network's accuracy over a short run) improve. For
    LIF neurons the rate curve is not a straight line, so the rate network's
    output changes somewhat, and much once rates near ``1 / tau_ref``.

    Parameters
    ----------
    network : Network
    scale : float
        The factor (> 0).
    inplace : bool
        Change ``network`` itself; otherwise a scaled deep copy is returned
        (its objects sit at the same positions in ``nodes``, ``neurons``,
        ``connections`` and ``probes``).

    Returns
    -------
    Network
    """
    if not isinstance(network, Network):
        raise TypeError(f"scale_firing_rates: network must be a Network, got {network!r}")
    scale = check_number("scale_firing_rates", "scale", scale, low=0, low_open=True)
    if not inplace:
        network = copy.deepcopy(network)
    for neurons in network.neurons:
        neuron_type = copy.copy(neurons.neuron_type)  # a type may be shared by layers
        neuron_type.amplitude = neurons.neuron_type.amplitude / scale
        neurons.neuron_type = neuron_type
        neurons.gain = neurons.gain * scale
    return network

