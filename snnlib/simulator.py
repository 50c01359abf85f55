"""The simulator: runs a network one time step after another, for a whole batch.

Within each step of ``dt`` seconds, in the order Nengo's reference simulator uses:

1. every object computes its output, in dependency order: input nodes emit
   their value; a connection with ``synapse=None`` delivers ``transform(pre)``
   of this step, a filtered connection delivers its filter's output from the
   previous step; neurons take ``J = bias + gain * input`` and step;
   pass-through nodes output the sum of their inputs;
2. probes record (a filtered probe records its filter's previous output);
3. every filter (on connections and probes) takes this step's value.

So a synapse ``None`` passes values on in the same step, and each filter adds
one step of delay. All arrays carry the batch on their leading axis.
"""

import numpy as np

from ._checks import as_finite_array, check_number, check_positive_int
from ._progress import show_progress
from .network import Network, Node, dependency_order, incoming_connections


class ProbeData(dict):
    """Probe data: ``data[probe]`` is an array ``(batch, n_steps, size)``."""

    def __missing__(self, probe):
        raise KeyError(
            f"{probe!r} is not a probe of this simulator's network; "
            "probe data exist for the probes created inside the network"
        )


class Simulator:
    """Simulates a `Network` with time step ``dt``.

    Parameters
    ----------
    network : Network
    dt : float
        Time step, in seconds (> 0).
    dtype : numpy dtype
        float32 (the default, as NengoDL) or float64 (for exact comparisons).
    chunk_size : int
        How many batch items are simulated together. Items never interact, so a
        batch is run a chunk at a time, every step of one chunk before the next:
        a small chunk keeps the arrays a step touches in the processor's cache.
        Larger chunks only use more memory.
    progress_bar : bool or None
        Show progress over the chunks on standard output; None shows it for
        batches of more than `PROGRESS_BATCH` items.
    """

    PROGRESS_BATCH = 1000

    def __init__(self, network, dt=0.001, dtype=np.float32, chunk_size=16, progress_bar=None):
        if not isinstance(network, Network):
            raise TypeError(f"Simulator: network must be a Network, got {network!r}")
        self.network = network
        self.dt = check_number("Simulator", "dt", dt, low=0, low_open=True)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"Simulator: dtype must be a float type, got {self.dtype}")
        self.chunk_size = check_positive_int("Simulator", "chunk_size", chunk_size)
        self.progress_bar = progress_bar
        self._plan()
        self.reset()

    # -- building ------------------------------------------------------------

    def _plan(self):
        """Order the objects so that each comes after everything it receives
        from through a ``synapse=None`` connection, and prepare the filters."""
        net = self.network
        self.incoming = incoming_connections(net)
        self.order = dependency_order(
            net.nodes + net.neurons,
            self.incoming,
            follow=lambda conn: conn.synapse is None,
            on_loop="Simulator: a loop of connections with synapse=None; give one of "
            "them a synapse to delay it",
        )
        self.filtered_connections = [c for c in net.connections if c.synapse is not None]
        self.filtered_probes = [p for p in net.probes if p.synapse is not None]
        self.filter_steps = {
            item: item.synapse.make_step(self.dt)
            for item in self.filtered_connections + self.filtered_probes
        }
        # gains and biases in the simulator's dtype, converted once
        self.gain_bias = {
            n: (n.gain.astype(self.dtype), n.bias.astype(self.dtype)) for n in net.neurons
        }

    def reset(self):
        """Back to time 0: neurons at rest, filters empty, probe data cleared."""
        self.n_steps = 0
        self.batch_size = None
        self.state = None
        self.data = ProbeData(
            {p: np.zeros((0, 0, p.size), self.dtype) for p in self.network.probes}
        )

    def _initial_state(self, batch_size):
        state = {}
        for neurons in self.network.neurons:
            state[neurons] = neurons.neuron_type.make_state(
                (batch_size, neurons.size), dtype=self.dtype, initial_state=neurons.initial_state
            )
        for item in self.filtered_connections + self.filtered_probes:
            # a filter's internal state X, and y, the output it last produced
            size = item.post.size if item in self.filtered_connections else item.size
            state[item] = {
                "X": item.synapse.make_state((batch_size, size), self.dt, self.dtype),
                "y": np.zeros((batch_size, size), self.dtype),
            }
        return state

    # -- running ---------------------------------------------------------------

    def trange(self):
        """Times of the steps run so far, in seconds: ``dt, 2 dt, ...``."""
        return self.dt * np.arange(1, self.n_steps + 1)

    def run(self, time_in_seconds, inputs=None, stateful=True):
        """Run for ``time_in_seconds`` (rounded to whole steps); see `run_steps`."""
        t = check_number("Simulator.run", "time_in_seconds", time_in_seconds, low=0, low_open=True)
        return self.run_steps(max(1, int(round(t / self.dt))), inputs=inputs, stateful=stateful)

    def run_steps(self, n_steps, inputs=None, stateful=True):
        """Run ``n_steps`` steps and return the probe data of these steps.

        Parameters
        ----------
        n_steps : int
            Number of steps (>= 1).
        inputs : dict, optional
            ``{node: values}`` for input nodes: values ``(batch, size)`` are held
            constant over the steps, ``(batch, n_steps, size)`` vary per step.
            Every batch must have the same size, which stays fixed until `reset`.
        stateful : bool
            True: the state at the end (voltages, filters, time) carries over
            to the next call, and ``sim.data`` keeps these steps. False: run
            from the current state and leave the simulator as it was; memory
            then grows with ``chunk_size``, not with the batch (as NengoDL's
            ``predict(stateful=False)``).

        Returns
        -------
        dict
            ``{probe: array (batch, n_steps, size)}``. A stateful run also keeps
            all steps run since the last reset in ``sim.data``.
        """
        n_steps = check_positive_int("Simulator.run_steps", "n_steps", n_steps)
        if not isinstance(stateful, bool):
            raise TypeError(
                f"Simulator.run_steps: stateful must be True or False, got {stateful!r}"
            )
        inputs = self._check_inputs(inputs or {}, n_steps)
        batch_size = self._batch_size(inputs)
        if self.state is None and stateful:
            self.state = self._initial_state(batch_size)
            self.batch_size = batch_size

        chunks = range(0, batch_size, self.chunk_size)
        show = self.progress_bar
        if show is None:
            show = batch_size > self.PROGRESS_BATCH and len(chunks) > 1
        new = {p: np.empty((batch_size, n_steps, p.size), self.dtype) for p in self.network.probes}
        for i, start in enumerate(chunks):
            items = slice(start, min(start + self.chunk_size, batch_size))
            if self.state is None:  # not stateful and never run: start at rest
                state = self._initial_state(items.stop - items.start)
            else:  # chunks are copies of the state
                state = {key: _take(value, items) for key, value in self.state.items()}
            self._run_chunk(n_steps, inputs, items, state, {p: new[p][items] for p in new})
            if stateful:  # write the chunk's state back
                for key, value in state.items():
                    _put(self.state[key], items, value)
            if show and _progress_due(i + 1, len(chunks)):
                _progress(i + 1, len(chunks), batch_size)

        if stateful:
            for probe, values in new.items():
                old = self.data[probe]
                self.data[probe] = (
                    values if old.size == 0 else np.concatenate([old, values], axis=1)
                )
            self.n_steps += n_steps
        return ProbeData(new)

    def _check_inputs(self, inputs, n_steps):
        checked = {}
        for node, values in inputs.items():
            if not isinstance(node, Node) or node not in self.network.nodes:
                raise ValueError(
                    f"Simulator.run_steps: inputs given for {node!r}, which is "
                    "not a node of this simulator's network"
                )
            if not node.is_input:
                raise ValueError(
                    f"Simulator.run_steps: {node!r} is a pass-through node; "
                    "inputs can only replace the output of an input node"
                )
            values = as_finite_array(f"inputs for {node!r}", "values", values, dtype=self.dtype)
            held = values.ndim == 2 and values.shape[1] == node.size
            varying = values.ndim == 3 and values.shape[1:] == (n_steps, node.size)
            if not (held or varying):
                raise ValueError(
                    f"Simulator.run_steps: inputs for {node!r} have shape {values.shape}; "
                    f"expected (batch, {node.size}) held constant, or "
                    f"(batch, {n_steps}, {node.size}) for these {n_steps} steps"
                )
            checked[node] = values[:, None, :] if held else values
        return checked

    def _batch_size(self, inputs):
        sizes = {len(v) for v in inputs.values()}
        if len(sizes) > 1:
            raise ValueError(f"Simulator.run_steps: inputs have different batch sizes {sizes}")
        batch_size = sizes.pop() if sizes else (self.batch_size or 1)
        if batch_size < 1:
            raise ValueError("Simulator.run_steps: inputs have an empty batch")
        if self.batch_size is not None and batch_size != self.batch_size:
            raise ValueError(
                f"Simulator.run_steps: the batch size is {batch_size}, but the "
                f"simulator's state holds {self.batch_size} items from earlier runs; "
                "call sim.reset() before running a new batch"
            )
        return batch_size

    def _held_constant(self, node, inputs):
        """Is ``node``'s output the same at every step of this run?"""
        if node in inputs:
            return inputs[node].shape[1] == 1  # values held over the steps
        return isinstance(node, Node) and node.is_input and node.function is None

    def _run_chunk(self, n_steps, inputs, items, state, records):
        """Run ``n_steps`` for the batch items in the slice ``items``: ``state``
        is updated in place and each step recorded into ``records[probe][:, k]``."""
        batch = items.stop - items.start
        # transform(pre) of a connection from an input held constant is the
        # same at every step (the image's Conv2D, say): compute it once
        held = {
            conn: None for conn in self.network.connections if self._held_constant(conn.pre, inputs)
        }
        for k in range(n_steps):
            step = self.n_steps + k + 1
            output = self._step(step, k, inputs, items, state, batch, held)
            for probe in self.network.probes:
                source = state[probe]["y"] if probe.synapse is not None else output[probe.target]
                records[probe][:, k] = source
            self._update_filters(output, state, held)

    def _step(self, step, k, inputs, items, state, batch, held):
        """Compute every object's output for one step (stage 1 above)."""
        output = {}
        t = step * self.dt
        for obj in self.order:
            if obj in inputs:
                values = inputs[obj][items]
                output[obj] = values[:, min(k, values.shape[1] - 1)]
            elif isinstance(obj, Node) and obj.is_input:
                value = obj._call(t) if obj.function is not None else obj.value
                output[obj] = np.broadcast_to(value.astype(self.dtype), (batch, obj.size))
            elif isinstance(obj, Node):
                total = np.zeros((batch, obj.size), self.dtype)
                for conn in self.incoming[obj]:
                    total += self._delivered(conn, output, state, held)
                output[obj] = total
            else:  # Neurons: J = bias + gain * (each connection's delivery)
                gain, bias = self.gain_bias[obj]
                J = np.empty((batch, obj.size), self.dtype)
                J[...] = bias
                for conn in self.incoming[obj]:
                    J += gain * self._delivered(conn, output, state, held)
                output[obj] = obj.neuron_type.step(self.dt, J, state[obj])
        return output

    def _delivered(self, conn, output, state, held):
        """What ``conn`` delivers this step: its filter's previous output, or with
        no synapse, ``transform(pre)`` of this very step."""
        if conn.synapse is not None:
            return state[conn]["y"]
        return self._transformed(conn, output, held)

    def _transformed(self, conn, output, held):
        """``transform(pre)`` of this step; computed once for a ``held`` connection."""
        if conn not in held:
            return conn.apply_transform(output[conn.pre])
        if held[conn] is None:
            held[conn] = conn.apply_transform(output[conn.pre])
        return held[conn]

    def _update_filters(self, output, state, held):
        """Every filter takes this step's value (stage 3 above)."""
        for conn in self.filtered_connections:
            value = self._transformed(conn, output, held)
            state[conn]["y"] = self.filter_steps[conn](state[conn]["X"], value)
        for probe in self.filtered_probes:
            value = output[probe.target]
            state[probe]["y"] = self.filter_steps[probe](state[probe]["X"], value)


def _take(value, items):
    if isinstance(value, dict):
        return {k: v[..., items, :].copy() for k, v in value.items()}
    return value[..., items, :].copy()


def _put(target, items, value):
    if isinstance(target, dict):
        for k in target:
            target[k][..., items, :] = value[k]
    else:
        target[..., items, :] = value


def _progress_due(done, total, updates=20):
    """True after the chunk that completes each 1/``updates`` of the batch."""
    return done * updates // total > (done - 1) * updates // total


def _progress(done, total, batch_size):
    """A progress update (a bar on a terminal, a line in a log)."""
    width = 30
    filled = width * done // total
    show_progress(
        f"simulating {batch_size} items: [{'#' * filled}{'.' * (width - filled)}] "
        f"chunk {done}/{total}",
        finished=done == total,
    )
