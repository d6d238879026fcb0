"""Access decisions over a vault's database: the access service decides a batch of requests
(`check`, sharing and the API call it). Requests name parties, teams and assets as users write
them; the compiled policies are cached until the agreements, parties or assets change."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.ownership import claims, party_for_owner
from hallmark.agreements.parties import Party, ancestors, load_parties, organisation_of, slug
from hallmark.agreements.schema import parse_date
from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.policy.compile import (
    ACTIONS,
    AgreementInput,
    ExportControl,
    PermitTerm,
    compile_policies,
)
from hallmark.policy.decide import Decision, Engine, Request
from hallmark.store.clock import today as clock_today
from hallmark.store.tables import acknowledgements, assets, events, ledger_head

if TYPE_CHECKING:
    from hallmark.agreements.export import ExportRules
    from hallmark.vault import Txn

T = TypeVar("T")

MAX_BATCH = 100_000
MAX_BATCH_BYTES = 64 << 20
REQUEST_KEYS = ("party", "asset", "action", "team", "purpose", "at", "person")


@dataclass(frozen=True)
class AccessRequest:
    """A request as a caller writes it: names or ids; `at` defaults to today (UTC)."""

    party: str
    asset: str
    action: str
    team: str | None = None
    purpose: str | None = None
    at: date | str | None = None
    person: str | None = None  # a person inside the party (or team) the decision is for


class Snapshot:
    """The compiled policies plus the lookups that turn names into ids, for one vault state
    and one set of export rules."""

    def __init__(self, conn: Connection, rules: ExportRules | None = None) -> None:
        self.parties = load_parties(conn)
        self.party_names = {p.name.lower(): p.id for p in self.parties.values()}
        rows = conn.execute(select(assets.c.id, assets.c.name, assets.c.path, assets.c.owner,
                                   assets.c.export_control))
        self.asset_ids: dict[str, str] = {}
        self.asset_refs: dict[str, set[str]] = {}
        register: dict[str, str | None] = {}
        export: dict[str, ExportControl] = {}
        # one control per classification: rule matching and the destination set (up to every
        # country, for an all_except rule) are worked out once, not once per asset
        controls: dict[str, ExportControl | None] = {}
        for r in rows:
            self.asset_ids[r.id] = r.id
            register[r.id] = r.owner
            if r.export_control is not None and rules is not None:
                if r.export_control not in controls:
                    rule = rules.rule_for(r.export_control)
                    controls[r.export_control] = None if rule is None else ExportControl(
                        r.export_control, rule.source, rule.destinations())
                control = controls[r.export_control]
                if control is not None:
                    export[r.id] = control
            for ref in (r.name, r.path):
                self.asset_refs.setdefault(ref, set()).add(r.id)
        today = clock_today()
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
        versions = {ag.id: ag.version for ag in ags}
        acknowledged: dict[str, set[str]] = {}
        for a in conn.execute(select(acknowledgements.c.agreement, acknowledgements.c.person,
                                     acknowledgements.c.version)):
            if versions.get(a.agreement) == a.version:  # the version in force only
                acknowledged.setdefault(a.person, set()).add(a.agreement)
        compiled = compile_policies(
            inputs, {p.id: p.member_of for p in self.parties.values()},
            {p.id: p.name for p in self.parties.values()}, owners, self.asset_ids,
            export=export, countries={p.id: p.country for p in self.parties.values()},
            persons=[p.id for p in self.parties.values() if p.kind == "person"],
            acknowledged=acknowledged)
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
        party = _about("party", self.party, req.party)
        principal = party
        if req.team is not None:
            team_ref = req.team if "/" in req.team else \
                f"{organisation_of(self.parties, party.id).name}/{req.team}"
            team = _about("team", self.party, team_ref)
            chain = ancestors(self.parties, party.id)
            inside = ancestors(self.parties, team.id)
            if team.kind != "team" or (party.id not in inside and team.id not in chain):
                raise InputError(f"{team.name!r} is not a team of {party.name!r}",
                                 field="team")
            principal = team if party.id in inside else party
        person = None
        if req.person is not None:
            person = _about("person", self.party, req.person)
            if person.kind != "person":
                article = "an" if person.kind == "organisation" else "a"
                raise InputError(f"{person.name!r} is {article} {person.kind}, not a person",
                                 field="person")
            if principal.id not in ancestors(self.parties, person.id):
                raise InputError(f"{person.name!r} is not a member of {principal.name!r}",
                                 field="person")
        check_values(req)
        at = today if req.at is None else req.at
        if isinstance(at, str):
            at = parse_date(at)
        asset = _about("asset", self.asset, req.asset)
        echo = {"party": party.id, "team": principal.id if principal is not party else None,
                "asset": asset, "action": req.action, "purpose": req.purpose,
                "at": at.isoformat(), **({"person": person.id} if person else {})}
        who = person if person is not None else principal
        return Request(who.id, asset, req.action, at, req.purpose), echo


def _about(field: str, lookup: Callable[[str], T], ref: str) -> T:
    """`lookup(ref)`; a failed lookup is about the request's `field`."""
    try:
        return lookup(ref)
    except HallmarkError as exc:
        if exc.field is None:
            exc.field = field
        raise


def check_values(req: AccessRequest) -> None:
    """Refuse a request whose action, purpose or date makes no sense, naming the field."""
    for name in ("party", "asset", "action"):
        if not isinstance(getattr(req, name), str):
            raise InputError(f"expected text, got {type(getattr(req, name)).__name__}",
                             field=name)
    for name in ("team", "purpose", "person"):
        if getattr(req, name) is not None and not isinstance(getattr(req, name), str):
            raise InputError(f"expected text, got {type(getattr(req, name)).__name__}",
                             field=name)
    if req.action not in ACTIONS:
        raise InputError(f"unknown action {req.action!r} (one of {', '.join(ACTIONS)})",
                         field="action")
    if isinstance(req.at, str):
        try:
            parse_date(req.at)
        except ValueError as exc:
            raise InputError(str(exc), field="at") from None
    elif isinstance(req.at, datetime):  # a date and time: which day it is depends on a zone
        raise InputError("expected a date (or YYYY-MM-DD), got a date and time", field="at")
    elif req.at is not None and not isinstance(req.at, date):
        raise InputError(f"expected a date, got {type(req.at).__name__}", field="at")
    if req.purpose is not None and not req.purpose.strip():
        raise InputError("must not be empty", field="purpose")


def parse_batch(text: str, name: str) -> list[AccessRequest]:
    """The requests of a batch: a JSON array or JSON Lines of objects with string fields
    party, asset, action and optionally team, purpose, at (YYYY-MM-DD)."""
    stripped = text.lstrip()
    try:
        items = json.loads(text) if stripped.startswith("[") else [
            json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} line {exc.lineno}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply to be a batch of requests",
                         field="batch") from None
    if not isinstance(items, list):
        items = [items]
    if len(items) > MAX_BATCH:
        raise InputError(f"{name}: at most {MAX_BATCH} requests")
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) - set(REQUEST_KEYS) or not all(
                isinstance(item.get(k), str) for k in ("party", "asset", "action")) or any(
                v is not None and not isinstance(v, str) for v in item.values()):
            raise InputError(f"{name} request {n}: expected an object with string fields "
                             f"party, asset, action and optionally team, purpose, at, person")
        if item.get("at") is not None:
            try:
                date.fromisoformat(item["at"])
            except ValueError:
                raise InputError(f"{name} request {n}: at: expected a date (YYYY-MM-DD), "
                                 f"got {item['at']!r}") from None
        out.append(AccessRequest(**item))
    return out


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
        tuple(t["prohibited"]),
        licence=(t.get("export_licence") or {}).get("number"),
        licence_expires=date.fromisoformat(t["export_licence"]["expires"])
        if (t.get("export_licence") or {}).get("expires") else None,
        require_acknowledgement=bool(t.get("require_acknowledgement")))


_cache: dict[str, tuple[int, str, Snapshot, str]] = {}  # ... and the rules' digest
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


def snapshot(cache_key: str, conn: Connection, rules: ExportRules | None = None) -> Snapshot:
    """The compiled state of the vault whose database is `cache_key`, rebuilt only when
    something other than a decision was logged since, the day changed, or the export rules
    file did."""
    today = clock_today().isoformat()
    digest = rules.sha256 if rules is not None else ""
    with _lock:
        cached = _cache.get(cache_key)
    if cached is not None and cached[1] == today and cached[3] == digest:
        size = _unchanged(conn, cached[0])
        if size is not None:
            with _lock:
                _cache[cache_key] = (size, today, cached[2], digest)
            return cached[2]
    size = conn.execute(select(ledger_head.c.size).where(ledger_head.c.id == 1)).scalar() or 0
    built = Snapshot(conn, rules)
    with _lock:
        _cache[cache_key] = (size, today, built, digest)
    return built


def decide_on(conn: Connection, cache_key: str, requests: Sequence[AccessRequest],
              rules: ExportRules | None = None) -> list[Decision]:
    """Decide many requests against the database's current state and the export rules (deny
    by default); each decision's `request` is the request as decided (ids resolved, date
    filled in)."""
    if len(requests) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} requests per batch", field="requests")
    for req in requests:
        check_values(req)
    if not requests:
        return []
    today = clock_today()
    snap = snapshot(cache_key, conn, rules)
    resolved = [snap.request(r, today) for r in requests]
    decisions = snap.engine.decide([r for r, _ in resolved])
    for decision, (_, echo) in zip(decisions, resolved, strict=True):
        decision.request = echo
    return decisions


def log_decisions(txn: Txn, decisions: Sequence[Decision],
                  rules: ExportRules | None = None) -> None:
    """Log one `access.decided` Event for a batch of decisions (with the digest of the export
    rules file that decided them: editing it is not an event, so each decision names it)."""
    subjects = {d.request[k] for d in decisions for k in ("party", "team", "asset", "person")
                if d.request.get(k)}
    subjects |= {a for d in decisions for a in d.agreements}
    txn.log.append("access.decided", {"decisions": [
        {**d.request, "allowed": d.allowed, "agreements": d.agreements,
         "policies": d.policies} for d in decisions],
        **({"export_rules_sha256": rules.sha256} if rules is not None else {})},
        sorted(subjects))
