"""``python -m sandbox setup|remove|check``: the dedicated user, and a self-check.

setup   (as root) create the unprivileged system user that graded code runs as
        (`snn-sandbox` unless --user says otherwise); `make sandbox-user`
remove  (as root) delete it again
check   start one kernel the way `make autograde` does, from the course's root,
        and try what a hostile submission would: read the course's files, write
        next to them, reach a port on 127.0.0.1, go past the limits. Prints what
        each attempt met; exit status 1 if any got through. `make sandbox-check`
"""

import argparse
import json
import os
import pwd
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from traitlets.config import Config

from .kernel import SandboxKernelManager

DEFAULT_USER = SandboxKernelManager.user.default_value

# Run in the kernel: each probe prints one JSON line, {"probe": what it met}.
PROBES = r"""
import glob, json, os, socket, subprocess
def probe(name, attempt):
    try:
        result = attempt()
    except BaseException as error:  # what stopped it
        result = f"refused: {type(error).__name__}: {error}"
    print(json.dumps({name: str(result)[:200]}), flush=True)

probe("runs as", lambda: f"uid {os.getuid()}")
probe("read the course's nbgrader_config.py",
      lambda: "READ " + open(os.path.join(course, "nbgrader_config.py")).read(60))
probe("find solutions/, submitted/, autograded/, feedback/, gradebook.db",
      lambda: "FOUND " + ", ".join(found) if (found := [
          name for name in ("solutions", "submitted", "autograded", "feedback", "gradebook.db")
          if os.path.exists(os.path.join(course, name))]) else "none is there")
probe("write in the course's folder",
      lambda: open(os.path.join(course, ".sandbox-check-" + nonce), "w").write("x") and "WROTE")
probe("write next to the kernel's sockets (on the host's disk)",
      lambda: open(glob.glob("/tmp/snn-sandbox-*/sockets")[0] + "/filler", "w").write("x")
      and "WROTE")
probe("connect to 127.0.0.1:" + str(port),
      lambda: socket.create_connection(("127.0.0.1", port), timeout=3) and "CONNECTED")
probe("allocate the memory limit at once", lambda: len(bytearray(memory)) and "ALLOCATED")
def processes():
    children = []
    try:
        for _ in range(2 * processes_limit):
            children.append(subprocess.Popen(["sleep", "30"]))
        return f"STARTED {len(children)} processes"
    finally:
        for child in children:
            child.kill()
            child.wait()
probe("start twice the process limit", processes)
"""

LOOKS_FREE = ("READ", "FOUND", "WROTE", "CONNECTED", "ALLOCATED", "STARTED")


def setup(user):
    if os.geteuid() != 0:
        sys.exit("python -m sandbox setup: run as root (it creates a system user)")
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "students' code while nbgrader grades it",
                user,
            ],
            check=True,
        )
        entry = pwd.getpwnam(user)
        print(f"created the user {user} (uid {entry.pw_uid})")
    else:
        print(f"the user {user} exists (uid {entry.pw_uid})")
    if entry.pw_uid == 0:
        sys.exit(f"the user {user} is root: choose another")


def remove(user):
    if os.geteuid() != 0:
        sys.exit("python -m sandbox remove: run as root")
    try:
        pwd.getpwnam(user)
    except KeyError:
        print(f"there is no user {user}")
        return
    subprocess.run(["userdel", user], check=True)
    print(f"removed the user {user}")


def check(user=None):
    import nbformat

    from .execute import SandboxedExecute

    course = Path.cwd().resolve()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    connections = []

    def accept():
        try:
            while True:
                connections.append(listener.accept()[0])
        except OSError:  # closed
            pass

    threading.Thread(target=accept, daemon=True).start()
    config = Config()
    if user:
        config.SandboxKernelManager.user = user
    manager = SandboxKernelManager(config=config)
    nonce = f"{os.getpid()}-{int(time.time())}"
    source = (
        f"course, nonce, port = {str(course)!r}, {nonce!r}, {port}\n"
        f"memory, processes_limit = {manager.memory_limit}, {manager.process_limit}\n" + PROBES
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with tempfile.TemporaryDirectory() as folder:
        # nbgrader's Execute, as `make autograde` runs it
        SandboxedExecute(config=config, timeout=60).preprocess(
            notebook, {"metadata": {"path": folder}}
        )
    listener.close()
    stray = course / f".sandbox-check-{nonce}"
    results = {}
    for output in notebook.cells[0].outputs:
        if output.output_type == "stream" and output.name == "stdout":
            for line in output.text.splitlines():
                results.update(json.loads(line))
        elif output.output_type == "error":
            results["(the probes)"] = f"failed: {output.ename}: {output.evalue}"
    if connections:
        results["connect to 127.0.0.1:" + str(port)] += f" ({len(connections)} connection(s))"
    print(f"sandbox: {manager.describe()}; course: {course}")
    failed = bool(connections) or stray.exists() or "(the probes)" in results
    for probe, result in results.items():
        through = result.startswith(LOOKS_FREE) or (probe == "runs as" and result == "uid 0")
        failed |= through
        print(f"  {'GOT THROUGH' if through else 'ok':<12} {probe}: {result}")
    if stray.exists():
        stray.unlink()
    print(
        "the sandbox let something through: see docs/sandbox.md"
        if failed
        else "every attempt was stopped"
    )
    return 1 if failed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["setup", "remove", "check"])
    parser.add_argument("--user", default=None, help=f"the sandbox user (default {DEFAULT_USER})")
    arguments = parser.parse_args(argv)
    if arguments.command == "setup":
        setup(arguments.user or DEFAULT_USER)
    elif arguments.command == "remove":
        remove(arguments.user or DEFAULT_USER)
    else:
        return check(arguments.user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
