"""The course website builds offline, with warnings as errors, and its pages work.

The site is built once for this module as `make site` builds it (site/conf.py,
``sphinx-build -E -W``), into a temporary folder, through myst-nb's execution
cache in _build/.jupyter_cache, the one `make site` uses. A lecture is run again
when it, snnlib or the main packages changed since it last ran without error
(site/ext/execution_cache.py), so on a fresh checkout, as in CI, every lecture
runs here once; a cell that fails or writes to stderr fails the build, which two
small builds of a broken notebook check (test_site_build_errors.py).

Then a local HTTP server on a free port serves the site, and headless Chromium
opens the index and every lecture. The browser may reach 127.0.0.1 only: every
other request is aborted and recorded, and fails the test, as does a local file
that is missing. On every page: equations typeset (no raw ``$$``, ``\\[`` or
``\\(`` left); every image loaded, with alt text; each explorer's controls and
first figure drawn, its controls frozen; each player of precomputed frames
shows another figure when moved; and axe-core (site/node_modules) finds no
serious or critical accessibility violation. Screenshots of the index and of
lecture 05, and the build's log, go to test-output/site/.

Needs site/node_modules (``make site-assets``); the browser checks need Debian's
Chromium at /usr/bin/chromium and the playwright package, and skip without them.
"""

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from local_browser import CHROMIUM, chromium, refuse_outside

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
AXE = SITE / "node_modules" / "axe-core" / "axe.min.js"
EXECUTION_CACHE = ROOT / "_build" / ".jupyter_cache"
SCREENSHOTS = ROOT / "test-output" / "site"
LECTURES = sorted((ROOT / "course").glob("[0-9]*.ipynb"))
PROBLEM_SETS = sorted((ROOT / "exercises").glob("*/*.ipynb"))
BUILD_TIMEOUT = 900  # seconds: a cold build runs every lecture


def sphinx_build(srcdir, outdir, *options):
    """Build the site from ``srcdir`` into ``outdir`` as `make site` does."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [
        sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-b", "html",
        "-c", str(SITE), "-d", str(Path(outdir).parent / "doctrees"),
        *options, str(srcdir), str(outdir),
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``(completed process, html folder)`` of the site, built once."""
    if not AXE.exists():
        pytest.fail(f"{SITE / 'node_modules'} is missing: run `make site-assets` first")
    html = tmp_path_factory.mktemp("site") / "html"
    started = time.perf_counter()
    result = sphinx_build(ROOT, html, "-D", f"nb_execution_cache_path={EXECUTION_CACHE}")
    seconds = time.perf_counter() - started
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "sphinx-build.log").write_text(
        f"{' '.join(result.args)}\nexit {result.returncode} after {seconds:.0f} s\n\n"
        + result.stdout
        + result.stderr
    )
    return result, html


@pytest.fixture(scope="module")
def site(build):
    """The built site's html folder; fails when the build did."""
    result, html = build
    if result.returncode != 0:
        pytest.fail("the site did not build (see test_the_site_builds_with_warnings_as_errors)")
    return html


def test_the_site_builds_with_warnings_as_errors(build):
    result, html = build
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"sphinx-build exited {result.returncode}:\n{log[-4000:]}"
    for lecture in LECTURES:
        assert re.search(rf"{re.escape(lecture.name)}: (Executed|Using cached) notebook", log), (
            f"{lecture.name} was neither run nor taken from the execution cache:\n{log[-2000:]}"
        )


def test_every_lecture_has_a_page_with_its_outputs(site):
    for lecture in LECTURES:
        page = site / "course" / f"{lecture.stem}.html"
        assert page.exists(), f"no page for {lecture.name}"
        assert 'class="cell_output' in page.read_text(), f"{page.name} shows no outputs"


def test_the_pages_are_the_repository_files(site):
    index = (site / "index.html").read_text()
    assert "README.html" in index, f"index.html does not lead to README.html: {index[:200]}"
    assert "The four questions" in (site / "README.html").read_text()
    assert (site / "course" / "README.html").exists()
    for doc in (ROOT / "docs").glob("*.md"):
        assert (site / "docs" / f"{doc.stem}.html").exists(), f"no page for docs/{doc.name}"
    api = "".join(p.read_text() for p in (site / "site" / "api").glob("*.html"))
    for name in ("snnlib.neurons.LIF", "snnlib.simulator.Simulator", "snnlib.training.fit.train"):
        assert f'id="{name}"' in api, f"the API reference does not document {name}"
    assert (site / "search.html").exists() and (site / "searchindex.js").exists()
    assert (site / ".nojekyll").exists(), "no .nojekyll: GitHub Pages would hide _static/"


@pytest.mark.parametrize("problem_set", PROBLEM_SETS, ids=[p.stem for p in PROBLEM_SETS])
def test_problem_sets_are_the_students_versions(site, problem_set):
    page = site / problem_set.relative_to(ROOT).with_suffix(".html")
    text = page.read_text()
    assert "This is the problem set as students receive it" in text, "no note on how to work"
    assert "NotImplementedError" in text
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert 'class="cell_output' not in text, f"{page.name} was run: it shows outputs"


def test_the_lectures_follow_the_course_map(site):
    """Each lecture's "next" link leads to the following lecture."""
    for lecture, following in zip(LECTURES, LECTURES[1:]):
        text = (site / "course" / f"{lecture.stem}.html").read_text()
        match = re.search(r'<a class="right-next"\s+href="([^"]+)"', text)
        assert match, f"{lecture.stem}.html has no link to the next page"
        assert match.group(1) == f"{following.stem}.html", (
            f"after {lecture.stem} comes {match.group(1)}, not {following.stem}.html"
        )


# --- in the browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(site):
    """The site over HTTP on 127.0.0.1, on a free port: yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A page that may reach this machine only: yields ``(page, problems,
    outside)``, where ``problems`` lists every file of the site that was missing
    and every uncaught script error, and ``outside`` every request that would
    have left the machine (aborted)."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    outside = refuse_outside(context)
    problems = []
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} for {r.url}"),
    )
    page.on("pageerror", lambda error: problems.append(f"a script error: {error}"))
    try:
        yield page, problems, outside
    finally:
        context.close()


def test_requests_outside_the_site_are_refused(page):
    """The check the page tests rely on: a request off 127.0.0.1 is caught."""
    page, _, outside = page
    page.goto("about:blank")
    fetched = page.evaluate("fetch('http://example.com/x').then(() => 'fetched', () => 'refused')")
    assert fetched == "refused"
    assert outside == ["http://example.com/x"]


# Raw TeX left in the text a reader sees (code, scripts and typeset math excluded)
RAW_MATH_JS = r"""() => {
  const skip = 'PRE, CODE, SCRIPT, STYLE, MJX-CONTAINER, TEXTAREA';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent;
    if (/\$\$|\\\[|\\\(|\\begin\{/.test(text) && !walker.currentNode.parentElement.closest(skip)) {
      found.push(text.trim().slice(0, 80));
    }
  }
  const untypeset = [...document.querySelectorAll('.math')]
    .filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
  return {raw: found, untypeset: untypeset};
}"""

IMAGES_JS = r"""() => [...document.images].map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 60), loaded: img.complete && img.naturalWidth > 0,
  alt: img.getAttribute('alt') || ''}))"""

# Each explorer: its controls (label, frozen?) and its figure, beside its static-copy note
EXPLORERS_JS = r"""() => [...document.querySelectorAll('.static-explorer-note')].map(note => {
  const output = note.parentElement;
  const interact = output.querySelector('.widget-interact');
  const rows = interact ? [...interact.querySelectorAll('.widget-inline-hbox')] : [];
  const img = interact && interact.querySelector('.widget-output img');
  return {
    labels: rows.map(r => (r.querySelector('.widget-label') || {}).textContent || ''),
    live: rows.flatMap(r => [...r.querySelectorAll('input, select, .noUi-target')])
              .filter(c => !(c.disabled || c.hasAttribute('disabled'))).length,
    figure: img ? {loaded: img.complete && img.naturalWidth > 0,
                   alt: img.getAttribute('alt') || ''} : null,
    wantedAlt: note.dataset.figureAlt,
  };
})"""

AXE_JS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => `${v.id} (${v.impact}): ${v.help}; ` +
            v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""

PAGES = ["index.html"] + [f"course/{p.stem}.html" for p in LECTURES]


def looks_like_a_file_name(alt):
    return re.fullmatch(r"\S*\.(png|jpe?g|gif|svg)", alt.strip()) is not None


def wait_until_drawn(page):
    """Until MathJax has typeset the page and every explorer shows its figure."""
    page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.static-explorer-note')]"
        ".every(n => n.parentElement.querySelector('.widget-interact .widget-output img'))"
    )


def check_players(page):
    """Problems with the players of precomputed frames: moving one must show another."""
    problems = []
    players = page.locator(".explorer-frames-player")
    for i in range(players.count()):
        player = players.nth(i)
        title = player.locator(".explorer-frames-title").inner_text()
        shown = player.locator("figure.explorer-frame:visible")
        if shown.count() != 1:
            problems.append(f"frames '{title}': {shown.count()} figures shown, not 1")
            continue
        before = shown.locator("img").get_attribute("src")
        player.locator("input[type=range]").press("End")
        after = player.locator("figure.explorer-frame:visible img")
        if after.count() != 1 or after.get_attribute("src") == before:
            problems.append(f"frames '{title}': the slider's End key shows no other figure")
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_page_in_the_browser(server, page, name):
    page, problems, outside = page
    page.goto(f"{server}/{name}", wait_until="load")
    if name == "index.html":  # it forwards to README.html
        page.wait_for_url("**/README.html")
        page.wait_for_load_state("load")
    wait_until_drawn(page)

    math = page.evaluate(RAW_MATH_JS)
    problems += [f"raw TeX in the page: {text!r}" for text in math["raw"]]
    problems += [f"an equation MathJax did not typeset: {text!r}" for text in math["untypeset"]]
    for image in page.evaluate(IMAGES_JS):
        if not image["loaded"]:
            problems.append(f"an image did not load: {image['src']}")
        if not image["alt"].strip() or looks_like_a_file_name(image["alt"]):
            problems.append(f"an image without alt text saying what it shows: {image['src']}")
    for n, explorer in enumerate(page.evaluate(EXPLORERS_JS), start=1):
        what = f"explorer {n}"
        if not explorer["labels"] or not all(label.strip() for label in explorer["labels"]):
            problems.append(f"{what}: its controls or their labels are missing")
        if explorer["live"]:
            problems.append(f"{what}: {explorer['live']} controls are not frozen")
        if explorer["figure"] is None or not explorer["figure"]["loaded"]:
            problems.append(f"{what}: no first figure")
        elif explorer["figure"]["alt"] != explorer["wantedAlt"] or not explorer["wantedAlt"]:
            problems.append(f"{what}: its figure lacks the alt text of its cell")
    problems += check_players(page)

    page.add_script_tag(path=str(AXE))  # inlined from node_modules: no request
    problems += [f"accessibility: {v}" for v in page.evaluate(AXE_JS)]

    if name in ("index.html", "course/05_spiking_cnn.html"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if name != "index.html":
            page.locator(".static-explorer-note").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / (Path(name).stem + ".png")))
    problems += [f"a request outside the site: {url}" for url in outside]
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_search_finds_a_lecture(server, page):
    page, problems, outside = page
    page.goto(f"{server}/search.html?q=synapse", wait_until="load")
    results = page.locator("ul.search li a")
    results.first.wait_for()
    found = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("04_synapses" in href for href in found), f"search for synapse found {found}"
    assert not problems and not outside, "\n".join(problems + outside)
