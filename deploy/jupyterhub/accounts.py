"""The class's system accounts, from a roster: make them, and remove them.

A roster is a CSV file with a header and one row per person (lines starting
with ``#`` are comments)::

    username,role,password
    teacher,instructor,
    ada,student,

``role`` is ``student`` or ``instructor``. ``password`` may be left empty: a new
account then gets a random one, written to ``<state>/hub/new-passwords.csv``
(readable by root only) for the instructor to hand out. A password given in the
roster is set every time the accounts are made, so the roster file itself must
be kept private when it holds passwords.

Every account made here carries the comment ``snn-classroom <role>``: an
existing account without it (a colleague's, a system account) is never changed
or removed, and the roster is refused. Homes are made private (mode 700).
Instructors also get the course, as an nbgrader course folder, in
``~/spiking-cnns/`` when their account is made.
"""

import csv
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent.parent
MARK = "snn-classroom"
ROLES = ("student", "instructor")
# A portable user name: what useradd, nbgrader's exchange (which splits file names
# on "+") and JupyterHub's URLs all accept unchanged.
NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")
COURSE_FOLDER = "spiking-cnns"
# What the instructor's course folder holds: the repository's nbgrader course.
COURSE_FILES = ["Makefile", "nbgrader_config.py", "pyproject.toml", "README.md"]
COURSE_FOLDERS = ["solutions", "exercises", "sandbox", "scripts", "course", "docs"]


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    password: str = ""


def read_roster(path):
    """The roster's members, checked: one row each, known roles, portable names."""
    lines = [line for line in Path(path).read_text().splitlines() if not line.startswith("#")]
    members, problems = [], []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        name = (row.get("username") or "").strip()
        role = (row.get("role") or "").strip().lower()
        password = (row.get("password") or "").strip()
        if not NAME.match(name):
            problems.append(
                f"row {number}: user name {name!r} is not a lower-case name of at most "
                "32 letters, digits, '_' and '-'"
            )
        if role not in ROLES:
            problems.append(f"row {number}: role {role!r} of {name!r} is not one of {ROLES}")
        members.append(Member(name, role, password))
    names = [m.name for m in members]
    problems += [
        f"{name!r} is on the roster twice" for name in sorted(set(names)) if names.count(name) > 1
    ]
    if not members:
        problems.append("the roster lists nobody")
    if problems:
        sys.exit(f"{path}: " + "; ".join(problems))
    return members


def account(name):
    """The system account ``name``, or None."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def check_ours(member):
    """Refuse an existing account this module did not make."""
    entry = account(member.name)
    if entry and not entry.pw_gecos.startswith(MARK):
        sys.exit(
            f"the account {member.name!r} exists and is not a classroom account "
            f"(its comment is {entry.pw_gecos!r}, not '{MARK} ...'): choose another name"
        )
    return entry


def create_accounts(members, venv, hub_folder):
    """Make or update every member's account; returns the names of new ones."""
    for member in members:
        check_ours(member)
    created, new_passwords = [], []
    for member in members:
        if account(member.name) is None:
            subprocess.run(
                ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group",
                 "--comment", f"{MARK} {member.role}", member.name],
                check=True,
            )  # fmt: skip
            created.append(member.name)
            if member.role == "instructor":
                give_course(member.name, venv)
            if not member.password:
                new_passwords.append((member.name, secrets.token_urlsafe(9)))
        if member.password:
            set_password(member.name, member.password)
        # useradd's default home mode is 755 on Debian: anyone could read it
        os.chmod(account(member.name).pw_dir, 0o700)
    for name, password in new_passwords:
        set_password(name, password)
    if new_passwords:
        record = Path(hub_folder) / "new-passwords.csv"
        fresh = not record.exists()
        with open(os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as out:
            if fresh:
                out.write("username,password\n")
            out.writelines(f"{name},{password}\n" for name, password in new_passwords)
        print(f"new accounts' passwords: {record} (root only): hand them out, then delete it")
    return created


def set_password(name, password):
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)


def give_course(name, venv):
    """The course in the new instructor's home, as an nbgrader course folder that
    `make` runs in with the hub's environment; and formgrader pointed at it."""
    entry = account(name)
    home = Path(entry.pw_dir)
    course = home / COURSE_FOLDER
    course.mkdir()
    for file in COURSE_FILES:
        shutil.copy2(REPOSITORY / file, course / file)
    for folder in COURSE_FOLDERS:
        shutil.copytree(
            REPOSITORY / folder, course / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    # The Makefile's targets use .venv/: here, the hub's environment. `make` would
    # build a new one if pyproject.toml were newer than its stamp (.installed):
    # the copy is dated a second before the stamp (in nanoseconds: a float's
    # rounding could make it newer by a hair).
    (course / ".venv").symlink_to(venv)
    stamp_time = (Path(venv) / ".installed").stat().st_mtime_ns - 1_000_000_000
    os.utime(course / "pyproject.toml", ns=(stamp_time, stamp_time))
    settings = home / ".jupyter"
    settings.mkdir(exist_ok=True)
    (settings / "nbgrader_config.py").write_text(
        "# Written by deploy/jupyterhub/accounts.py: the course formgrader shows.\n"
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n"
    )
    for path in [course, settings, *course.rglob("*"), *settings.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def processes_of(uid):
    """The ids of the processes that run as ``uid``."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.stat(f"/proc/{pid}").st_uid == uid:
                found.append(int(pid))
        except FileNotFoundError:  # it ended meanwhile
            pass
    return found


def stop_processes(uid, grace=5.0):
    """Stop every process of ``uid`` (SIGTERM, then SIGKILL): userdel refuses
    to remove a user who still runs something."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not processes_of(uid):
            return


def remove_accounts(members):
    """Remove the members' classroom accounts, their homes and their processes."""
    for member in members:
        entry = check_ours(member)
        if entry is None:
            continue
        stop_processes(entry.pw_uid)
        subprocess.run(["userdel", "--remove", member.name], check=True, capture_output=True)
        print(f"removed {member.name} and {entry.pw_dir}")
