"""Train the NengoDL tutorial network on the bundled MNIST digits and save its weights.

    python scripts/train_tutorial.py --seed 0

reproduces ``snnlib/course/data/mnist_tutorial_params.npz``, the weights shipped with
snnlib (the recipe is ``snnlib.course.mnist.TRAINING_RECIPE``). The seed fixes the
initial weights, the order of the minibatches and the random shifts, so the
same seed gives the same weights on the same machine (another BLAS library or
CPU may round differently in the last bits; the accuracies stay the same to
within a digit or two). It prints the rate and spiking accuracies on the
1,000 held-out digits; ``python -m snnlib.course.demo --train`` trains the same way.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from snnlib import training  # noqa: E402
from snnlib.course import mnist  # noqa: E402
from snnlib.course.datasets import load_mnist  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--output",
        default=str(mnist.PRETRAINED_PATH),
        help="where to write the weights (default: the shipped file)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"override the recipe's {mnist.TRAINING_RECIPE['epochs']} epochs",
    )
    args = parser.parse_args(argv)
    recipe = {} if args.epochs is None else {"epochs": args.epochs}

    (x_train, y_train), (x_test, y_test) = load_mnist(source="bundled", verbose=True)
    print(f"recipe: {dict(mnist.TRAINING_RECIPE, **recipe)}, seed {args.seed}")
    start = time.perf_counter()
    model, history = mnist.train_tutorial(x_train, y_train, seed=args.seed, **recipe)
    seconds = time.perf_counter() - start
    path = training.save_params(model.network, args.output)
    print(f"trained in {seconds:.0f} s; weights written to {path}")

    model = mnist.build_network(path, learner_probes=False)  # the float32 weights as saved
    rate = mnist.rate_accuracy(model, x_test, y_test)
    spiking = mnist.spiking_accuracy(model, x_test, y_test, n_steps=mnist.TUTORIAL["n_steps"])
    print(
        f"held-out accuracy ({len(x_test)} digits): rate {100 * rate:.1f}%, "
        f"spiking {100 * spiking:.1f}% (30 steps, synapse None, probe lowpass 0.1 s)"
    )


if __name__ == "__main__":
    main()
