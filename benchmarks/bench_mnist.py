"""The spiking-MNIST pipeline as an instructor runs it: training, the demo, inference.

    python benchmarks/bench_mnist.py [--json PATH] [--no-training]

Prints a table of wall-clock times, each a whole command in a fresh process:

- retraining the shipped weights, `scripts/train_tutorial.py --seed 0` (its
  recipe, its evaluation on the held-out digits), into a temporary file;
- `make demo`, i.e. `python -m snnlib.course.demo`, into a temporary folder;

and the speed of inference on the 1,000 held-out digits: the rate network
(images per second) and the spiking network at the tutorial's settings (30
steps; images and image-steps per second). The course's targets: training
at most 90 s, the demo at most 60 s, on a 2-core machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from snnlib.course import mnist  # noqa: E402
from snnlib.course.datasets import load_mnist  # noqa: E402


def timed_command(*args):
    """Run a command from the repository's root, with one BLAS thread as the
    Makefile's targets have it; its wall-clock time in seconds."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def best_time(function, repeats=1):
    """The best of ``repeats`` wall-clock times of ``function()``, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--no-training", action="store_true", help="skip the training run")
    args = parser.parse_args(argv)
    figures, rows = {}, []

    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_training:
            seconds = timed_command(
                sys.executable, "scripts/train_tutorial.py", "--output", f"{tmp}/weights.npz"
            )
            figures["training_s"] = seconds
            rows.append(("retrain the shipped weights", f"{seconds:.0f} s", "target 90 s"))
        seconds = timed_command(sys.executable, "-m", "snnlib.course.demo", "--output", tmp)
        figures["demo_s"] = seconds
        rows.append(("make demo", f"{seconds:.0f} s", "target 60 s"))

    _, (x_test, _) = load_mnist(source="bundled", verbose=False)
    model = mnist.build_network("pretrained", learner_probes=False)
    seconds = best_time(lambda: mnist.rate_outputs(model, x_test), repeats=3)
    figures["rate_inference_images_per_s"] = len(x_test) / seconds
    rows.append(("rate inference", f"{len(x_test) / seconds:.0f} images/s", ""))
    seconds = best_time(lambda: mnist.run_spiking(model, x_test, n_steps=30))
    figures["spiking_inference_images_per_s"] = len(x_test) / seconds
    rows.append(
        (
            "spiking inference, 30 steps",
            f"{len(x_test) / seconds:.0f} images/s",
            f"{30 * len(x_test) / seconds:,.0f} image-steps/s",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"spiking MNIST pipeline ({os.cpu_count()} cores, numpy {np.__version__})")
    for name, value, note in rows:
        print(f"{name:{width}}  {value:>14}  {note}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
