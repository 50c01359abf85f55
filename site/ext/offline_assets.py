"""Serve math and widgets from the site itself, never from a CDN.

By default Sphinx loads MathJax, and myst-nb loads require.js and the widget
manager, from CDNs: offline, equations stay raw TeX and widget cells stay empty.
Here both come from site/node_modules (pinned in package-lock.json, installed by
`npm ci`), copied into _static/mathjax and _static/widgets at the end of the build.
"""

import shutil
from pathlib import Path

from sphinx.errors import ConfigError

NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
MATHJAX = NODE_MODULES / "mathjax" / "es5"
HTML_MANAGER = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"

# What of MathJax's es5/ folder a page can ask for: the TeX-to-HTML component, its
# fonts, the TeX extensions it loads on demand, its menu and the accessibility
# modules the menu turns on (speech in English).
MATHJAX_FILES = [
    "tex-chtml.js",
    "output/chtml",
    "input/tex",
    "ui",
    "a11y",
    "sre/mathmaps/base.json",
    "sre/mathmaps/en.json",
]
# The standalone widget manager (no require.js): it renders the built-in controls.
# Its Font Awesome fonts in the two formats current browsers take, and the licences
# of what it bundles.
HTML_MANAGER_PATTERNS = ["embed.js", "embed.js.LICENSE.txt", "*.woff2", "*.woff"]


def check_and_configure(app, config):
    if not (MATHJAX / "tex-chtml.js").exists() or not (HTML_MANAGER / "embed.js").exists():
        raise ConfigError(
            f"the site's browser assets are missing from {NODE_MODULES}: "
            "run `make site-assets` (npm ci in site/) first"
        )
    config.mathjax_path = "mathjax/tex-chtml.js"  # relative to _static
    # myst-nb adds these to pages that hold widgets, in place of its CDN defaults;
    # the manager draws the widgets once the page has loaded
    config.nb_ipywidgets_js = {"widgets/embed.js": {"defer": "defer"}}


def copy_assets(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for name in MATHJAX_FILES:
        source, target = MATHJAX / name, static / "mathjax" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    shutil.copy2(MATHJAX.parent / "LICENSE", static / "mathjax" / "LICENSE")  # Apache 2.0
    (static / "widgets").mkdir(parents=True, exist_ok=True)
    for pattern in HTML_MANAGER_PATTERNS:
        for source in HTML_MANAGER.glob(pattern):
            shutil.copy2(source, static / "widgets" / source.name)


def setup(app):
    app.connect("config-inited", check_and_configure)
    app.connect("build-finished", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
