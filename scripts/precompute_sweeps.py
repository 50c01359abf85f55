"""Precompute lecture 06's curves: accuracy and spikes at every step, on all held-out digits.

    python scripts/precompute_sweeps.py [--digits 1000] [--output PATH]

For each setting in `snnlib.course.sweeps.CURVE_SETTINGS` (connection synapse None,
1, 5 and 10 ms; firing-rate scale 2, 5 and 10; the rate-regularised weights),
one run of `snnlib.course.sweeps.CURVE_STEPS` (100) steps of the tutorial network on
the 1,000 held-out bundled digits, the output read through a probe with a
lowpass of 0.1 s and through one without synapse (raw). The network is
causal and the image is held constant, so the output probe at step k is what a
k-step run would end with: one run gives the accuracy for every n_steps from 1
to 100 (`snnlib.course.sweeps.curves_over_steps`).

The inputs are fixed (the bundled test digits, the shipped weights, float32,
batches of 200, one BLAS thread) and nothing is random, so a run gives the same
file again (on another BLAS or CPU the last bits of a sum may differ, and a
digit on a knife-edge could flip). The file keeps, besides the totals, the
first `CHECK_DIGITS` digits' numbers on their own: `tests/test_mnist.py` runs
this script on those digits and compares every number exactly. Writes
`snnlib.course.mnist.SWEEP_CURVES_PATH` (about 54 KB) unless ``--output`` says
otherwise. It took 8 minutes on a 2-core machine shared with other jobs.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# One BLAS thread, set before numpy loads: how a threaded BLAS splits a matrix
# product can change the last bit of a sum, then a spike, then a digit. With
# one thread the numbers do not depend on the machine's cores (and the
# simulator's small products gain little from threads). At float32 they can
# depend on how many rows a product has: the simulator runs chunks of a fixed
# size (Simulator.chunk_size), and the check below is one whole chunk.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from snnlib.course import mnist, sweeps  # noqa: E402
from snnlib.course.datasets import file_sha256, load_mnist  # noqa: E402

CHECK_DIGITS = 16
"""The first digits whose numbers are also stored on their own, for the test."""
CHANGES = ((10, 20), (20, 30), (30, 50), (50, 100))
"""Pairs of step counts between which each run counts the digits that changed."""
BATCH_SIZE = 200


def package_path(path):
    """A path inside the repository, written relative to it (never the machine's)."""
    return Path(path).resolve().relative_to(ROOT).as_posix()


def weights_for(setting, shipped, x_train, y_train):
    if setting["weights"] == "shipped":
        return shipped
    params, _ = sweeps.fine_tune_rates(shipped, x_train, y_train)
    return params


def changes(correct, pairs):
    """Digits right after ``a`` steps and wrong after ``b``, and the reverse
    (read through the output probe's lowpass)."""
    return [
        {
            "from_steps": a,
            "to_steps": b,
            "right_then_wrong": int((correct[:, a - 1] & ~correct[:, b - 1]).sum()),
            "wrong_then_right": int((~correct[:, a - 1] & correct[:, b - 1]).sum()),
        }
        for a, b in pairs
    ]


def summarise(curves, n):
    """Totals over the first ``n`` digits: right answers and spikes at each step."""
    return {
        "n_digits": n,
        "correct": curves["correct"][:n].sum(axis=0).tolist(),
        "correct_raw": curves["correct_raw"][:n].sum(axis=0).tolist(),
        "spikes": {name: s[:n].sum(axis=0).tolist() for name, s in curves["spikes"].items()},
    }


def to_json(provenance, runs):
    """The file's text: the provenance indented to be read, one line per run."""
    lines = ",\n".join("  " + json.dumps(run) for run in runs)
    return f'{{"provenance": {json.dumps(provenance, indent=2)},\n"runs": [\n{lines}\n]}}\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--digits", type=int, default=1000, help="held-out digits to run (default: all 1,000)"
    )
    parser.add_argument(
        "--output",
        default=str(mnist.SWEEP_CURVES_PATH),
        help="the JSON file to write (default: the one shipped with snnlib)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_mnist(source="bundled", verbose=True)
    x_test, y_test = x_test[: args.digits], y_test[: args.digits]
    shipped = mnist.pretrained_params()
    data_path = mnist.DATA_DIR / "mnist_subset.npz"

    runs = []
    for setting in sweeps.CURVE_SETTINGS:
        print(f"{setting}: {len(x_test)} digits, {sweeps.CURVE_STEPS} steps", flush=True)
        params = weights_for(setting, shipped, x_train, y_train)
        curves = sweeps.curves_over_steps(
            params,
            x_test,
            y_test,
            n_steps=sweeps.CURVE_STEPS,
            synapse=setting["synapse"],
            scale=setting["scale"],
            probe_synapse=mnist.TUTORIAL["probe_synapse"],
            batch_size=BATCH_SIZE,
            progress=True,
        )
        rate_model = mnist.build_network(params, scale=setting["scale"], learner_probes=False)
        rate_correct = mnist.rate_outputs(rate_model, x_test).argmax(axis=1) == y_test
        runs.append(
            {
                **setting,
                **summarise(curves, len(x_test)),
                "rate_correct": int(rate_correct.sum()),
                "n_neurons": curves["n_neurons"],
                "changes": changes(
                    curves["correct"], [(a, b) for a, b in CHANGES if b <= sweeps.CURVE_STEPS]
                ),
                "check": {
                    **summarise(curves, min(CHECK_DIGITS, len(x_test))),
                    "rate_correct": int(rate_correct[:CHECK_DIGITS].sum()),
                },
            }
        )

    seconds = time.perf_counter() - start
    command = "python scripts/precompute_sweeps.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    provenance = {
        "what": "Spiking accuracy and spike counts of the NengoDL tutorial network after "
        "every number of steps from 1 to 100, for each setting in runs.",
        "how": "One run of 100 steps per setting (image held constant, dt 1 ms, float32, "
        "output probe lowpass 0.1 s), read at every step: the run is causal, so "
        "step k is a k-step run. correct[k - 1]: digits whose output-probe argmax "
        "at step k is the label; correct_raw: the same read from a second output "
        "probe without synapse; spikes[layer][k - 1]: that layer's spikes at step "
        "k, summed over the digits; rate_correct: digits the rate network (the "
        "same weights and scale, no time steps) gets right. check: correct and "
        "spikes for the first digits only. changes: digits right after one number "
        "of steps and wrong after another, and the reverse.",
        "command": command,
        "digits": {
            "file": package_path(data_path),
            "sha256": file_sha256(data_path),
            "split": "x_test, y_test (held out)",
            "n_digits": len(x_test),
        },
        "weights": {
            "file": package_path(mnist.PRETRAINED_PATH),
            "sha256": file_sha256(mnist.PRETRAINED_PATH),
        },
        "rate_regularisation": {
            **sweeps.RATE_REGULARISATION,
            "how": "snnlib.course.sweeps.fine_tune_rates(shipped weights, bundled x_train, "
            "y_train): the first n_digits training digits",
        },
        "settings": {
            "dt": mnist.DT,
            "n_steps": sweeps.CURVE_STEPS,
            "batch_size": BATCH_SIZE,
            "probe_synapse": mnist.TUTORIAL["probe_synapse"],
            "dtype": "float32",
            "blas_threads": 1,
        },
        "software": {"python": platform.python_version(), "numpy": np.__version__},
        "seconds": round(seconds),
    }
    output = Path(args.output)
    output.write_text(to_json(provenance, runs))
    print(f"wrote {output} ({output.stat().st_size:,} bytes) in {seconds:.0f} s")
    for run in runs:
        accuracy, se = sweeps.run_accuracy(run)
        print(
            f"  synapse {sweeps.synapse_name(run['synapse']):>5}, scale {run['scale']:>4g}, "
            f"{run['weights']:>16}: "
            + ", ".join(
                f"{k}: {100 * accuracy[k - 1]:.1f}±{100 * se[k - 1]:.1f}"
                for k in (10, 20, 30, 50, 100)
                if k <= sweeps.CURVE_STEPS
            )
        )


if __name__ == "__main__":
    main()
