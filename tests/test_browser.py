"""The lectures' explorers render and respond in a real JupyterLab, driven by headless Chromium.

The test starts ``jupyter lab`` on a free localhost port (with a token, a
temporary root, settings and runtime directory, and Jupyter's news
notification turned off). For each lecture in ``course/`` that calls an
explorer (a code cell with ``widgets.<name>_explorer(``), it writes a notebook
of the lecture's first code cell (its imports) and its explorer cells, both
verbatim, opens it in JupyterLab (loaded once, in one page, with Playwright),
runs all cells, and checks every explorer:

- every control shows its value: a dropdown has an option selected, with
  non-empty text that fits the box; a slider has a non-empty readout;
- every control's label shows whole (not cut off with an ellipsis);
- the network explorer's connection synapse shows "None" at first, and its
  probe synapse shows "None" when that is chosen after another value;
- moving the first slider with ArrowRight changes its readout and the figure;
- nothing is written to stderr and no cell fails.

Only the explorer cells run, not whole lectures (those are run headless by
test_site.py's build): that keeps the test to one or two minutes, where running
the lectures would take several. An explorer cell that needed a name from a
cell other than the first would fail here with a NameError.

The browser may talk to 127.0.0.1 only: every other request is aborted and
recorded, and the test fails if there was one.

It needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``)
and the ``playwright`` Python package; without them it is skipped. Set
``SNNLIB_BROWSER_SCREENSHOTS`` to a folder to keep a screenshot of every
explorer there.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from local_browser import CHROMIUM, chromium, refuse_outside

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "snnlib-browser-test"
POLL = 100  # ms between checks while waiting
RENDER_TIMEOUT = 120_000  # ms for a notebook's explorers to draw (the network's takes ~7 s)
EXPLORER_CALL = re.compile(r"\bwidgets\.(\w+_explorer)\(")
# JupyterLab shows both an error and text on stderr as this
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
)
nbformat = pytest.importorskip("nbformat")


def explorer_cells(path):
    """The lecture's first code cell and its explorer cells: ``(setup, [(name, source)])``."""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    explorers = [(m.group(1), source) for source in code if (m := EXPLORER_CALL.search(source))]
    return (code[0] if code else ""), explorers


LECTURES = [path for path in sorted((ROOT / "course").glob("*.ipynb")) if explorer_cells(path)[1]]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path, title, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Browser test: {title}")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, path)


def api(url, method="GET"):
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """A running JupyterLab: yields ``(base URL, root folder)``; stops it afterwards."""
    base = tmp_path_factory.mktemp("lab")
    root, settings = base / "root", base / "settings"
    root.mkdir()
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

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
    # window.jupyterapp lets the test wait for the kernel and run all cells by
    # the command the Run menu calls (clicking the menu before the kernel is
    # ready does nothing)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={TOKEN}",
        "--LabApp.expose_app_in_browser=True",
    ]
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
                    pytest.fail(
                        "jupyter lab did not start:\n" + (base / "jupyter.log").read_text()[-3000:]
                    )
                time.sleep(0.3)
        yield url, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as browser:
        yield browser


def new_page(browser):
    """A page in a fresh context that may reach 127.0.0.1 only: ``(context, page,
    outside)``, where ``outside`` lists every other URL it tried (aborted)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = refuse_outside(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page, outside


@pytest.fixture
def page(browser):
    """A fresh page: yields ``(page, outside)``."""
    context, page, outside = new_page(browser)
    try:
        yield page, outside
    finally:
        context.close()


@pytest.fixture(scope="module")
def lab_page(browser, jupyter_lab):
    """JupyterLab, loaded once in one page for all the lectures: yields ``(page,
    outside)``. Each lecture's notebook is opened in it, as a student opens one
    from the file browser, and closed after. A load of JupyterLab costs Chromium
    about 7 CPU-seconds. With a load per lecture (and waits that polled at every
    animation frame) the test took 97 s alone and its processes 146 CPU-seconds;
    with one load, 64-82 s alone (84 CPU-seconds in the 64 s run)."""
    url, _ = jupyter_lab
    context, page, outside = new_page(browser)
    try:
        page.goto(f"{url}/lab/workspaces/browser-test?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", polling=POLL)
        page.evaluate("() => window.jupyterapp.restored")
        yield page, outside
    finally:
        context.close()


# Close every open document without asking to save it (its outputs changed it)
CLOSE_ALL_JS = """() => {
  for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (widget.context && widget.context.model) widget.context.model.dirty = false;
    widget.dispose();
  }
}"""


def close_notebooks(page, url):
    """Close every notebook in the page, then stop every kernel: a network explorer
    keeps computing runs in the background."""
    page.evaluate(CLOSE_ALL_JS)
    for kernel in api(f"{url}/api/kernels"):
        api(f"{url}/api/kernels/{kernel['id']}", method="DELETE")


# Each explorer's controls as the browser shows them: the label's text, and whether
# it fits (scrollWidth and the text's own width against the box); a dropdown's
# selected text and whether it fits; a slider's readout.
CONTROLS_JS = """(cell) => {
  const canvas = document.createElement('canvas').getContext('2d');
  const rows = cell.querySelectorAll('.widget-interact .widget-inline-hbox');
  return [...rows].map(row => {
    const label = row.querySelector(':scope > .widget-label')
                  || document.createElement('label');
    const range = document.createRange();
    range.selectNodeContents(label);
    const control = {label: label.textContent, labelShown: label.isConnected
                                                         && label.style.display !== 'none',
                     labelFits: label.scrollWidth <= label.clientWidth
                                && range.getBoundingClientRect().width <= label.clientWidth + 0.5,
                     labelWidth: label.clientWidth, kind: null, text: null, fits: true,
                     blankOptions: 0};
    const select = row.querySelector('select');
    const readout = row.querySelector('.widget-readout');
    if (select) {
      const style = getComputedStyle(select);
      canvas.font = style.font;
      const option = select.options[select.selectedIndex];
      control.kind = 'dropdown';
      control.blankOptions = [...select.options].filter(o => !o.text.trim()).length;
      control.text = option ? option.text.trim() : null;
      const room = select.clientWidth - parseFloat(style.paddingLeft)
                   - parseFloat(style.paddingRight);
      control.fits = option ? canvas.measureText(option.text).width <= room : false;
    } else if (readout) {
      control.kind = 'slider';
      control.text = readout.textContent.trim();
      control.fits = readout.scrollWidth <= readout.clientWidth;
    }
    return control;
  });
}"""


def check_controls(name, controls):
    """Problems with one explorer's controls, as readable sentences."""
    problems = []
    if not controls:
        problems.append(f"{name}: no controls")
    for c in controls:
        what = f"{name}, control {c['label']!r}"
        if not c["label"].strip() or not c["labelShown"]:
            problems.append(f"{what}: no label")
        elif not c["labelFits"]:
            problems.append(f"{what}: the label is cut off ({c['labelWidth']} px)")
        if c["kind"] is None:
            problems.append(f"{what}: neither a dropdown nor a slider with a readout")
        elif not c["text"]:
            problems.append(f"{what}: the {c['kind']} shows no value (blank)")
        elif not c["fits"]:
            problems.append(f"{what}: the {c['kind']}'s value {c['text']!r} is cut off")
        if c["blankOptions"]:
            problems.append(f"{what}: {c['blankOptions']} of its options have no label")
    return problems


def open_and_run(page, name, n_explorers):
    """Open the notebook ``name``, wait for its kernel, run all cells, and wait
    until each of the ``n_explorers`` explorers has drawn its figure."""
    page.evaluate(
        "(path) => window.jupyterapp.commands.execute('docmanager:open', {path: path})", name
    )
    page.wait_for_function(
        "(path) => { const nb = window.jupyterapp.shell.currentWidget;"
        " const kernel = nb && nb.context && nb.context.path === path && nb.sessionContext"
        "   && nb.sessionContext.session && nb.sessionContext.session.kernel;"
        " return kernel && kernel.connectionStatus === 'connected'"
        "   && nb.content && nb.content.widgets.length > 0; }",
        arg=name,
        polling=POLL,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "([n, stderr]) => [...document.querySelectorAll('.widget-interact')]"
        ".filter(w => w.querySelector('.widget-output img')).length >= n"
        " || document.querySelector(stderr) !== null",
        arg=[n_explorers, STDERR],
        polling=POLL,
        timeout=RENDER_TIMEOUT,
    )


def wait_for_new_figure(page, cell, before, timeout=60_000):
    """Wait until the figure in ``cell`` is not ``before`` (its src); False on timeout."""
    try:  # the output is redrawn: look the image up again each time
        page.wait_for_function(
            "([cell, before]) => { const img = cell.querySelector('.widget-output img');"
            " return img !== null && img.getAttribute('src') !== before; }",
            arg=[cell.element_handle(), before],
            polling=POLL,
            timeout=timeout,
        )
        return True
    except sync_api.TimeoutError:
        return False


def choose(page, cell, label, option):
    """Choose ``option`` in the dropdown labelled ``label``; once the figure is
    redrawn, return the text the dropdown shows."""
    select = cell.locator(
        ".widget-dropdown", has=page.locator(".widget-label", has_text=label)
    ).locator("select")
    before = cell.locator(".widget-output img").first.get_attribute("src")
    select.select_option(label=option)
    if not wait_for_new_figure(page, cell, before):
        return f"(no new figure after choosing {option!r})"
    return select.evaluate("s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")


def move_first_slider(page, cell):
    """ArrowRight on the first slider of the explorer in ``cell``: the readout
    and the figure must change. Returns a problem or None."""
    handle = cell.locator(".widget-slider .noUi-handle").first
    if handle.count() == 0:
        return None
    image = cell.locator(".widget-output img").first
    before = image.get_attribute("src")
    readout_before = cell.locator(".widget-readout").first.inner_text()
    handle.focus()
    page.keyboard.press("ArrowRight")
    wait_for_new_figure(page, cell, before)
    after = cell.locator(".widget-output img").first.get_attribute("src")
    readout_after = cell.locator(".widget-readout").first.inner_text()
    if readout_after == readout_before:
        return f"the first slider's readout stayed {readout_before!r} after ArrowRight"
    if after == before:
        return "the figure did not change after ArrowRight on the first slider"
    return None


def test_lectures_have_explorers():
    assert LECTURES, "no lecture in course/ calls widgets.<name>_explorer("


def test_requests_outside_localhost_are_refused(page):
    page, outside = page
    page.goto("about:blank")
    fetched = page.evaluate("fetch('http://example.com/x').then(() => 'fetched', () => 'refused')")
    page.evaluate("new WebSocket('ws://example.com/socket')")
    deadline = time.monotonic() + 10
    while len(outside) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert fetched == "refused"
    assert outside == ["http://example.com/x", "ws://example.com/socket"]


@pytest.mark.parametrize("lecture", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_explorers_in_the_browser(jupyter_lab, lab_page, lecture, tmp_path):
    url, root = jupyter_lab
    page, outside = lab_page
    refused_before = len(outside)
    setup, explorers = explorer_cells(lecture)
    name = f"{lecture.stem}_explorers.ipynb"
    write_notebook(
        root / name,
        f"the explorers of {lecture.name}",
        [setup] + [source for _, source in explorers],
    )
    shots = os.environ.get("SNNLIB_BROWSER_SCREENSHOTS")
    doing = f"opening {name} and running its cells"
    problems = []
    try:
        open_and_run(page, name, len(explorers))
        errors = page.locator(STDERR)
        assert errors.count() == 0, (
            f"a cell failed or wrote to stderr:\n{errors.first.inner_text()}"
        )
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        for i, (explorer, _) in enumerate(explorers):
            doing = f"checking {explorer} (cell {i + 2})"
            cell = cells.nth(i + 1)
            cell.locator(".widget-interact").scroll_into_view_if_needed()
            controls = cell.evaluate(CONTROLS_JS)
            problems += check_controls(explorer, controls)
            if explorer == "network_explorer":
                shown = [c["text"] for c in controls if c["label"] == "connection synapse"]
                if shown != ["None"]:
                    problems.append(
                        f"{explorer}: the connection synapse shows {shown} at first, not ['None']"
                    )
            if shots:
                cell.locator(".widget-interact").screenshot(
                    path=str(Path(shots) / f"{lecture.stem}_{i}_{explorer}.png")
                )
            doing = f"moving the first slider of {explorer}"
            problem = move_first_slider(page, cell)
            if problem:
                problems.append(f"{explorer}: {problem}")
            if explorer == "network_explorer":
                # ipywidgets 8 blanks an option whose value is None when it is chosen
                # after another; the probe synapse re-reads the run, so it is quick
                doing = f"choosing the probe synapse None in {explorer}"
                shown = choose(page, cell, "probe synapse", "None")
                if shown != "None":
                    problems.append(
                        f"{explorer}: choosing the probe synapse 'None' shows {shown!r}"
                    )
                if shots:
                    cell.locator(".widget-interact").screenshot(
                        path=str(Path(shots) / f"{lecture.stem}_{i}_{explorer}_moved.png")
                    )
        assert errors.count() == 0, f"a control wrote to stderr:\n{errors.first.inner_text()}"
        if problems:  # while the notebook is still open
            page.screenshot(path=str(tmp_path / "problems.png"))
    except Exception as error:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot))
        raise AssertionError(
            f"{lecture.name}: failed while {doing}; screenshot in {shot}: "
            f"{type(error).__name__}: {str(error)[:800]}"
        ) from error
    finally:
        close_notebooks(page, url)
    refused = outside[refused_before:]
    assert not refused, f"the browser tried to reach outside 127.0.0.1: {refused}"
    if problems:
        shot = tmp_path / "problems.png"
        pytest.fail(f"{lecture.name} (screenshot in {shot}):\n" + "\n".join(problems))
