"""Access-decision benchmark: 1,000 agreements over 10,000 assets.

Measures, on the compiled engine the service uses (`hallmark.policy.decide.Engine`):
single-request latency (p50/p99) and batched throughput, against a baseline measured in the
same run: cedarpy on the whole, unsliced policy set (what a naive integration would do). Also
times the cold compile, and the full service path `decide(vault, ...)` on a real SQLite vault
holding the same agreements and assets (cached snapshot, with and without the log write).

    python bench/policy.py [--quick]

Writes bench/results/policy.json and bench/results/policy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import cedarpy

from hallmark.policy.compile import AgreementInput, PermitTerm, compile_policies
from hallmark.policy.decide import Engine, Request

N_AGREEMENTS, N_ASSETS, N_ORGS = 1000, 10_000, 200
ACTIONS = ("share", "download", "train", "evaluate", "redistribute", "commercial-use")
PURPOSES = ("research", "diagnostics", "benchmarking")
OUT = Path(__file__).parent / "results"


def world(seed: int = 1) -> tuple[list[AgreementInput], dict[str, str | None], list[str],
                                  dict[str, dict[str, str]]]:
    """Agreements, the party graph, assets and owners, reproducibly random."""
    rnd = random.Random(seed)
    parents: dict[str, str | None] = {"acme": None}
    for o in range(N_ORGS):
        parents[f"org{o}"] = None
        for t in ("research", "sales"):
            parents[f"org{o}/{t}"] = f"org{o}"
        parents[f"person{o}"] = f"org{o}/research"
    assets = [f"{i:012x}" for i in range(N_ASSETS)]
    owners = {a: {"acme": "asset register"} for a in assets[: N_ASSETS // 2]}
    ags = []
    for n in range(N_AGREEMENTS):
        org = f"org{n % N_ORGS}"
        start = date(2026, 1, 1) + timedelta(days=rnd.randint(-365, 200))
        permits = tuple(PermitTerm(
            org, (f"{org}/research",) if rnd.random() < 0.7 else None,
            tuple(rnd.sample(ACTIONS[:4], rnd.randint(1, 3))),
            tuple(rnd.sample(PURPOSES, 1)) if rnd.random() < 0.6 else None)
            for _ in range(rnd.randint(1, 2)))
        ags.append(AgreementInput(
            f"ag{n}", 1, "data-use", ("acme", org), "acme", start,
            start + timedelta(days=rnd.randint(200, 1000)), None,
            frozenset(rnd.sample(assets, rnd.randint(5, 60))), permits,
            ("redistribute", "commercial-use")))
    return ags, parents, assets, owners


def requests(ags: list[AgreementInput], assets: list[str], n: int, seed: int = 2) -> list[Request]:
    """A mix: half aimed at what an agreement covers, half at anything."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        ag = rnd.choice(ags)
        org = ag.parties[1]
        principal = rnd.choice([org, f"{org}/research", f"{org}/sales", f"person{org[3:]}"])
        asset = rnd.choice(sorted(ag.covers)) if rnd.random() < 0.5 else rnd.choice(assets)
        at = date(2026, 1, 1) + timedelta(days=rnd.randint(-100, 700))
        out.append(Request(principal, asset, rnd.choice(ACTIONS), at,
                           rnd.choice((None, *PURPOSES))))
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_engine(quick: bool) -> dict[str, object]:
    """Compile, then single and batched decisions, and the unsliced baseline."""
    ags, parents, assets, owners = world()
    t0 = time.perf_counter()
    compiled = compile_policies(ags, parents, {}, owners, assets)
    engine = Engine(compiled)
    compile_s = time.perf_counter() - t0
    n_single = 2000 if quick else 10_000
    reqs = requests(ags, assets, n_single)
    engine.decide(reqs)  # steady state: every slice these requests need is parsed once
    reached = sum(engine._slice(r)[1] is not None for r in reqs)
    lat, cpu_lat = [], []
    allowed = 0
    for r in reqs:
        t, c = time.perf_counter(), time.thread_time()
        d = engine.decide([r])[0]
        cpu_lat.append(time.thread_time() - c)
        lat.append(time.perf_counter() - t)
        allowed += d.allowed
    n_batch = 20_000 if quick else 100_000
    batch_reqs = requests(ags, assets, n_batch, seed=3)
    t = time.perf_counter()
    for i in range(0, n_batch, 1000):
        engine.decide(batch_reqs[i:i + 1000])
    cold_batch_s = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    for i in range(0, n_batch, 1000):
        engine.decide(batch_reqs[i:i + 1000])
    batch_s, batch_cpu = time.perf_counter() - t, time.process_time() - c
    to_cedar = [r for r in batch_reqs if engine._slice(r)[1] is not None]
    t = time.perf_counter()
    for i in range(0, len(to_cedar), 1000):
        engine.decide(to_cedar[i:i + 1000])
    cedar_only_s = time.perf_counter() - t
    full = cedarpy.PolicySet.from_str(compiled.cedar())
    base_reqs = reqs[:200]
    cedar_reqs = [{"principal": {"type": "Party", "id": r.principal},
                   "action": {"type": "Action", "id": r.action},
                   "resource": {"type": "Asset", "id": r.asset},
                   "context": {"date": r.at.year * 10000 + r.at.month * 100 + r.at.day,
                               **({"purpose": r.purpose} if r.purpose else {})}}
                  for r in base_reqs]
    t = time.perf_counter()
    base = cedarpy.is_authorized_batch(cedar_reqs, full, engine.entities)
    base_s = time.perf_counter() - t
    mine = engine.decide(base_reqs)
    assert [b.allowed for b in base] == [m.allowed for m in mine], "slicing changed a decision"
    return {
        "agreements": N_AGREEMENTS, "assets": N_ASSETS, "parties": len(parents),
        "policies": compiled.policy_count,
        "compile_s": round(compile_s, 3),
        "single": {"requests": n_single, "allowed": allowed, "reached_cedar": reached,
                   "p50_ms": round(statistics.median(lat) * 1e3, 4),
                   "p99_ms": round(pct(lat, 0.99) * 1e3, 4),
                   "cpu_p50_ms": round(statistics.median(cpu_lat) * 1e3, 4),
                   "cpu_p99_ms": round(pct(cpu_lat, 0.99) * 1e3, 4),
                   "per_s": round(n_single / sum(lat))},
        "batched": {"requests": n_batch, "batch_size": 1000,
                    "per_s": round(n_batch / batch_s),
                    "per_cpu_s": round(n_batch / batch_cpu),
                    "first_pass_per_s": round(n_batch / cold_batch_s),
                    "nonempty_slices_only": len(to_cedar),
                    "nonempty_slices_only_per_s": round(len(to_cedar) / cedar_only_s)},
        "baseline_unsliced": {"requests": len(base_reqs), "per_s": round(len(base_reqs) / base_s)},
    }


def bench_service(quick: bool) -> dict[str, object]:
    """`decide(vault, ...)` on a real SQLite vault with the same agreements and assets."""
    import json as _json

    from sqlalchemy import insert

    from hallmark.agreements.access import AccessRequest
    from hallmark.services.access import decide
    from hallmark.store.clock import utcnow
    from hallmark.store.tables import agreements, assets, parties
    from hallmark.vault import Vault

    ags, parents, asset_ids, owners = world()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault.create(Path(tmp))
        now = utcnow()
        with vault.engine.begin() as conn:  # bulk fixture rows; the services are timed below
            conn.execute(insert(parties), [
                {"id": p, "name": p, "kind": "organisation" if parent is None else
                 ("team" if "/" in p else "person"), "member_of": parent, "role": None,
                 "email": None, "created": now} for p, parent in parents.items()])
            conn.execute(insert(assets), [
                {"id": a, "path": f"data/{a}.bin", "name": f"{a}.bin", "kind": "dataset",
                 "size": 1, "mtime_ns": 0, "inode": i, "sha256": "0" * 64, "blake3": "0" * 64,
                 "meta": "{}", "owner": "acme" if a in owners else None, "status": "in-house",
                 "classification": "internal", "first_seen": now, "updated": now}
                for i, a in enumerate(asset_ids)])
            conn.execute(insert(agreements), [
                {"id": ag.id, "type": ag.type, "title": ag.id, "status": "active", "version": 1,
                 "effective": ag.effective.isoformat(), "expires": ag.expires.isoformat()
                 if ag.expires else None, "terminated_on": None, "created": now, "updated": now,
                 "document_sha256": None, "document_name": None,
                 "terms": _json.dumps({
                     "parties": list(ag.parties), "discloser": ag.discloser,
                     "covers": sorted(ag.covers), "prohibited": list(ag.prohibited),
                     "ownership": [], "permitted": [
                         {"party": p.party, "teams": list(p.teams) if p.teams else None,
                          "actions": list(p.actions),
                          "purposes": list(p.purposes) if p.purposes else None}
                         for p in ag.permitted]})} for ag in ags])
        n = 2000 if quick else 10_000
        asks = [AccessRequest(r.principal, r.asset, r.action, None, r.purpose, r.at)
                for r in requests(ags, asset_ids, n, seed=4)]
        t = time.perf_counter()
        decide(vault, asks[:1], actor="bench", log=False)
        cold_s = time.perf_counter() - t
        lat = []
        for a in asks[:1000]:
            t = time.perf_counter()
            decide(vault, [a], actor="bench", log=False)
            lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        decide(vault, asks, actor="bench", log=False)
        batch_s = time.perf_counter() - t
        t = time.perf_counter()
        decide(vault, asks, actor="bench", log=True)
        logged_s = time.perf_counter() - t
        vault.close()
    return {"cold_snapshot_s": round(cold_s, 3),
            "single_p50_ms": round(statistics.median(lat) * 1e3, 3),
            "single_p99_ms": round(pct(lat, 0.99) * 1e3, 3),
            "batch_requests": n, "batch_per_s": round(n / batch_s),
            "batch_logged_per_s": round(n / logged_s)}


def main() -> None:
    """Run, print, write the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    args = parser.parse_args()
    engine = bench_engine(args.quick)
    service = bench_service(args.quick)
    load = os.getloadavg()
    result = {"benchmark": "policy", "python": sys.version.split()[0],
              "cpus": os.cpu_count(), "loadavg_1m_at_end": round(load[0], 2),
              "cedarpy": getattr(cedarpy, "__version__", "?"), "machine": platform.machine(),
              "engine": engine, "service": service,
              "targets": {"single_p99_ms": 1.0, "batched_per_s": 20_000}}
    s, b = engine["single"], engine["batched"]
    base = engine["baseline_unsliced"]
    speedup = b["per_s"] / base["per_s"]  # type: ignore[index]
    result["batched_vs_unsliced"] = round(speedup, 1)
    rows = [
        ("engine, single", f"{s['per_s']:,}/s", f"{s['p50_ms']} ms", f"{s['p99_ms']} ms"),  # type: ignore[index]
        ("engine, single, CPU time (preemption excluded)", "", f"{s['cpu_p50_ms']} ms",
         f"{s['cpu_p99_ms']} ms"),  # type: ignore[index]
        ("engine, batches of 1,000", f"{b['per_s']:,}/s", "", ""),  # type: ignore[index]
        ("engine, batches of 1,000, per CPU second", f"{b['per_cpu_s']:,}/s", "", ""),  # type: ignore[index]
        ("engine, batches of 1,000, slices not yet parsed", f"{b['first_pass_per_s']:,}/s", "",
         ""),  # type: ignore[index]
        ("engine, batches of 1,000, only requests that reach Cedar",
         f"{b['nonempty_slices_only_per_s']:,}/s", "", ""),  # type: ignore[index]
        ("baseline: cedarpy, whole policy set", f"{base['per_s']:,}/s", "", ""),  # type: ignore[index]
        ("service decide(vault), single", "", f"{service['single_p50_ms']} ms",
         f"{service['single_p99_ms']} ms"),
        ("service decide(vault), batch", f"{service['batch_per_s']:,}/s", "", ""),
        ("service decide(vault), batch + log", f"{service['batch_logged_per_s']:,}/s", "", ""),
    ]
    md = ["# Policy benchmark", "",
          f"Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} at the end of the run "
          "(shared). Wall-clock figures include time the process was preempted; the CPU-time "
          "rows do not.", "",
          f"{N_AGREEMENTS:,} agreements, {N_ASSETS:,} assets, {engine['parties']} parties, "
          f"{engine['policies']} Cedar policies; compile {engine['compile_s']} s, cold service "
          f"snapshot {service['cold_snapshot_s']} s. Batched throughput is {speedup:.0f}x the "
          f"unsliced baseline. {s['reached_cedar']:,} of {s['requests']:,} single requests "  # type: ignore[index]
          "had a non-empty slice and went to Cedar; the rest were denied by default (Cedar's "
          "answer for an empty slice).", "",
          "| path | decisions/s | p50 | p99 |", "|---|---|---|---|"]
    md += [f"| {' | '.join(r)} |" for r in rows]
    OUT.mkdir(exist_ok=True)
    (OUT / "policy.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT / "policy.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
