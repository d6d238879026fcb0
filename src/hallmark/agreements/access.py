"""Access decisions over the vault: `decide(vault, requests)` is the batch API that `check`,
sharing and the API call. Requests name parties, teams and assets as users write them; the
compiled policies are cached until the agreements, parties or assets change."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.ownership import claims, party_for_owner
from hallmark.agreements.parties import Party, ancestors, load_parties, organisation_of, slug
from hallmark.agreements.schema import parse_date
from hallmark.errors import InputError, NotFound
from hallmark.policy.compile import ACTIONS, AgreementInput, PermitTerm, compile_policies
from hallmark.policy.decide import Decision, Engine, Request
from hallmark.store.tables import assets, events, ledger_head
from hallmark.vault import Vault

MAX_BATCH = 100_000


@dataclass(frozen=True)
class AccessRequest:
    """A request as a caller writes it: names or ids; `at` defaults to today (UTC)."""

    party: str
    asset: str
    action: str
    team: str | None = None
    purpose: str | None = None
    at: date | str | None = None


class Snapshot:
    """The compiled policies plus the lookups that turn names into ids, for one vault state."""

    def __init__(self, conn: Connection) -> None:
        self.parties = load_parties(conn)
        self.party_names = {p.name.lower(): p.id for p in self.parties.values()}
        rows = conn.execute(select(assets.c.id, assets.c.name, assets.c.path, assets.c.owner))
        self.asset_ids: dict[str, str] = {}
        self.asset_refs: dict[str, set[str]] = {}
        register: dict[str, str | None] = {}
        for r in rows:
            self.asset_ids[r.id] = r.id
            register[r.id] = r.owner
            for ref in (r.name, r.path):
                self.asset_refs.setdefault(ref, set()).add(r.id)
        today = date.today()
        ags = load_agreements(conn)
        owners: dict[str, dict[str, str]] = {}
        for asset_id, found in claims(ags, today).items():
            for agreement, shares in found:
                for party in shares:
                    owners.setdefault(asset_id, {})[party] = f"ownership term of {agreement}"
        for asset_id, text in register.items():
            owner = party_for_owner(self.parties, text)
            if owner and asset_id not in owners:
                owners[asset_id] = {owner: "asset register"}
        inputs = [_input(ag) for ag in ags]
        compiled = compile_policies(
            inputs, {p.id: p.member_of for p in self.parties.values()},
            {p.id: p.name for p in self.parties.values()}, owners, self.asset_ids)
        self.engine = Engine(compiled)

    def party(self, ref: str) -> Party:
        """A party by id or name."""
        key = ref.strip()
        found = self.parties.get(key) or self.parties.get(
            self.party_names.get(key.lower(), ""))
        if found is None:
            try:
                found = self.parties.get(slug(key))
            except InputError:
                found = None
        if found is None:
            raise NotFound(f"unknown party {ref!r}")
        return found

    def asset(self, ref: str) -> str:
        """An asset id by id, unambiguous id prefix, name or path."""
        key = ref.strip()
        if key in self.asset_ids:
            return key
        found = self.asset_refs.get(key) or {a for a in self.asset_ids
                                             if key and a.startswith(key.lower())}
        if len(found) == 1:
            return next(iter(found))
        if not found:
            raise NotFound(f"no asset matches {ref!r}")
        raise InputError(f"asset reference {ref!r} is ambiguous")

    def request(self, req: AccessRequest, today: date) -> tuple[Request, dict[str, Any]]:
        """Resolve names and check values; returns the engine's request and its echo."""
        party = self.party(req.party)
        principal = party
        if req.team is not None:
            team_ref = req.team if "/" in req.team else \
                f"{organisation_of(self.parties, party.id).name}/{req.team}"
            team = self.party(team_ref)
            chain = ancestors(self.parties, party.id)
            inside = ancestors(self.parties, team.id)
            if team.kind != "team" or (party.id not in inside and team.id not in chain):
                raise InputError(f"{team.name!r} is not a team of {party.name!r}")
            principal = team if party.id in inside else party
        if req.action not in ACTIONS:
            raise InputError(f"unknown action {req.action!r} (one of {', '.join(ACTIONS)})")
        at = today if req.at is None else req.at
        if isinstance(at, str):
            try:
                at = parse_date(at)
            except ValueError as exc:
                raise InputError(f"--at: {exc}") from None
        if req.purpose is not None and not req.purpose.strip():
            raise InputError("--purpose must not be empty")
        asset = self.asset(req.asset)
        echo = {"party": party.id, "team": principal.id if principal is not party else None,
                "asset": asset, "action": req.action, "purpose": req.purpose,
                "at": at.isoformat()}
        return Request(principal.id, asset, req.action, at, req.purpose), echo


def _input(ag: Any) -> AgreementInput:
    t = ag.terms
    return AgreementInput(
        ag.id, ag.version, ag.type, tuple(t["parties"]), t["discloser"],
        date.fromisoformat(ag.effective), date.fromisoformat(ag.expires) if ag.expires else None,
        date.fromisoformat(ag.terminated_on) if ag.terminated_on else None,
        frozenset(t["covers"]),
        tuple(PermitTerm(p["party"], tuple(p["teams"]) if p["teams"] else None,
                         tuple(p["actions"]), tuple(p["purposes"]) if p["purposes"] else None)
              for p in t["permitted"]),
        tuple(t["prohibited"]))


_cache: dict[str, tuple[int, str, Snapshot]] = {}
_lock = threading.Lock()


def _unchanged(conn: Connection, since: int) -> int | None:
    """The log size now if nothing but decisions was logged since `since`, else None. Every
    state change appends an event, so this is exact."""
    size = conn.execute(select(ledger_head.c.size).where(ledger_head.c.id == 1)).scalar() or 0
    if size == since:
        return size
    other = conn.execute(select(events.c.seq).where(
        events.c.seq >= since, events.c.type != "access.decided").limit(1)).first()
    return size if other is None else None


def snapshot(vault: Vault, conn: Connection) -> Snapshot:
    """The compiled state of this vault, rebuilt only when something other than a decision was
    logged since (or the day changed)."""
    key, today = vault.db_url, date.today().isoformat()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[1] == today:
        size = _unchanged(conn, cached[0])
        if size is not None:
            with _lock:
                _cache[key] = (size, today, cached[2])
            return cached[2]
    size = conn.execute(select(ledger_head.c.size).where(ledger_head.c.id == 1)).scalar() or 0
    built = Snapshot(conn)
    with _lock:
        _cache[key] = (size, today, built)
    return built


def decide(vault: Vault, requests: Sequence[AccessRequest], *, actor: str,
           log: bool = True) -> list[Decision]:
    """Decide many access requests at once (deny by default); logs one Event for the batch,
    attributed to `actor`."""
    if len(requests) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} requests per batch")
    if not requests:
        return []
    today = date.today()
    with vault.read() as conn:
        snap = snapshot(vault, conn)
    resolved = [snap.request(r, today) for r in requests]
    decisions = snap.engine.decide([r for r, _ in resolved])
    for decision, (_, echo) in zip(decisions, resolved, strict=True):
        decision.request = echo
    if log:
        with vault.transaction(actor) as txn:
            subjects = {e[k] for _, e in resolved for k in ("party", "team", "asset") if e[k]}
            subjects |= {a for d in decisions for a in d.agreements}
            txn.log.append("access.decided", {"decisions": [
                {**d.request, "allowed": d.allowed, "agreements": d.agreements,
                 "policies": d.policies} for d in decisions]}, sorted(subjects))
    return decisions


def check(vault: Vault, party: str, asset: str, action: str, team: str | None = None,
          purpose: str | None = None, at: str | None = None, *, actor: str) -> Decision:
    """One access decision, logged."""
    return decide(vault, [AccessRequest(party, asset, action, team, purpose, at)],
                  actor=actor)[0]
