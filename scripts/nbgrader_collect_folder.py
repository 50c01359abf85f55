"""Collect submissions from a folder with one sub-folder per student into nbgrader's
``submitted/<student>/<ps>/``.

For a class that hands in through a shared drive, a USB stick or e-mail rather than
nbgrader's exchange or a learning-management system. The folder must look like::

    FOLDER/<student id>/.../<ps>.ipynb

(the notebook may sit anywhere below the student's folder, e.g. in
``<student id>/<ps>/``). Each student's notebook is copied to
``submitted/<student id>/<ps>/<ps>.ipynb``; a student who already has a submission
there is skipped unless ``--force`` is given. Run from the course root (the
repository), or use ``make collect PS=<ps> FROM=<folder>``.

Usage::

    python scripts/nbgrader_collect_folder.py ps1_convolution path/to/handins [--force]
"""

import argparse
import shutil
import sys
from pathlib import Path


def find_submissions(folder, ps):
    """``{student id: notebook path}`` for every student folder that holds ``<ps>.ipynb``.

    Returns the submissions and a list of problems (student folders with no
    notebook, or with more than one), as text.
    """
    submissions, problems = {}, []
    for student_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        if student_dir.name.startswith("."):
            continue
        found = sorted(
            p for p in student_dir.rglob(f"{ps}.ipynb") if ".ipynb_checkpoints" not in p.parts
        )
        if not found:
            problems.append(f"{student_dir.name}: no {ps}.ipynb in {student_dir}")
        elif len(found) > 1:
            problems.append(
                f"{student_dir.name}: {len(found)} copies of {ps}.ipynb "
                f"({', '.join(str(p) for p in found)}); keep one"
            )
        else:
            submissions[student_dir.name] = found[0]
    return submissions, problems


def collect(ps, folder, root=".", force=False):
    """Copy the submissions of ``ps`` in ``folder`` into ``root/submitted``.

    Returns ``(collected, skipped, problems)``: lists of student ids, and messages.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"collect: no folder {folder}")
    if not (Path(root) / "exercises" / ps / f"{ps}.ipynb").is_file():
        raise SystemExit(f"collect: there is no problem set {ps!r} in {Path(root) / 'exercises'}")
    submissions, problems = find_submissions(folder, ps)
    collected, skipped = [], []
    for student, notebook in submissions.items():
        destination = Path(root) / "submitted" / student / ps / f"{ps}.ipynb"
        if destination.exists() and not force:
            skipped.append(student)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, destination)
        collected.append(student)
    return collected, skipped, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ps", help="the problem set, e.g. ps1_convolution")
    parser.add_argument("folder", help="a folder with one sub-folder per student")
    parser.add_argument(
        "--force", action="store_true", help="replace submissions already in submitted/"
    )
    args = parser.parse_args(argv)
    collected, skipped, problems = collect(args.ps, args.folder, force=args.force)
    for student in collected:
        print(f"collected {student}: submitted/{student}/{args.ps}/{args.ps}.ipynb")
    for student in skipped:
        print(f"skipped {student}: already in submitted/ (use --force to replace it)")
    for problem in problems:
        print(f"not collected: {problem}")
    print(f"{len(collected)} collected, {len(skipped)} skipped, {len(problems)} with problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
