"""Start-up time of the frozen app (goal: at most 3 s).

    python benchmarks/frozen_start.py [--dist dist/imrdesk] [--runs 5] [--check]

- window: from launching the windowed exe ``imrdesk --smoke-gui MS`` (Qt offscreen) to the moment its main
  window is first exposed, as the app prints it (``smoke-gui: shown <unix time>``);
- cli: wall time of ``imrdesk-cli --version``.
The same two figures from source (``python main.py``) are printed for comparison. ``--check`` exits 1
when a frozen median is over the goal. Build first: ``bash scripts/build_linux.sh``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 3.0


def _exe(dist: Path, name: str) -> Path:
    for candidate in (dist / name, dist / f"{name}.exe"):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{dist / name} not found: build it first (bash scripts/build_linux.sh)")


def time_window(cmd: list[str], env: dict) -> float:
    """Seconds from launch to the window's first expose, as the smoke mode reports it."""
    start = time.time()
    proc = subprocess.run(cmd + ["--smoke-gui", "200"], env=env, capture_output=True, text=True, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("smoke-gui: shown "):
            return float(line.split()[-1]) - start
    raise RuntimeError(f"{cmd} never showed its window:\n{proc.stdout}\n{proc.stderr}")


def time_version(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd + ["--version"], env=env, capture_output=True, check=True, timeout=120)
    return time.perf_counter() - start


def _row(label: str, times: list[float]) -> str:
    return (
        f"{label:28} median {statistics.median(times):6.3f} s   first {times[0]:6.3f} s   "
        f"min {min(times):6.3f} s   max {max(times):6.3f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "imrdesk", help="the one-folder build")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a frozen median is over {GOAL_S} s")
    parser.add_argument("--no-source", action="store_true", help="skip the from-source comparison")
    args = parser.parse_args()

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    gui, cli = _exe(args.dist, "imrdesk"), _exe(args.dist, "imrdesk-cli")
    source = [sys.executable, str(ROOT / "main.py")]
    frozen_window = [time_window([str(gui)], env) for _ in range(args.runs)]
    frozen_cli = [time_version([str(cli)], env) for _ in range(args.runs)]
    print(f"frozen start-up ({args.dist}, {args.runs} runs; goal <= {GOAL_S} s)")
    print(_row("frozen window shown", frozen_window))
    print(_row("frozen imrdesk-cli --version", frozen_cli))
    if not args.no_source:
        print(_row("source window shown", [time_window(source, env) for _ in range(args.runs)]))
        print(_row("source main.py --version", [time_version(source, env) for _ in range(args.runs)]))
    worst = max(statistics.median(frozen_window), statistics.median(frozen_cli))
    if args.check and worst > GOAL_S:
        print(f"FAIL: frozen start-up median {worst:.3f} s is over the {GOAL_S} s goal")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
