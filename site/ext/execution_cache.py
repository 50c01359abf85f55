"""Keep myst-nb's execution cache honest: empty it when the library changes.

jupyter-cache reuses a notebook's outputs while the notebook's own code is
unchanged. The lectures' outputs also depend on snnlib (its code and its bundled
weights and digits) and on the packages that draw them, so the cache folder
records a fingerprint of those, and is emptied when it differs. A build from an
unchanged checkout re-runs nothing; a change in snnlib re-runs every lecture.
"""

import hashlib
import platform
import shutil
from importlib import metadata
from pathlib import Path

from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("numpy", "matplotlib", "ipywidgets", "ipykernel", "nbclient")
logger = logging.getLogger(__name__)


def fingerprint():
    """A hash of every file in snnlib/ and the versions of Python and PACKAGES."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "snnlib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    digest.update(platform.python_version().encode())
    for name in PACKAGES:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    return digest.hexdigest()


def check_cache(app, config):
    """Set nb_execution_cache_path (myst-nb's default place if unset) and empty the
    cache there if it was filled with another snnlib."""
    path = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    config.nb_execution_cache_path = str(path)
    stamp = path / "snnlib-fingerprint.txt"
    current = fingerprint()
    if path.exists() and (not stamp.exists() or stamp.read_text() != current):
        logger.info(f"snnlib or its packages changed: emptying the execution cache {path}")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)


def setup(app):
    app.connect("config-inited", check_cache)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
