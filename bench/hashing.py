"""Hashing benchmark: `hallmark scan`'s hashing against sha256sum, b3sum and the model-signing
library on the same files in the same run, plus the cost of a rescan of 10,000 unchanged files,
and one large file (4 GiB where /tmp and memory allow) hashed for both digests against
`openssl speed sha256` on one core and model-signing's SHA-256 of the same file.

Run: .venv/bin/python bench/hashing.py [--large-mib 256 --large-files 4 --small-files 1000]
     [--single-gib 4 --runs 5]
Writes bench/results/hashing.json and prints markdown tables. b3sum (Debian package `b3sum`),
openssl and model-signing are measured when present; a missing one is reported, never faked.
The single-file figures are medians over rounds that alternate the contenders, so load from
other work on the machine falls on both alike.
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

from hallmark.inventory.hashing import blake3_threads_for, hash_file, large_files  # noqa: E402


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


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def openssl_sha256_one_core() -> float | None:
    """Bytes/s of `openssl speed -seconds 3 -bytes 16384 sha256` (one process, one core)."""
    if shutil.which("openssl") is None:
        return None
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "-bytes", "16384", "sha256"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == "sha256" and fields[-1].endswith("k"):
            return float(fields[-1][:-1]) * 1000  # openssl reports 1000s of bytes per second
    return None


def default_single_gib(folder: Path) -> float:
    """4 GiB when /tmp holds it twice over and memory can cache it; else the largest power of
    two (GiB) that does, so every contender reads from the page cache."""
    free_disk = shutil.disk_usage(folder).free
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        avail = free_disk
    gib = 4.0
    while gib > 0.25 and (gib * 2 * (1 << 30) > free_disk or gib * 1.5 * (1 << 30) > avail):
        gib /= 2
    return gib


def make_single(path: Path, size: int) -> None:
    block = os.urandom(64 << 20)
    with open(path, "wb") as fh:
        left = size
        i = 0
        while left > 0:
            piece = block[: min(left, len(block))]
            fh.write(i.to_bytes(8, "little") + piece[8:])  # no two blocks alike
            left -= len(piece)
            i += 1


def single_file(path: Path, runs: int) -> dict[str, object]:
    """One large file: Hallmark's both digests against model-signing's SHA-256 alone, in
    alternating rounds, and openssl's one-core SHA-256 before and after."""
    size = path.stat().st_size
    threads = blake3_threads_for(size, 1)
    ms_hash = None
    try:
        from model_signing import hashing

        ms_config = hashing.Config().use_file_serialization(hashing_algorithm="sha256")
        def ms_hash() -> object:  # noqa: E306
            return ms_config.hash(path.parent)
    except ImportError:
        pass
    load_before = os.getloadavg()[0]
    openssl_before = openssl_sha256_one_core()
    hash_file(path, threads)  # warm the page cache
    t_hm: list[float] = []
    t_ms: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        hash_file(path, threads)
        t_hm.append(time.perf_counter() - start)
        if ms_hash is not None:
            start = time.perf_counter()
            ms_hash()
            t_ms.append(time.perf_counter() - start)
    openssl_after = openssl_sha256_one_core()
    sslv = [v for v in (openssl_before, openssl_after) if v is not None]
    openssl = max(sslv) if sslv else None  # the faster of the two: the stricter baseline
    hm = size / median(t_hm)
    ms = size / median(t_ms) if t_ms else None
    return {
        "bytes": size, "runs": runs, "threads": threads, "cpus": os.cpu_count(),
        "load_average_1min (before, after)": [round(load_before, 2),
                                              round(os.getloadavg()[0], 2)],
        "throughput_mb_s": {
            "hallmark (sha256+blake3), median": round(hm / 1e6, 1),
            "hallmark (sha256+blake3), best": round(size / min(t_hm) / 1e6, 1),
            "model-signing sha256, median": None if ms is None else round(ms / 1e6, 1),
            "model-signing sha256, best": None if not t_ms else round(size / min(t_ms) / 1e6, 1),
            "openssl speed sha256, one core (before, after)":
                [None if v is None else round(v / 1e6, 1) for v in (openssl_before, openssl_after)],
        },
        "ratios": {
            "hallmark / openssl one-core sha256":
                None if openssl is None else round(hm / openssl, 3),
            "hallmark / model-signing sha256": None if ms is None else round(hm / ms, 3),
            "hallmark / model-signing sha256, per round (median)":
                None if not t_ms
                else round(median([m / h for h, m in zip(t_hm, t_ms, strict=True)]), 3),
        },
        "targets": {"hallmark / openssl one-core sha256": ">= 0.90",
                    "hallmark / model-signing sha256": ">= 1.15"},
    }


def hallmark_hash(paths: list[Path]) -> None:
    """As `hallmark scan` hashes: every file on a pool, the large ones sharing out the cores."""
    sizes = {p: p.stat().st_size for p in paths}
    large = large_files(sizes.values())
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda p: hash_file(p, blake3_threads_for(sizes[p], large)), paths))


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
    parser.add_argument("--single-gib", type=float, default=None,
                        help="size of the one large file (default: 4, or what /tmp and memory fit)")
    parser.add_argument("--runs", type=int, default=5, help="rounds for the one large file")
    parser.add_argument("--skip-many", action="store_true",
                        help="only the one large file (no many-file set, no rescan)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        gib = args.single_gib or default_single_gib(Path(tmp))
        one = Path(tmp) / "one" / "model.safetensors"
        one.parent.mkdir()
        make_single(one, int(gib * (1 << 30)))
        single = single_file(one, args.runs)
    print_single(single)
    if args.skip_many:
        write({"single_file": single})
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        paths = make_files(folder, args.large_files, args.large_mib, args.small_files,
                           args.small_kib)
        total = sum(p.stat().st_size for p in paths)
        hallmark_hash(paths)  # warm the page cache so every contender reads from memory
        t_hallmark = best_of(3, lambda: hallmark_hash(paths))
        t_hallmark_med = median([best_of(1, lambda: hallmark_hash(paths)) for _ in range(5)])
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
            "hallmark (sha256+blake3, one pass), median of 5": mbps(t_hallmark_med),
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
                    "rescan_fraction": "<= 0.10", "many-file MB/s": ">= 1711"},
        "single_file": single,
    }
    write(result)
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


def write(result: dict[str, object]) -> None:
    out = ROOT / "bench" / "results" / "hashing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


def print_single(single: dict[str, object]) -> None:
    tp = single["throughput_mb_s"]
    rt = single["ratios"]
    assert isinstance(tp, dict) and isinstance(rt, dict)
    size = single["bytes"]
    assert isinstance(size, int)
    print(f"one file of {size / (1 << 30):.2f} GiB, page cache warm, {single['runs']} "
          f"alternating rounds, {single['threads']} threads, load average "
          f"{single['load_average_1min (before, after)']} on {single['cpus']} cores\n")
    print("| measurement | value | target |\n|---|---|---|")
    for name, value in tp.items():
        print(f"| {name} MB/s | {value if value is not None else 'not installed'} | |")
    for name, value in rt.items():
        target = single["targets"].get(name, "")  # type: ignore[attr-defined]
        print(f"| {name} | {value if value is not None else 'n/a'} | {target} |")
    print()


if __name__ == "__main__":
    main()
