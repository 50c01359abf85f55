"""A network's trained parameters: get, set, save and load them, and scale
firing rates without changing what the network computes."""

import copy
import zipfile
from pathlib import Path

import numpy as np

from .._checks import check_number
from ..network import Network
from ..transforms import Transform

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
    return {
        key: np.array(getattr(conn.transform, what))
        for key, (conn, what) in param_keys(network).items()
    }


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
            problems.append("missing " + ", ".join(f"{k} (for {keys[k][0]!r})" for k in missing))
        if extra:
            problems.append("unexpected " + ", ".join(extra))
        raise ValueError(
            f"{source} does not fit this network: {'; '.join(problems)}. "
            f"The network's parameters are {list(keys)}"
        )
    checked = {}
    for key, (conn, what) in keys.items():
        value = np.asarray(params[key])
        expected = getattr(conn.transform, what).shape
        if value.shape != expected:
            raise ValueError(
                f"{source}: {key} has shape {value.shape}, but {conn!r} "
                f"({conn.transform!r}) needs {what} of shape {expected}"
            )
        if not np.issubdtype(value.dtype, np.floating) or not np.all(np.isfinite(value)):
            raise ValueError(
                f"{source}: {key} must be finite floating-point numbers, got dtype {value.dtype}"
            )
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
        raise FileNotFoundError(
            f"parameter file {path} not found; make one with "
            "save_params(network, path) or train it first"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"parameter file {path} is damaged or not an .npz file of "
            f"parameters ({type(error).__name__}: {error})"
        ) from None


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
