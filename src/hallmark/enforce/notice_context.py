"""What a notice says, gathered from the vault: the agreements in force, the clauses, the share,
the p-value, the cure period and remedies, and the evidence bundles sent with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from hallmark.agreements.agreements import get_agreement
from hallmark.agreements.parties import load_parties
from hallmark.agreements.schema import add_duration
from hallmark.enforce.notice import bullets, plain_p_value
from hallmark.inventory.assets import resolve
from hallmark.ledger import bundle, note
from hallmark.schemas.incidents import Incident
from hallmark.store.clock import today
from hallmark.store.tables import shares, traces

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["Drafted", "prepare"]

UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


@dataclass
class Drafted:
    """A notice ready to render: its kind, the template's values, the bundles to enclose."""

    kind: str
    values: dict[str, str]
    bundles: list[tuple[Path, bytes, str]] = field(default_factory=list)
    checkpoint_size: int = 0
    checkpoint_root: str = ""
    cure_period: str | None = None
    cure_due: str | None = None

    @property
    def bundle_digests(self) -> list[str]:
        """The SHA-256 of each enclosed bundle."""
        return [digest for _, _, digest in self.bundles]


def _words(duration: str) -> str:
    n, unit = int(duration[:-1]), UNITS[duration[-1]]
    return f"{n} {unit[:-1] if n == 1 else unit}"


def _clause_line(c: Any) -> str:
    where = f" ({c.location})" if c.location else ""
    source = "reviewed document" if c.source == "document" else "terms"
    return f"**{c.agreement}, {c.clause}** ({source}{where}): {c.text}"


def prepare(conn: Connection, vault: Vault, incident: Incident, settings: dict[str, Any],
            target: Path) -> Drafted:
    """Everything a notice for `incident` needs, with its evidence bundles built."""
    parties = load_parties(conn)
    day = today()
    recorded = [get_agreement(conn, a) for a in incident.agreements]
    in_force = [a for a in recorded if a.state_on(day) == "active"
                and incident.party in a.terms["parties"]]
    kind = "breach-notice" if in_force else "cease-and-desist"
    drafted = Drafted(kind=kind, values={})
    remedies = list(settings["remedies"])
    cure = settings["cure_period"] if incident.cure_period is None else incident.cure_period
    for ag in in_force:
        breach = ag.terms.get("breach") or {}
        if breach.get("remedies"):
            remedies = list(breach["remedies"])
            break
    if kind == "breach-notice":
        drafted.cure_period = cure
        drafted.cure_due = add_duration(day, cure).isoformat()
    for n, share in enumerate(incident.shares):
        manifest, members = bundle.build(conn, share, vault.key_name,
                                         vault.signing_key.public_key())
        data = bundle.zip_bytes(members)
        suffix = "" if n == 0 else f"-{share}"
        drafted.bundles.append((target.with_name(f"{target.stem}-evidence{suffix}.zip"), data,
                                hashlib.sha256(data).hexdigest()))
        checkpoint = note.open_checkpoint(members["checkpoint.txt"].decode(), vault.key_name,
                                          vault.signing_key.public_key())
        drafted.checkpoint_size, drafted.checkpoint_root = checkpoint.size, \
            checkpoint.root.hex()
    asset = resolve(conn, incident.asset)
    trace = conn.execute(select(traces).where(traces.c.id == incident.source)).first()
    made = {r.id: r.created[:10] for r in conn.execute(
        select(shares.c.id, shares.c.created).where(shares.c.id.in_(incident.shares)))}
    party = parties.get(incident.party)
    sender = settings["sender"] or next(
        (parties[a.terms["discloser"]].name for a in in_force
         if a.terms.get("discloser") in parties), None) or vault.origin
    described = [f"{a.title} (id {a.id}, effective {a.effective}, version {a.version})"
                 for a in (in_force or recorded)]
    best = min((a.p_value for a in incident.accused), default=1.0)
    names = [p.name for p, _, _ in drafted.bundles]
    drafted.values = {
        "date": day.isoformat(), "sender": sender,
        "party_name": party.name if party else incident.party, "incident": incident.incident,
        "agreements": "; ".join(described) or "no agreement on record",
        "found_on": trace.created[:10] if trace is not None else incident.opened[:10],
        "asset_name": asset.name, "asset_kind": asset.kind, "asset_sha256": asset.sha256,
        "shares": ", ".join(f"share {s}, provided on {made.get(s, 'record')}"
                            for s in incident.shares),
        "p_value_words": plain_p_value(best, int(trace.recipients) if trace is not None else 1),
        "clauses": bullets([_clause_line(c) for c in incident.clauses]),
        "cure_period": _words(cure), "cure_due": drafted.cure_due or "",
        "remedies": bullets(remedies), "evidence_files": ", ".join(names),
        "evidence_sha256": ", ".join(drafted.bundle_digests),
        "evidence_first": names[0] if names else "evidence.zip",
        "checkpoint_size": str(drafted.checkpoint_size),
        "checkpoint_root": drafted.checkpoint_root,
        "verifier_key": note.verifier_key(vault.key_name, vault.signing_key.public_key()),
    }
    return drafted

