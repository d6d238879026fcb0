"""Hashing benchmark: `hallmark scan`'s hashing against sha256sum, b3sum and the model-signing
library on the same files in the same run, plus the cost of a rescan of 10,000 unchanged files.

Run: .venv/bin/python bench/hashing.py [--large-mib 256 --large-files 4 --small-files 1000]
Writes bench/results/hashing.json and prints a markdown table. b3sum (Debian package `b3sum`)
and model-signing are measured when present; a missing one is reported, never faked.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hallmark.inventory.hashing import blake3_threads_for, hash_file  # noqa: E402


def make_files(folder: Path, large: int, large_mib: int, small: int, small_kib: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(large):
        p = folder / f"shard-{i:02d}.safetensors"
        with open(p, "wb") as fh:
            for _ in range(large_mib):
                fh.write(os.urandom(1 << 20))
        paths.append(p)
    for i in range(small):
        p = folder / f"small-{i:05d}.bin"
        p.write_bytes(os.urandom(small_kib << 10))
        paths.append(p)
    return paths


def best_of(runs: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def hallmark_hash(paths: list[Path]) -> None:
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda p: hash_file(p, blake3_threads_for(p.stat().st_size, len(paths))),
                      paths))


def tool(cmd: str, folder: Path) -> float | None:
    if shutil.which(cmd) is None:
        return None
    files = sorted(str(p) for p in folder.iterdir())
    return best_of(3, lambda: subprocess.run([cmd, *files], check=True, capture_output=True))


def model_signing_time(folder: Path, algorithm: str) -> float | None:
    try:
        from model_signing import hashing
    except ImportError:
        return None
    config = hashing.Config().use_file_serialization(hashing_algorithm=algorithm)
    return best_of(3, lambda: config.hash(folder))


def scan_times(n_files: int) -> tuple[float, float]:
    from hallmark import Vault, services

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "many"
        project.mkdir()
        for i in range(n_files):
            (project / f"f{i:05d}.txt").write_text(f"file {i}\n")
        vault = Vault.create(Path(tmp))
        def scan() -> object:
            return services.inventory.scan(vault, [project], actor="bench")

        first = best_of(1, scan)
        rescan = best_of(3, scan)
        vault.close()
    return first, rescan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large-files", type=int, default=4)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--small-files", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=64)
    parser.add_argument("--rescan-files", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        paths = make_files(folder, args.large_files, args.large_mib, args.small_files,
                           args.small_kib)
        total = sum(p.stat().st_size for p in paths)
        hallmark_hash(paths)  # warm the page cache so every contender reads from memory
        t_hallmark = best_of(3, lambda: hallmark_hash(paths))
        t_sha256sum = tool("sha256sum", folder)
        t_b3sum = tool("b3sum", folder)
        t_ms_sha = model_signing_time(folder, "sha256")
        t_ms_b3 = model_signing_time(folder, "blake3")
    first, rescan = scan_times(args.rescan_files)

    def mbps(t: float | None) -> float | None:
        return None if t is None else round(total / t / 1e6, 1)

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(b / a, 3)

    result = {
        "bytes": total, "files": len(paths), "cpus": os.cpu_count(),
        "throughput_mb_s": {
            "hallmark (sha256+blake3, one pass)": mbps(t_hallmark),
            "sha256sum": mbps(t_sha256sum), "b3sum": mbps(t_b3sum),
            "model-signing sha256": mbps(t_ms_sha), "model-signing blake3": mbps(t_ms_b3),
        },
        "ratios": {
            "hallmark / sha256sum": ratio(t_hallmark, t_sha256sum),
            "hallmark / b3sum": ratio(t_hallmark, t_b3sum),
            "hallmark / model-signing sha256": ratio(t_hallmark, t_ms_sha),
            "hallmark / model-signing blake3": ratio(t_hallmark, t_ms_b3),
        },
        "rescan": {"files": args.rescan_files, "first_scan_s": round(first, 3),
                   "rescan_s": round(rescan, 3), "rescan_fraction": round(rescan / first, 4)},
        "targets": {"vs model-signing": ">= 1.15", "vs raw tool": ">= 0.90",
                    "rescan_fraction": "<= 0.10"},
    }
    out = ROOT / "bench" / "results" / "hashing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| contender | MB/s | hallmark's ratio |\n|---|---|---|")
    names = {"sha256sum": "hallmark / sha256sum", "b3sum": "hallmark / b3sum",
             "model-signing sha256": "hallmark / model-signing sha256",
             "model-signing blake3": "hallmark / model-signing blake3"}
    for name, value in result["throughput_mb_s"].items():
        r = result["ratios"].get(names.get(name, ""), "")
        print(f"| {name} | {value if value is not None else 'not installed'} | {r or ''} |")
    rs = result["rescan"]
    print(f"\nrescan of {rs['files']} unchanged files: {rs['rescan_s']} s vs first scan "
          f"{rs['first_scan_s']} s ({rs['rescan_fraction']:.1%})")


if __name__ == "__main__":
    main()
