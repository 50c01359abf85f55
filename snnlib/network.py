"""The objects a network is made of, in Nengo's and NengoDL's vocabulary.

- `Network`: a container (use it as ``with Network() as net:``) with a ``seed``
  and a ``default_synapse`` for connections (Nengo's ``Lowpass(0.005)`` unless set).
- `Node`: a source of values (an array held constant, or a function of time),
  or, with ``size_in``, a pass-through that outputs the sum of its inputs.
- `Neurons`: a population; its input current is ``J = gain * input + bias``.
- `Connection`: ``pre -> post``; it applies its transform (bias included),
  then its synapse (``None`` passes the value on in the same time step).
- `Probe`: records an object's output, optionally through a synapse of its own,
  which smooths the record and changes nothing in the network.
- `Layer`: ``Layer(Conv2D(...))(x, shape_in=...)`` or ``Layer(LIF())(x)``, which
  builds the node or neurons plus the connection from ``x``, as ``nengo_dl.Layer``.
"""

import numpy as np

from ._checks import as_finite_array, as_shape, check_positive_int
from .neurons import NeuronType
from .synapses import Lowpass, as_synapse
from .transforms import Dense, Transform


class _Default:
    """Marks an argument left unset, so the network's default is used."""

    def __repr__(self):
        return "Default"


Default = _Default()


class Network:
    """A spiking network: the objects created inside its ``with`` block.

    Parameters
    ----------
    seed : int, optional
        Seeds the random generator that draws transform weights not given explicitly.
    default_synapse : synapse, optional
        Synapse for connections that do not set one. Nengo's default is
        ``Lowpass(0.005)``; NengoDL's MNIST tutorial uses ``None``.
    label : str, optional
    """

    _active = []  # the stack of networks whose `with` block we are in

    def __init__(self, seed=None, default_synapse=Default, label=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"Network: seed must be an int or None, got {seed!r}")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        if default_synapse is Default:
            default_synapse = Lowpass(0.005)
        self.default_synapse = as_synapse(default_synapse, "Network default_synapse")
        self.label = label
        self.nodes, self.neurons, self.connections, self.probes = [], [], [], []

    def __repr__(self):
        return f"<Network {self.label!r}>" if self.label else "<Network>"

    def __enter__(self):
        Network._active.append(self)
        return self

    def __exit__(self, *exc):
        Network._active.pop()

    @staticmethod
    def context(kind):
        if not Network._active:
            raise RuntimeError(
                f"{kind} must be created inside a network: `with snn.Network() as net:`"
            )
        return Network._active[-1]


class _Object:
    """Something with an output of a known shape: a Node or Neurons."""

    def __init__(self, shape, label):
        self.network = Network.context(type(self).__name__)
        self.shape = shape
        self.size = int(np.prod(shape))
        self.label = label

    def __repr__(self):
        label = f" {self.label!r}" if self.label else ""
        return f"<{type(self).__name__}{label} shape={self.shape}>"


class Node(_Object):
    """An input, or a pass-through.

    Parameters
    ----------
    output : array_like or callable, optional
        An array is output unchanged at every time step (its shape becomes the
        node's ``shape``). A function ``f(t)`` is called at every step with the
        time ``t = step * dt`` in seconds (the first step is ``t = dt``) and must
        return an array of fixed size (``f(0.0)`` is called once to find it).
        In ``Simulator.run_steps(inputs={node: values})`` the values given
        replace this output for every item of the batch.
    size_in : int, optional
        Make a pass-through node, whose output is the sum of its inputs.
    shape : tuple, optional
        The shape the flat output stands for, e.g. ``(28, 28, 1)``.
    label : str, optional
    """

    def __init__(self, output=None, size_in=None, shape=None, label=None):
        name = f"Node {label!r}" if label else "Node"
        if (output is None) == (size_in is None):
            raise ValueError(
                f"{name}: give either output (an input node) or size_in "
                "(a pass-through node), not both or neither"
            )
        self.function, self.label = None, label
        if size_in is not None:
            size = check_positive_int(name, "size_in", size_in)
            self.value = None
        elif callable(output):
            self.function = output
            self.value = self._call(0.0)
            size = self.value.size
        else:
            self.value = as_finite_array(name, "output", output)
            if self.value.size == 0:
                raise ValueError(f"{name}: output must have at least one value")
            if shape is None and self.value.ndim > 1:
                shape = self.value.shape
            self.value = self.value.ravel()
            size = self.value.size
        shape = (size,) if shape is None else as_shape(name, "shape", shape)
        if int(np.prod(shape)) != size:
            raise ValueError(
                f"{name}: shape {shape} has {int(np.prod(shape))} elements "
                f"but the node has size {size}"
            )
        super().__init__(shape, label)
        self.size_in = 0 if size_in is None else size
        self.network.nodes.append(self)

    @property
    def is_input(self):
        """True for a node that makes values (array or function), not a pass-through."""
        return self.size_in == 0

    def _call(self, t):
        value = as_finite_array(
            f"Node {self.label!r}", f"output of its function at t={t}", self.function(t)
        )
        return value.ravel()


class Neurons(_Object):
    """A population of ``n`` neurons of one type.

    The input current of each neuron is ``J = gain * input + bias``, where
    ``input`` is the sum of what its connections deliver.

    Parameters
    ----------
    n : int
        Number of neurons.
    neuron_type : NeuronType
    gain, bias : float or array of shape (n,)
        Defaults 1 and 0. `gain_bias` gives Nengo's values for chosen
        ``max_rates`` and ``intercepts``.
    shape : tuple, optional
        The shape the flat population stands for, e.g. ``(5, 5, 128)``.
    initial_state : dict, optional
        Starting values of the state variables (e.g. ``{"voltage": 0.5}``);
        neurons start at rest otherwise.
    label : str, optional
    """

    def __init__(
        self, n, neuron_type, gain=1.0, bias=0.0, shape=None, initial_state=None, label=None
    ):
        name = f"Neurons {label!r}" if label else "Neurons"
        n = check_positive_int(name, "n", n)
        if not isinstance(neuron_type, NeuronType):
            raise TypeError(
                f"{name}: neuron_type must be a NeuronType such as snn.LIF(), got {neuron_type!r}"
            )
        shape = (n,) if shape is None else as_shape(name, "shape", shape)
        if int(np.prod(shape)) != n:
            raise ValueError(
                f"{name}: shape {shape} has {int(np.prod(shape))} elements, "
                f"but there are {n} neurons"
            )
        self.neuron_type = neuron_type
        self.gain = self._per_neuron(name, "gain", gain, n)
        self.bias = self._per_neuron(name, "bias", bias, n)
        neuron_type.make_state((n,), initial_state=initial_state)  # checks it early
        self.initial_state = initial_state or {}
        super().__init__(shape, label)
        self.network.neurons.append(self)

    @staticmethod
    def _per_neuron(name, what, value, n):
        value = as_finite_array(name, what, value)
        if value.ndim == 0:
            return np.full(n, float(value))
        if value.shape != (n,):
            raise ValueError(
                f"{name}: {what} must be a number or an array of shape "
                f"({n},), got shape {value.shape}"
            )
        return value


class Connection:
    """Connects ``pre`` to ``post`` through a transform and a synapse.

    Each step, ``transform(pre output)`` is computed (bias included), then
    filtered by ``synapse``. With ``synapse=None`` the value arrives at ``post``
    in the same step; with a filter it arrives one step later (as in Nengo).

    Parameters
    ----------
    pre : Node or Neurons
    post : Node (pass-through) or Neurons
    transform : Transform, number, or array, optional
        A `Dense` or `Conv2D`; a number scales elementwise (sizes must match);
        a matrix of shape ``(post.size, pre.size)`` as in Nengo. Default: 1.
    synapse : synapse, optional
        ``None``, a time constant (a `Lowpass`), or a `LinearFilter`. Defaults
        to the network's ``default_synapse``.
    shape_in : tuple, optional
        The shape ``pre``'s flat output stands for (default ``pre.shape``);
        `Conv2D` needs ``(H, W, C)``.
    label : str, optional
    """

    def __init__(self, pre, post, transform=1.0, synapse=Default, shape_in=None, label=None):
        self.network = Network.context("Connection")
        self.label = label
        name = self._name(pre, post)
        for role, obj in (("pre", pre), ("post", post)):
            if not isinstance(obj, _Object):
                raise TypeError(f"{name}: {role} must be a Node or Neurons, got {obj!r}")
            if obj.network is not self.network:
                raise ValueError(f"{name}: {role} {obj!r} belongs to another network")
        if isinstance(post, Node) and post.is_input:
            raise ValueError(
                f"{name}: {post!r} is an input node (it has an output of its own) and "
                "cannot receive connections; make a pass-through with Node(size_in=...)"
            )
        self.pre, self.post = pre, post
        self.shape_in = pre.shape if shape_in is None else as_shape(name, "shape_in", shape_in)
        if int(np.prod(self.shape_in)) != pre.size:
            raise ValueError(
                f"{name}: shape_in {self.shape_in} has {int(np.prod(self.shape_in))} "
                f"elements, but {pre!r} outputs {pre.size} values"
            )
        self.transform = self._make_transform(name, transform)
        n_out = self.transform_size_out()
        if n_out != post.size:
            raise ValueError(
                f"{name}: the transform {self.transform!r} gives {n_out} values for "
                f"shape_in {self.shape_in}, but {post!r} takes {post.size}"
            )
        if synapse is Default:
            synapse = self.network.default_synapse
        self.synapse = as_synapse(synapse, name)
        self.network.connections.append(self)

    def __repr__(self):
        return f"<{self._name(self.pre, self.post)}>"

    def _name(self, pre, post):
        if self.label:
            return f"Connection {self.label!r}"
        return (
            f"Connection from {getattr(pre, 'label', None) or pre!r} to "
            f"{getattr(post, 'label', None) or post!r}"
        )

    def _make_transform(self, name, transform):
        if isinstance(transform, Transform):
            transform.init_params(self.shape_in, self.network.rng)
            return transform
        transform = as_finite_array(name, "transform", transform)
        if transform.ndim == 0:
            if self.pre.size != self.post.size:
                raise ValueError(
                    f"{name}: a scalar transform needs equal sizes, but {self.pre!r} "
                    f"has {self.pre.size} and {self.post!r} has {self.post.size}; "
                    "give a matrix, Dense or Conv2D"
                )
            return float(transform)
        expected = (self.post.size, self.pre.size)
        if transform.shape != expected:
            raise ValueError(
                f"{name}: transform matrix has shape {transform.shape}, "
                f"expected (post.size, pre.size) = {expected}"
            )
        return Dense(expected[0], use_bias=False, kernel=transform.T)

    def transform_size_out(self):
        if isinstance(self.transform, Transform):
            return self.transform.size_out(self.shape_in)
        return self.pre.size

    def apply_transform(self, x):
        """``transform(x)`` for a batch ``x`` of shape ``(batch, pre.size)``."""
        if isinstance(self.transform, Transform):
            return self.transform.apply(x, self.shape_in)
        return x * self.transform if self.transform != 1 else x


class Probe:
    """Records an object's output at every step of a simulation.

    Parameters
    ----------
    target : Node or Neurons
    synapse : synapse, optional
        Filters the record only (default ``None``: the raw output). A filtered
        probe reports, at step ``k``, the filter's output for the inputs up to
        step ``k - 1``, exactly as a filtered connection would deliver it.
    label : str, optional
    """

    def __init__(self, target, synapse=None, label=None):
        self.network = Network.context("Probe")
        name = f"Probe {label!r}" if label else f"Probe of {target!r}"
        if not isinstance(target, _Object):
            raise TypeError(f"{name}: target must be a Node or Neurons, got {target!r}")
        if target.network is not self.network:
            raise ValueError(f"{name}: target {target!r} belongs to another network")
        self.target, self.label = target, label
        self.synapse = as_synapse(synapse, name)
        self.shape, self.size = target.shape, target.size
        self.network.probes.append(self)

    def __repr__(self):
        label = f" {self.label!r}" if self.label else ""
        return f"<Probe{label} of {self.target!r}, synapse={self.synapse!r}>"

    def unflatten(self, data):
        """Reshape data ``(..., size)`` to ``(..., *target.shape)``, e.g. probe data
        ``(batch, n_steps, 3200)`` of a ``(5, 5, 128)`` layer to
        ``(batch, n_steps, 5, 5, 128)`` (the flat order is channels-last)."""
        data = np.asarray(data)
        if data.shape[-1:] != (self.size,):
            raise ValueError(
                f"{self!r}: data of shape {data.shape} does not end in the probe's size {self.size}"
            )
        return data.reshape(data.shape[:-1] + self.shape)


class Layer:
    """Build a layer from a transform or a neuron type, as ``nengo_dl.Layer``.

    ``Layer(Conv2D(...))(x, shape_in=(28, 28, 1))`` makes a pass-through node
    holding the transform's output and connects ``x`` to it through the
    transform. ``Layer(LIF())(x, gain=..., bias=...)`` makes one neuron per
    element of ``x`` and connects ``x`` to them one to one. Either returns the
    new object, whose ``shape`` is known (e.g. ``(26, 26, 32)``).
    """

    def __init__(self, layer_type):
        if not isinstance(layer_type, (Transform, NeuronType)):
            raise TypeError(
                "Layer: give a transform (Dense, Conv2D) or a neuron type "
                f"(LIF, ...), got {layer_type!r}"
            )
        self.layer_type = layer_type

    def __call__(self, x, shape_in=None, synapse=Default, gain=1.0, bias=0.0, label=None):
        if not isinstance(x, _Object):
            raise TypeError(f"Layer: the input must be a Node or Neurons, got {x!r}")
        shape_in = x.shape if shape_in is None else as_shape("Layer", "shape_in", shape_in)
        if int(np.prod(shape_in)) != x.size:
            raise ValueError(
                f"Layer({self.layer_type!r}): shape_in {shape_in} has "
                f"{int(np.prod(shape_in))} elements, but its input {x!r} has size {x.size}"
            )
        if isinstance(self.layer_type, NeuronType):
            post = Neurons(
                x.size, self.layer_type, gain=gain, bias=bias, shape=shape_in, label=label
            )
            Connection(x, post, synapse=synapse, shape_in=shape_in)
        else:
            shape_out = self.layer_type.output_shape(shape_in)
            post = Node(size_in=int(np.prod(shape_out)), shape=shape_out, label=label)
            Connection(x, post, transform=self.layer_type, synapse=synapse, shape_in=shape_in)
        return post


def incoming_connections(network):
    """``{object: [connections into it]}`` for every node and neuron population."""
    incoming = {obj: [] for obj in network.nodes + network.neurons}
    for conn in network.connections:
        incoming[conn.post].append(conn)
    return incoming


def dependency_order(targets, incoming, follow=lambda conn: True, on_loop="a loop"):
    """The ``targets`` and what they depend on, each after everything it receives
    from through a connection for which ``follow(conn)`` is true (a depth-first
    topological sort). A loop of such connections raises ValueError, starting
    with ``on_loop``."""
    order, state = [], {}

    def visit(obj, path):
        if state.get(obj) == "done":
            return
        if state.get(obj) == "visiting":
            cycle = " -> ".join(repr(o) for o in path + [obj])
            raise ValueError(f"{on_loop} ({cycle})")
        state[obj] = "visiting"
        for conn in incoming[obj]:
            if follow(conn):
                visit(conn.pre, path + [obj])
        state[obj] = "done"
        order.append(obj)

    for target in targets:
        visit(target, [])
    return order
