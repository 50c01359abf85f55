"""Training: fit a network's transforms with rate neurons, then run it with spikes.

Spikes have no useful gradient, so, as NengoDL does, training runs the very same
`Network` with each spiking neuron type replaced by its rate equivalent, at
steady state, and writes the trained weights back into the network's transforms;
`snnlib.Simulator` then runs that network with spikes.

The package has one module per concern:

- `rate_model`: the network in rate mode (`RateNetwork`), each layer's forward
  and backward pass beside its equation, the loss, firing-rate targets, `predict`;
- `optimizers`: `Adam`, `RMSprop` and the `cosine_decay` schedule;
- `fit`: `train`, the loop over epochs and mini-batches;
- `params`: getting, setting, saving and loading weights, and
  `scale_firing_rates`.

Everything is importable from here: ``from snnlib import training`` then
``training.train(...)``, ``training.save_params(...)``.

Examples
--------
>>> history = training.train(net, inputs={inp: x_train}, targets={out: y_train},
...                          epochs=10, optimizer=training.Adam(0.001))  # doctest: +SKIP
>>> training.save_params(net, "params.npz")                            # doctest: +SKIP
"""

from .fit import train
from .optimizers import Adam, RMSprop, cosine_decay
from .params import (
    get_params,
    load_params,
    param_keys,
    read_params,
    save_params,
    scale_firing_rates,
    set_params,
)
from .rate_model import (
    RateNetwork,
    RateTarget,
    conv2d_backward,
    conv2d_forward,
    dense_backward,
    dense_forward,
    predict,
    rate_functions,
    softmax_cross_entropy,
)

__all__ = [
    "Adam",
    "RMSprop",
    "RateNetwork",
    "RateTarget",
    "conv2d_backward",
    "conv2d_forward",
    "cosine_decay",
    "dense_backward",
    "dense_forward",
    "get_params",
    "load_params",
    "param_keys",
    "predict",
    "rate_functions",
    "read_params",
    "save_params",
    "scale_firing_rates",
    "set_params",
    "softmax_cross_entropy",
    "train",
]
