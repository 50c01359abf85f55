"""The widgets render and respond in a real JupyterLab, driven by headless Chromium.

The test starts ``jupyter lab`` on a free localhost port (with a token, a
temporary root, settings and runtime directory, and Jupyter's news
notification turned off), writes a small notebook that shows one explorer,
opens it with Playwright, runs all cells through the menu, moves the first
slider with ArrowRight, and checks that the figure under it changes.

It needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``)
and the ``playwright`` Python package; without them it is skipped.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "snnlib-browser-test"
# Chromium's own network traffic is refused on these machines; keep it quiet.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright Python package is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path):
    """A notebook with one explorer: the LIF explorer, whose first slider is J."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Browser test: the LIF explorer"),
        nbformat.v4.new_code_cell("from snnlib import widgets\nwidgets.lif_explorer()"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """A running JupyterLab: yields its base URL; stops it afterwards."""
    base = tmp_path_factory.mktemp("lab")
    root, settings = base / "root", base / "settings"
    root.mkdir()
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings") \
        .write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    write_notebook(root / "explorer.ipynb")

    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        MPLBACKEND="Agg",
    )
    port = free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--ServerApp.root_dir={root}",
               f"--IdentityProvider.token={TOKEN}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(base / "jupyter.log", "wb")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("jupyter lab did not start:\n"
                                + (base / "jupyter.log").read_text()[-3000:])
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_slider_moves_and_figure_changes(jupyter_lab, tmp_path):
    doing = "launching Chromium"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            doing = "opening the notebook"
            page.goto(f"{jupyter_lab}/lab/tree/explorer.ipynb?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            doing = "waiting for the kernel to be idle"
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")

            doing = "running all cells from the Run menu"
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            doing = "waiting for the slider and its figure"
            page.locator(".widget-slider").first.wait_for(state="visible")
            image = page.locator(".widget-output img").first
            image.wait_for(state="visible")
            before = image.get_attribute("src")
            readout = page.locator(".widget-readout").first.inner_text()

            doing = "moving the slider with ArrowRight"
            page.locator(".widget-slider .noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            doing = "waiting for the figure to change"
            page.wait_for_function(
                "(before) => { const img = document.querySelector('.widget-output img');"
                " return img !== null && img.getAttribute('src') !== before; }",
                arg=before)
            assert image.get_attribute("src") != before
            assert page.locator(".widget-readout").first.inner_text() != readout
            assert page.locator(".jp-OutputArea-output[data-mime-type="
                                "'application/vnd.jupyter.stderr']").count() == 0
            if os.environ.get("SNNLIB_BROWSER_SCREENSHOT"):  # to look at it by hand
                page.screenshot(path=os.environ["SNNLIB_BROWSER_SCREENSHOT"])
        except Exception as error:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot))
            raise AssertionError(f"failed while {doing}; screenshot in {shot}: "
                                 f"{type(error).__name__}: {str(error)[:500]}") from error
        finally:
            browser.close()
