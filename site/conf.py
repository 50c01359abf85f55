"""Sphinx configuration of the course website (`make site`, see README "The course as a website").

The source folder is the repository itself (``sphinx-build -c site . _build/html``):
the pages are README.md, course/*.ipynb, exercises/*/*.ipynb and docs/*.md as
they are, plus the few pages in this folder (the exercises' introduction and the
API reference). _toc.yml is the course map.

Lectures are executed at build time by myst-nb, through jupyter-cache: an
unchanged notebook is not run again, as long as snnlib and the main packages are
unchanged too (ext/execution_cache.py). A cell error, or anything a cell
writes to stderr, fails the build. ext/kernel_replies.py makes the wait for a
cell's reply check the kernel's socket every half second.

Nothing a page loads comes from outside the site: MathJax and the widget
manager are copied from site/node_modules (`npm ci` in this folder) into
_static by ext/offline_assets.py. ext/explorers.py marks each explorer as a
static copy and adds precomputed frames to some; ext/pages.py adds a note to
each problem set and fails the build on a figure without alt text.
"""

import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
sys.path.insert(0, str(SITE / "ext"))  # this site's own Sphinx extensions
sys.path.insert(0, str(ROOT))  # snnlib, for the API reference

project = "Spiking convolutional networks, from the ground up"
author = "the snnlib course authors"
copyright = "the snnlib course authors; code MIT, MNIST digits CC BY-SA 3.0"

extensions = [
    "myst_nb",
    "sphinx_external_toc",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.githubpages",  # a .nojekyll file: GitHub Pages then serves _static/
    "execution_cache",
    "kernel_replies",
    "offline_assets",
    "explorers",
    "pages",
]

# --- which files are pages -------------------------------------------------------
external_toc_path = str(SITE / "_toc.yml")
include_patterns = [
    "README.md",
    "course/*.ipynb",
    "course/README.md",
    "exercises/*/*.ipynb",
    "docs/*.md",
    "site/*.md",
    "site/api/*.md",
]
exclude_patterns = ["_build", ".venv", "**/node_modules", "**/.ipynb_checkpoints"]

# --- MyST and notebooks ----------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # "#checked-against-nengo" in docs/design.md

nb_execution_mode = "cache"
# nb_execution_cache_path: beside the output folder, _build/.jupyter_cache (myst-nb's
# default), set by ext/execution_cache.py, which empties it when snnlib changes.
# The problem sets are shown as students get them, not run: they raise NotImplementedError.
nb_execution_excludepatterns = ["exercises/*/*"]
# Seconds per cell. The longest lecture cell takes 2.4 s on an idle 2-core machine.
# On a busy machine the wait for a cell's reply now and then missed the reply and
# woke only when this timeout ran out; ext/kernel_replies.py waits in half-second
# slices, so that costs at most half a second.
nb_execution_timeout = 30
nb_execution_raise_on_error = True
nb_output_stderr = "warn"  # a lecture that writes to stderr fails the build (-W)
nb_merge_streams = True

# MathJax 3 (package.json pins it): its options go in mathjax3_config, where myst-parser
# adds the classes of the elements that hold math; mathjax-config.js adds the rest
mathjax3_config = {"options": {}}
mathjax_config_path = "mathjax-config.js"

# --- API reference: numpydoc docstrings through napoleon ---------------------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" as fields: autodoc documents the attributes themselves
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}

# --- HTML ------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Spiking CNNs, from the ground up"
html_static_path = ["static"]
templates_path = ["templates"]  # the search button, with an accessible name
html_css_files = ["course.css"]
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,  # the notebook itself, to run in JupyterLab
    "show_toc_level": 2,
}
html_show_sourcelink = False
