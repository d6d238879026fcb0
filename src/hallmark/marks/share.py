"""`share`: ask the access decision, write a per-recipient fingerprinted copy of a tabular
dataset (streamed, atomically), record the Share with its Event; `list_shares`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from hallmark.errors import InputError, PolicyDenied
from hallmark.marks import tabular_io
from hallmark.marks.categorical import survival as categorical_survival
from hallmark.marks.codes import (
    DEFAULT_COLLUDERS,
    DEFAULT_EPSILON,
    DEFAULT_RECIPIENTS,
    TardosParams,
    derive_key,
)
from hallmark.marks.columns import profile_batches
from hallmark.marks.engines import Engine, LocalEngine
from hallmark.marks.layout import survival
from hallmark.marks.stats import needed_positions
from hallmark.marks.tabular import DEFAULT_BUDGET, KeyMaterial, make_plan, mark_task
from hallmark.store.clock import utcnow
from hallmark.store.tables import shares
from hallmark.vault import Vault


@dataclass
class ShareOptions:
    """How strongly and for how many recipients to mark (all of it public)."""

    budget: float = DEFAULT_BUDGET
    budgets: dict[str, float] | None = None
    ranges: dict[str, tuple[float, float]] | None = None
    recipients: int = DEFAULT_RECIPIENTS
    colluders: int = DEFAULT_COLLUDERS
    epsilon: float = DEFAULT_EPSILON
    categorical: str = "auto"  # where categorical substitution marks go (plan.CATEGORICAL_MODES)

    def to_json(self) -> dict[str, Any]:
        """The options as stored inside the plan."""
        doc = asdict(self)
        doc["ranges"] = {k: list(v) for k, v in (self.ranges or {}).items()}
        doc["budgets"] = dict(self.budgets or {})
        return doc


@dataclass
class ShareResult:
    """What a share did."""

    share: str
    asset: str
    recipient: str
    team: str | None
    agreement: str | None
    purpose: str | None
    out: str
    format: str
    rows: int
    marked_cells: int
    marked_columns: list[str]
    source_sha256: str
    copy_sha256: str
    seq: int
    survives: dict[str, Any] = field(default_factory=dict)
    categorical_columns: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON form commands print."""
        return asdict(self)


Decider = Callable[[Vault, str, str, str | None, str | None], Any]


def _policy_decide(vault: Vault, party: str, asset: str, team: str | None,
                   purpose: str | None) -> Any:
    from hallmark.agreements.access import AccessRequest, decide

    return decide(vault, [AccessRequest(party, asset, "share", team, purpose)],
                  actor=vault.actor)[0]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def source_path(vault: Vault, stored: str) -> Path:
    """Where a registered asset's file is (paths are stored relative to the vault's folder, in
    the register's display form: backslashes doubled, undecodable bytes as \\xHH)."""
    from hallmark.inventory.walk import from_display

    path = Path(from_display(stored))
    return path if path.is_absolute() else vault.root / path


def share(vault: Vault, asset_ref: str, to: str, out: Path | str, team: str | None = None,
          agreement: str | None = None, purpose: str | None = None,
          options: ShareOptions | None = None, decide: Decider | None = None,
          engine: Engine | None = None) -> ShareResult:
    """Share a dataset with one recipient: decision, marked copy at `out`, Share + Event;
    the marking runs on `engine` (default: every local core)."""
    from hallmark.inventory.assets import resolve

    options = options or ShareOptions()
    out = Path(out).expanduser()
    with vault.read() as conn:
        asset = resolve(conn, asset_ref)
    if asset.kind != "dataset":
        raise InputError(f"{asset.name} is a {asset.kind}; only tabular datasets can be shared "
                         "with a mark")
    src = source_path(vault, asset.path)
    fmt = tabular_io.format_of(src)
    if tabular_io.FORMATS.get(out.suffix.lower(), fmt) != fmt:
        raise InputError(f"the copy is written as {fmt.upper()} like its source; name it "
                         f"{out.stem}{src.suffix}")
    if out.exists() and out.resolve() == src.resolve():
        raise InputError("refusing to overwrite the source with the marked copy")
    decision = (decide or _policy_decide)(vault, to, asset.id, team, purpose)
    recipient = decision.request.get("party", to) if isinstance(decision.request, dict) else to
    team_id = decision.request.get("team") if isinstance(decision.request, dict) else team
    if not decision.allowed:
        raise PolicyDenied("share denied: " + "; ".join(decision.reasons or ["no agreement "
                                                                             "permits it"]))
    chosen = _agreement(vault, decision, agreement, recipient, asset.id)
    if not src.is_file():
        raise InputError(f"the asset's file {asset.path} is missing; run `hallmark scan` again")
    if file_sha256(src) != asset.sha256:
        raise InputError(f"{asset.path} changed since it was registered; run `hallmark scan` "
                         "again before sharing it")
    source = tabular_io.open_table(src, fmt)
    with vault.read() as conn:
        plan = _known_plan(conn, asset.id, asset.sha256, options)
    replay = tabular_io.TwoPasses(source)
    if plan is None:
        profiles = profile_batches(source.schema, replay.first_pass(),
                                   derive_key(vault.marking_key, "hallmark/fingerprint"))
        if not profiles or profiles[0].rows == 0:
            raise InputError(f"{src.name} has no rows to mark")
        plan = make_plan(profiles, TardosParams(options.recipients, options.colluders,
                                                options.epsilon),
                         options.budget, options.budgets, options.ranges,
                         pair_key=derive_key(vault.marking_key, "hallmark/catpairs", asset.id),
                         categorical_marks=options.categorical)
        plan["options"] = options.to_json()
    share_id = "sh-" + uuid.uuid4().hex[:16]
    material = KeyMaterial(vault.marking_key, asset.id, plan)
    rows = cells = 0
    with tabular_io.atomic_writer(out, fmt, source.schema) as writer:
        for marked, count in (engine or LocalEngine()).map_batches(
                mark_task, replay.second_pass(), plan, material, share_id):
            writer.write(marked)
            rows += marked.num_rows
            cells += count
        copy_sha = file_sha256(writer.finish())
        params = json.dumps(plan, sort_keys=True, separators=(",", ":"))
        params_sha = hashlib.sha256(params.encode()).hexdigest()
        with vault.transaction(vault.actor) as txn:
            payload = {"share": share_id, "asset": asset.id, "recipient": recipient,
                       "team": team_id, "agreement": chosen, "purpose": purpose,
                       "format": fmt, "source_sha256": asset.sha256, "copy_sha256": copy_sha,
                       "scheme": plan["scheme"], "params_sha256": params_sha,
                       "tardos": plan["tardos"], "rows": rows, "marked_cells": cells}
            subjects = [share_id, asset.id, recipient] + ([chosen] if chosen else [])
            seq = txn.log.append("share.created", payload, subjects)
            txn.conn.execute(insert(shares).values(
                id=share_id, asset=asset.id, recipient=recipient, team=team_id, agreement=chosen,
                purpose=purpose, format=fmt, source_sha256=asset.sha256, copy_sha256=copy_sha,
                scheme=plan["scheme"], params=params, params_sha256=params_sha, rows=rows,
                marked_cells=cells, seq=seq, created=utcnow()))
    params_t = TardosParams.from_json(plan["tardos"])
    need = needed_positions(params_t.recipients, params_t.epsilon, params_t.cutoff)
    expected = survival(plan, rows, cells, need)
    carriers = [c["name"] for c in plan.get("cat_columns") or []]
    if carriers:
        expected["categorical"] = categorical_survival(plan, rows, need)
    return ShareResult(share_id, asset.id, recipient, team_id, chosen, purpose, str(out), fmt,
                       rows, cells, [m["name"] for m in plan["mark_columns"]], asset.sha256,
                       copy_sha, seq, expected, carriers)


def _agreement(vault: Vault, decision: Any, wanted: str | None, recipient: str,
               asset_id: str) -> str | None:
    permitted = list(getattr(decision, "agreements", []) or [])
    if wanted is None:
        return permitted[0] if permitted else None
    if wanted in permitted:
        return wanted
    reason = (f"agreement {wanted!r} does not permit sharing {asset_id} with {recipient}"
              + (f" (permitted under: {', '.join(permitted)})" if permitted else ""))
    with vault.transaction(vault.actor) as txn:
        txn.log.append("share.denied", {"asset": asset_id, "recipient": recipient,
                                        "agreement": wanted, "reasons": [reason]},
                       [asset_id, recipient])
    raise PolicyDenied(f"share denied: {reason}")


def _known_plan(conn: Connection, asset_id: str, source_sha: str,
                options: ShareOptions) -> dict[str, Any] | None:
    """A plan already made for this exact content and options (so the profile pass is skipped
    and every recipient's copy is keyed the same way)."""
    query = select(shares.c.params).where(shares.c.asset == asset_id,
                                          shares.c.source_sha256 == source_sha)
    wanted = options.to_json()
    for row in conn.execute(query.order_by(shares.c.created.desc()).limit(50)):
        plan: dict[str, Any] = json.loads(row.params)
        if plan.get("options") == wanted:
            return plan
    return None


def list_shares(vault: Vault, asset_ref: str | None = None) -> list[dict[str, Any]]:
    """Every share (optionally of one asset), oldest first."""
    from hallmark.inventory.assets import resolve

    with vault.read() as conn:
        query = select(shares).order_by(shares.c.created, shares.c.id)
        if asset_ref:
            query = query.where(shares.c.asset == resolve(conn, asset_ref).id)
        out = []
        for row in conn.execute(query):
            plan = json.loads(row.params)
            out.append({"share": row.id, "asset": row.asset, "recipient": row.recipient,
                        "team": row.team, "agreement": row.agreement, "purpose": row.purpose,
                        "format": row.format, "rows": row.rows, "marked_cells": row.marked_cells,
                        "marked_columns": [m["name"] for m in plan["mark_columns"]],
                        "source_sha256": row.source_sha256, "copy_sha256": row.copy_sha256,
                        "scheme": row.scheme, "created": row.created, "seq": row.seq})
    return out

