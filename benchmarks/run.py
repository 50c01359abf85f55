"""Run every benchmark (`make bench`): print their tables, write benchmarks/results.json.

    python benchmarks/run.py [NAME ...]     e.g. python benchmarks/run.py simulator explorers

Each ``bench_<name>.py`` runs in its own process with ``--json``, so that one
benchmark's memory and threads do not change another's figures; the figures
are gathered under ``<name>`` in ``results.json``, with the machine they were
measured on. Speeds depend on the machine and on what else runs on it: compare
the ratios measured in one run (against Nengo, against the GEMM bound), not
absolute times from different machines.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
ORDER = ["simulator", "explorers", "mnist", "lectures", "grading", "site"]


def machine():
    import numpy as np

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "all cores"),
        "load_average_at_start": os.getloadavg()[0],
    }


def main(names):
    scripts = {p.stem.removeprefix("bench_"): p for p in HERE.glob("bench_*.py")}
    unknown = set(names) - set(scripts)
    if unknown:
        sys.exit(f"benchmarks/run.py: no benchmark {sorted(unknown)}; there are {sorted(scripts)}")
    # some benchmarks: update their figures in results.json; all: write it anew
    results = json.loads(RESULTS.read_text()) if names and RESULTS.exists() else {}
    names = names or sorted(scripts, key=lambda n: (ORDER + [n]).index(n))
    results["machine"] = machine()
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            print(f"\n== {scripts[name].name} ==", flush=True)
            out = Path(tmp) / f"{name}.json"
            start = time.perf_counter()
            subprocess.run([sys.executable, str(scripts[name]), "--json", str(out)], check=True)
            results[name] = json.loads(out.read_text())
            results[name]["benchmark_s"] = round(time.perf_counter() - start, 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
