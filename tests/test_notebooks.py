"""The lectures are python3 notebooks, and every notebook is committed clean.

- Each ``course/*.ipynb`` is run top to bottom by the site build that
  ``tests/test_site.py`` makes (myst-nb, kernel ``python3``, 120 s per cell): a
  cell that fails, or writes anything to stderr, fails that build, so the
  lectures run once in the tests, not twice. Here: each names the ``python3``
  kernel. The files are found at collection time, so a new lecture is tested
  without touching this file.
- Every notebook under ``course/``, ``solutions/`` and ``exercises/`` must be
  committed without outputs and with ``execution_count`` null.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "course").glob("*.ipynb"))
ALL_NOTEBOOKS = sorted(
    path
    for folder in ("course", "solutions", "exercises")
    for path in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)


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
def test_lecture_names_the_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: kernelspec must be python3, got {nb.metadata.get('kernelspec')}"
    )


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
