"""Start JupyterHub for a class in the background, and stop it by its process ids.

A class's state folder (``/srv/snn-classroom`` unless told otherwise)::

    hub/        root only (700): settings.json, the hub's database and cookie key,
                jupyterhub.pid, proxy.pid, jupyterhub.log, passwords made for users
    share/      read by every user (755): the lectures (course/), Jupyter's and
                nbgrader's settings for everyone (everyone/) and for students
                (students/), start-singleuser.sh
    exchange/   nbgrader's exchange (1777), unless --exchange names another folder

``start`` refreshes share/ from the repository, writes settings.json and starts
``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` as root (LocalProcessSpawner
must be root to start servers as other users), then waits for it to answer.
``stop`` sends the hub SIGTERM (it then stops every user's server and the proxy)
and kills, by the ids it recorded, any of them still running after that.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from install import PROXY

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent
START_TIMEOUT = 60  # seconds for the hub to answer
STOP_TIMEOUT = 30  # seconds for the hub to stop its servers and the proxy


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_folder(path, mode):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


def refresh_share(share):
    """What every user's server reads, copied from the repository, readable by all."""
    for name in ("course", "everyone", "students"):
        shutil.rmtree(share / name, ignore_errors=True)
    make_folder(share / "course", 0o755)
    for lecture in sorted((REPOSITORY / "course").glob("*.ipynb")):
        shutil.copyfile(lecture, share / "course" / lecture.name)
    for name in ("everyone", "students"):  # Jupyter's settings (JUPYTER_CONFIG_PATH)
        shutil.copytree(HERE / name, share / name, ignore=shutil.ignore_patterns("*.md"))
    shutil.copyfile(HERE / "start-singleuser.sh", share / "start-singleuser.sh")
    os.chmod(share / "start-singleuser.sh", 0o755)
    for path in [share, *share.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() or path.suffix == ".sh" else 0o644)


def readable_by_everyone(path):
    """Whether any user can read ``path``: every folder above it searchable by
    others, and ``path`` itself readable by others."""
    path = Path(path).resolve()
    return bool(path.exists() and path.stat().st_mode & stat.S_IROTH) and all(
        folder.stat().st_mode & stat.S_IXOTH for folder in path.parents
    )


def shared_passwords(hub_folder):
    """The workshop's two passwords: made once, kept in hub/shared-passwords.json."""
    path = hub_folder / "shared-passwords.json"
    if not path.exists():
        passwords = {
            "students": secrets.token_urlsafe(9),
            "instructors": secrets.token_urlsafe(32),  # JupyterHub wants 32 or more
        }
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
            json.dump(passwords, out, indent=1)
        print(f"the workshop's passwords: {path} (root only; edit it to choose others)")
    return path


def alive(pid, name):
    """``pid`` if that process is running and its command line has ``name``; else None."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return None
    return pid if name.encode() in command else None


def running_pid(pid_file, name):
    """The process id in ``pid_file`` if it is running and is ``name``; else None."""
    try:
        return alive(int(Path(pid_file).read_text().strip()), name)
    except (FileNotFoundError, ValueError):
        return None


def start(members, prefix, state, port, exchange=None, auth="pam"):
    """Start the hub for ``members`` (accounts.Member) in the background."""
    if readable_by_everyone(REPOSITORY / "solutions"):
        print(
            f"WARNING: {REPOSITORY / 'solutions'} (the model answers and hidden tests) can be "
            "read by every account on this machine, students included: keep the repository "
            f"where only you can read it (e.g. chmod 700 {REPOSITORY})",
            file=sys.stderr,
        )
    state = make_folder(Path(state), 0o755)
    hub_folder = make_folder(state / "hub", 0o700)
    if pid := running_pid(hub_folder / "jupyterhub.pid", "jupyterhub"):
        sys.exit(f"the classroom in {state} is running already (process {pid}): stop it first")
    share = make_folder(state / "share", 0o755)
    refresh_share(share)
    exchange = Path(exchange) if exchange else state / "exchange"
    make_folder(exchange, 0o1777)  # everyone writes; only owners delete (sticky)
    settings = {
        "state": str(state),
        "venv": str(Path(prefix) / "venv"),
        "proxy": str(PROXY),
        "exchange": str(exchange),
        "port": port,
        "hub_port": free_port(),
        "proxy_api_port": free_port(),
        "auth": auth,
        "roster": {member.name: member.role for member in members},
    }
    if auth == "shared":
        shared_passwords(hub_folder)
    (hub_folder / "settings.json").write_text(json.dumps(settings, indent=1))
    # A clean environment: nothing of the caller's (tokens, PYTHONPATH) reaches the
    # hub or, through it, the users' servers.
    environment = {
        "PATH": f"{settings['venv']}/bin:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
        "SNN_CLASSROOM_SETTINGS": str(hub_folder / "settings.json"),
    }
    started = time.monotonic()
    with open(hub_folder / "jupyterhub.log", "ab") as log:
        hub = subprocess.Popen(
            [f"{settings['venv']}/bin/jupyterhub", "-f", str(HERE / "jupyterhub_config.py")],
            cwd=hub_folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # it outlives `make classroom`
        )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/hub/health", timeout=2):
                break
        except OSError:
            if hub.poll() is not None or time.monotonic() - started > START_TIMEOUT:
                tail = (hub_folder / "jupyterhub.log").read_text()[-3000:]
                if hub.poll() is None:
                    hub.kill()
                sys.exit(f"JupyterHub did not start; the end of its log:\n{tail}")
            time.sleep(0.2)
    print(
        f"JupyterHub is up at {url}/ (process {hub.pid}, {time.monotonic() - started:.1f} s);"
        f" log: {hub_folder / 'jupyterhub.log'}"
    )
    return hub.pid


def server_pids(hub_folder):
    """The process ids of users' servers the hub's database records."""
    database = hub_folder / "jupyterhub.sqlite"
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        states = [
            row[0] for row in db.execute("SELECT state FROM spawners WHERE state IS NOT NULL")
        ]
    return [pid for state in states if (pid := json.loads(state or "{}").get("pid"))]


def stop(state):
    """Stop the hub, then anything it started that is still running, by process id."""
    hub_folder = Path(state) / "hub"
    pid = running_pid(hub_folder / "jupyterhub.pid", "jupyterhub")
    servers = server_pids(hub_folder)  # read before the hub clears them
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive(pid, "jupyterhub") and time.monotonic() < deadline:
            time.sleep(0.2)
    # what is still running now was left behind: a hub that would not stop, or
    # the proxy and servers of a hub that was killed
    leftovers = [("the hub", pid and alive(pid, "jupyterhub"))]
    leftovers.append(
        ("the proxy", running_pid(hub_folder / "proxy.pid", "configurable-http-proxy"))
    )
    leftovers += [("a user's server", alive(p, "jupyterhub-singleuser")) for p in servers]
    leftovers = [(what, leftover) for what, leftover in leftovers if leftover]
    for what, leftover in leftovers:
        print(f"{what} (process {leftover}) was still running: killing it")
        os.kill(leftover, signal.SIGKILL)
    if pid or leftovers:
        print("the classroom is stopped")
    else:
        print(f"no classroom was running in {state}")
