"""The course on JupyterHub for a class, on this machine: ``python3 classroom.py COMMAND``.

Run as root (the Makefile's classroom targets call it; see docs/classroom.md)::

    install           the hub's Python environment and the pinned proxy
    accounts ROSTER   make (or update) the roster's accounts: private homes,
                      passwords, the course in each instructor's home
    start ROSTER      start JupyterHub on 127.0.0.1 for the roster's users
    stop              stop it: the hub, its proxy and every user's server
    remove ROSTER     stop the roster's users' processes and delete their
                      accounts and homes (the end of a term; tests)

It needs only Python's standard library: it may run before the hub's
environment exists.
"""

import argparse
import os
import sys
from pathlib import Path

import accounts
import install
import service

PREFIX = "/opt/snn-classroom"  # the installed software, read by every user
STATE = "/srv/snn-classroom"  # one class's hub, shared files and exchange


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefix", default=PREFIX, help=f"the installation (default {PREFIX})")
    parser.add_argument("--state", default=STATE, help=f"the class's folder (default {STATE})")
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("install", help="the hub's environment and proxy")
    setup.add_argument(
        "--python", default="/usr/bin/python3", help="a Python every user can run (>= 3.11)"
    )
    for name in ("accounts", "start", "remove"):
        commands.add_parser(name).add_argument("roster", type=Path)
    start = commands.choices["start"]
    start.add_argument("--port", type=int, default=8000, help="on 127.0.0.1 (default 8000)")
    start.add_argument("--exchange", help="nbgrader's exchange (default: STATE/exchange)")
    start.add_argument(
        "--auth",
        choices=["pam", "shared"],
        default="pam",
        help="pam: each user's own password (a class); shared: one password for "
        "students, one for instructors (a workshop)",
    )
    commands.add_parser("stop")
    args = parser.parse_args(argv)

    if os.geteuid() != 0:
        sys.exit(f"classroom.py {args.command}: run as root (sudo make ...)")
    # What this makes for everyone (the environment, the shared folder) must be
    # readable by everyone, whatever root's own umask.
    os.umask(0o022)
    venv = Path(args.prefix) / "venv"
    if args.command in ("accounts", "start") and not (venv / ".installed").exists():
        sys.exit(f"there is no hub environment in {venv}: run `classroom.py install` first")
    if args.command == "install":
        install.install(args.prefix, args.python)
    elif args.command == "accounts":
        members = accounts.read_roster(args.roster)
        hub_folder = service.make_folder(Path(args.state), 0o755) / "hub"
        service.make_folder(hub_folder, 0o700)
        accounts.create_accounts(members, venv, hub_folder)
    elif args.command == "start":
        members = accounts.read_roster(args.roster)
        missing = [m.name for m in members if accounts.check_ours(m) is None]
        if missing:
            sys.exit(f"no account for {', '.join(missing)}: run `classroom.py accounts` first")
        service.start(members, args.prefix, args.state, args.port, args.exchange, args.auth)
    elif args.command == "stop":
        service.stop(args.state)
    elif args.command == "remove":
        accounts.remove_accounts(accounts.read_roster(args.roster))


if __name__ == "__main__":
    main()
