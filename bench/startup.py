"""Start-up benchmark: how long a whole `hallmark` process takes, the way users run it.

Whole-process wall time (fork to exit, output to a pipe) of:
  * `python -c pass`, the floor every Python program pays, measured in the same run;
  * `hallmark --help`, `hallmark --version` (no vault, no database);
  * `hallmark assets --json` on an empty vault and on a 10,000-asset vault.
The 10,000 assets are real: 10,000 tiny files scanned with `hallmark scan` (the register, the
metadata and the log entries exactly as a user's scan writes them), on the vault's own SQLite.
The commands run round-robin so that load from other work spreads over all of them; each figure
is the median of --runs runs (min and max alongside), with its difference from and ratio to the
floor, and the median CPU time (user + system) of the process: on a shared machine the wall time
moves with other people's load, the CPU time much less. With --baseline-src DIR (a checkout's
src/ folder, e.g. of the commit before this work: `git archive REV src | tar -x -C /tmp/b`),
the same commands also run on that code in the same rounds (PYTHONPATH=DIR), so before and
after compare under the same load.

    python bench/startup.py [--runs N] [--assets N] [--baseline-src DIR]

Targets (issue 16): `--help` <= 0.25 s, `assets --json` on 10,000 assets <= 0.6 s.
Writes bench/results/startup.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "results"
TARGETS = {"hallmark --help": 0.25, "hallmark assets --json (10k)": 0.6}


def _hallmark() -> list[str]:
    script = Path(sys.executable).parent / "hallmark"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hallmark.cli.main"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("HALLMARK_VAULT", "HALLMARK_DB_URL"):
        env.pop(name, None)
    return env


def _once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def make_vault(root: Path, n_assets: int) -> float:
    """A vault at `root` holding `n_assets` scanned tiny files; the scan's seconds."""
    data = root / "data"
    for i in range(n_assets):
        folder = data / f"d{i // 500:03d}"
        if i % 500 == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:05d}.txt").write_text(f"row {i}\n")
    env = _env()
    subprocess.run([*_hallmark(), "init", str(root)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    subprocess.run([*_hallmark(), "scan", "data", "--json"], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--baseline-src", type=Path, default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hallmark-bench-startup-"))
    try:
        empty, full = tmp / "empty", tmp / "full"
        empty.mkdir()
        subprocess.run([*_hallmark(), "init", str(empty)], env=_env(), check=True,
                       stdout=subprocess.DEVNULL)
        scan_s = make_vault(full, args.assets)
        nowhere = tmp / "no-vault"
        nowhere.mkdir()
        label_full = f"hallmark assets --json ({args.assets // 1000}k)"
        cases: dict[str, tuple[list[str], Path]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], nowhere),
            "hallmark --help": ([*_hallmark(), "--help"], nowhere),
            "hallmark --version": ([*_hallmark(), "--version"], nowhere),
            "hallmark assets --json (empty vault)": ([*_hallmark(), "assets", "--json"], empty),
            label_full: ([*_hallmark(), "assets", "--json"], full),
        }
        env = _env()
        envs = {name: env for name in cases}
        if args.baseline_src:
            before = _env()
            before["PYTHONPATH"] = str(args.baseline_src.resolve())
            # What the console script runs, on the baseline's code.
            script = [sys.executable, "-c", "import sys; from hallmark.cli.main import main; "
                      "sys.argv[0] = 'hallmark'; main()"]
            for name, (argv, cwd) in list(cases.items()):
                if name.startswith("hallmark") and "--version" not in name:
                    cases[f"baseline: {name}"] = ([*script, *argv[len(_hallmark()):]], cwd)
                    envs[f"baseline: {name}"] = before
        for name, (argv, cwd) in cases.items():  # warm the page cache and the bytecode caches
            _once(argv, cwd, envs[name])
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, cwd) in cases.items():
                wall, cpu = _once(argv, cwd, envs[name])
                times[name].append(wall)
                cpus[name].append(cpu)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    floor = statistics.median(times["python -c pass"])
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        target = TARGETS.get(name)
        base = times.get(f"baseline: {name}")
        rows.append({
            "command": name, "median_s": round(med, 4), "min_s": round(min(ts), 4),
            "max_s": round(max(ts), 4), "minus_floor_s": round(med - floor, 4),
            "ratio_to_floor": round(med / floor, 1), "target_s": target,
            "met": None if target is None else med <= target,
            "speedup_vs_baseline": round(statistics.median(base) / med, 2) if base else None,
            "cpu_median_s": round(statistics.median(cpus[name]), 4),
        })
    result = {
        "benchmark": "startup", "runs": args.runs, "assets": args.assets,
        "scan_seconds": round(scan_s, 2), "floor": "python -c pass",
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "rows": rows,
        "baseline_src": str(args.baseline_src) if args.baseline_src else None,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "startup.json").write_text(json.dumps(result, indent=2) + "\n")

    print(f"Whole-process wall time, median of {args.runs} runs (round-robin); floor = "
          f"`python -c pass` in the same run; load average at the end "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.\n")
    print("| command | median s | min–max s | − floor s | × floor | × faster than baseline "
          "| CPU s (median) | target |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        target = "" if r["target_s"] is None else \
            f"≤ {r['target_s']} s {'✔' if r['met'] else '✘'}"
        faster = "" if r["speedup_vs_baseline"] is None else f"{r['speedup_vs_baseline']}"
        print(f"| `{r['command']}` | {r['median_s']:.3f} | {r['min_s']:.3f}–{r['max_s']:.3f} | "
              f"{r['minus_floor_s']:.3f} | {r['ratio_to_floor']} | {faster} | "
              f"{r['cpu_median_s']:.3f} | {target} |")
    print(f"\n({args.assets:,} assets created by `hallmark scan` of as many tiny files: "
          f"{scan_s:.1f} s.)")


if __name__ == "__main__":
    main()
