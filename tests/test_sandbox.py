"""Grading that survives hostile submissions: `make autograde` in the sandbox.

A class of problem set 1 is graded by `make autograde` in a temporary copy of the
course (the repository's own files are never touched). Each attacker hands in
every right answer plus one hostile cell, and the test checks exactly what that
cell tried:

===================  ================================================  ===========
student              the hostile cell tries to                         score
===================  ================================================  ===========
aa_honest            (nothing: every answer; graded before them all)   12
attack_crash         crash its kernel (SIGSEGV; after part 3's test)   8 (the cells
                                                                       before it)
attack_fork          start 300 processes (each `sleep 30`) at once     12
attack_gradebook     change gradebook.db's scores, and its own grade   12
attack_memory        allocate 6 GiB, 256 MiB at a time                 12
attack_network       connect to a port on 127.0.0.1 the test listens   12
attack_overwrite     overwrite aa_honest's autograded notebook,        12
                     zz_honest's submission, the Makefile and config
attack_peek          read other students' notebooks and feedback       12
attack_solutions     read solutions/, the hidden tests, the gradebook  12
attack_swallow       loop forever, catching KeyboardInterrupt          5 (the cells
                     (after part 2's test)                             before it)
zz_honest            every answer but one mistake (-2 points); graded  10
                     after the attackers
===================  ================================================  ===========

Each hostile cell prints what it got as a line ``ATTACK-RESULT {json}``. Then:
every student has exactly that score; no secret (solutions, hidden tests,
another student's work, the gradebook) reached an attacker's output; nothing in
the course but nbgrader's own output changed (files compared byte for byte, the
gradebook checked score by score); the listening socket got no connection; the
limits stopped the bomb and the burst, with a note in the feedback; no process
or temporary folder is left behind.

Then `python -m sandbox check`, the self-check an instructor runs, must pass.
About 60 s alone on 2 cores (94-124 s beside the other test files), 9 s of it
the interrupt-swallowing cell (its 5 s timeout plus nbclient's 4 s wait for
output before the kernel is killed).
The dedicated user is made (and removed afterwards) if CI has not made it.
test_sandbox_makefile.py checks the Makefile's part, and grading without
bubblewrap.
"""

import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from test_grading import make, nbgrader_env, replace_once, solution_sources, student_notebook

ROOT = Path(__file__).resolve().parent.parent
PS = "ps1_convolution"
TIMEOUT = 5  # seconds per cell in the test's course
MEMORY_LIMIT = 1024**3  # the test's address-space limit: the bomb stays small
USER = "snn-sandbox"
POINTS = {
    "test_conv_output_shape": 2,
    "test_correlate2d": 3,
    "test_conv_matrix": 3,
    "test_conv_counts": 2,
    "test_probe_reading": 2,
}
AUTOGRADED_POINTS = sum(POINTS.values())  # 12

HAS_BWRAP = shutil.which("bwrap") is not None
IS_ROOT = os.geteuid() == 0

# --- the hostile cells ---------------------------------------------------------------
# Each runs in the attacker's kernel, whose working folder nbgrader makes
# autograded/<student>/<ps>/: the course is three folders up. Each prints
# "ATTACK-RESULT" and a JSON object of what every attempt met.

HOSTILE = "# a hostile cell"
PRELUDE = (
    HOSTILE
    + """
import json, os
from pathlib import Path
COURSE = Path.cwd().parents[2]
RESULTS = {}
def attempt(name, action):
    try:
        RESULTS[name] = "GOT " + str(action())[:3000]
    except Exception as error:
        RESULTS[name] = f"{type(error).__name__}: {error}"
def report():
    print("ATTACK-RESULT", json.dumps(RESULTS), flush=True)
"""
)

READ = (
    PRELUDE
    + """
def read(path):
    return lambda: (COURSE / path).read_bytes().decode("utf-8", "replace")
attempt("solution notebook", read("solutions/ps1_convolution/ps1_convolution.ipynb"))
attempt("solutions folder", lambda: os.listdir(COURSE / "solutions"))
attempt("own notebook with the hidden tests", read(
    "autograded/attack_solutions/ps1_convolution/ps1_convolution.ipynb"))
attempt("own notebook in the working folder", lambda: open("ps1_convolution.ipynb").read())
attempt("gradebook", read("gradebook.db"))
attempt("course folder", lambda: os.listdir(COURSE))
report()
"""
)

PEEK = (
    PRELUDE
    + """
def read(path):
    return lambda: (COURSE / path).read_bytes().decode("utf-8", "replace")
attempt("zz_honest's submission", read("submitted/zz_honest/ps1_convolution/ps1_convolution.ipynb"))
attempt("aa_honest's autograded notebook",
        read("autograded/aa_honest/ps1_convolution/ps1_convolution.ipynb"))
attempt("aa_honest's feedback", read("feedback/aa_honest/ps1_convolution/ps1_convolution.html"))
attempt("the submitted folder", lambda: os.listdir(COURSE / "submitted"))
attempt("other processes", lambda: [open(f"/proc/{pid}/cmdline").read()
                                    for pid in os.listdir("/proc") if pid.isdigit()])
report()
"""
)

GRADEBOOK = (
    PRELUDE
    + """
import sqlite3
def cheat():
    db = sqlite3.connect(COURSE / "gradebook.db")
    db.execute("UPDATE grade SET auto_score = 99, manual_score = 99")
    db.commit()
    return "updated"
attempt("update the gradebook", cheat)
def append():
    with open(COURSE / "gradebook.db", "ab") as stream:
        stream.write(b"garbage")
    return "appended"
attempt("append to the gradebook", append)
attempt("replace its own autograded notebook", lambda: (COURSE /
    "autograded/attack_gradebook/ps1_convolution/ps1_convolution.ipynb").write_text("{}"))
report()
"""
)

OVERWRITE = (
    PRELUDE
    + """
MARK = "PWNED" + "-" + TOKEN  # built at run time: never in a file but where written
def write(path, mode="w"):
    def action():
        with open(COURSE / path, mode) as stream:
            stream.write(MARK)
        return "written"
    return action
attempt("aa_honest's autograded notebook",
        write("autograded/aa_honest/ps1_convolution/ps1_convolution.ipynb"))
attempt("zz_honest's submission",
        write("submitted/zz_honest/ps1_convolution/ps1_convolution.ipynb"))
attempt("append to nbgrader_config.py", write("nbgrader_config.py", "a"))
attempt("append to the Makefile", write("Makefile", "a"))
attempt("a new file in the course", write("PWNED"))
attempt("the host's /tmp", lambda: Path(f"/tmp/snn-sandbox-test-{TOKEN}").write_text(MARK))
import glob
attempt("next to its sockets, on the host's disk", lambda: (Path(
    glob.glob("/tmp/snn-sandbox-*/sockets")[0]) / "filler").write_text(MARK))
report()
"""
)

NETWORK = (
    PRELUDE
    + """
import socket
def connect():
    connection = socket.create_connection(("127.0.0.1", PORT), timeout=3)
    connection.sendall(b"stolen")
    return "connected"
attempt("connect to the test's port", connect)
report()
"""
)

MEMORY = (
    PRELUDE
    + """
chunks = []
try:
    for _ in range(24):  # 6 GiB at most, whatever happens
        chunks.append(bytearray(256 * 2**20))
finally:
    RESULTS["allocated MiB"] = 256 * len(chunks)
    chunks.clear()
    report()
"""
)

FORK = (
    PRELUDE
    + """
import subprocess
children = []
try:
    for _ in range(300):  # a bounded burst, whatever happens
        children.append(subprocess.Popen(["sleep", "30"]))
finally:
    RESULTS["started"] = len(children)
    for child in children:
        child.kill()
        child.wait()
    report()
"""
)

CRASH = (
    HOSTILE
    + """
import ctypes
ctypes.string_at(0)  # reads address 0: the kernel dies of SIGSEGV
"""
)

SWALLOW = (
    HOSTILE
    + """
import time
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
"""
)

# student -> (hostile cell, the test cell it follows)
ATTACKS = {
    "attack_crash": (CRASH, "test_conv_matrix"),
    "attack_fork": (FORK, "test_conv_output_shape"),
    "attack_gradebook": (GRADEBOOK, "test_conv_output_shape"),
    "attack_memory": (MEMORY, "test_conv_output_shape"),
    "attack_network": (NETWORK, "test_conv_output_shape"),
    "attack_overwrite": (OVERWRITE, "test_conv_output_shape"),
    "attack_peek": (PEEK, "test_conv_output_shape"),
    "attack_solutions": (READ, "test_conv_output_shape"),
    "attack_swallow": (SWALLOW, "test_correlate2d"),
}
EXPECTED = {student: float(AUTOGRADED_POINTS) for student in ATTACKS}
EXPECTED["attack_swallow"] = float(POINTS["test_conv_output_shape"] + POINTS["test_correlate2d"])
EXPECTED["attack_crash"] = EXPECTED["attack_swallow"] + POINTS["test_conv_matrix"]
EXPECTED["aa_honest"] = float(AUTOGRADED_POINTS)
EXPECTED["zz_honest"] = float(AUTOGRADED_POINTS - 2)  # correlate2d ignores strides

# What no attacker may print: the instructor's notebook, the gradebook, and
# what the honest students wrote (their secrets are set per run).
SECRETS = ["BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "SQLite format 3"]


def with_cell(notebook, after, source):
    """``notebook`` with a new code cell ``source`` after the cell ``after``."""
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == after:
            cells.append(nbformat.v4.new_code_cell(source))
    assert len(cells) == len(notebook.cells) + 1, after
    notebook.cells = cells
    return notebook


def make_class(released, token, port, secrets_of):
    solutions = solution_sources(PS)
    notebooks = {}
    for student, (attack, after) in ATTACKS.items():
        source = attack.replace("TOKEN", repr(token)).replace("PORT", str(port))
        notebooks[student] = with_cell(student_notebook(released, solutions), after, source)
    honest = dict(solutions)
    honest["conv_output_shape"] += f"\n# {secrets_of['aa_honest']}"
    notebooks["aa_honest"] = student_notebook(released, honest)
    mistaken = dict(solutions)
    mistaken["correlate2d"] = (
        replace_once(
            mistaken["correlate2d"],
            "sh, sw = (strides, strides) if np.isscalar(strides) else strides",
            "sh, sw = 1, 1",
        )
        + f"\n# {secrets_of['zz_honest']}"
    )
    notebooks["zz_honest"] = student_notebook(released, mistaken)
    return notebooks


def snapshot(course):
    """Every file of the course that nbgrader does not write while grading: its bytes' hash."""
    files = {}
    for path in sorted(course.rglob("*")):
        relative = path.relative_to(course)
        if (
            relative.parts[0] in ("autograded", ".venv", "gradebook.db")
            or "__pycache__" in relative.parts
            or not (path.is_file() or path.is_symlink())
        ):
            continue
        files[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def sandbox_processes():
    """PIDs of processes that run as the sandbox user."""
    try:
        uid = pwd.getpwnam(USER).pw_uid
    except KeyError:
        return []
    return [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and os.path.exists(f"/proc/{pid}/status") and _uid_of(pid) == uid
    ]


def _uid_of(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return int(next(line for line in status if line.startswith("Uid:")).split()[1])
    except (OSError, StopIteration):
        return None


class Listener:
    """A TCP port on 127.0.0.1 that records every connection made to it."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            while True:
                connection, address = self.socket.accept()
                self.connections.append(address)
                connection.close()
        except OSError:  # closed
            pass

    def close(self):
        self.socket.close()


@pytest.fixture(scope="module")
def sandbox_user():
    """The dedicated user: CI makes it (`make sandbox-user`); if it is missing, the
    test makes it, and removes it afterwards."""
    if not IS_ROOT:
        yield None
        return
    try:
        pwd.getpwnam(USER)
        created = False
    except KeyError:
        subprocess.run(
            [sys.executable, "-m", "sandbox", "setup"], cwd=ROOT, check=True, capture_output=True
        )
        created = True
    yield USER
    if created:
        subprocess.run(
            [sys.executable, "-m", "sandbox", "remove"], cwd=ROOT, check=True, capture_output=True
        )


def new_course(tmp_path_factory, name, extra_config=""):
    course = tmp_path_factory.mktemp(name)
    shutil.copy2(ROOT / "Makefile", course)
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + f"\n# the sandbox test's limits\nc.Execute.timeout = {TIMEOUT}\n" + extra_config
    )
    shutil.copytree(ROOT / "solutions" / PS, course / "solutions" / PS)
    shutil.copytree(
        ROOT / "sandbox", course / "sandbox", ignore=shutil.ignore_patterns("__pycache__")
    )
    (course / ".venv").symlink_to(Path(sys.executable).parent.parent)
    make(course, "release", f"PS={PS}")
    return course


def submit(course, notebooks):
    for student, notebook in notebooks.items():
        folder = course / "submitted" / student / PS
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{PS}.ipynb")


def run_make(course, *args):
    """`make` in ``course``; returns (exit status, stdout + stderr, seconds)."""
    start = time.perf_counter()
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", *args],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result.returncode, result.stdout + result.stderr, time.perf_counter() - start


def scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            submission.student.id: submission.score
            for submission in gradebook.find_assignment(PS).submissions
        }


def hostile_cell(course, student):
    """The hostile cell of ``student``'s autograded notebook, and its index."""
    notebook = nbformat.read(course / "autograded" / student / PS / f"{PS}.ipynb", as_version=4)
    index = next(i for i, cell in enumerate(notebook.cells) if cell.source.startswith(HOSTILE))
    return notebook, index


def attack_results(course, student):
    """The ATTACK-RESULT object the hostile cell printed, and that cell."""
    notebook, index = hostile_cell(course, student)
    cell = notebook.cells[index]
    printed = "".join(
        output.get("text", "") for output in cell.outputs if output.output_type == "stream"
    )
    match = re.search(r"^ATTACK-RESULT (.*)$", printed, flags=re.M)
    return (json.loads(match.group(1)) if match else None), cell


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, sandbox_user, as_the_sandbox_user):
    if not HAS_BWRAP:
        pytest.skip(
            "bubblewrap is not installed (Debian's `bubblewrap`; .ci/run installs it): "
            "the attacks would get through"
        )
    token = secrets.token_hex(8)
    secrets_of = {
        student: f"secret of {student} {secrets.token_hex(8)}"
        for student in ("aa_honest", "zz_honest", "feedback")
    }
    course = new_course(
        tmp_path_factory, "hostile", f"c.SandboxKernelManager.memory_limit = {MEMORY_LIMIT}\n"
    )
    listener = Listener()
    released = nbformat.read(course / "exercises" / PS / f"{PS}.ipynb", as_version=4)
    submit(course, make_class(released, token, listener.port, secrets_of))
    # a previous round's feedback, for the attacker to look for
    feedback = course / "feedback" / "aa_honest" / PS / f"{PS}.html"
    feedback.parent.mkdir(parents=True)
    feedback.write_text(f"<p>{secrets_of['feedback']}</p>")
    before = snapshot(course)
    with as_the_sandbox_user():
        temporary = set(Path("/tmp").glob("snn-sandbox-*"))
        try:
            status, log, seconds = run_make(course, "autograde", f"PS={PS}")
            time.sleep(0.5)  # a connection in flight
        finally:
            listener.close()
        leftover = set(Path("/tmp").glob("snn-sandbox-*")) - temporary
        processes = sandbox_processes()
    print(f"\nmake autograde, {len(EXPECTED)} students in the sandbox: {seconds:.1f} s")
    return {
        "course": course,
        "status": status,
        "log": log,
        "seconds": seconds,
        "token": token,
        "secrets": [*SECRETS, *secrets_of.values()],
        "before": before,
        "after": snapshot(course),
        "connections": listener.connections,
        "temporary": temporary,
        "leftover": leftover,
        "processes": processes,
    }


def test_the_class_is_graded_to_the_end(hostile_class):
    assert hostile_class["status"] == 0, hostile_class["log"][-5000:]
    assert "WITHOUT the sandbox" not in hostile_class["log"]
    if IS_ROOT:
        assert "[sandbox] WARNING" not in hostile_class["log"], hostile_class["log"][-3000:]


def test_every_student_keeps_exactly_the_score_earned(hostile_class):
    assert scores(hostile_class["course"]) == EXPECTED


def test_no_secret_reaches_an_attacker(hostile_class):
    course = hostile_class["course"]
    for student in ATTACKS:
        _, cell = attack_results(course, student)
        shown = json.dumps(cell.outputs)
        for secret in hostile_class["secrets"]:
            assert secret not in shown, f"{student} got {secret!r}"


def test_reading_solutions_hidden_tests_and_gradebook_fails(hostile_class):
    results, _ = attack_results(hostile_class["course"], "attack_solutions")
    for name in (
        "solution notebook",
        "solutions folder",
        "own notebook with the hidden tests",
        "own notebook in the working folder",
        "gradebook",
    ):
        assert results[name].startswith("FileNotFoundError"), (name, results[name])
    # the course's folder shows only the way to the attacker's own working folder
    assert results["course folder"] == "GOT ['autograded']", results["course folder"]


def test_reading_other_students_work_fails(hostile_class):
    results, _ = attack_results(hostile_class["course"], "attack_peek")
    for name in (
        "zz_honest's submission",
        "aa_honest's autograded notebook",
        "aa_honest's feedback",
        "the submitted folder",
    ):
        assert results[name].startswith("FileNotFoundError"), (name, results[name])
    # its own processes only: no grader, no other kernel
    assert "nbgrader" not in results["other processes"], results["other processes"]


def test_writing_the_gradebook_fails(hostile_class):
    course = hostile_class["course"]
    results, _ = attack_results(course, "attack_gradebook")
    assert results["update the gradebook"].startswith("OperationalError"), results
    assert results["append to the gradebook"].startswith("PermissionError"), results
    # its working folder is its own scratch space, gone after grading: the notebook
    # nbgrader writes there is another file, which the kernel never sees
    assert results["replace its own autograded notebook"] == "GOT 2"
    notebook, _ = hostile_cell(course, "attack_gradebook")
    assert len(notebook.cells) > 20
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute(
            "SELECT count(*) FROM grade WHERE auto_score > 3 OR manual_score > 3"
        ).fetchone() == (0,)
        students = {row[0] for row in db.execute("SELECT id FROM student")}
    assert students == set(EXPECTED)


def test_overwriting_other_files_fails(hostile_class):
    course, token = hostile_class["course"], hostile_class["token"]
    results, _ = attack_results(course, "attack_overwrite")
    for name in (
        "aa_honest's autograded notebook",
        "zz_honest's submission",
        "append to nbgrader_config.py",
        "append to the Makefile",
        "a new file in the course",
    ):
        assert re.match(r"(FileNotFoundError|PermissionError|OSError)", results[name]), (
            name,
            results[name],
        )
    # it may write in its own /tmp, which is not the machine's
    assert results["the host's /tmp"].startswith("GOT")
    # the folder of its sockets is the host's, and root's once the kernel has started
    assert results["next to its sockets, on the host's disk"].startswith("PermissionError") or (
        not IS_ROOT
    ), results
    assert not Path(f"/tmp/snn-sandbox-test-{token}").exists()
    mark = f"PWNED-{token}".encode()
    for path in course.rglob("*"):
        if path.is_file() and ".venv" not in path.relative_to(course).parts:
            assert mark not in path.read_bytes(), path


def test_nothing_outside_the_sandbox_changed(hostile_class):
    before, after = hostile_class["before"], hostile_class["after"]
    assert after == before, {
        name: "changed" if name in after else "removed"
        for name in before
        if after.get(name) != before[name]
    }
    # nbgrader's output: one notebook per student, nothing else
    course = hostile_class["course"]
    made = sorted(
        str(p.relative_to(course / "autograded"))
        for p in (course / "autograded").rglob("*")
        if p.is_file()
    )
    assert made == sorted(f"{student}/{PS}/{PS}.ipynb" for student in EXPECTED)


def test_no_connection_reaches_the_host(hostile_class):
    results, _ = attack_results(hostile_class["course"], "attack_network")
    assert results["connect to the test's port"].startswith("ConnectionRefusedError"), results
    assert hostile_class["connections"] == []


def test_the_memory_bomb_stops_at_the_limit(hostile_class):
    results, cell = attack_results(hostile_class["course"], "attack_memory")
    assert 0 < results["allocated MiB"] < MEMORY_LIMIT // 2**20, results
    errors = [output.ename for output in cell.outputs if output.output_type == "error"]
    assert errors == ["MemoryError"]
    assert "hit the memory limit of grading (1 GiB of address space per process)" in (
        json.dumps(cell.outputs)
    )


def test_the_process_burst_stops_at_the_limit(hostile_class):
    results, cell = attack_results(hostile_class["course"], "attack_fork")
    assert results["started"] < 64, results  # SandboxKernelManager.process_limit
    errors = [
        (output.ename, output.evalue) for output in cell.outputs if output.output_type == "error"
    ]
    assert errors and errors[0][0] == "BlockingIOError", errors
    assert "hit the processes limit of grading (64 processes and threads)" in json.dumps(
        cell.outputs
    )


def test_an_interrupt_swallowing_loop_is_stopped(hostile_class):
    notebook, loop = hostile_cell(hostile_class["course"], "attack_swallow")
    errors = {}
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors[index] = (output.ename, output.evalue)
    assert errors[loop][0] == "CellTimeoutError"
    assert "did not stop when interrupted" in errors[loop][1]
    later = [
        i
        for i, cell in enumerate(notebook.cells)
        if i > loop and cell.cell_type == "code" and cell.source.strip()
    ]
    assert later and all(errors.get(i, ("",))[0] == "CellNotRun" for i in later), errors
    assert min(errors) == loop, errors  # the cells before it ran cleanly


def test_a_kernel_that_dies_costs_only_the_cells_after_it(hostile_class):
    notebook, crash = hostile_cell(hostile_class["course"], "attack_crash")
    errors = {
        index: (output.ename, output.evalue)
        for index, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    }
    assert errors[crash] == (
        "DeadKernelError",
        "the kernel died while running this cell (it "
        "was stopped by signal SIGSEGV); the cells after it were not run",
    )
    later = [
        i
        for i, cell in enumerate(notebook.cells)
        if i > crash and cell.cell_type == "code" and cell.source.strip()
    ]
    assert later and all(errors[i][0] == "CellNotRun" for i in later), errors
    assert min(errors) == crash, errors


def test_no_process_or_folder_is_left(hostile_class):
    assert hostile_class["processes"] == []
    assert hostile_class["leftover"] == set()


def test_the_feedback_says_which_limit_was_hit(hostile_class):
    course = hostile_class["course"]
    status, log, _ = run_make(
        course, "feedback", f"PS={PS}", "ARGS=--CourseDirectory.student_id=attack_[fms]*"
    )
    assert status == 0, log[-3000:]
    memory = (course / "feedback" / "attack_memory" / PS / f"{PS}.html").read_text()
    assert "hit the memory limit of grading" in memory
    processes = (course / "feedback" / "attack_fork" / PS / f"{PS}.html").read_text()
    assert "hit the processes limit of grading" in processes
    swallow = (course / "feedback" / "attack_swallow" / PS / f"{PS}.html").read_text()
    assert "did not stop when interrupted" in swallow and "this cell was not run" in swallow


def test_symbolic_links_in_submissions_are_refused(hostile_class, as_the_sandbox_user):
    course = hostile_class["course"]
    link = course / "submitted" / "aa_honest" / PS / "data.npz"
    link.symlink_to(course / "solutions" / PS / f"{PS}.ipynb")
    try:
        with as_the_sandbox_user():
            status, log, _ = run_make(course, "autograde", f"PS={PS}", "ARGS=--force")
    finally:
        link.unlink()
    assert status != 0
    assert "symbolic links in submitted/" in log and str(link.relative_to(course)) in log


# --- the self-check -------------------------------------------------------------------


@pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap is not installed")
def test_sandbox_check_passes(sandbox_user, as_the_sandbox_user):
    with as_the_sandbox_user():
        result = subprocess.run(
            [sys.executable, "-m", "sandbox", "check"],
            cwd=ROOT,
            env=nbgrader_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == (0 if IS_ROOT else 1), result.stdout + result.stderr
    assert "every attempt was stopped" in result.stdout or not IS_ROOT
