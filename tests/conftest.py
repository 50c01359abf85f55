"""How the test files share the machine when `make test` runs them in parallel.

`make test` runs pytest-xdist with ``--dist loadfile --no-loadscope-reorder``:
each file goes whole to one worker process (its module fixtures, a JupyterLab, a
hub, a graded class, the website's build, start once), and the files are handed
out in the order of the items, which this file sets: the longest first, so that
the short ones fill in around them instead of a long one starting last and
running alone.
"""

import contextlib
import fcntl

import pytest

# Seconds each took in two cold runs of the suite (three workers on two cores);
# every other file took under 50 s.
LONGEST_FIRST = [
    "test_site.py",  # 185-194
    "test_sandbox.py",  # 98-115
    "test_browser.py",  # 114-124
    "test_classroom.py",  # 94-105
    "test_grading.py",  # 50-92: it waits while test_sandbox.py's class is graded
    "test_exercises.py",  # 49-100
]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort


@pytest.fixture(scope="session")
def as_the_sandbox_user(tmp_path_factory):
    """``with as_the_sandbox_user():`` grading as the sandbox's user, one at a time.

    test_sandbox.py and test_grading.py both grade as root, so their kernels run
    as the sandbox's user (snn-sandbox). Its limit on processes counts all of that
    user's processes, and test_sandbox.py checks the processes it leaves: graded
    at the same time, one class's kernels would change what the other measures.
    The lock is a file all the workers of one run share.
    """
    path = tmp_path_factory.getbasetemp().parent / "snn-sandbox-grading.lock"

    @contextlib.contextmanager
    def hold():
        with open(path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another worker grades
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    return hold
