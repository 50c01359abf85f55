"""How long the course website takes to build, cold and from its caches, and its size.

Builds the site as `make site` does (site/conf.py, ``sphinx-build -E -W``) twice,
into a temporary folder:

- cold: no execution cache, so every lecture runs and every explorer's frames
  are drawn (a thread draws them while the lectures run);
- cached: again into the same folder, where myst-nb's execution cache now
  holds every lecture and the frames are drawn already: every page is still
  read and written afresh (-E), but nothing runs.

Prints the two times, then the site's size and what takes the room. Needs
site/node_modules (``make site-assets``).

Run with `make bench` or `python benchmarks/bench_site.py [--json PATH]`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(outdir):
    """Build the site into ``outdir``; return the seconds it took."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [
        sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
        "-c", str(ROOT / "site"), "-d", str(outdir.parent / "doctrees"), str(ROOT), str(outdir),
    ]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench_site: the site did not build:\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds


def megabytes(path):
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main(argv=None):
    argv = list(argv or [])
    json_path = argv[argv.index("--json") + 1] if "--json" in argv else None
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "html"  # the execution cache goes beside it, in tmp
        cold = build(html)
        cached = build(html)
        size = megabytes(html)
        parts = sorted(((megabytes(p), p.name) for p in html.iterdir()), reverse=True)

    print(f"The course website (Sphinx, myst-nb), {os.cpu_count()} cores")
    print(f"{'build':<44} {'s':>6}")
    print(f"{'cold: every lecture run, frames drawn':<44} {cold:>6.1f}")
    print(f"{'cached: nothing run, every page rebuilt':<44} {cached:>6.1f}")
    print(f"\nsize of the site: {size:.1f} MB; the largest parts:")
    for mb, name in parts[:6]:
        print(f"  {name:<30} {mb:>6.1f} MB")
    figures = {
        "build_cold_s": round(cold, 1),
        "build_cached_s": round(cached, 1),
        "size_mb": round(size, 1),
    }
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
