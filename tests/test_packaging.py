"""The project's set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalise(requirement):
    name, _, bound = re.match(r"([A-Za-z0-9_.\-]+)\s*(([<>=!~]=?.*)?)", requirement).groups()
    return name.lower().replace("_", "-"), (bound or "").replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(normalise(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(normalise(r) for r in extra)
    conda = {}
    dependencies = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    for line in dependencies.splitlines():
        match = re.match(r"\s{2}- ([A-Za-z][^:#]*)$", line)  # top-level dependency entries
        if match and not match.group(1).startswith(("python", "pip")):
            name, bound = normalise(match.group(1).strip())
            conda[name] = bound
    assert conda == wanted


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"^make (\w+)", readme, flags=re.M)[:2]
    assert first_commands == ["lab", "test"]
