"""MNIST digits: a bundled subset that works offline, and the full data set.

Two sources give the same arrays, ``(x_train, y_train), (x_test, y_test)``, with
images of shape ``(n, 28, 28)`` and labels of shape ``(n,)``, both uint8:

- **bundled**: 5,000 real MNIST digits shipped inside snnlib
  (``snnlib/course/data/mnist_subset.npz``): 4,000 for training, 1,000 for testing,
  balanced over the ten classes. See ``snnlib/course/data/README.md`` for where they
  come from and how the split was made.
- **full**: the 60,000 + 10,000 digits of MNIST, read from the four IDX files
  (gzipped or not) in a directory of yours, or in the one named by the
  ``SNNLIB_DATA`` environment variable. ``download_mnist`` fetches them, or from
  a shell ``python -m snnlib.course.datasets download DIR``.

``load_mnist`` picks the full data when it finds it, else the bundled subset,
and says which. ``images_to_inputs`` turns images into a network's input.

Examples
--------
>>> from snnlib.course.datasets import load_mnist, images_to_inputs
>>> (x_train, y_train), (x_test, y_test) = load_mnist(verbose=False)
>>> images_to_inputs(x_test[:5]).shape
(5, 784)
"""

import argparse
import gzip
import hashlib
import os
import urllib.request
from pathlib import Path

import numpy as np

DATA_ENV = "SNNLIB_DATA"
"""The environment variable naming the directory that holds full MNIST."""

BUNDLED_PATH = Path(__file__).resolve().parent / "data" / "mnist_subset.npz"

# The four IDX files of MNIST, as named by its authors.
MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# The published sha256 checksums of the gzipped files.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
    ),
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# Public copies of the gzipped files, tried in order. The original site,
# http://yann.lecun.com/exdb/mnist/, often refuses downloads now.
MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

# An IDX file starts with a big-endian int32 "magic number": 0x00000803 = 2051
# (unsigned bytes, 3 dimensions: images) or 0x00000801 = 2049 (unsigned bytes,
# 1 dimension: labels). Then comes one big-endian int32 per dimension, giving its
# size, and then the data, one byte per value, row-major.
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


# --- reading IDX files ------------------------------------------------------


def _read_bytes(path):
    """Return the bytes of ``path``, uncompressed if its name ends in ``.gz``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file {path} does not exist")
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as stream:
                return stream.read()
        except (OSError, EOFError) as error:
            raise ValueError(f"MNIST file {path} is not a valid gzip file: {error}") from None
    return path.read_bytes()


def _read_idx(path, magic, what):
    """Read an IDX file whose magic number must be ``magic``; return a uint8 array."""
    data = _read_bytes(path)
    # The magic number's last byte is the number of dimensions.
    ndim = magic & 0xFF
    header_size = 4 * (1 + ndim)
    if len(data) >= 4 and int.from_bytes(data[:4], "big") != magic:
        # A gzip stream starts with the bytes 1f 8b.
        if data[:2] == b"\x1f\x8b":
            hint = "it looks gzipped: name it *.gz"
        else:
            hint = "is it the right file?"
        raise ValueError(
            f"MNIST file {path} has magic number {int.from_bytes(data[:4], 'big')}, "
            f"expected {magic} for {what}; {hint}"
        )
    if len(data) < header_size:
        raise ValueError(
            f"MNIST file {path} is truncated: it has {len(data)} bytes, fewer than "
            f"the {header_size}-byte header of an IDX {what} file"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">i4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape))
    if len(data) < expected:
        raise ValueError(
            f"MNIST file {path} is truncated: its header promises {what} of shape "
            f"{shape}, {expected} bytes in all, but the file has {len(data)} bytes"
        )
    if len(data) > expected:
        raise ValueError(
            f"MNIST file {path} has {len(data) - expected} bytes more than the "
            f"{expected} its header promises ({what} of shape {shape})"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def read_idx_images(path):
    """Read MNIST images from an IDX file (magic number 2051), gzipped or not.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``
        (decompressed when its name ends in ``.gz``).

    Returns
    -------
    images : ndarray of uint8, shape ``(n, rows, columns)``
        Pixel intensities, 0 (background) to 255 (ink).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the magic number is not 2051, or the file is shorter or longer than
        its header promises.
    """
    return _read_idx(path, IMAGES_MAGIC, "images")


def read_idx_labels(path):
    """Read MNIST labels from an IDX file (magic number 2049), gzipped or not.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, e.g. ``train-labels-idx1-ubyte`` or ``train-labels-idx1-ubyte.gz``.

    Returns
    -------
    labels : ndarray of uint8, shape ``(n,)``
        Digits 0 to 9.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the magic number is not 2049, the file is shorter or longer than its
        header promises, or a label is not a digit 0 to 9.
    """
    labels = _read_idx(path, LABELS_MAGIC, "labels")
    wrong = np.flatnonzero(labels > 9)
    if wrong.size > 0:
        raise ValueError(
            f"MNIST file {path} is mislabelled: {wrong.size} labels are not digits "
            f"0 to 9, the first is {labels[wrong[0]]} at index {wrong[0]}"
        )
    return labels


def _idx_path(directory, name):
    """Return the path of IDX file ``name`` in ``directory``, plain or ``.gz``, or None."""
    for candidate in (Path(directory) / name, Path(directory) / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _missing_files(directory):
    """Return the names of the MNIST files absent from ``directory``."""
    return [name for name in MNIST_FILES.values() if _idx_path(directory, name) is None]


def load_idx_directory(directory):
    """Read full MNIST from the four IDX files in ``directory``.

    Each file may be plain (``train-images-idx3-ubyte``) or gzipped
    (``train-images-idx3-ubyte.gz``); the plain one is read when both exist.

    Parameters
    ----------
    directory : str or pathlib.Path
        The directory holding ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of ndarray
        Images ``(n, 28, 28)`` and labels ``(n,)``, uint8.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a file is not what it should be (see `read_idx_images` and
        `read_idx_labels`), images are not 28 x 28 pixels, or a set has not as
        many labels as images.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist")
    missing = _missing_files(directory)
    if missing:
        raise FileNotFoundError(
            f"full MNIST is not complete in {directory}: missing "
            + ", ".join(f"{name}[.gz]" for name in missing)
            + "; run `python -m snnlib.course.datasets download DIR` to fetch the files"
        )
    paths = {key: _idx_path(directory, name) for key, name in MNIST_FILES.items()}
    sets = {}
    for part in ("train", "test"):
        images_path, labels_path = paths["x_" + part], paths["y_" + part]
        images, labels = read_idx_images(images_path), read_idx_labels(labels_path)
        if images.shape[1:] != (28, 28):
            raise ValueError(
                f"MNIST file {images_path} holds images of {images.shape[1]} x "
                f"{images.shape[2]} pixels, expected 28 x 28"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"MNIST {part} set in {directory} has {len(images)} images "
                f"({images_path.name}) but {len(labels)} labels ({labels_path.name}); "
                "expected as many labels as images"
            )
        sets[part] = (images, labels)
    return sets["train"], sets["test"]


# --- choosing and loading a source -------------------------------------------


class MNISTData(tuple):
    """MNIST digits, as the pair ``((x_train, y_train), (x_test, y_test))``.

    It unpacks like that pair, and also tells where the digits came from.

    Attributes
    ----------
    train : tuple of ndarray
        ``(x_train, y_train)``: images ``(n, 28, 28)`` and labels ``(n,)``, uint8.
    test : tuple of ndarray
        ``(x_test, y_test)``, the same for the test set.
    source : str
        ``"full"`` (the MNIST IDX files) or ``"bundled"`` (snnlib's subset).
    path : pathlib.Path
        The directory of the IDX files, or the bundled ``.npz`` file.
    """

    def __new__(cls, train, test, source, path):
        data = super().__new__(cls, (tuple(train), tuple(test)))
        data.source = source
        data.path = Path(path)
        return data

    @property
    def train(self):
        return self[0]

    @property
    def test(self):
        return self[1]

    def __repr__(self):
        return (
            f"MNISTData(source={self.source!r}, path='{self.path}', "
            f"{len(self.train[0])} train and {len(self.test[0])} test images)"
        )


def find_mnist(directory=None):
    """Return the directory holding full MNIST, or None if it is not there.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Where to look. If not given, the directory named by the ``SNNLIB_DATA``
        environment variable, if set.

    Returns
    -------
    pathlib.Path or None
        The directory, if it holds all four MNIST IDX files (plain or ``.gz``).
    """
    if directory is None:
        directory = os.environ.get(DATA_ENV) or None
    if directory is None or not Path(directory).is_dir():
        return None
    return Path(directory) if not _missing_files(directory) else None


def load_bundled():
    """Load the MNIST subset bundled with snnlib (4,000 train, 1,000 test digits).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of ndarray
        Images ``(n, 28, 28)`` and labels ``(n,)``, uint8; 400 training and 100
        test digits of each class, shuffled.
    """
    if not BUNDLED_PATH.is_file():
        raise FileNotFoundError(
            f"the bundled MNIST subset {BUNDLED_PATH} is missing: reinstall snnlib, "
            "or remake it with `python scripts/make_mnist_subset.py`"
        )
    with np.load(BUNDLED_PATH) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def load_mnist(directory=None, source="auto", verbose=True):
    """Load MNIST digits: full MNIST if it is there, else the bundled subset.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Directory holding the four MNIST IDX files (plain or ``.gz``). If not
        given, the directory named by the ``SNNLIB_DATA`` environment variable.
    source : {"auto", "full", "bundled"}
        ``"auto"`` loads full MNIST when all four files are found, else the
        bundled subset. ``"full"`` and ``"bundled"`` load that one only.
    verbose : bool
        Print one line saying which data was loaded (to stdout).

    Returns
    -------
    data : MNISTData
        Unpacks as ``(x_train, y_train), (x_test, y_test)``: images
        ``(n, 28, 28)`` and labels ``(n,)``, uint8. ``data.source`` is
        ``"full"`` or ``"bundled"``, and ``data.path`` where it was read from.

    Raises
    ------
    FileNotFoundError
        If ``source="full"`` and a file is missing, or no directory is given
        and ``SNNLIB_DATA`` is not set.
    ValueError
        If ``source`` is not one of the three, or a full MNIST file is damaged
        (see `load_idx_directory`). A damaged file is an error with
        ``"auto"`` too: it never quietly falls back to the subset.

    Notes
    -----
    The bundled test set is 1,000 digits drawn from the same 5,000 as the
    training set, not MNIST's official test set: accuracies on it are not
    comparable with published MNIST results.
    """
    if source not in ("auto", "full", "bundled"):
        raise ValueError(f"source must be 'auto', 'full' or 'bundled', got {source!r}")
    if directory is None:
        directory = os.environ.get(DATA_ENV) or None

    if source == "full" and directory is None:
        raise FileNotFoundError(
            "source='full' needs the directory of the MNIST files: pass "
            f"directory=... or set the {DATA_ENV} environment variable"
        )
    if source == "full" or (source == "auto" and find_mnist(directory) is not None):
        (train, test), path = load_idx_directory(directory), Path(directory)
        source = "full"
        message = f"full data set from {path}"
    else:
        (train, test), path = load_bundled(), BUNDLED_PATH
        if source == "bundled":
            why = "as asked"
        elif directory is None:
            why = f"no directory given and {DATA_ENV} not set"
        elif not Path(directory).is_dir():
            why = f"no directory {directory}"
        else:
            why = f"{directory} lacks " + ", ".join(_missing_files(directory))
        message = f"bundled subset ({why})"
        source = "bundled"

    if verbose:
        print(f"MNIST: {message}: {len(train[0])} train, {len(test[0])} test images")
    return MNISTData(train, test, source=source, path=path)


# --- network input -------------------------------------------------------------


def images_to_inputs(images, dtype=np.float32):
    """Turn images into network input: one row of 784 values in [0, 1] per image.

    Each image is flattened row by row (row-major), which is the channels-last
    order of a ``(28, 28, 1)`` image, the ``shape_in`` of the first Conv2D.

    Parameters
    ----------
    images : array_like, shape ``(n, 28, 28)`` or ``(n, 28, 28, 1)``
        Pixel values: integers 0 to 255 (such as the uint8 images of
        `load_mnist`), divided by 255 here; or floats already in [0, 1].
    dtype : data-type
        The dtype of the result.

    Returns
    -------
    inputs : ndarray, shape ``(n, 784)``
        ``inputs[i, 28 * row + column]`` is pixel ``(row, column)`` of image ``i``.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"images must have shape (n, 28, 28) or (n, 28, 28, 1), got {images.shape}"
            + ("; for one image use images[None]" if images.shape == (28, 28) else "")
        )
    if images.dtype == np.bool_ or not (
        np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype, np.floating)
    ):
        raise ValueError(
            f"images must hold integers 0-255 or floats in [0, 1], got dtype {images.dtype}"
        )
    is_integer = np.issubdtype(images.dtype, np.integer)
    if images.size > 0 and is_integer:
        low, high = images.min(), images.max()
        if low < 0 or high > 255:
            raise ValueError(f"integer images must be 0 to 255, got values from {low} to {high}")
    elif images.size > 0:
        if np.isnan(images).any():
            raise ValueError(f"images contain {np.isnan(images).sum()} NaN values")
        low, high = images.min(), images.max()
        if low < 0 or high > 1:
            raise ValueError(
                f"float images must be in [0, 1], got values from {low} to {high}; "
                "pass the uint8 images, or divide by 255"
            )
    inputs = images.reshape(len(images), 28 * 28).astype(dtype)
    if is_integer:
        inputs /= 255
    return inputs


# --- downloading ---------------------------------------------------------------


def file_sha256(path):
    """Return the sha256 checksum of the file ``path``, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path, expected):
    """Raise ValueError unless the file ``path`` has the sha256 checksum ``expected``."""
    found = file_sha256(path)
    if found != expected.lower():
        raise ValueError(
            f"{path} has sha256 {found}, expected {expected.lower()}: "
            "the file is damaged or not the one expected"
        )


def _urlretrieve(url, path, timeout=60):
    """Save the content at ``url`` (``https://``, ``file://``, ...) to ``path``."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(path, "wb") as out:
        for block in iter(lambda: response.read(1 << 20), b""):
            out.write(block)


def download_mnist(
    directory, mirrors=MNIST_MIRRORS, checksums=MNIST_SHA256, fetch=None, verbose=True
):
    """Download the four gzipped MNIST files into ``directory`` and check them.

    A file already there with the right checksum is kept. Each other file is
    fetched from the first mirror that gives it with the right checksum; a file
    with a wrong checksum is never kept.

    Parameters
    ----------
    directory : str or pathlib.Path
        Where to put the files; made if it does not exist.
    mirrors : sequence of str
        Base URLs, each ending in ``/``, tried in order.
    checksums : dict
        File name -> expected sha256, as hex digits. The names are the files
        to download.
    fetch : callable, optional
        ``fetch(url, path)`` saves ``url`` to ``path``. By default urllib from
        the standard library, which also reads ``file://`` URLs.
    verbose : bool
        Print a line per file.

    Returns
    -------
    pathlib.Path
        The directory, ready for ``load_mnist(directory)``.

    Raises
    ------
    ValueError
        If no mirror gave a file with its expected checksum, and at least one
        gave a file with another (the message lists each mirror's failure).
    ConnectionError
        If no mirror could be reached for a file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fetch = _urlretrieve if fetch is None else fetch
    for name, expected in checksums.items():
        target = directory / name
        if target.is_file() and file_sha256(target) == expected.lower():
            if verbose:
                print(f"{target}: already there, checksum OK")
            continue
        partial = directory / (name + ".part")
        failures, mismatched = [], False
        for mirror in mirrors:
            url = mirror + name
            try:
                fetch(url, partial)
                check_sha256(partial, expected)
            except ValueError as error:
                mismatched = True
                failures.append(f"{url}: {error}")
            except OSError as error:  # includes urllib's URLError
                failures.append(f"{url}: {error}")
            else:
                partial.replace(target)
                if verbose:
                    print(f"{target}: downloaded from {url}, checksum OK")
                break
            finally:
                partial.unlink(missing_ok=True)
        else:
            error_type = ValueError if mismatched else ConnectionError
            raise error_type(f"could not download {name}:\n  " + "\n  ".join(failures))
    return directory


def main(argv=None):
    """Command line: ``python -m snnlib.course.datasets download [DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m snnlib.course.datasets", description="MNIST for snnlib."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download", help="download full MNIST and check its checksums")
    download.add_argument(
        "directory",
        nargs="?",
        default=os.environ.get(DATA_ENV) or None,
        help=f"where to put the files (default: ${DATA_ENV})",
    )
    args = parser.parse_args(argv)
    if args.directory is None:
        parser.error(f"give a directory, or set the {DATA_ENV} environment variable")
    directory = download_mnist(args.directory)
    print(f"done; use it with load_mnist({str(directory)!r}) or {DATA_ENV}={directory}")


if __name__ == "__main__":
    main()
