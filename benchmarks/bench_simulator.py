"""Throughput of snnlib's simulator on NengoDL's spiking-MNIST network.

Prints a table: batch size, steps, dtype, seconds per run (best of 3) and
image-steps per second. Run with `make bench` or `python benchmarks/bench_simulator.py`.
"""

import time

import numpy as np

import snnlib as snn


def tutorial_network(seed=0):
    neuron_type = snn.LIF(amplitude=0.01)
    gain, bias = snn.gain_bias(neuron_type, max_rates=100, intercepts=0)
    with snn.Network(seed=seed, default_synapse=None) as net:
        inp = snn.Node(np.zeros(28 * 28))
        x = snn.Layer(snn.Conv2D(filters=32, kernel_size=3))(inp, shape_in=(28, 28, 1))
        x = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        x = snn.Layer(snn.Conv2D(filters=64, strides=2, kernel_size=3))(x, shape_in=(26, 26, 32))
        x = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        x = snn.Layer(snn.Conv2D(filters=128, strides=2, kernel_size=3))(x, shape_in=(12, 12, 64))
        x = snn.Layer(neuron_type)(x, gain=gain, bias=bias)
        out = snn.Layer(snn.Dense(units=10))(x)
        snn.Probe(out, synapse=0.1)
    return net, inp


def best_of(n_repeats, run):
    times = []
    for _ in range(n_repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    net, inp = tutorial_network()
    images = np.random.default_rng(0).uniform(0, 1, size=(200, 784))
    print("snnlib.Simulator on the tutorial network (28x28x1 -> 32/64/128 conv -> Dense(10))")
    print(f"{'batch':>6} {'steps':>6} {'dtype':>8} {'seconds':>9} {'image-steps/s':>14}")
    for batch, n_steps, dtype in [(1, 30, np.float32), (200, 30, np.float32),
                                  (200, 30, np.float64)]:
        def run():
            sim = snn.Simulator(net, dtype=dtype)
            sim.run_steps(n_steps, inputs={inp: images[:batch]})

        seconds = best_of(3, run)
        print(f"{batch:>6} {n_steps:>6} {np.dtype(dtype).name:>8} {seconds:>9.2f} "
              f"{batch * n_steps / seconds:>14.0f}")


if __name__ == "__main__":
    main()
