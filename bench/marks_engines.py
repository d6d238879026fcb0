"""Engines benchmark: marking and mark-reading throughput with 1 worker vs every core (and a
Dask LocalCluster), on a synthetic table streamed from disk as `share` and `trace` do.

Run: .venv/bin/python bench/marks_engines.py [--rows 200000] [--repeats 3] [--no-dask]
Writes bench/results/marks_engines.json and prints a markdown table. Each engine's copy is
checked byte-identical to the 1-worker copy; the baseline is a pyarrow read+write of the same
file in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hallmark.marks import tabular_io  # noqa: E402
from hallmark.marks.codes import TardosParams, derive_key  # noqa: E402
from hallmark.marks.columns import profile_batches  # noqa: E402
from hallmark.marks.engines import DaskEngine, Engine, LocalEngine, cpu_count  # noqa: E402
from hallmark.marks.tabular import (  # noqa: E402
    Extraction,
    KeyMaterial,
    extract_task,
    make_plan,
    mark_task,
)
from marks_tabular import KEY, synthetic  # noqa: E402


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_format(fmt: str, rows: int, repeats: int, engines: dict[str, Engine], tmp: Path
               ) -> dict[str, Any]:
    path = tmp / f"t.{fmt}"
    table = synthetic(rows)
    if fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    source = tabular_io.open_table(path)
    profiles = profile_batches(source.schema, source.batches(), derive_key(KEY, "fp"))
    plan = make_plan(profiles, TardosParams(1000, 5, 1e-6))
    material = KeyMaterial(KEY, "bench", plan)

    def copy_through(engine: Engine, out: Path) -> None:
        with tabular_io.atomic_writer(out, fmt, source.schema) as writer:
            for marked, _ in engine.map_batches(mark_task, source.batches(), plan, material,
                                                "sh-bench"):
                writer.write(marked)

    def baseline() -> None:
        with tabular_io.atomic_writer(tmp / f"plain.{fmt}", fmt, source.schema) as writer:
            for batch in source.batches():
                writer.write(batch)

    mapping = {f"k{i}": k["index"] for i, k in enumerate(plan["key_columns"])}
    mapping |= {f"m{i}": m["index"] for i, m in enumerate(plan["mark_columns"])}

    def read_marks(engine: Engine, suspect: Path) -> None:
        extraction = Extraction()
        for part in engine.map_batches(extract_task, tabular_io.open_table(suspect).batches(),
                                       plan, mapping, material):
            extraction.merge(part)
        extraction.finish()

    result: dict[str, Any] = {"format": fmt, "rows": rows, "batches": sum(
        1 for _ in source.batches()), "marked_columns": [m["name"] for m in plan["mark_columns"]],
        "read_write_rows_per_s": round(rows / best(baseline, repeats))}
    reference = tmp / f"ref.{fmt}"
    copy_through(LocalEngine(1), reference)
    for name, engine in engines.items():
        out = tmp / f"{name}.{fmt}"
        mark_s = best(lambda e=engine, o=out: copy_through(e, o), repeats)
        identical = out.read_bytes() == reference.read_bytes()
        read_s = best(lambda e=engine: read_marks(e, reference), repeats)
        result[name] = {"workers": engine.workers, "mark_rows_per_s": round(rows / mark_s),
                        "read_marks_rows_per_s": round(rows / read_s), "identical": identical}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    started = time.perf_counter()
    engines: dict[str, Engine] = {"local-1": LocalEngine(1), "local-all": LocalEngine()}
    cluster = None
    if not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=cpu_count(),
                               dashboard_address=None)
        engines["dask-local"] = DaskEngine(cluster.scheduler_address)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            runs = [run_format(fmt, args.rows, args.repeats, engines, Path(tmp))
                    for fmt in ("csv", "parquet")]
    finally:
        for engine in engines.values():
            engine.close()
        if cluster is not None:
            cluster.close()
    results = {"cores": cpu_count(), "runs": runs,
               "seconds": round(time.perf_counter() - started, 1)}
    out = ROOT / "bench" / "results" / "marks_engines.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{args.rows:,} rows, {results['cores']} cores, {results['seconds']} s\n")
    print("| format | engine | workers | mark (read+mark+write) | read marks | identical |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        print(f"| {run['format']} | pyarrow read+write | | {run['read_write_rows_per_s']:,} rows/s"
              " | | |")
        for name in engines:
            r = run[name]
            print(f"| {run['format']} | {name} | {r['workers']} | {r['mark_rows_per_s']:,} rows/s"
                  f" | {r['read_marks_rows_per_s']:,} rows/s | {r['identical']} |")


if __name__ == "__main__":
    main()
