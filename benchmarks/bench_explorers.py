"""How long each lecture's explorer takes to appear and to respond to its controls.

    python benchmarks/bench_explorers.py [--json PATH] [--wait 60]

Each explorer is timed in a fresh Python process, kernel side (what the
student waits for before the browser draws the new picture, which adds a
fraction of a second): after the lecture's imports,

- appear: calling the explorer, which computes and draws its first figure;
- at once: moving each control to another value right after it appeared, one
  after another (for the network explorer, to settings that its background
  thread has queued but not computed yet);
- after a minute: the same moves back again once the page has been open for
  ``--wait`` seconds (the network explorer's background runs have finished).

The slowest response of each kind is reported. The course's targets: appear
within 3 s; respond within 3 s at once and within 1 s after a minute.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPLORERS = [
    "input_explorer",
    "convolution_explorer",
    "tuning_explorer",
    "lif_explorer",
    "impulse_explorer",
    "synapse_explorer",
    "network_explorer",
]

# Run in a child process: time the explorer, then its controls. A control is
# moved to a value it does not have (the next option, or one step up), which
# makes ipywidgets call the explorer's update at once, as a click would.
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from snnlib.course import widgets
imports = time.perf_counter() - t0

def others(control):
    if hasattr(control, "options"):
        labels = list(control.options)
        values = [o[1] if isinstance(o, tuple) else o for o in labels]
        return [v for v in values if v != control.value]
    step = getattr(control, "step", 1) or 1
    up = control.value + 3 * step
    return [up if up <= control.max else control.value - 3 * step]

def move_all(controls, pick):
    worst = 0.0
    for control in controls:
        choices = others(control)
        value = pick(choices)
        start = time.perf_counter()
        control.value = value
        worst = max(worst, time.perf_counter() - start)
    return worst

name, wait = sys.argv[1], float(sys.argv[2])
start = time.perf_counter()
widget = getattr(widgets, name)()
appear = time.perf_counter() - start
controls = [c for c in widget.children if hasattr(c, "value") and hasattr(c, "description")]
controls = [c for c in controls if c.description]
at_once = move_all(controls, lambda choices: choices[-1])  # the last queued, for the network
thread = getattr(widget, "precompute_thread", None)
deadline = start + wait
if thread is not None:
    thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    background_done = not thread.is_alive()
else:
    background_done = None
time.sleep(max(0.0, deadline - time.perf_counter()))
later = move_all(controls, lambda choices: choices[0])
print(json.dumps({"imports_s": imports, "appear_s": appear, "at_once_s": at_once,
                  "after_wait_s": later, "background_done": background_done,
                  "controls": len(controls)}))
"""


def time_explorer(name, wait):
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, name, str(wait)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--wait", type=float, default=60, help="seconds before the later moves (default 60)"
    )
    args = parser.parse_args(argv)
    figures = {}
    print(f"Explorers, kernel side ({os.cpu_count()} cores); targets: appear <= 3 s, ")
    print("respond <= 3 s at once, <= 1 s after a minute")
    print(f"{'explorer':<22} {'controls':>8} {'appear s':>9} {'at once s':>10} {'later s':>8}")
    for name in EXPLORERS:
        # only the network explorer has background work to wait for
        figures[name] = t = time_explorer(name, args.wait if name == "network_explorer" else 1)
        print(
            f"{name:<22} {t['controls']:>8} {t['appear_s']:>9.2f} {t['at_once_s']:>10.2f} "
            f"{t['after_wait_s']:>8.2f}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
