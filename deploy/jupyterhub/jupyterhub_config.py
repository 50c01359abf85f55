"""JupyterHub for a class: one server per user, on this machine, behind one address.

`make classroom` (deploy/jupyterhub/classroom.py start) starts JupyterHub, as root,
with this file; it writes what varies from class to class into ``settings.json``
in the class's state folder and names that file in the environment variable
SNN_CLASSROOM_SETTINGS. Read docs/classroom.md first. In short:

- JupyterHub listens on 127.0.0.1 only: put a TLS-terminating web server in
  front of it to open it to a network (docs/classroom.md says how).
- Each user logs in with a system account (made from the roster by
  classroom.py) and gets a Jupyter server running as that account, in their
  home (mode 700: nobody else can read it).
- Students open the lectures in JupyterLab and fetch, validate and submit the
  problem sets from its Assignments panel. The instructor's server opens
  nbgrader's formgrader on the course in the instructor's home; the instructor's
  tools (formgrader, create-assignment, course list) are off for students.
- nbgrader's exchange is one shared folder: released problem sets, submissions
  and feedback pass through it.
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 (defined by JupyterHub when it reads this file)
settings = json.loads(Path(os.environ["SNN_CLASSROOM_SETTINGS"]).read_text())
hub_folder = Path(settings["state"]) / "hub"  # root's only (mode 700)
shared = Path(settings["state"]) / "share"  # read by every user
venv = Path(settings["venv"])
instructors = {name for name, role in settings["roster"].items() if role == "instructor"}

# --- where it listens ---------------------------------------------------------------
# The public address (the proxy), the hub's own API and the proxy's API: all on
# the loopback interface.
c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
# The proxy installed by `npm ci` in deploy/jupyterhub (version pinned in package-lock.json).
c.ConfigurableHTTPProxy.command = [settings["proxy"]]

# The hub's own files: its database, the key that signs cookies, process ids, kept
# together so that `make classroom-stop` finds them.
c.JupyterHub.db_url = f"sqlite:///{hub_folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_folder / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(hub_folder / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(hub_folder / "proxy.pid")
# Stopping the hub stops the proxy and every user's server (the default, said here
# because `make classroom-stop` relies on it).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- who may log in -------------------------------------------------------------------
# Only the roster's names, whatever the authenticator.
c.Authenticator.allowed_users = set(settings["roster"])
if settings["auth"] == "pam":
    # A class: each person has their own password, the system account's (the
    # roster's, or one made for them; change it with `passwd NAME` as root). A
    # wrong password costs about 3 s (pam_faildelay), which slows guessing.
    # Instructors need no hub privileges: nbgrader works through files.
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False  # no login session per server
else:
    # A workshop: one password for every student, another (32 characters or
    # more) for instructors, who must be hub admins to have a separate password.
    # Anyone with the students' password can log in as any student on the
    # roster: not for graded work. Admins may also open students' servers.
    passwords = json.loads((hub_folder / "shared-passwords.json").read_text())
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = passwords["students"]
    c.SharedPasswordAuthenticator.admin_password = passwords["instructors"]
    c.Authenticator.admin_users = instructors

# --- each user's server -----------------------------------------------------------------
# LocalProcessSpawner (the default) starts `start-singleuser.sh` as the user, in
# /bin/sh (so that it runs from a folder mounted noexec too): it gives the user a
# private TMPDIR and students the lectures they do not have yet, then runs
# jupyterhub-singleuser from the hub's environment, which opens JupyterLab at the
# page by_role() below chooses.
c.Spawner.cmd = ["/bin/sh", str(shared / "start-singleuser.sh")]
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120  # seconds: a busy machine starting a whole class at once
c.Spawner.http_timeout = 120
# A clean, explicit environment: the servers run the hub's environment's Python,
# never root's (`runuser` and `su` would keep root's PATH).
c.Spawner.env_keep = ["LANG", "LC_ALL"]
BASE_ENVIRONMENT = {
    "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "CLASSROOM_EXCHANGE": settings["exchange"],
    "CLASSROOM_LECTURES": str(shared / "course"),
    # one BLAS thread per kernel: the course's matrix products are small, and a
    # class of kernels on a few cores would only wait for each other
    "OPENBLAS_NUM_THREADS": "1",
}


def by_role(spawner):
    """Set what differs between an instructor's server and a student's."""
    name = spawner.user.name
    spawner.environment = dict(BASE_ENVIRONMENT)
    if name in instructors:
        spawner.environment["CLASSROOM_ROLE"] = "instructor"
        # everyone's settings (deploy/jupyterhub/everyone/): nbgrader's course id
        # and exchange, the terminal's shell
        spawner.environment["JUPYTER_CONFIG_PATH"] = str(shared / "everyone")
        # formgrader on the course in the instructor's home (their
        # ~/.jupyter/nbgrader_config.py names it: accounts.py writes it)
        spawner.default_url = "/formgrader"
    else:
        spawner.environment["CLASSROOM_ROLE"] = "student"
        # first the students' settings: the instructor's lab extensions and
        # formgrader's server extension off (deploy/jupyterhub/students/)
        spawner.environment["JUPYTER_CONFIG_PATH"] = f"{shared / 'students'}:{shared / 'everyone'}"
        spawner.default_url = "/lab/tree/course/00_welcome.ipynb"


c.Spawner.pre_spawn_hook = by_role
