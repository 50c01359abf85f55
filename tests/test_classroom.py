"""A class on JupyterHub, end to end, on 127.0.0.1 (deploy/jupyterhub/, docs/classroom.md).

The project's own script (deploy/jupyterhub/classroom.py, which `make classroom`
runs) brings the installed environment up to date with this checkout, makes three
accounts from a roster and starts JupyterHub with its proxy on a free port, with
a state folder and an nbgrader exchange of its own. Then, in one flow through
that one hub:

1. the instructor logs in and, in a terminal in their own server, runs the
   Makefile in the course folder in their home: `make release` and
   `make exchange-release` put problem set 1 in the exchange;
2. student A logs in on the hub's login page in Chromium, opens the Assignments
   panel, fetches the problem set, types every answer (the written one too),
   presses Validate ("Success!") and submits;
3. student B works through their own server's API: fetches, saves a notebook
   with one wrong answer (correlate2d ignores strides: -2 points), submits;
4. the instructor runs `make collect`, `make autograde` (sandboxed),
   `make feedback`, `make exchange-feedback` and `make grades`;
5. in a terminal in B's server, B tries to read A's home, A's submission (in the
   exchange, and as collected in the instructor's home) and the feedback;
6. A fetches the feedback in the Assignments panel, B through the API.

Checked: the exact scores (A 12 and B 10 of 12 autograded points; the written
answer waits for a grade by hand), that each student's feedback reached them
with their score (A's with A's written answer), that B read none of A's work,
that students have no instructor's tools but their own copies of the lectures,
that the instructor's server opens formgrader, that the browser reached nothing
beyond 127.0.0.1, and that after `classroom.py stop` and `classroom.py remove` no
process, account, home or file in /tmp of the class is left (the fixture cleans
up the same way when the test fails midway).

Screenshots (A's lab, the Assignments panel, Validate's result, the feedback),
the instructor's terminal output and the time of each stage go to
test-output/classroom/. About 60-80 s on two cores, more on a busy machine.

It needs root (it makes system accounts, and JupyterHub must run as root to
start servers as them), the hub's environment and proxy (`sudo make
classroom-install`; .ci/run runs it), bubblewrap (autograding is sandboxed) and
Debian's Chromium; without one of them it is skipped, saying which.
"""

import csv
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from local_browser import CHROMIUM, chromium, refuse_outside
from test_grading import replace_once, solution_sources, student_notebook

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "jupyterhub"
PREFIX = Path(os.environ.get("CLASSROOM_PREFIX", "/opt/snn-classroom"))
OUTPUT = ROOT / "test-output" / "classroom"
PS = "ps1_convolution"
COURSE_ID = "spiking-cnns"
INSTRUCTOR_TOOLS = [
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:formgrader",
]
MAX_SCORE = 14.0  # 12 autograded points and 2 for the written answer
EXPECTED = {"a": 12.0, "b": 10.0}  # B's correlate2d ignores strides: -2 points
COMMAND_TIMEOUT = 300  # seconds for one command in a terminal

if os.geteuid() != 0:
    pytest.skip(
        "needs root: it makes system accounts, and JupyterHub must run as root to "
        "start servers as them",
        allow_module_level=True,
    )
for needed, how in [
    (PREFIX / "venv" / "bin" / "jupyterhub", "sudo make classroom-install"),
    (DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy", "sudo make classroom-install"),
    (CHROMIUM, "apt-get install chromium"),
]:
    if not needed.exists():
        pytest.skip(f"{needed} is missing ({how}; .ci/run does it)", allow_module_level=True)
if shutil.which("bwrap") is None:
    pytest.skip(
        "bubblewrap is missing (apt-get install bubblewrap; .ci/run does it): "
        "autograding in the hub would not be sandboxed",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("requests")
pytest.importorskip("websocket", reason="websocket-client is not installed")
from hub_clients import HubUser, Terminal  # noqa: E402 (needs requests and websocket)

sys.path.insert(0, str(DEPLOY))
from accounts import account  # noqa: E402 (deploy/jupyterhub/accounts.py: the standard library only)

# --- the class: accounts and hub, by the project's script; and cleaning up ------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def classroom_script(*args, state, check=True):
    """``python deploy/jupyterhub/classroom.py ARGS``; returns what it printed."""
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "classroom.py"), "--prefix", str(PREFIX),
         "--state", str(state), *args],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, (
            f"classroom.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


def processes_of(uids):
    """``{pid: command line}`` of every process running as one of ``uids``."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid in uids:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                found[int(pid)] = command.decode(errors="replace").strip()
        except FileNotFoundError:  # it ended meanwhile
            pass
    return found


def alive(pid):
    """Whether process ``pid`` runs (a zombie, which has ended, does not count)."""
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except FileNotFoundError:
        return False


def tear_down(class_):
    """Stop the hub and remove the accounts with the project's script, then remove
    whatever is still there: processes (by id), accounts, the class's folder."""
    uids = {entry.pw_uid for name in class_["names"].values() if (entry := account(name))}
    classroom_script("stop", state=class_["state"], check=False)
    classroom_script("remove", str(class_["roster"]), state=class_["state"], check=False)
    for path in Path("/tmp").iterdir():
        if path.lstat().st_uid not in uids:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for name in class_["names"].values():
        if entry := account(name):
            for pid in processes_of({entry.pw_uid}):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
    shutil.rmtree(class_["base"], ignore_errors=True)


def server_start_times(log):
    """``{user: seconds}`` from the hub's log: how long each server took to start."""
    found = re.findall(r"User (\S+) took ([\d.]+) seconds to start", log)
    return {name: float(seconds) for name, seconds in found}


@pytest.fixture(scope="module")
def classroom():
    """Accounts and a running hub; everything removed afterwards, even on failure."""
    shutil.rmtree(OUTPUT, ignore_errors=True)  # this run's screenshots and logs only
    OUTPUT.mkdir(parents=True)
    tag = secrets.token_hex(3)
    names = {role: f"snncls-{tag}-{role}" for role in ("t", "a", "b")}  # t: the teacher
    # What users must reach cannot be under pytest's tmp_path (/tmp/pytest-of-root
    # is root's only): the class gets a folder of its own in /tmp.
    base = Path(tempfile.mkdtemp(prefix=f"snncls-{tag}-", dir="/tmp"))
    base.chmod(0o755)
    class_ = {
        "names": names,
        "passwords": {role: secrets.token_urlsafe(12) for role in names},
        "base": base,
        "state": base / "state",
        "exchange": base / "state" / "exchange",
        "roster": base / "roster.csv",
        "url": f"http://127.0.0.1:{free_port()}",
        "timings": {},
        "started": time.perf_counter(),
    }
    with open(os.open(class_["roster"], os.O_WRONLY | os.O_CREAT, 0o600), "w") as roster:
        roster.write("username,role,password\n")
        for role, name in names.items():
            kind = "instructor" if role == "t" else "student"
            roster.write(f"{name},{kind},{class_['passwords'][role]}\n")
    timings = class_["timings"]
    try:
        # brings the installed library up to date with the repository's (quick when
        # it is: the test is about this checkout, not an earlier one)
        started = time.perf_counter()
        classroom_script("install", state=class_["state"])
        timings["classroom.py install (a check, or an update)"] = time.perf_counter() - started
        started = time.perf_counter()
        classroom_script("accounts", str(class_["roster"]), state=class_["state"])
        timings["classroom.py accounts (3 accounts)"] = time.perf_counter() - started
        started = time.perf_counter()
        port = urlsplit(class_["url"]).port
        classroom_script("start", str(class_["roster"]), "--port", str(port), state=class_["state"])
        timings["classroom.py start (hub up)"] = time.perf_counter() - started
        yield class_
    finally:
        log = class_["state"] / "hub" / "jupyterhub.log"
        if log.exists():
            shutil.copyfile(log, OUTPUT / "jupyterhub.log")
            for name, seconds in server_start_times(log.read_text()).items():
                role = next(role for role, n in names.items() if n == name)
                timings[f"server start, hub's log ({role})"] = seconds
        tear_down(class_)
        report = "\n".join(f"{stage:45s} {s:6.1f} s" for stage, s in timings.items())
        (OUTPUT / "timings.txt").write_text(report + "\n")
        print("\n" + report)


# --- student A, in the browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_page():
    """A Chromium page that may reach 127.0.0.1 only: yields ``(page, outside)``,
    ``outside`` listing every other address it tried (each request aborted)."""
    with chromium(sync_api) as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside = refuse_outside(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page, outside


def screenshot(page, name):
    page.screenshot(path=str(OUTPUT / f"{name}.png"))


def log_in_with_the_form(page, url, name, password):
    """The hub's login page, then the lab it opens once the server has started."""
    page.goto(f"{url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{name}/lab.*"), timeout=120_000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")


def nbgrader_menu(page):
    """The labels of the Nbgrader menu's commands (the menu is closed again)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    labels = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return [label for label in labels if label.strip()]


def open_assignments(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.wait_for_selector("#released_assignments_list_loading", state="hidden")


def grade_ids(notebook):
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]


def type_answers(page, released, answers):
    """Open the fetched notebook from the Assignments panel and type ``answers``
    (grade_id -> text) into their cells; returns the notebook's panel."""
    page.locator("#fetched_assignments_list a.assignment-notebooks-link", has_text=PS).click()
    page.locator("#fetched_assignments_list .nested_list_item a", has_text=PS).click()
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    page.wait_for_function(
        "n => document.querySelectorAll("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length === n",
        arg=len(released.cells),
    )
    for grade_id, text in answers.items():
        index = grade_ids(released).index(grade_id)
        cell = panel.locator(f'.jp-Cell[data-windowed-list-index="{index}"]')
        cell.scroll_into_view_if_needed()
        if released.cells[index].cell_type == "markdown":
            cell.dblclick()  # a rendered markdown cell opens its editor on a double click
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        # inserted as one piece of text: the editor adds no indentation or brackets
        page.keyboard.insert_text(text)
    return panel


def validate(page, panel):
    """Press Validate in the notebook's toolbar; returns what its dialog says."""
    panel.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    said = dialog.inner_text()
    screenshot(page, "3-validate")
    dialog.locator("button", has_text="Ok").click()
    return said


# --- the class's work -------------------------------------------------------------------------


def answers_of_a(released, written):
    """Every solution, and ``written`` as the written answer."""
    solutions = solution_sources(PS)
    answers = {}
    for grade_id, source in solutions.items():
        cell = released.cells[grade_ids(released).index(grade_id)]
        answers[grade_id] = source if cell.cell_type == "code" else written
    assert written in answers.values(), "the problem set has no written answer"
    return answers


def notebook_of_b(released):
    """Every solution, but correlate2d ignores its strides."""
    answers = solution_sources(PS)
    answers["correlate2d"] = replace_once(
        answers["correlate2d"],
        "sh, sw = (strides, strides) if np.isscalar(strides) else strides",
        "sh, sw = 1, 1",
    )
    return student_notebook(released, answers)


def in_the_terminal(terminal, command, timings):
    """Run ``command`` in the instructor's terminal; it must succeed."""
    started = time.perf_counter()
    status, shown = terminal.run(command)
    timings[command.split(" && ")[-1]] = time.perf_counter() - started
    with open(OUTPUT / "instructor-terminal.log", "a") as log:
        log.write(shown)
    assert status == 0, (
        f"`{command}` failed in the instructor's terminal ({status}):\n{shown[-4000:]}"
    )
    return shown


def peeks_of_b(class_, homes, names):
    """What B tries to read of A's work: ``{what: shell command}``."""
    inbound = class_["exchange"] / COURSE_ID / "inbound"
    collected = homes["t"] / COURSE_ID / "submitted" / names["a"] / PS / f"{PS}.ipynb"
    return {
        "A's home": f"ls {homes['a']}",
        "A's notebook": f"cat {homes['a']}/{PS}/{PS}.ipynb",
        "A's submission history": f"ls {homes['a']}/.local/share/jupyter/nbgrader_cache",
        "the exchange's submissions": f"ls {inbound}",
        "A's submission in the exchange": f"cat {inbound}/{names['a']}+{PS}+*/{PS}.ipynb",
        "A's submission, collected": f"cat {collected}",
        "the released feedback": f"ls {class_['exchange']}/{COURSE_ID}/feedback",
    }


def test_a_class_on_jupyterhub(classroom, browser_page):
    page, outside = browser_page
    url, names, passwords = classroom["url"], classroom["names"], classroom["passwords"]
    timings = classroom["timings"]
    released = nbformat.read(ROOT / "exercises" / PS / f"{PS}.ipynb", as_version=4)
    secret = f"written by A, {secrets.token_hex(8)}"  # A's answer, never to reach B
    homes = {role: Path(account(name).pw_dir) for role, name in names.items()}
    uids = {account(name).pw_uid for name in names.values()}

    # -- 1. while A logs in with the browser, B's server starts, and the instructor
    # logs in, starts a server and releases problem set 1 from a terminal in it
    def instructor_releases():
        teacher = HubUser(url, names["t"], passwords["t"])
        teacher.start_server()
        teacher.wait_for_server()
        terminal = Terminal(teacher, COMMAND_TIMEOUT)
        in_the_terminal(terminal, f"cd ~/{COURSE_ID} && make release PS={PS}", timings)
        in_the_terminal(terminal, f"make exchange-release PS={PS}", timings)
        return teacher, terminal

    def student_b_starts():
        student_b = HubUser(url, names["b"], passwords["b"])
        student_b.start_server()
        student_b.wait_for_server()
        return student_b

    with ThreadPoolExecutor(max_workers=2) as background:
        releasing = background.submit(instructor_releases)
        starting_b = background.submit(student_b_starts)
        started = time.perf_counter()
        log_in_with_the_form(page, url, names["a"], passwords["a"])
        timings["A: login page to lab (browser)"] = time.perf_counter() - started
        screenshot(page, "1-lab")
        assert nbgrader_menu(page) == ["Assignment List"], "students see instructor's tools"
        teacher, terminal = releasing.result(timeout=3 * COMMAND_TIMEOUT)
        student_b = starting_b.result(timeout=3 * COMMAND_TIMEOUT)

    # the instructor's server opens formgrader, on the course in their home
    landing = teacher.api.get(f"{teacher.server}/", allow_redirects=False, timeout=30)
    assert urlsplit(landing.headers["Location"]).path == f"/user/{names['t']}/formgrader"
    assignments = teacher.api.get(f"{teacher.server}/formgrader/api/assignments", timeout=30)
    assert PS in {a["name"] for a in assignments.json()}, assignments.text
    # the instructor's tools: on for the instructor; off and locked for students
    for user, hidden in [(teacher, []), (student_b, INSTRUCTOR_TOOLS)]:
        config = user.page_config()
        assert sorted(config["disabledExtensions"]) == hidden, (user.name, config)
        assert sorted(config.get("lockedExtensions") or {}) == hidden, (user.name, config)
    formgrader_of_b = student_b.api.get(f"{student_b.server}/formgrader", timeout=30)
    assert formgrader_of_b.status_code == 404, "a student's server serves formgrader"
    # students got their own copies of the lectures; the instructor has the course
    lectures = sorted(path.name for path in (ROOT / "course").glob("*.ipynb"))
    for role in ("a", "b"):
        assert sorted(path.name for path in (homes[role] / "course").glob("*.ipynb")) == lectures
    assert not (homes["t"] / "course").exists()

    # -- 2. A fetches, answers, validates and submits in the Assignments panel
    started = time.perf_counter()
    open_assignments(page)
    page.locator("#released_assignments_list button", has_text="Fetch").click()
    page.wait_for_selector("#fetched_assignments_list button:has-text('Submit')")
    screenshot(page, "2-assignments-fetched")
    panel = type_answers(page, released, answers_of_a(released, secret))
    timings["A: fetch, open, type 6 answers (browser)"] = time.perf_counter() - started
    started = time.perf_counter()
    validation = validate(page, panel)
    timings["A: Validate (browser)"] = time.perf_counter() - started
    assert "Success! Your notebook passes all the tests." in validation, validation
    page.locator(".lm-TabBar-tabLabel", has_text="Assignments").click()
    page.locator("#fetched_assignments_list button", has_text="Submit").click()
    page.wait_for_selector(f"#submitted_assignments_list .item_name:has-text('{PS}')")
    screenshot(page, "4-assignments-submitted")

    # -- 3. B, through the API of their own server
    started = time.perf_counter()
    listed = student_b.assignments("fetch", course_id=COURSE_ID, assignment_id=PS)
    assert any(a["assignment_id"] == PS and a["status"] == "fetched" for a in listed), listed
    saved = student_b.api.put(
        f"{student_b.server}/api/contents/{PS}/{PS}.ipynb",
        json={"type": "notebook", "format": "json", "content": notebook_of_b(released)},
        timeout=30,
    )
    assert saved.status_code == 200, saved.text
    listed = student_b.assignments("submit", course_id=COURSE_ID, assignment_id=PS)
    assert any(a["status"] == "submitted" for a in listed), listed
    timings["B: fetch, save, submit (API)"] = time.perf_counter() - started

    # -- 4. the instructor collects, grades and returns feedback, with the Makefile
    for command in ("collect", "autograde", "feedback", "exchange-feedback"):
        shown = in_the_terminal(terminal, f"make {command} PS={PS}", timings)
        if command == "autograde":
            assert "WITHOUT the sandbox" not in shown, shown[-3000:]
    in_the_terminal(terminal, "make grades", timings)
    terminal.close()
    with open(homes["t"] / COURSE_ID / "grades.csv", newline="") as stream:
        grades = {row["student_id"]: row for row in csv.DictReader(stream)}
    assert set(grades) == {names[role] for role in EXPECTED}, grades
    assert {role: float(grades[names[role]]["score"]) for role in EXPECTED} == EXPECTED
    assert {float(row["max_score"]) for row in grades.values()} == {MAX_SCORE}

    # -- 5. B tries to read A's work, in a terminal in B's own server
    peeking = Terminal(student_b, COMMAND_TIMEOUT)
    for what, command in peeks_of_b(classroom, homes, names).items():
        status, shown = peeking.run(command)
        assert status != 0 and re.search(r"Permission denied|No such file", shown), (
            f"B reading {what}: `{command}` exited with {status}:\n{shown[-1500:]}"
        )
        assert secret not in shown, f"B saw A's answer reading {what}"
    peeking.close()
    # A's submission is in the exchange all the same, under a name B cannot list
    inbound = [path.name for path in (classroom["exchange"] / COURSE_ID / "inbound").iterdir()]
    assert len([name for name in inbound if name.startswith(f"{names['a']}+{PS}+")]) == 1

    # -- 6. both fetch their feedback
    started = time.perf_counter()
    page.locator("#refresh_assignments_list").click()
    page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").click()
    page.wait_for_selector("#submitted_assignments_list a:has-text('view feedback')")
    timings["A: fetch feedback (browser)"] = time.perf_counter() - started
    screenshot(page, "5-assignments-feedback")
    listed = student_b.assignments("fetch_feedback", course_id=COURSE_ID, assignment_id=PS)
    submissions = [s for a in listed if a["status"] == "submitted" for s in a["submissions"]]
    assert [s["has_local_feedback"] for s in submissions] == [True], listed
    for role, score in EXPECTED.items():
        pages = list((homes[role] / PS / "feedback").rglob(f"{PS}.html"))
        assert len(pages) == 1, (role, pages)
        feedback = pages[0].read_text()
        assert f"{PS} (Score: {score} / {MAX_SCORE})" in feedback, (role, feedback[:3000])
        assert (secret in feedback) == (role == "a")
    # A reads it in the browser, from A's own server
    [feedback_page] = (homes["a"] / PS / "feedback").rglob(f"{PS}.html")
    page.goto(f"{url}/user/{names['a']}/files/{feedback_page.relative_to(homes['a'])}")
    page.wait_for_selector(f"text={PS} (Score: {EXPECTED['a']}")
    screenshot(page, "6-feedback")
    assert not outside, f"the browser tried to reach beyond 127.0.0.1: {outside}"

    # -- stopping the hub and removing the class leaves nothing behind
    page.goto("about:blank")
    hub_files = classroom["state"] / "hub"
    service_pids = [int((hub_files / name).read_text()) for name in ("jupyterhub.pid", "proxy.pid")]
    started = time.perf_counter()
    classroom_script("stop", state=classroom["state"])
    timings["classroom.py stop"] = time.perf_counter() - started
    classroom_script("remove", str(classroom["roster"]), state=classroom["state"])
    assert not [pid for pid in service_pids if alive(pid)], "the hub or its proxy still runs"
    assert not processes_of(uids), f"the class's users still run: {processes_of(uids)}"
    assert not [name for name in names.values() if account(name)], "accounts are left"
    assert not [home for home in homes.values() if home.exists()], "homes are left"
    left_in_tmp = [path for path in Path("/tmp").iterdir() if path.lstat().st_uid in uids]
    assert not left_in_tmp, f"the class's users left files in /tmp: {left_in_tmp}"
    timings["the whole class, from making the accounts"] = (
        time.perf_counter() - classroom["started"]
    )
