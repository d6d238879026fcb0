"""The traces service: the mark scheme that reads a suspect recognises which shared asset it
came from and reads its code symbols; every recipient is scored (shared Tardos maths), accused
at the calibrated threshold, and the Trace recorded with its Event (and evidence bundles)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.errors import InputError, NotFound
from hallmark.marks.engines import Engine
from hallmark.marks.scheme import INCONCLUSIVE
from hallmark.schemas.traces import Candidate, TraceResult

if TYPE_CHECKING:
    from hallmark.marks.scheme import Identified, MarkScheme, Shared
    from hallmark.vault import Vault

__all__ = ["trace"]


def trace(vault: Vault, suspect: Path | str, *, actor: str, asset: str | None = None,
          evidence: Path | str | None = None, engine: str | Engine = "local",
          scheduler: str | None = None) -> TraceResult:
    """Examine a suspect; records the Trace (+ Event, attributed to `actor`) when it is
    conclusive, and with `evidence` a bundle per accused share. Marks are read on `engine`."""
    from hallmark.services._args import path as _path
    from hallmark.services._args import text as _text
    from hallmark.services.shares import _engine

    _text(actor, "actor")
    path = _path(suspect, "suspect")
    if asset is not None:
        _text(asset, "asset")
    bundle = None
    if evidence is not None:  # checked first: a trace is recorded before its bundle is written
        bundle = _path(evidence, "evidence")
        if bundle.is_dir():
            raise InputError(f"{bundle} is a folder; name the .zip file to write",
                             field="evidence")
        if not bundle.parent.is_dir():
            raise InputError(f"no folder {bundle.parent} to write {bundle.name} into",
                             field="evidence")
    with _engine(engine, scheduler) as runner:
        return _trace(vault, path, actor, asset, bundle, runner)


def _trace(vault: Vault, suspect: Path, actor: str, asset: str | None, evidence: Path | None,
           engine: Engine) -> TraceResult:
    from hallmark.marks.scheme import scheme_for_suspect
    from hallmark.services import _mark_rows as rows
    from hallmark.services.shares import _resolve_asset

    if not suspect.is_file():
        raise InputError(f"no file at {suspect}", field="suspect")
    scheme = scheme_for_suspect(suspect)
    if scheme is None:
        raise InputError(f"{suspect.name}: no mark scheme reads it (tables: CSV, TSV, Parquet, "
                         "JSONL)", field="suspect")
    opened = scheme.open_suspect(suspect)
    with vault.read() as conn:
        asset_id = _resolve_asset(conn, asset).id if asset is not None else None
        groups = [g for g in rows.shared_plans(conn, asset_id)
                  if g.plan.get("scheme") == scheme.name]
    if not groups:
        if asset is None:
            raise NotFound("no dataset has been shared yet")
        raise NotFound(f"asset {asset!r} has not been shared", field="asset")
    identified = scheme.identify(opened, vault.marking_key, groups)
    scored = {chosen[0].asset for chosen in identified.ranked}
    # Bonferroni over every share scored, across all matching assets
    total = sum(len(g.shares) for g in groups if g.asset in scored)
    outcomes = [_score_asset(vault, scheme, identified, chosen, total, engine)
                for chosen in identified.ranked]
    epsilon = min(eps for _, eps in outcomes)
    # the asset with the strongest accusation; the best match by content when nobody is accused
    result = min((r for r, _ in outcomes), key=lambda r: r.top[0].p_value
                 if r.top and r.top[0].p_value <= epsilon else 1.0)
    result.accused = [c for c in result.top if c.p_value <= epsilon]
    if not result.accused and identified.doubts:  # "nobody" would read as "not leaked"
        raise InputError(f"{INCONCLUSIVE} ({identified.doubts[0]})", field="suspect")
    if not result.conclusive:
        return result
    result.trace = "tr-" + uuid.uuid4().hex[:16]
    _record(vault, result, suspect, actor)
    if result.accused:  # an agreement may ask for an incident as soon as a trace accuses
        from hallmark.services.incidents import auto_open

        result.incidents = auto_open(vault, result.trace, actor=actor)
    if evidence is not None and result.accused:
        result.evidence = _evidence(vault, result.accused, evidence)
    return result


def _score_asset(vault: Vault, scheme: MarkScheme, identified: Identified,
                 chosen: list[Shared], total: int, engine: Engine
                 ) -> tuple[TraceResult, float]:
    """One asset's plans scored (nobody accused yet) and the smallest epsilon among them."""
    from hallmark.marks.codes import Codebook, TardosParams
    from hallmark.marks.scoring import rows_needed, score_shares

    ranked: list[Candidate] = []
    rows = positions = needed = 0
    epsilon = 1.0
    for group in chosen:
        symbols = scheme.extract(identified, group, vault.marking_key, engine)
        params = TardosParams.from_json(group.plan["tardos"])
        codebook = Codebook(vault.marking_key, group.asset, params)
        ranked.extend(Candidate(recipient=s.recipient, share=s.share, score=s.score,
                                p_value=s.p_value)
                      for s in score_shares(codebook, symbols, group.shares, total))
        rows, positions = max(rows, symbols.rows), max(positions, int(symbols.positions.size))
        needed = max(needed, rows_needed(params, total, symbols.per_row))
        epsilon = min(epsilon, params.epsilon)
    ranked.sort(key=lambda c: (c.p_value, -c.score))
    return TraceResult(asset=chosen[0].asset, rows_matched=rows, accused=[],
                       needed_rows=needed, recipients=total, positions=positions,
                       top=ranked), epsilon


def _record(vault: Vault, result: TraceResult, suspect: Path, actor: str) -> None:
    from hallmark.services import _mark_rows as rows

    accused = [c.to_json() for c in result.accused]
    subjects = [result.trace or "", result.asset] + [c.share for c in result.accused] + \
        sorted({c.recipient for c in result.accused})
    suspect_sha = rows.file_sha256(suspect)
    with vault.transaction(actor) as txn:
        txn.log.append("trace.recorded", {
            "trace": result.trace, "asset": result.asset, "suspect_sha256": suspect_sha,
            "rows_matched": result.rows_matched, "needed_rows": result.needed_rows,
            "recipients": result.recipients, "accused": accused}, subjects)
        rows.insert_trace(txn, {
            "id": result.trace, "asset": result.asset, "suspect_sha256": suspect_sha,
            "suspect_name": suspect.name, "rows_matched": result.rows_matched,
            "needed_rows": result.needed_rows, "recipients": result.recipients,
            "accused": json.dumps(accused)})


def _evidence(vault: Vault, accused: list[Candidate], path: Path) -> list[str]:
    """One evidence bundle per accused share: its share event and this trace, with proofs."""
    from hallmark.services.evidence import write_bundle

    written = []
    for n, candidate in enumerate(accused):
        target = path if n == 0 else path.with_name(f"{path.stem}-{candidate.share}"
                                                     f"{path.suffix or '.zip'}")
        write_bundle(vault, candidate.share, target)
        written.append(str(target))
    return written
