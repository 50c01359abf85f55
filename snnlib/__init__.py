"""snnlib: a small reference library for spiking networks, in Nengo's vocabulary.

The core (numpy only) is five modules, one concept each:

- `snnlib.neurons`: LIF, LIFRate, RectifiedLinear, SpikingRectifiedLinear, SoftLIFRate
- `snnlib.synapses`: LinearFilter, Lowpass, Alpha
- `snnlib.transforms`: Dense, Conv2D
- `snnlib.network`: Network, Node, Neurons, Connection, Probe, Layer
- `snnlib.simulator`: Simulator

Its neurons, synapses, transforms and timing reproduce Nengo's reference
simulator, so what you learn here holds in Nengo and NengoDL.
"""

from .network import Connection, Default, Layer, Network, Neurons, Node, Probe
from .neurons import (
    LIF,
    LIFRate,
    NeuronType,
    RectifiedLinear,
    SoftLIFRate,
    SpikingRectifiedLinear,
    gain_bias,
)
from .simulator import Simulator
from .synapses import Alpha, LinearFilter, Lowpass
from .transforms import Conv2D, Dense, Transform

__version__ = "0.1.0"
