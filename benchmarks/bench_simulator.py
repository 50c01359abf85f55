"""Throughput of snnlib's simulator on NengoDL's spiking-MNIST network.

Prints a table: batch size, steps, dtype, seconds per run (best of 3) and
image-steps per second. Run with `make bench` or `python benchmarks/bench_simulator.py`.
"""

import time

import numpy as np

import snnlib as snn
from snnlib.course.mnist import build_network


def best_of(n_repeats, run):
    times = []
    for _ in range(n_repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    model = build_network(learner_probes=False)  # output probe only, as in evaluation
    net, inp = model.network, model.input
    images = np.random.default_rng(0).uniform(0, 1, size=(200, 784))
    print("snnlib.Simulator on the tutorial network (28x28x1 -> 32/64/128 conv -> Dense(10))")
    print(f"{'batch':>6} {'steps':>6} {'dtype':>8} {'seconds':>9} {'image-steps/s':>14}")
    for batch, n_steps, dtype in [
        (1, 30, np.float32),
        (200, 30, np.float32),
        (200, 30, np.float64),
    ]:

        def run(batch=batch, n_steps=n_steps, dtype=dtype):
            sim = snn.Simulator(net, dtype=dtype)
            sim.run_steps(n_steps, inputs={inp: images[:batch]})

        seconds = best_of(3, run)
        print(
            f"{batch:>6} {n_steps:>6} {np.dtype(dtype).name:>8} {seconds:>9.2f} "
            f"{batch * n_steps / seconds:>14.0f}"
        )


if __name__ == "__main__":
    main()
