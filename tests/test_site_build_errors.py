"""A lecture cell that fails, or writes to stderr, fails the website's build.

Each case is a small build, as `make site` builds (test_site.py's sphinx_build),
of a one-page site: a notebook of one such cell. The build must exit with an
error, and its log must name the failure.
"""

import pytest
from test_site import sphinx_build

BROKEN_NOTEBOOKS = {
    "error": ('raise ValueError("a lecture cell that fails")', "Executing notebook failed"),
    "stderr": (
        'import sys\nprint("a warning", file=sys.stderr)',
        "stderr was found in the cell outputs",
    ),
}


@pytest.mark.parametrize("kind", BROKEN_NOTEBOOKS)
def test_a_lecture_cell_that_fails_fails_the_build(tmp_path, kind):
    nbformat = pytest.importorskip("nbformat")
    source, expected = BROKEN_NOTEBOOKS[kind]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A broken lecture"),
        nbformat.v4.new_code_cell(source),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "broken.ipynb")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    result = sphinx_build(
        tmp_path, tmp_path / "html",
        "-D", f"external_toc_path={tmp_path / '_toc.yml'}",
        "-D", "include_patterns=broken.ipynb",
        "-D", f"nb_execution_cache_path={tmp_path / 'cache'}",
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode != 0, f"a cell with {kind} did not fail the build:\n{log[-2000:]}"
    assert expected in log, f"the build failed, but not on the cell ({expected!r}):\n{log[-2000:]}"
