"""Speed of the spiking-MNIST pipeline: training, rate inference, spiking inference.

    python benchmarks/bench_mnist.py [--digits 1000] [--train-digits 1000]

Prints a table: seconds per training epoch (rate mode, forward and backward,
scaled to the 4,000 bundled training digits), and images per second for the
rate network and for the spiking network (30 steps, tutorial settings). Numbers
depend on the machine and on what else runs on it; numpy's BLAS uses all cores.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from snnlib import training  # noqa: E402
from snnlib.course import mnist  # noqa: E402
from snnlib.course.datasets import images_to_inputs, load_mnist  # noqa: E402


def timed(function, repeats=1):
    """The best of ``repeats`` wall-clock times of ``function()``, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", type=int, default=1000, help="test digits for inference")
    parser.add_argument(
        "--train-digits",
        type=int,
        default=1000,
        help="training digits timed (the time is scaled to 4,000)",
    )
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_mnist(source="bundled", verbose=False)
    x_test, y_test = x_test[: args.digits], y_test[: args.digits]
    n_train = min(args.train_digits, len(x_train))
    rows = []

    def train_epoch(batch_size):
        model = mnist.build_network(learner_probes=False)
        inputs = images_to_inputs(x_train[:n_train])
        training.train(
            model.network,
            {model.input: inputs},
            {model.output: y_train[:n_train]},
            epochs=1,
            batch_size=batch_size,
            augment=mnist.random_shifts(2),
            progress_bar=False,
        )

    for batch_size in (32, 64):
        seconds = timed(lambda b=batch_size: train_epoch(b))
        rows.append(
            (
                f"training epoch, batch {batch_size} (4,000 digits)",
                f"{seconds * 4000 / n_train:.1f} s",
                f"measured on {n_train} digits",
            )
        )

    model = mnist.build_network("pretrained", learner_probes=False)
    inputs = images_to_inputs(x_test)
    seconds = timed(
        lambda: training.predict(model.network, {model.input: inputs}, model.output), repeats=3
    )
    rows.append(
        (
            "rate inference",
            f"{len(x_test) / seconds:.0f} images/s",
            f"{len(x_test)} digits in {seconds:.2f} s",
        )
    )

    for batch_size in (100, 200, 500):
        seconds = timed(
            lambda b=batch_size: mnist.run_spiking(model, x_test, n_steps=30, batch_size=b)
        )
        rows.append(
            (
                f"spiking inference, 30 steps, batch {batch_size}",
                f"{len(x_test) / seconds:.0f} images/s",
                f"{len(x_test)} digits in {seconds:.1f} s",
            )
        )

    width = max(len(r[0]) for r in rows)
    print(f"spiking MNIST benchmark ({os.cpu_count()} cores, numpy {np.__version__})")
    print(f"{'':{width}}  {'speed':>14}  notes")
    for name, speed, note in rows:
        print(f"{name:{width}}  {speed:>14}  {note}")


if __name__ == "__main__":
    main()
