"""Spiking MNIST end to end: ``python -m snnlib.course.demo`` (``make demo``).

Headless and offline, on the bundled digits:

1. load the shipped weights of the NengoDL tutorial network (or, with
   ``--train``, train them from a seed, as ``scripts/train_tutorial.py`` does);
2. score the rate network and the spiking network at the tutorial's settings
   (30 steps, connection synapses None, output probe lowpass 0.1 s) on the
   1,000 held-out digits;
3. sweep one setting at a time: ``n_steps`` and the output-probe synapse on all
   held-out digits (read from one run), the connection synapse and the
   firing-rate scale on the first ``--sweep-digits`` of them (300 by default,
   to save time: their standard errors are about twice as large);
4. print a table (every accuracy with its binomial standard error), and, for
   the shipped weights, the precomputed curves of accuracy against n_steps
   for each connection synapse (1,000 digits, up to 100 steps,
   `snnlib.course.mnist.SWEEP_CURVES_PATH`); write ``results.json`` and PNG figures
   into ``--output``.

``--quick`` runs on a few digits, for the tests.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from snnlib import training
from snnlib.course import mnist, sweeps
from snnlib.course.datasets import file_sha256, load_mnist
from snnlib.course.sweeps import standard_error

N_STEPS = mnist.SWEEPS["n_steps"]
SYNAPSES = mnist.SWEEPS["synapse"]  # the tutorial's None first
SCALES = mnist.SWEEPS["scale"]  # the tutorial's 1 first
PROBE_SYNAPSES = mnist.SWEEPS["probe_synapse"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m snnlib.course.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--output",
        default="demo_output",
        help="directory for results.json and the figures (default: demo_output)",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="train the weights (about a minute) instead of loading the shipped ones",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for --train (default 0)")
    parser.add_argument("--params", default=None, help="load the weights from this .npz file")
    parser.add_argument(
        "--sweep-digits",
        type=int,
        default=300,
        help="held-out digits used by the synapse and firing-rate sweeps (default 300)",
    )
    parser.add_argument("--quick", action="store_true", help="a few digits only (for tests)")
    args = parser.parse_args(argv)
    if args.train and args.params:
        parser.error("give --train or --params, not both")
    if args.sweep_digits < 1:
        parser.error(f"--sweep-digits must be >= 1, got {args.sweep_digits}")
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    (x_train, y_train), (x_test, y_test) = load_mnist(source="bundled", verbose=True)
    if args.quick:
        x_test, y_test = x_test[:20], y_test[:20]
    n_sweep = min(args.sweep_digits, 10 if args.quick else len(x_test))

    # 1. the weights
    if args.train:
        recipe = {"epochs": 1} if args.quick else {}
        if args.quick:
            x_train, y_train = x_train[:200], y_train[:200]
        print(f"training the tutorial network (seed {args.seed}) on {len(x_train)} digits")
        model, _ = mnist.train_tutorial(x_train, y_train, seed=args.seed, **recipe)
        params = training.get_params(model.network)
        weights = training.save_params(model.network, output / "mnist_tutorial_params.npz")
    else:
        weights = Path(args.params) if args.params else mnist.PRETRAINED_PATH
        try:
            params = training.read_params(weights)
            mnist.build_network(params, learner_probes=False)  # do they fit the network?
        except (FileNotFoundError, ValueError) as error:
            sys.exit(f"python -m snnlib.course.demo: {error}")

    # 2. rate and spiking accuracy at the tutorial's settings. One run gives the
    # n_steps sweep too (the run is causal: step k of a longer run is a k-step run)
    # and the probe-synapse sweep (a probe's synapse only smooths the record).
    rate_model = mnist.build_network(params, learner_probes=False)
    rate_correct = mnist.rate_outputs(rate_model, x_test).argmax(axis=1) == y_test
    n_steps = [k for k in N_STEPS if not args.quick or k <= 30]
    model = mnist.build_network(
        params,
        probe_synapse=None,
        learner_probes=False,
        extra_output_synapses=[s for s in PROBE_SYNAPSES if s is not None],
    )
    names = {s: "output" if s is None else f"output_{s}" for s in PROBE_SYNAPSES}
    print(f"spiking network: {len(x_test)} digits, {max(n_steps)} steps")
    outputs = mnist.run_spiking(
        model, x_test, n_steps=max(n_steps), probes=list(names.values()), progress=True
    )
    # correct[s][i, k - 1]: digit i is classified right after k steps, read
    # through an output probe with synapse s
    correct = {s: outputs[name].argmax(axis=2) == y_test[:, None] for s, name in names.items()}
    tutorial = correct[0.1][:, 29]
    sweep_results = {
        "n_steps": [
            {"n_steps": k, "accuracy": float(correct[0.1][:, k - 1].mean())} for k in n_steps
        ],
        "probe_synapse": [
            {"probe_synapse": s, "accuracy": float(correct[s][:, 29].mean())}
            for s in PROBE_SYNAPSES
        ],
    }

    # 3. the sweeps that need a run per value, on a subset; their tutorial points
    # (synapse None, scale 1) come from the run above, on the same digits
    x_sub, y_sub = x_test[:n_sweep], y_test[:n_sweep]
    print(f"sweeps of connection synapse and firing-rate scale on {n_sweep} digits")
    sub_spiking = float(tutorial[:n_sweep].mean())
    sweep_results["synapse"] = [{"synapse": None, "accuracy": sub_spiking}] + sweeps.sweep_synapse(
        params, x_sub, y_sub, [s for s in SYNAPSES if s is not None]
    )
    sweep_results["scale"] = [
        {"scale": 1, "accuracy": sub_spiking, "rate_accuracy": float(rate_correct[:n_sweep].mean())}
    ]
    sweep_results["scale"] += sweeps.sweep_firing_rate_scale(
        params, x_sub, y_sub, [s for s in SCALES if s != 1]
    )
    rate_acc, spiking_acc = float(rate_correct.mean()), float(tutorial.mean())

    sweep_digits = {
        "n_steps": len(x_test),
        "probe_synapse": len(x_test),
        "synapse": n_sweep,
        "scale": n_sweep,
    }
    figures = make_figures(params, x_test, y_test, sweep_results, sweep_digits, rate_acc, output)
    results = {
        "data": "bundled MNIST subset, held-out split",
        "weights": weights_name(weights),
        "weights_sha256": file_sha256(weights),
        "settings": {**mnist.TUTORIAL, "dt": mnist.DT},
        "n_test_digits": len(x_test),
        "rate_accuracy": rate_acc,
        "spiking_accuracy": spiking_acc,
        "sweeps": sweep_results,
        "sweep_digits": sweep_digits,
        "uncertainty": "an accuracy p measured on n digits has a binomial standard error "
        "sqrt(p (1 - p) / n); n is n_test_digits or sweep_digits",
        "figures": figures,
        "seconds": round(time.perf_counter() - start, 1),
    }
    with open(output / "results.json", "w") as stream:
        json.dump(results, stream, indent=2)
    print_table(results)
    if results["weights"] == weights_name(mnist.PRETRAINED_PATH) and not args.quick:
        print_precomputed_curves()  # computed with the shipped weights
    print(f"wrote {output / 'results.json'} and {len(figures)} figures in {results['seconds']} s")
    return results


def weights_name(path):
    """How results.json names the weights: the shipped file by its place in the
    package (the same on every machine), any other file as it was given."""
    if Path(path).resolve() == mnist.PRETRAINED_PATH.resolve():
        return "snnlib/course/data/" + mnist.PRETRAINED_PATH.name
    return str(path)


def make_figures(params, x_test, y_test, sweep_results, sweep_digits, rate_acc, output):
    """Write the PNG figures; return their file names."""
    from snnlib.course import plots

    model = mnist.build_network(params, learner_probes=True)
    digit = 0
    data = mnist.run_spiking(
        model, x_test[digit : digit + 1], n_steps=30, probes=("output",) + mnist.LEARNER_PROBES
    )
    figures = {
        "accuracy_vs_n_steps.png": plots.accuracy_vs_steps(
            sweep_results["n_steps"], rate_acc, n_digits=sweep_digits["n_steps"]
        ),
        "learner_probes.png": plots.learner_probes({k: v[0] for k, v in data.items()}),
        "output_over_time.png": plots.output_over_time(
            data["output"][0], label=int(y_test[digit]), image=x_test[digit]
        ),
        "sweeps.png": plots.sweeps(sweep_results, n_digits=sweep_digits),
    }
    for name, fig in figures.items():
        fig.savefig(output / name, dpi=100)
    return sorted(figures)


def _percent(value):
    return f"{100 * value:.1f}%"


def print_table(results):
    """The results as a table on standard output, each accuracy with its
    standard error (below it, in percentage points)."""
    s, d = results["sweeps"], results["sweep_digits"]

    def row(label, cells):
        return f"  {label:<34}" + " ".join(f"{c:>7}" for c in cells)

    def percents(points, key="accuracy"):
        return [_percent(p[key]) for p in points]

    def errors(points, n, key="accuracy"):
        return row(
            "    ± standard error", [f"±{100 * standard_error(p[key], n):.1f}" for p in points]
        )

    n_test = results["n_test_digits"]
    lines = [
        "",
        f"Spiking MNIST, NengoDL tutorial network ({results['data']})",
        f"weights: {results['weights']}",
        row(f"rate network ({n_test} digits)", [_percent(results["rate_accuracy"])]),
        row("spiking, tutorial settings", [_percent(results["spiking_accuracy"])])
        + "   (30 steps, synapse None, probe lowpass 0.1 s)",
        errors([{"accuracy": results["spiking_accuracy"]}], n_test),
        "",
        row(f"n_steps ({d['n_steps']} digits)", [p["n_steps"] for p in s["n_steps"]]),
        row("  spiking accuracy", percents(s["n_steps"])),
        errors(s["n_steps"], d["n_steps"]),
        row(
            f"connection synapse ({d['synapse']} digits)",
            [sweeps.synapse_name(p["synapse"]) for p in s["synapse"]],
        ),
        row("  spiking accuracy", percents(s["synapse"])),
        errors(s["synapse"], d["synapse"]),
        row(f"firing-rate scale ({d['scale']} digits)", [f"{p['scale']:g}" for p in s["scale"]]),
        row("  spiking accuracy", percents(s["scale"])),
        errors(s["scale"], d["scale"]),
        row("  rate accuracy", percents(s["scale"], "rate_accuracy")),
        row(
            f"output probe synapse ({d['probe_synapse']} digits)",
            [sweeps.synapse_name(p["probe_synapse"]) for p in s["probe_synapse"]],
        ),
        row("  spiking accuracy", percents(s["probe_synapse"])),
        errors(s["probe_synapse"], d["probe_synapse"]),
        "",
        "The standard error of an accuracy p on n digits is sqrt(p (1 - p) / n): on 300",
        "digits about 0.8 points near 98%, on 1,000 about 0.4. Differences within about",
        "two standard errors (a few digits) are not evidence that one setting is better.",
        "",
    ]
    print("\n".join(lines))


def print_precomputed_curves(read_steps=(10, 20, 30, 50, 100)):
    """Accuracy against n_steps for each connection synapse, from the curves
    shipped with snnlib (the shipped weights, all 1,000 held-out digits), read
    through the tutorial's output probe and raw."""
    try:
        curves = sweeps.load_sweep_curves()
    except FileNotFoundError as error:
        print(f"(no precomputed curves: {error})")
        return
    runs = [r for r in curves["runs"] if r["weights"] == "shipped" and r["scale"] == 1]
    print(
        f"Precomputed ({mnist.SWEEP_CURVES_PATH.name}, {runs[0]['n_digits']:,} digits, one "
        f"run of {len(runs[0]['correct'])} steps per connection synapse):"
    )
    for raw, reading in ((False, "output probe lowpass 0.1 s"), (True, "raw output")):
        print(f"  {reading:<28}" + "".join(f"{k:>12}" for k in read_steps) + "  (n_steps)")
        for run in runs:
            accuracy, se = sweeps.run_accuracy(run, raw=raw)
            print(
                f"    synapse {sweeps.synapse_name(run['synapse']):<18}"
                + "".join(
                    f"{f'{100 * accuracy[k - 1]:.1f}±{100 * se[k - 1]:.1f}':>12}"
                    for k in read_steps
                )
            )
    print(
        "  Each filtered connection delays by a step and its output rises as "
        "1 - exp(-t / tau);\n  the network has seven of them in series (lecture 06).\n"
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
