"""Spiking inference on NengoDL's tutorial network: snnlib against Nengo and the GEMM bound.

    python benchmarks/bench_simulator.py [--json PATH] [--quick]

Measured in one run, on the same machine, so that the ratios mean something:

- snnlib's throughput (image-steps per second: images x time steps / seconds)
  for batches of 1 to 10,000 images, 30 steps, float32 and float64, the image
  held at every step (as in the tutorial), only the output probed;
- Nengo's reference simulator on the same network (one image at a time, as it
  runs; float64), when Nengo is installed;
- the matrix-multiply bound: the network's own float32 matrix products (the
  convolutions as patches @ kernel, and the Dense layer) for a batch of 200,
  timed alone, with the patches made beforehand. Nothing can run the network
  faster than its matrix products; the percentage says how close snnlib gets;
- peak memory of a process that runs 10,000 images with only the output probed
  (``run_steps(stateful=False)``: the state kept is one chunk's), for 10 steps.

Prints a table; ``--json`` also writes the figures (`run.py` collects them).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import snnlib as snn  # noqa: E402
from snnlib.course.mnist import build_network  # noqa: E402

N_STEPS = 30


def best_of(n_repeats, run):
    """The shortest of ``n_repeats`` wall-clock times of ``run()``, in seconds."""
    times = []
    for _ in range(n_repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def random_images(n, seed=0):
    """Real-valued inputs in [0, 1], as pixels / 255 are."""
    return np.random.default_rng(seed).uniform(0, 1, size=(n, 784)).astype(np.float32)


def snnlib_rate(model, images, dtype, repeats):
    """snnlib's image-steps per second for ``images``, each held for `N_STEPS` steps."""

    def run():
        sim = snn.Simulator(model.network, dtype=dtype, progress_bar=False)
        sim.run_steps(N_STEPS, inputs={model.input: images}, stateful=False)

    return len(images) * N_STEPS / best_of(repeats, run)


def nengo_network(model, current):
    """The same network in Nengo: nodes, LIF ensembles with snnlib's gains and
    biases, Convolution and Dense transforms (their biases from constant
    nodes, as Nengo's transforms have none), the output probe's lowpass. The
    input node outputs ``current["image"]``."""
    import nengo

    mirror = {}
    with nengo.Network(seed=0) as net:
        for node in model.network.nodes:
            if node.is_input:
                mirror[node] = nengo.Node(lambda t: current["image"])
            else:
                mirror[node] = nengo.Node(size_in=node.size)
        for neurons in model.network.neurons:
            lif = neurons.neuron_type
            ens = nengo.Ensemble(
                neurons.size,
                1,
                neuron_type=nengo.LIF(
                    lif.tau_rc,
                    lif.tau_ref,
                    lif.min_voltage,
                    lif.amplitude,
                    initial_state={"voltage": nengo.dists.Choice([0])},  # at rest, as snnlib
                ),
                gain=neurons.gain,
                bias=neurons.bias,
            )
            mirror[neurons] = ens.neurons
        for conn in model.network.connections:
            transform, bias = conn.transform, None
            if isinstance(transform, snn.Conv2D):
                transform, bias = (
                    nengo.Convolution(
                        transform.filters,
                        input_shape=conn.shape_in,
                        kernel_size=transform.kernel_size,
                        strides=transform.strides,
                        padding=transform.padding,
                        channels_last=True,
                        init=transform.kernel,
                    ),
                    transform.bias,
                )
            elif isinstance(transform, snn.Dense):
                transform, bias = transform.kernel.T, transform.bias
            post = mirror[conn.post]
            nengo.Connection(mirror[conn.pre], post, transform=transform, synapse=conn.synapse)
            if bias is not None:  # one bias per channel, at every position (channels last)
                bias_node = nengo.Node(np.tile(bias, post.size_in // len(bias)))
                nengo.Connection(bias_node, post, synapse=None)
        for probe in model.network.probes:
            tau = probe.synapse.tau if probe.synapse is not None else None
            nengo.Probe(mirror[probe.target], synapse=tau)
    return net


def nengo_rate(model, images):
    """Nengo's reference simulator on the same network: image-steps per second,
    one image at a time (as it runs), the simulator built once and reset
    between images (only `run_steps` is timed). First checks that both
    libraries give the same output for the first image (float64)."""
    import nengo

    current = {"image": images[0]}
    net = nengo_network(model, current)
    ours = snn.Simulator(model.network, dtype=np.float64, progress_bar=False)
    ours = ours.run_steps(N_STEPS, inputs={model.input: images[:1]})
    seconds = 0.0
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(N_STEPS)
        difference = np.abs(ours[model.network.probes[0]][0] - sim.data[net.probes[0]]).max()
        if difference > 1e-9:
            raise RuntimeError(f"Nengo's network differs from snnlib's by {difference}")
        for image in images:
            current["image"] = image
            sim.reset()
            start = time.perf_counter()
            sim.run_steps(N_STEPS)
            seconds += time.perf_counter() - start
    return len(images) * N_STEPS / seconds


def gemm_bound(model, batch=200, repeats=5):
    """Image-steps per second if a step did nothing but the network's float32
    matrix products (for ``batch`` images); and the FLOPs per image-step."""
    rng = np.random.default_rng(1)
    products = []
    for conn in model.network.connections:
        transform = conn.transform
        if isinstance(transform, snn.Conv2D):
            out_h, out_w, _ = transform.output_shape(conn.shape_in)
            k = int(np.prod(transform.kernel.shape[:3]))
            patches = rng.uniform(size=(batch * out_h * out_w, k)).astype(np.float32)
            products.append((patches, transform.kernel.reshape(k, -1).astype(np.float32)))
        elif isinstance(transform, snn.Dense):
            x = rng.uniform(size=(batch, transform.kernel.shape[0])).astype(np.float32)
            products.append((x, transform.kernel.astype(np.float32)))
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in products) / batch
    seconds = best_of(repeats, lambda: [a @ b for a, b in products])
    return batch / seconds, flops


def peak_memory_mb(n_images):
    """Peak resident memory of a fresh process that runs ``n_images``
    (`MEMORY_STEPS` steps, only the output probed, not stateful), in MB; and
    its throughput."""
    script = [sys.executable, __file__, "--memory-child", str(n_images)]
    out = subprocess.run(script, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


MEMORY_STEPS = 10
"""Steps of the 10,000-image run: the state kept is one chunk's whatever the
steps, and only the output's records (10 values an image-step) grow with them."""


def memory_child(n_images):
    """What `peak_memory_mb` runs in its own process."""
    model = build_network("pretrained", learner_probes=False)
    images = random_images(n_images)
    sim = snn.Simulator(model.network, progress_bar=False)
    start = time.perf_counter()
    sim.run_steps(MEMORY_STEPS, inputs={model.input: images}, stateful=False)
    rate = n_images * MEMORY_STEPS / (time.perf_counter() - start)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rate)  # kB -> MB


def blas_threads():
    """How many threads numpy's BLAS may use (OPENBLAS_NUM_THREADS, else the cores)."""
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="small batches only, no Nengo")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child)

    model = build_network("pretrained", learner_probes=False)  # output probe only
    figures = {"n_steps": N_STEPS, "blas_threads": blas_threads(), "cores": os.cpu_count()}
    rows = []

    bound, flops = gemm_bound(model)
    figures["gemm_bound_image_steps_per_s"] = bound
    figures["mflop_per_image_step"] = flops / 1e6
    rows.append(("GEMM bound, float32, batch 200", bound, f"{flops / 1e6:.2f} MFLOP/image-step"))

    batches = [1, 16, 200] if args.quick else [1, 16, 200, 1000]
    for batch in batches:
        rate = snnlib_rate(model, random_images(batch), np.float32, 3 if batch <= 200 else 1)
        figures[f"snnlib_float32_batch_{batch}"] = rate
        rows.append((f"snnlib, float32, batch {batch}", rate, f"{100 * rate / bound:.1f}% of GEMM"))
    rate64 = snnlib_rate(model, random_images(200), np.float64, 3)
    figures["snnlib_float64_batch_200"] = rate64
    rows.append(("snnlib, float64, batch 200", rate64, ""))

    snnlib_200 = figures["snnlib_float32_batch_200"]
    figures["percent_of_gemm_bound"] = 100 * snnlib_200 / bound
    if not args.quick:
        try:
            nengo = nengo_rate(model, random_images(20, seed=1))
        except ImportError:
            nengo = None
        figures["nengo_image_steps_per_s"] = nengo
        if nengo:
            figures["times_nengo_float32"] = snnlib_200 / nengo
            figures["times_nengo_float64"] = rate64 / nengo
            rows.append(
                (
                    "Nengo reference simulator (float64)",
                    nengo,
                    f"snnlib {snnlib_200 / nengo:.1f}x (float32), {rate64 / nengo:.1f}x (float64)",
                )
            )
        memory, rate = peak_memory_mb(10_000)
        figures["peak_memory_mb_10000_images"] = memory
        figures["snnlib_float32_batch_10000"] = rate
        rows.append(
            (
                f"snnlib, float32, batch 10,000 x {MEMORY_STEPS} steps",
                rate,
                f"peak memory {memory:.0f} MB",
            )
        )

    print(
        f"Spiking inference, NengoDL's tutorial network, {N_STEPS} steps, image held "
        f"({os.cpu_count()} cores, BLAS threads {blas_threads()}, numpy {np.__version__})"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'image-steps/s':>13}  notes")
    for name, rate, note in rows:
        print(f"{name:{width}}  {rate:>13,.0f}  {note}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
