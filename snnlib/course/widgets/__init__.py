"""The course's interactive explorers, and the compute and draw functions they wrap.

Every explorer is three layers, so that the logic is tested without a browser:

- a **compute** function (``compute_*``): numbers in, a dict of arrays out, built
  only from snnlib's tested parts (neuron steps, synapse filters, transforms,
  the simulator);
- a **draw** function (``draw_*``): takes that dict (and optionally a figure),
  draws it with labelled axes and units, and returns the figure;
- an **explorer** (``*_explorer``): ``ipywidgets.interactive`` controls that call
  compute, then draw, and show the figure.

Figures are `snnlib.course.plots.CourseFigure` objects, made without pyplot: nothing is kept in a
global list of open figures (no leaks when a slider moves a thousand times),
and a notebook shows one as a PNG when a cell returns it.

Nothing here writes to standard error: numpy warnings are silenced where a
value is expected to be infinite or empty (a neuron that never fires).

The explorers are grouped by the lecture they serve (`simulation_loop` for
lecture 01, `convolution` 02, `lif` 03, `synapses` 04, `spiking_cnn` 05 and 06),
with what they share in `common`. Every public name is importable from here.
"""

from snnlib.course.mnist import LIF_LAYERS
from snnlib.course.widgets.common import (
    CONTROL_WIDTH,
    DT,
    SYNAPSE_KINDS,
    new_figure,
    show,
    test_digits,
)
from snnlib.course.widgets.convolution import (
    NAMED_KERNELS,
    compute_convolution,
    conv_stack_table,
    convolution_explorer,
    draw_convolution,
    draw_matrix,
    format_table,
)
from snnlib.course.widgets.lif import (
    compute_lif_demo,
    compute_rate_curve,
    compute_relu_vs_lif,
    compute_tuning,
    draw_lif_demo,
    draw_rate_curves,
    draw_tuning,
    lif_explorer,
    tuning_explorer,
)
from snnlib.course.widgets.simulation_loop import (
    compute_input_record,
    draw_input_record,
    input_explorer,
)
from snnlib.course.widgets.spiking_cnn import (
    MAX_CACHED_RUNS,
    NETWORK_PROBE_SYNAPSES,
    NETWORK_SCALES,
    NETWORK_SYNAPSES,
    compute_network_demo,
    compute_network_run,
    compute_tradeoffs,
    draw_network_demo,
    draw_tradeoffs,
    network_explorer,
    precompute_network_runs,
    probe_record,
    tradeoff_table,
)
from snnlib.course.widgets.synapses import (
    compute_delay_demo,
    compute_impulse_response,
    compute_synapse_demo,
    draw_impulse_response,
    draw_synapse_demo,
    impulse_explorer,
    make_synapse,
    synapse_explorer,
)
