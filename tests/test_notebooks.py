"""The lecture notebooks run top to bottom, and every notebook is committed clean.

- Each ``course/*.ipynb`` is executed headless with nbclient (kernel ``python3``,
  a timeout per cell) and must produce no error output. The files are found at
  collection time, so a new lecture is tested without touching this file.
- Every notebook under ``course/``, ``solutions/`` and ``exercises/`` must be
  committed without outputs and with ``execution_count`` null.
"""

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "course").glob("*.ipynb"))
ALL_NOTEBOOKS = sorted(
    path
    for folder in ("course", "solutions", "exercises")
    for path in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)
CELL_TIMEOUT = 120  # seconds, per cell
PRETRAINED = ROOT / "snnlib" / "course" / "data" / "mnist_tutorial_params.npz"


def kernel_env():
    """The kernel runs with this interpreter's bin/ first on PATH, so that
    `python3` and the packages are the test environment's."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def test_there_are_lectures():
    names = [path.name for path in LECTURES]
    for expected in (
        "00_welcome.ipynb",
        "01_simulation_loop.ipynb",
        "02_convolution.ipynb",
        "03_lif_neurons.ipynb",
        "04_synapses.ipynb",
    ):
        assert expected in names, f"course/{expected} is missing; found {names}"


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_runs_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    if not PRETRAINED.exists() and any('"pretrained"' in c.source for c in nb.cells):
        pytest.skip(f"{path.name} needs the pretrained weights {PRETRAINED.name}")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: kernelspec must be python3, got {nb.metadata.get('kernelspec')}"
    )
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=kernel_env())
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output.text[:300]!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in ALL_NOTEBOOKS]
)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.relative_to(ROOT)}: code cells {dirty} have outputs or execution counts; "
        "clear them before committing (JupyterLab: Edit -> Clear Outputs of All Cells, "
        f"or `jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}`)"
    )
