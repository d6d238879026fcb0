"""Ledger benchmark: sustained appends (SQLite, PostgreSQL), proof size and verification time,
and `ledger verify` on a 1,000,000-entry log. Writes bench/results/ledger.json and prints a
markdown table.

    python bench/ledger.py [--entries 1000000] [--seconds 5] [--pg URL]

PostgreSQL runs when --pg or HALLMARK_TEST_PG_URL names a server (a scratch schema is made and
dropped). Baselines measured in the same run: a bare sqlite3 INSERT+COMMIT loop with the same
durability settings (the floor any SQLite log pays), and plain SHA-256 over the same entries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from hallmark.ledger import log, merkle
from hallmark.ledger.log import LogWriter, Signer
from hallmark.ledger.verify import verify_log
from hallmark.store.db import normalise_url
from hallmark.vault import Vault

RESULTS = Path(__file__).parent / "results" / "ledger.json"
PAYLOAD = {"sha256": "ab" * 32, "path": "models/llama-ft/model.safetensors", "size": 1 << 30}


def _sqlite_engine(url: str, synchronous: str) -> sa.Engine:
    """Like hallmark.store.db's engine, but with another `synchronous` setting."""
    engine = sa.create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=0,
                              connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _vault(tmp: Path, name: str, db_url: str = "") -> Vault:
    os.environ.pop("HALLMARK_DB_URL", None)
    if db_url:
        os.environ["HALLMARK_DB_URL"] = db_url
    return Vault.create(tmp / name, db_url or None)


def sustained(vault: Vault, seconds: float, per_txn: int) -> float:
    """Appends per second over `seconds`, `per_txn` events per transaction."""
    done, i = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        with vault.transaction("bench") as txn:
            for _ in range(per_txn):
                txn.log.append("bench.append", {**PAYLOAD, "i": i}, [f"a{i % 1000:04d}"])
                i += 1
        done += per_txn
    return done / (time.perf_counter() - start)


def sqlite_floor(path: Path, seconds: float, synchronous: str) -> float:
    """Bare sqlite3: one INSERT + COMMIT per transaction, same journal and sync settings."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, entry BLOB)")
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?, ?)", (done, json.dumps(PAYLOAD).encode()))
        db.execute("COMMIT")
        done += 1
    db.close()
    return done / (time.perf_counter() - start)


def bulk_fill(vault: Vault, total: int, per_txn: int = 50_000) -> float:
    """Append `total` events in big transactions; returns seconds taken."""
    signer = Signer(vault.origin, vault.key_name, vault.signing_key)
    start = time.perf_counter()
    i = 0
    while i < total:
        with vault.engine.begin() as conn:
            writer = LogWriter.begin(conn, signer, "bench")
            for _ in range(min(per_txn, total - i)):
                writer.append("bench.append", {**PAYLOAD, "i": i}, [f"a{i % 1000:04d}"])
                i += 1
            writer.close()
        print(f"  filled {i:,}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return time.perf_counter() - start


def proofs(vault: Vault, samples: int = 2000) -> dict[str, Any]:
    """Proof sizes, generation time (O(log n) reads) and pure verification time."""
    rng = random.Random(7)
    with vault.read() as conn:
        size, root = log.head(conn)
        picked = [rng.randrange(size) for _ in range(samples)]
        start = time.perf_counter()
        made = []
        for seq in picked:
            reader = log.NodeReader(conn)
            made.append((seq, merkle.leaf_hash(log.event(conn, seq)["entry"]),
                         merkle.inclusion_proof(seq, size, reader), len(reader.cache)))
        generate = (time.perf_counter() - start) / samples
    start = time.perf_counter()
    for seq, leaf, path, _ in made:
        assert merkle.verify_inclusion(seq, size, leaf, path, root)
    check = (time.perf_counter() - start) / samples
    longest = max(len(p) for _, _, p, _ in made)
    return {"tree_size": size, "verify_us": check * 1e6, "generate_ms": generate * 1e3,
            "max_proof_bytes": 32 * longest, "bound_bytes": 32 * math.ceil(math.log2(size)),
            "max_node_reads": max(r for *_, r in made)}


def full_verify(vault: Vault) -> dict[str, Any]:
    """`ledger verify` on the whole log, and SHA-256 over the same entry bytes as baseline."""
    with vault.read() as conn:
        report = verify_log(conn, vault.origin, vault.key_name, vault.signing_key.public_key())
        assert report.ok, report.problem
        start = time.perf_counter()
        for row in conn.execute(sa.text("SELECT entry FROM events ORDER BY seq")):
            hashlib.sha256(b"\0" + row.entry).digest()
        baseline = time.perf_counter() - start
    return {"entries": report.size, "seconds": report.seconds, "sha256_scan_seconds": baseline}


def _pg_schema(url: str) -> tuple[str, Any]:
    admin = sa.create_engine(normalise_url(url))
    schema = "bench_" + uuid.uuid4().hex[:10]
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    return f"{normalise_url(url)}{sep}options=-csearch_path%3D{schema}", (admin, schema)


def main() -> None:
    """Run every measurement and write the results."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--batch", type=int, default=100, help="events per transaction, batched")
    ap.add_argument("--pg", default=os.environ.get("HALLMARK_TEST_PG_URL"))
    args = ap.parse_args()
    results: dict[str, Any] = {"machine": platform.platform(), "cpus": os.cpu_count(),
                               "python": platform.python_version()}
    with tempfile.TemporaryDirectory(prefix="hallmark-bench-") as tmpdir:
        tmp = Path(tmpdir)
        appends: dict[str, float] = {}
        v = _vault(tmp, "shipped")
        appends["sqlite (as shipped: WAL, synchronous=NORMAL), 1/txn"] = sustained(
            v, args.seconds, 1)
        appends[f"sqlite (as shipped: WAL, synchronous=NORMAL), {args.batch}/txn"] = sustained(
            v, args.seconds, args.batch)
        v.engine.dispose()
        v.__dict__["engine"] = _sqlite_engine(v.db_url, "FULL")  # fsync per commit, for contrast
        appends["sqlite (WAL, synchronous=FULL), 1/txn"] = sustained(v, args.seconds, 1)
        v.close()
        for sync in ("FULL", "NORMAL"):
            appends[f"baseline: bare sqlite3 INSERT+COMMIT, synchronous={sync}"] = sqlite_floor(
                tmp / f"floor-{sync}.db", args.seconds, sync)
        if args.pg:
            url, (admin, schema) = _pg_schema(args.pg)
            try:
                pv = _vault(tmp, "pg", url)
                appends["postgresql (synchronous_commit=on), 1/txn"] = sustained(
                    pv, args.seconds, 1)
                appends[f"postgresql, {args.batch}/txn"] = sustained(pv, args.seconds, args.batch)
                pv.close()
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                os.environ.pop("HALLMARK_DB_URL", None)
        results["appends_per_second"] = appends
        big = _vault(tmp, "million")
        big.__dict__["engine"] = _sqlite_engine(big.db_url, "NORMAL")
        results["fill_seconds"] = bulk_fill(big, args.entries)
        results["proofs"] = proofs(big)
        results["verify"] = full_verify(big)
        big.close()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(results))


def _table(r: dict[str, Any]) -> str:
    lines = ["| measurement | value | target / baseline |", "|---|---|---|"]
    floors = {k: v for k, v in r["appends_per_second"].items() if k.startswith("baseline")}
    for name, rate in r["appends_per_second"].items():
        if name.startswith("baseline"):
            continue
        floor = next((f for k, f in floors.items() if name.split("synchronous=")[-1][:4] in k
                      and "sqlite" in name), None)
        ratio = f"; {rate / floor:.2f}x of bare sqlite3" if floor else ""
        lines.append(f"| appends/s, {name} | {rate:,.0f} | >= 2,000{ratio} |")
    for name, rate in floors.items():
        lines.append(f"| {name} | {rate:,.0f} | (floor) |")
    p, v = r["proofs"], r["verify"]
    lines += [
        f"| bulk fill {p['tree_size']:,} entries (50k/txn) | {r['fill_seconds']:.1f} s | |",
        f"| inclusion-proof verification, n = {p['tree_size']:,} | {p['verify_us']:.1f} us "
        "| < 50 us |",
        f"| inclusion-proof generation (reads) | {p['generate_ms']:.2f} ms, <= "
        f"{p['max_node_reads']} node reads | O(log n) |",
        f"| proof size (max) | {p['max_proof_bytes']} B | <= {p['bound_bytes']} B |",
        f"| `ledger verify`, {v['entries']:,} entries | {v['seconds']:.1f} s | "
        f"{v['seconds'] / v['sha256_scan_seconds']:.1f}x a bare SHA-256 scan "
        f"({v['sha256_scan_seconds']:.1f} s) |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
