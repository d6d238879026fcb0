"""The shares service: ask the access decision, write a per-recipient marked copy of an asset
through the mark scheme for its kind (streamed, atomically), record the Share with its Event;
list the shares."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import HallmarkError, InputError, PolicyDenied
from hallmark.marks.engines import Engine
from hallmark.schemas.deidentify import DeidentifyOptions
from hallmark.schemas.shares import ShareOptions, ShareRecord, ShareResult
from hallmark.services._args import model, renamed
from hallmark.services._args import path as _path
from hallmark.services._args import text as _text

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hallmark.vault import Vault

__all__ = ["list_shares", "share"]


def share(vault: Vault, asset: str, to: str, out: Path | str, *, actor: str,
          team: str | None = None, agreement: str | None = None, purpose: str | None = None,
          options: ShareOptions | None = None, engine: str | Engine = "local",
          scheduler: str | None = None,
          deidentify: DeidentifyOptions | dict[str, Any] | bool | None = None) -> ShareResult:
    """Share an asset with one recipient if the policy permits: marked copy at `out`, Share +
    Event attributed to `actor`; the marking runs on `engine` (local cores or dask). With
    `deidentify`, the copy is de-identified first (pseudonyms, k-anonymity) and then marked."""
    from hallmark.services._deidentify import options as _deid_options

    _text(actor, "actor")
    checked = _options(options)
    deid = _deid_options(deidentify)
    _text(to, "to")
    for name, value in (("team", team), ("agreement", agreement), ("purpose", purpose)):
        if value is not None:
            _text(value, name)
    target = _path(out, "out")
    _text(asset, "asset")
    with _engine(engine, scheduler) as runner:  # a bad engine is refused before any decision
        return _share(vault, asset, to, target, actor, team, agreement, purpose, checked,
                      runner, deid)


def _share(vault: Vault, asset: str, to: str, out: Path, actor: str, team: str | None,
           agreement: str | None, purpose: str | None, options: ShareOptions,
           runner: Engine, deid: DeidentifyOptions | None) -> ShareResult:
    from hallmark.marks.scheme import scheme_for_asset
    from hallmark.services import _deidentify
    from hallmark.services import _mark_rows as rows

    with vault.read() as conn:
        found = _resolve_asset(conn, asset)
    src = _source_path(vault, found.path)
    scheme = scheme_for_asset(found.kind, src)
    if scheme is None:
        raise InputError(f"{found.name} is a {found.kind}; no mark scheme accepts that kind "
                         "(only tabular datasets can be shared with a mark)", field="asset")
    fmt = scheme.copy_format(src, out)
    if out.exists() and out.resolve() == src.resolve():
        raise InputError("refusing to overwrite the source with the marked copy", field="out")
    if out.is_dir():  # before the decision: a copy that cannot be written logs nothing
        raise InputError(f"{out} is a folder; name the file to write", field="out")
    if not out.parent.is_dir():
        raise InputError(f"no folder {out.parent} to write {out.name} into", field="out")
    spec = None if deid is None else _deidentify.plan(  # bad columns: refused before deciding
        src, fmt, deid, found.metadata.get("pii"), found.metadata.get("rows"))
    decision = _decide(vault, to, found.id, team, purpose, actor)
    recipient = decision.request.get("party", to) if isinstance(decision.request, dict) else to
    team_id = decision.request.get("team") if isinstance(decision.request, dict) else team
    if not decision.allowed:
        raise PolicyDenied("share denied: " + "; ".join(decision.reasons or ["no agreement "
                                                                             "permits it"]))
    chosen = _agreement(vault, decision, agreement, recipient, found.id, actor)
    if not src.is_file():
        raise InputError(f"the asset's file {found.path} is missing; run `hallmark scan` again")
    if rows.file_sha256(src) != found.sha256:
        raise InputError(f"{found.path} changed since it was registered; run `hallmark scan` "
                         "again before sharing it")
    wanted = options.plan_options()
    share_id = "sh-" + uuid.uuid4().hex[:16]
    removed = None
    with contextlib.ExitStack() as stack:
        marked_from, known = src, None
        if spec is None:
            with vault.read() as conn:
                known = rows.known_plan(conn, found.id, found.sha256, wanted)
        else:  # each de-identified copy is its own content: planned afresh, marks kept off
            staged = stack.enter_context(_deidentify.staged_copy(  # its quasi-identifiers
                src, fmt, spec, _deidentify.share_key(vault.marking_key, found.id, share_id),
                out))
            marked_from = staged.path
            wanted = {**wanted, "deidentified": True, "frozen": [q.column for q in spec.quasi]}
        planned = scheme.plan(marked_from, fmt, wanted, vault.marking_key, found.id, known)
        plan = planned.plan
        with scheme.embed(planned, out, vault.marking_key, found.id, share_id,
                          runner) as marked:
            copy_sha = rows.file_sha256(marked.staged)
            removed_json = None
            if spec is not None:
                removed = _deidentify.record(spec, staged, _deidentify.measured_k(
                    marked.staged, fmt, spec.quasi))
                removed_json = removed.to_json()
            params = json.dumps(plan, sort_keys=True, separators=(",", ":"))
            params_sha = hashlib.sha256(params.encode()).hexdigest()
            with vault.transaction(actor) as txn:
                payload = {"share": share_id, "asset": found.id, "recipient": recipient,
                           "team": team_id, "agreement": chosen, "purpose": purpose,
                           "format": fmt, "source_sha256": found.sha256,
                           "copy_sha256": copy_sha, "scheme": plan["scheme"],
                           "params_sha256": params_sha, "tardos": plan["tardos"],
                           "rows": marked.rows, "marked_cells": marked.cells}
                if removed_json is not None:
                    payload["deidentified"] = removed_json
                subjects = [share_id, found.id, recipient] + ([chosen] if chosen else [])
                seq = txn.log.append("share.created", payload, subjects)
                rows.insert_share(txn, {
                    "id": share_id, "asset": found.id, "recipient": recipient,
                    "team": team_id, "agreement": chosen, "purpose": purpose, "format": fmt,
                    "source_sha256": found.sha256, "copy_sha256": copy_sha,
                    "scheme": plan["scheme"], "params": params, "params_sha256": params_sha,
                    "rows": marked.rows, "marked_cells": marked.cells, "seq": seq,
                    "deidentified": None if removed_json is None else json.dumps(
                        removed_json, sort_keys=True, separators=(",", ":"))})
    public = scheme.public_parameters(plan)
    return ShareResult(
        share=share_id, asset=found.id, recipient=recipient, team=team_id, agreement=chosen,
        purpose=purpose, out=str(out), format=fmt, rows=marked.rows, marked_cells=marked.cells,
        marked_columns=public.get("marked_columns", []), source_sha256=found.sha256,
        copy_sha256=copy_sha, seq=seq, survives=scheme.survives(plan, marked.rows, marked.cells),
        categorical_columns=public.get("categorical_columns", []), deidentified=removed)


def list_shares(vault: Vault, asset: str | None = None) -> list[ShareRecord]:
    """Every share (optionally of one asset), oldest first."""
    from hallmark.marks.scheme import scheme_named
    from hallmark.services import _mark_rows as rows

    with vault.read() as conn:
        asset_id = _resolve_asset(conn, _text(asset, "asset")).id if asset else None
        found = rows.share_rows(conn, asset_id)
    out = []
    for row in found:
        plan = json.loads(row.params)
        try:
            marked = scheme_named(row.scheme).public_parameters(plan)["marked_columns"]
        except InputError:  # a scheme no longer installed: its plan is still listed
            marked = [m["name"] for m in plan.get("mark_columns", [])]
        out.append(ShareRecord(
            share=row.id, asset=row.asset, recipient=row.recipient, team=row.team,
            agreement=row.agreement, purpose=row.purpose, format=row.format, rows=row.rows,
            marked_cells=row.marked_cells, marked_columns=marked,
            source_sha256=row.source_sha256, copy_sha256=row.copy_sha256, scheme=row.scheme,
            created=row.created, seq=row.seq,
            deidentified=json.loads(row.deidentified) if row.deidentified else None))
    return out


def _resolve_asset(conn: Connection, ref: str) -> Any:
    """The registered asset `ref` names; its errors are about the `asset` argument."""
    from hallmark.inventory.assets import resolve

    try:
        return resolve(conn, ref)
    except HallmarkError as exc:
        if exc.field is None:
            exc.field = "asset"
        raise


def _source_path(vault: Vault, stored: str) -> Path:
    """Where a registered asset's file is (paths are stored relative to the vault's folder, in
    the register's display form: backslashes doubled, undecodable bytes as \\xHH)."""
    from hallmark.inventory.walk import from_display

    path = Path(from_display(stored))
    return path if path.is_absolute() else vault.root / path


def _options(options: object) -> ShareOptions:
    return ShareOptions() if options is None else model(options, ShareOptions, "options")


def _engine(engine: str | Engine, scheduler: str | None) -> Engine:
    """The engine asked for by name (the caller's own Engine is used as is, left open)."""
    from hallmark.marks.engines import make_engine

    if isinstance(engine, Engine):
        return _Borrowed(engine)
    if not isinstance(engine, str):
        raise InputError("must be the name of an engine", field="engine")
    return make_engine(engine, scheduler)


class _Borrowed(Engine):
    """A caller's engine, used without closing it."""

    def __init__(self, inner: Engine) -> None:
        self.inner, self.name, self.workers = inner, inner.name, inner.workers

    def map_batches(self, fn: Any, batches: Any, *args: Any) -> Any:
        """The inner engine's map."""
        return self.inner.map_batches(fn, batches, *args)


def _decide(vault: Vault, party: str, asset_id: str, team: str | None, purpose: str | None,
            actor: str) -> Any:
    """The real policy decision (logged, attributed to `actor`)."""
    from hallmark.agreements.access import AccessRequest
    from hallmark.services.access import decide

    try:
        return decide(vault, [AccessRequest(party, asset_id, "share", team, purpose)],
                      actor=actor)[0]
    except HallmarkError as exc:  # a request's field is one of share's parameters
        if exc.field in ("party", "team", "asset", "purpose"):
            raise renamed(exc, "to" if exc.field == "party" else exc.field) from None
        raise


def _agreement(vault: Vault, decision: Any, wanted: str | None, recipient: str,
               asset_id: str, actor: str) -> str | None:
    """The agreement the share is made under; a named one that does not permit it is a
    logged denial."""
    permitted = list(getattr(decision, "agreements", []) or [])
    if wanted is None:
        return permitted[0] if permitted else None
    if wanted in permitted:
        return wanted
    reason = (f"agreement {wanted!r} does not permit sharing {asset_id} with {recipient}"
              + (f" (permitted under: {', '.join(permitted)})" if permitted else ""))
    with vault.transaction(actor) as txn:
        txn.log.append("share.denied", {"asset": asset_id, "recipient": recipient,
                                        "agreement": wanted, "reasons": [reason]},
                       [asset_id, recipient])
    raise PolicyDenied(f"share denied: {reason}")
