"""Install what the hub needs: a Python environment every user can run, and the proxy.

The environment (``<prefix>/venv``) holds JupyterHub, JupyterLab, nbgrader and
snnlib. It is made from a Python that students may execute (``/usr/bin/python3``
by default): a virtual environment links to the Python it was made from, and
one under root's home (mode 700, as pyenv's is) cannot be run by anyone else.
snnlib is installed as a copy, not in editable mode, so that users never need
to read the repository (which may sit in root's home). The installation is
redone only when pyproject.toml or snnlib changed since the last one.

The proxy (configurable-http-proxy, a Node program) is installed by ``npm ci``
from the committed package-lock.json into ``deploy/jupyterhub/node_modules``:
only the hub, as root, runs it.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
# What a user's environment is built from: a change to one of these reinstalls it.
SOURCES = ["pyproject.toml", "README.md", "snnlib"]
# JupyterLab: no "get notified about Jupyter news" prompt for anyone (as `make setup`).
LAB_OVERRIDES = (
    '{"@jupyterlab/apputils-extension:notification": '
    '{"fetchNews": "false", "checkForUpdates": false}}\n'
)


def executable_by_everyone(path):
    """Whether any user can run ``path``: every folder above it searchable by
    others, and the file itself executable by others."""
    path = Path(path).resolve()
    if not path.is_file() or not path.stat().st_mode & stat.S_IXOTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)


def sources_digest():
    """A hash of everything the environment is built from, and of how (this file)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in SOURCES:
        top = REPOSITORY / name
        files = sorted(top.rglob("*")) if top.is_dir() else [top]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPOSITORY)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def install_environment(prefix, python):
    """``<prefix>/venv`` with the project and its ``classroom`` extra; returns its path."""
    venv = Path(prefix) / "venv"
    if not executable_by_everyone(python):
        sys.exit(
            f"{python} cannot be run by every user (students' servers run it): "
            "give --python a Python outside root's home, e.g. /usr/bin/python3 "
            "(Debian: apt-get install python3-venv)"
        )
    stamp = venv / ".installed"  # the name `make` uses for the course's environment
    digest = sources_digest()
    recorded = venv / ".sources-digest"
    if stamp.exists() and recorded.exists() and recorded.read_text() == digest:
        print(f"the hub's environment {venv} is up to date")
        return venv
    Path(prefix).mkdir(parents=True, exist_ok=True)
    os.chmod(prefix, 0o755)
    if not (venv / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    # Build from a copy: building in the repository would write build/ and
    # snnlib.egg-info/ into the working tree.
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "snnlib"
        copy.mkdir()
        for name in SOURCES:
            source = REPOSITORY / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, copy / name)
        print(f"installing JupyterHub, JupyterLab, nbgrader and snnlib into {venv} ...")
        subprocess.run([*pip, "install", f"{copy}[classroom]"], check=True)
    # 2.5 s less to start each student's server (the Makefile's setup says why)
    subprocess.run([*pip, "uninstall", "--yes", "rfc3987-syntax"], check=True)
    settings = venv / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(LAB_OVERRIDES)
    recorded.write_text(digest)
    stamp.touch()
    return venv


def install_proxy():
    """configurable-http-proxy, as pinned in package-lock.json (``npm ci``)."""
    if shutil.which("npm") is None:
        sys.exit(
            "npm is missing: install Node.js 18 or newer with npm (Debian: apt-get install npm)"
        )
    lock = HERE / "package-lock.json"
    installed = HERE / "node_modules" / ".package-lock.json"
    if PROXY.exists() and installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        print(f"the proxy {PROXY} is up to date")
        return PROXY
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
    )
    return PROXY


def install(prefix, python):
    install_environment(prefix, python)
    install_proxy()
