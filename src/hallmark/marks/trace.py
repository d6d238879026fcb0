"""`trace`: recognise which shared dataset a suspect table came from (by column content), read
its marks, score every recipient, accuse at the calibrated threshold, record the Trace."""

from __future__ import annotations

import json
import math
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from hallmark.errors import InputError, NotFound
from hallmark.marks import tabular_io
from hallmark.marks.categorical import cat_readable
from hallmark.marks.codes import TardosParams, derive_key
from hallmark.marks.columns import SUSPECT_TOP_VALUES, profile_batches
from hallmark.marks.engines import Engine, LocalEngine
from hallmark.marks.layout import locate, readable_groups, unreadable
from hallmark.marks.share import file_sha256
from hallmark.marks.stats import corrected_p_value, needed_positions
from hallmark.marks.tabular import Extraction, KeyMaterial, extract_task
from hallmark.store.clock import utcnow
from hallmark.store.tables import shares, traces
from hallmark.vault import Vault

TOP_CANDIDATES = 10
INCONCLUSIVE = "inconclusive: the suspect's values look rounded or perturbed beyond the marks"


@dataclass
class Candidate:
    """One recipient's score and Bonferroni-corrected p-value."""

    recipient: str
    share: str
    score: float
    p_value: float

    def to_json(self) -> dict[str, Any]:
        """{recipient, share, score, p_value}."""
        return {"recipient": self.recipient, "share": self.share,
                "score": round(self.score, 4), "p_value": self.p_value}


@dataclass
class TraceResult:
    """The outcome of examining a suspect."""

    asset: str
    rows_matched: int
    accused: list[Candidate]
    needed_rows: int
    recipients: int = 0
    positions: int = 0
    top: list[Candidate] = field(default_factory=list)
    trace: str | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def conclusive(self) -> bool:
        """False when nobody is accused and there were too few rows to decide."""
        return bool(self.accused) or self.rows_matched >= self.needed_rows

    def to_json(self) -> dict[str, Any]:
        """Exactly {asset, rows_matched, accused, needed_rows}."""
        return {"asset": self.asset, "rows_matched": self.rows_matched,
                "accused": [c.to_json() for c in self.accused], "needed_rows": self.needed_rows}


@dataclass
class _Group:
    asset: str
    plan: dict[str, Any]
    shares: list[tuple[str, str]]  # (share id, recipient)
    mapping: dict[str, int] = field(default_factory=dict)


def _groups(vault: Vault, asset_ref: str | None) -> list[_Group]:
    from hallmark.inventory.assets import resolve

    with vault.read() as conn:
        query = select(shares.c.id, shares.c.asset, shares.c.recipient, shares.c.params,
                       shares.c.params_sha256).order_by(shares.c.created, shares.c.id)
        if asset_ref is not None:
            query = query.where(shares.c.asset == resolve(conn, asset_ref).id)
        groups: dict[tuple[str, str], _Group] = {}
        for row in conn.execute(query):
            group = groups.get((row.asset, row.params_sha256))
            if group is None:
                group = groups[(row.asset, row.params_sha256)] = _Group(
                    row.asset, json.loads(row.params), [])
            group.shares.append((row.id, row.recipient))
    return list(groups.values())


def _identify(groups: list[_Group], seen: list[dict[str, Any]]) -> list[list[_Group]]:
    """The groups of every asset whose marks the suspect can carry, best match first, with
    their column mappings (lookalike datasets, such as two extracts of one table, all match)."""
    fractions: dict[str, float] = {}
    partial: list[str] = []
    for group in groups:
        keys, marks = group.plan["key_columns"], group.plan["mark_columns"]
        group.mapping = locate(group.plan, seen)
        nk = len(keys)
        keyed = _keyed(group.plan, group.mapping)
        carried = any(k[0] in "mc" for k in group.mapping)
        fraction = len(group.mapping) / (nk + len(marks) + len(group.plan.get("cat_columns")
                                                               or []))
        if keyed and carried:
            fractions[group.asset] = max(fraction, fractions.get(group.asset, 0.0))
        elif fraction >= 0.5:
            lost = sorted({keys[i]["name"].strip() for i in range(nk)
                           if f"k{i}" not in group.mapping})
            what = ("the column(s) its mark is keyed on: " + ", ".join(lost)) if lost else \
                "every marked column"
            gone = sorted({m["name"].strip() for j, m in enumerate(marks)
                           if f"m{j}" not in group.mapping})
            if gone:  # its values no longer look like the marked column's: rounded or altered
                what = f"{INCONCLUSIVE} (the suspect resembles asset {group.asset}, but no " \
                    f"column looks like its marked column(s) {', '.join(gone)} any more)"
            partial.append(what if gone else
                           f"the suspect resembles asset {group.asset} but lacks {what}")
    if not fractions:
        if partial:
            raise InputError(partial[0] if partial[0].startswith(INCONCLUSIVE)
                             else partial[0] + "; its marks cannot be located")
        raise NotFound("the suspect matches no shared dataset (compared by column content)")
    ranked = sorted(fractions, key=lambda asset: -fractions[asset])  # stable: oldest first
    return [[g for g in groups if g.asset == asset and _keyed(g.plan, g.mapping)]
            for asset in ranked]


def _readable(group: _Group, decimals: list[int | None], why: list[str],
              doubts: list[str]) -> bool:
    """Leave out of the mapping the marked columns the suspect rounded beyond reading (and the
    coarse keys read from them), note those it perturbed; whether any readable mark is left."""
    for j, spec in enumerate(group.plan["mark_columns"]):
        where = group.mapping.get(f"m{j}")
        found = None if where is None else unreadable(spec, decimals[where])
        if found is None:
            continue
        if found[0] == "perturbed":  # read anyway: noise below the step leaves the signs
            doubts.append(found[1])
            continue
        why.append(found[1])
        del group.mapping[f"m{j}"]
        for i, key in enumerate(group.plan["key_columns"]):
            if key.get("kind") == "coarse" and key["of"] == j:
                group.mapping.pop(f"k{i}", None)
    return _keyed(group.plan, group.mapping)


def _keyed(plan: dict[str, Any], mapping: dict[str, int]) -> bool:
    """Whether some mark of the plan can be read: a numeric one with a whole key group, or a
    categorical one with a whole group of its own."""
    return (any(k.startswith("m") for k in mapping) and bool(readable_groups(plan, mapping))) \
        or cat_readable(plan, mapping)


def trace(vault: Vault, suspect: Path | str, asset_ref: str | None = None,
          evidence: Path | str | None = None, engine: Engine | None = None) -> TraceResult:
    """Examine a suspect table; records the Trace (+ Event) when it is conclusive. Marks are
    read on `engine` (default: every local core)."""
    suspect = Path(suspect).expanduser()
    if evidence is not None:  # checked first: a trace is recorded before its bundle is written
        evidence = Path(evidence).expanduser()
        if evidence.is_dir():
            raise InputError(f"{evidence} is a folder; name the .zip file to write")
        if not evidence.parent.is_dir():
            raise InputError(f"no folder {evidence.parent} to write {evidence.name} into")
    source = tabular_io.open_table(suspect)
    groups = _groups(vault, asset_ref)
    if not groups:
        raise NotFound("no dataset has been shared yet" if asset_ref is None
                       else f"asset {asset_ref!r} has not been shared")
    digest_key = derive_key(vault.marking_key, "hallmark/fingerprint")
    profiles = profile_batches(source.schema, source.batches(), digest_key, SUSPECT_TOP_VALUES)
    matches = _identify(groups, [p.fingerprint() for p in profiles])
    why: list[str] = []
    doubts: list[str] = []
    matches = [[g for g in chosen if _readable(g, [p.decimals for p in profiles], why, doubts)]
               for chosen in matches]
    if not any(matches):
        raise InputError(f"{INCONCLUSIVE} ({why[0]})")
    matches = [chosen for chosen in matches if chosen]
    scored = {chosen[0].asset for chosen in matches}
    # Bonferroni over every share scored, across all matching assets
    total = sum(len(g.shares) for g in groups if g.asset in scored)
    runner = engine or LocalEngine()
    outcomes = [_score_asset(vault, source, chosen, total, runner) for chosen in matches]
    epsilon = min(eps for _, eps in outcomes)
    # the asset with the strongest accusation; the best match by content when nobody is accused
    result = min((r for r, _ in outcomes), key=lambda r: r.top[0].p_value
                 if r.top and r.top[0].p_value <= epsilon else 1.0)
    result.accused = [c for c in result.top if c.p_value <= epsilon]
    if not result.accused and (why or doubts):  # "nobody" would read as "not leaked"
        raise InputError(f"{INCONCLUSIVE} ({(why + doubts)[0]})")
    if not result.conclusive:
        return result
    result.trace = "tr-" + uuid.uuid4().hex[:16]
    _record(vault, result, suspect)
    if evidence is not None and result.accused:
        result.evidence = _evidence(vault, result.accused, Path(evidence))
    return result


def _score_asset(vault: Vault, source: tabular_io.Source, chosen: list[_Group], total: int,
                 engine: Engine) -> tuple[TraceResult, float]:
    """One asset's groups scored (nobody accused yet) and the smallest epsilon among them."""
    ranked: list[Candidate] = []
    rows = positions = needed = 0
    epsilon = 1.0
    for group in chosen:
        found, rows_g, pos_g, need_g, eps_g = _score_group(vault, source, group, total, engine)
        ranked.extend(found)
        rows, positions = max(rows, rows_g), max(positions, pos_g)
        needed = max(needed, need_g)
        epsilon = min(epsilon, eps_g)
    ranked.sort(key=lambda c: (c.p_value, -c.score))
    return TraceResult(chosen[0].asset, rows, [], needed, total, positions, ranked), epsilon


def _score_group(vault: Vault, source: tabular_io.Source, group: _Group, total: int,
                 engine: Engine) -> tuple[list[Candidate], int, int, int, float]:
    material = KeyMaterial(vault.marking_key, group.asset, group.plan)
    keys = material.keys()
    params = TardosParams.from_json(group.plan["tardos"])
    extraction = Extraction()
    for part in engine.map_batches(extract_task, source.batches(), group.plan, group.mapping,
                                   material):
        extraction.merge(part)
    pos, sigma = extraction.finish()
    per_row = extraction.distinct / extraction.rows if extraction.rows else \
        sum(spec.get("fraction", group.plan["fraction"])
            for j, spec in enumerate(group.plan["mark_columns"]) if f"m{j}" in group.mapping)
    need_positions = needed_positions(max(total, 1), params.epsilon, params.cutoff)
    needed = math.ceil(need_positions / max(per_row, 1e-9))
    if pos.size == 0:
        return [], extraction.rows, 0, needed, params.epsilon
    bias = keys.codebook.bias(pos)
    scores = np.array([keys.codebook.score(sid, pos, sigma, bias) for sid, _ in group.shares])
    order = np.argsort(-scores, kind="stable")[:TOP_CANDIDATES]
    found = [Candidate(group.shares[i][1], group.shares[i][0], float(scores[i]),
                       max(corrected_p_value(float(scores[i]), sigma, bias, total),
                           sys.float_info.min))
             for i in order]
    return found, extraction.rows, int(pos.size), needed, params.epsilon


def _record(vault: Vault, result: TraceResult, suspect: Path) -> None:
    accused = [c.to_json() for c in result.accused]
    subjects = [result.trace or "", result.asset] + [c.share for c in result.accused] + \
        sorted({c.recipient for c in result.accused})
    suspect_sha = file_sha256(suspect)
    with vault.transaction(vault.actor) as txn:
        txn.log.append("trace.recorded", {
            "trace": result.trace, "asset": result.asset, "suspect_sha256": suspect_sha,
            "rows_matched": result.rows_matched, "needed_rows": result.needed_rows,
            "recipients": result.recipients, "accused": accused}, subjects)
        txn.conn.execute(insert(traces).values(
            id=result.trace, asset=result.asset, suspect_sha256=suspect_sha,
            suspect_name=suspect.name, rows_matched=result.rows_matched,
            needed_rows=result.needed_rows, recipients=result.recipients,
            accused=json.dumps(accused), created=utcnow()))


def _evidence(vault: Vault, accused: list[Candidate], path: Path) -> list[str]:
    """One evidence bundle per accused share: its share event and this trace, with proofs."""
    from hallmark.ledger.bundle import write_bundle

    written = []
    for n, candidate in enumerate(accused):
        target = path if n == 0 else path.with_name(f"{path.stem}-{candidate.share}"
                                                     f"{path.suffix or '.zip'}")
        write_bundle(vault, candidate.share, target)
        written.append(str(target))
    return written
