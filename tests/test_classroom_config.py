"""The classroom's configuration (deploy/jupyterhub/), checked without starting a hub.

test_classroom.py runs a whole class through JupyterHub, as root; these checks
need neither root nor a hub: the roster's rules, the workshop's passwords
(the shared-password authenticator as jupyterhub_config.py sets it up, asked
directly), and that the files of the deployment agree with each other and with
the Kubernetes path.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "jupyterhub"
HUB_PYTHON = Path(os.environ.get("CLASSROOM_PREFIX", "/opt/snn-classroom")) / "venv/bin/python"

sys.path.insert(0, str(DEPLOY))
import accounts  # noqa: E402 (deploy/jupyterhub/accounts.py: the standard library only)


def roster(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_sample_roster_is_valid():
    members = accounts.read_roster(DEPLOY / "roster.csv")
    assert {m.role for m in members} == {"instructor", "student"}


@pytest.mark.parametrize(
    "rows, complaint",
    [
        ("Ada,student,\n", "user name 'Ada' is not a lower-case name"),
        ("ada+1,student,\n", "user name 'ada+1'"),  # "+" splits nbgrader's file names
        ("ada,teacher,\n", "role 'teacher' of 'ada' is not one of"),
        ("ada,student,\nada,instructor,\n", "'ada' is on the roster twice"),
        ("", "the roster lists nobody"),
    ],
)
def test_a_bad_roster_is_refused_saying_why(tmp_path, rows, complaint):
    path = roster(tmp_path, "username,role,password\n" + rows)
    with pytest.raises(SystemExit, match=re.escape(complaint)):
        accounts.read_roster(path)


def test_an_account_the_classroom_did_not_make_is_never_taken_over():
    with pytest.raises(SystemExit, match="'root' exists and is not a classroom account"):
        accounts.check_ours(accounts.Member("root", "student"))


def test_students_and_the_instructor_use_the_same_course_id():
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    everyone = PyFileConfigLoader("nbgrader_config.py", path=str(DEPLOY / "everyone")).load_config()
    assert everyone.CourseDirectory.course_id == course.CourseDirectory.course_id


def test_the_proxy_is_pinned_exactly():
    wanted = json.loads((DEPLOY / "package.json").read_text())["dependencies"]
    locked = json.loads((DEPLOY / "package-lock.json").read_text())["packages"]
    for name, version in wanted.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is a range"
        assert locked[f"node_modules/{name}"]["version"] == version


# Run by the hub's own Python: load jupyterhub_config.py for a workshop and ask the
# authenticator it configures who may log in with which password.
WORKSHOP_LOGINS = """
import asyncio, json, sys
from traitlets.config.loader import PyFileConfigLoader
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

config = PyFileConfigLoader("jupyterhub_config.py", path=sys.argv[1]).load_config()
authenticator = SharedPasswordAuthenticator(config=config)
results = {}
for name, password in json.loads(sys.argv[2]):
    user = asyncio.run(authenticator.get_authenticated_user(
        None, {"username": name, "password": password}))
    results[f"{name} with {password}"] = user and {"admin": user.get("admin", False)}
print(json.dumps(results))
"""


@pytest.mark.skipif(not HUB_PYTHON.exists(), reason="no hub environment (make classroom-install)")
def test_a_workshop_password_opens_students_accounts_only(tmp_path):
    passwords = {"students": "students-0123", "instructors": "i" * 32}
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "shared-passwords.json").write_text(json.dumps(passwords))
    settings = {
        "state": str(tmp_path), "venv": "/nonexistent", "proxy": "/nonexistent",
        "exchange": str(tmp_path / "exchange"), "port": 8000, "hub_port": 8081,
        "proxy_api_port": 8001, "auth": "shared",
        "roster": {"teacher": "instructor", "ada": "student"},
    }  # fmt: skip
    (tmp_path / "hub" / "settings.json").write_text(json.dumps(settings))
    attempts = [
        ("ada", "students-0123"),
        ("ada", "i" * 32),
        ("teacher", "students-0123"),
        ("teacher", "i" * 32),
        ("mallory", "students-0123"),  # not on the roster
    ]
    result = subprocess.run(
        [str(HUB_PYTHON), "-c", WORKSHOP_LOGINS, str(DEPLOY), json.dumps(attempts)],
        env={**os.environ, "SNN_CLASSROOM_SETTINGS": str(tmp_path / "hub" / "settings.json")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ada with students-0123": {"admin": False},
        f"ada with {'i' * 32}": None,
        "teacher with students-0123": None,  # the students' password never opens an instructor's
        f"teacher with {'i' * 32}": {"admin": True},
        "mallory with students-0123": None,
    }


def test_the_kubernetes_values_match_the_image_and_the_deployment():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((DEPLOY / "kubernetes" / "values.yaml").read_text())
    dockerfile = (DEPLOY / "kubernetes" / "Dockerfile").read_text()
    singleuser = values["singleuser"]
    environment = singleuser["extraEnv"]
    mounts = {m["name"]: m["mountPath"] for m in singleuser["storage"]["extraVolumeMounts"]}
    assert mounts["nbgrader-exchange"] == environment["CLASSROOM_EXCHANGE"]
    copied = dict(re.findall(r"^COPY (\S+) (\S+)$", dockerfile, flags=re.M))
    assert copied["course/*.ipynb"].rstrip("/") == environment["CLASSROOM_LECTURES"]
    assert copied["deploy/jupyterhub/start-singleuser.sh"].endswith("/" + singleuser["cmd"])
    extra_config = values["hub"]["extraConfig"]["classroom"]
    compile(extra_config, "hub.extraConfig.classroom", "exec")
    assert copied["deploy/jupyterhub/students/"].rstrip("/") in extra_config
    # every student's server runs the image: the model answers must not be in it
    assert not [source for source in copied if "solutions" in source or source in (".", "./")]
