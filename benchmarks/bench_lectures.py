"""How long each lecture takes to run top to bottom (headless, nbclient).

Prints a table: notebook, kernel start-up, run time of its cells, the slowest
cell, and the total. The course's budget is 1 minute for all lectures
together on 2 cores; this is reported here, never asserted in a test.

Run with `make bench` or `python benchmarks/bench_lectures.py [--json PATH] [NOTEBOOK ...]`.
"""

import json
import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 60.0  # seconds, all lectures together
PRETRAINED = ROOT / "snnlib" / "course" / "data" / "mnist_tutorial_params.npz"


def run_lecture(path):
    """Execute one notebook cell by cell; return (start-up s, run s, slowest cell, its s)."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    with client.setup_kernel(env=env):
        started = time.perf_counter()
        slowest, slowest_s = None, 0.0
        for index, cell in enumerate(nb.cells):
            t = time.perf_counter()
            client.execute_cell(cell, index)
            if time.perf_counter() - t > slowest_s:
                slowest, slowest_s = index, time.perf_counter() - t
        finished = time.perf_counter()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    if errors:
        raise RuntimeError(f"{path.name}: {errors[0].ename}: {errors[0].evalue}")
    return started - start, finished - started, slowest, slowest_s


def main(argv):
    json_path = None
    if "--json" in argv:
        i = argv.index("--json")
        json_path, argv = argv[i + 1], argv[:i] + argv[i + 2 :]
    paths = [Path(a) for a in argv] or sorted((ROOT / "course").glob("*.ipynb"))
    figures = {}
    print(f"Lecture run times (nbclient, kernel python3, {os.cpu_count()} cores)")
    print(f"{'notebook':<28} {'start-up s':>10} {'cells s':>8} {'slowest cell':>13} {'total s':>8}")
    total = 0.0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not PRETRAINED.exists() and any('"pretrained"' in c.source for c in nb.cells):
            print(f"{path.name:<28} skipped: needs {PRETRAINED.name}")
            continue
        startup, run, slowest, slowest_s = run_lecture(path)
        total += startup + run
        figures[path.stem] = {"startup_s": startup, "cells_s": run, "slowest_cell_s": slowest_s}
        print(
            f"{path.name:<28} {startup:>10.1f} {run:>8.1f} "
            f"{f'#{slowest} {slowest_s:.1f}s':>13} {startup + run:>8.1f}",
            flush=True,
        )
    print(
        f"{'all lectures':<28} {'':>10} {'':>8} {'':>13} {total:>8.1f}"
        f"   (budget {BUDGET:.0f} s: {'within' if total <= BUDGET else 'OVER'})"
    )
    figures["all_lectures_s"] = total
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
