"""Audit rules of export control and screening: models and datasets sent across borders with no
classification, transfers that need a licence no agreement records, parties on a restricted-party
list, and counterparties whose country is unknown.

"Our" country, for a share, is the country of the disclosing party of the agreement the share
was made under (its organisation's, for a team or person); with no agreement, or a discloser of
unknown country, a border cannot be ruled out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import select

from hallmark.agreements.agreements import Agreement, load_agreements
from hallmark.agreements.export import (
    NOT_CONTROLLED,
    ExportRules,
    countries,
    example_text,
    load_rules,
    parse_rules,
)
from hallmark.agreements.parties import Party, load_parties, organisation_of
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.errors import InputError
from hallmark.store import tables
from hallmark.store.clock import today

CROSS_BORDER_KINDS = ("model", "dataset")
# Actions that hand the asset over (everything but using it where it stays: inference, an API).
NOT_TRANSFERS = ("inference", "api-access")
EXTERNAL_ROLES = ("partner", "university", "sponsor", "vendor", "contractor")


@dataclass(frozen=True)
class _Share:
    id: str
    asset: str
    recipient: str
    agreement: str | None


class _World:
    """What these rules read, once per audit run."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx
        self.day = today()
        self.parties = load_parties(ctx.conn)
        self.agreements = load_agreements(ctx.conn)
        self.by_id = {a.id: a for a in self.agreements}
        rows = ctx.conn.execute(select(tables.shares.c.id, tables.shares.c.asset,
                                       tables.shares.c.recipient, tables.shares.c.agreement)
                                .order_by(tables.shares.c.id))
        self.shares = [_Share(r.id, r.asset, r.recipient, r.agreement) for r in rows]

    def org(self, party_id: str) -> Party | None:
        return organisation_of(self.parties, party_id) if party_id in self.parties else None

    def country(self, party_id: str) -> str | None:
        party = self.parties.get(party_id)
        org = self.org(party_id)
        return (party.country if party else None) or (org.country if org else None)

    def name(self, party_id: str) -> str:
        party = self.parties.get(party_id)
        return party.name if party else party_id

    def our_country(self, agreement: str | None) -> str | None:
        ag = self.by_id.get(agreement or "")
        return self.country(ag.terms["discloser"]) if ag is not None else None

    @cached_property
    def rules(self) -> ExportRules | InputError:
        vault = self.ctx.vault
        try:
            if vault is None:
                return parse_rules(example_text(), "export-rules.yaml", "the shipped example")
            return load_rules(vault.dir)
        except InputError as exc:
            return exc

    def licence(self, recipient_org: str | None, preferred: str | None) -> dict[str, Any] | None:
        """A valid, unexpired licence: on `preferred` (the share's agreement) or on any agreement
        in force with the recipient's organisation."""
        candidates = [self.by_id[preferred]] if preferred in self.by_id else []
        candidates += [a for a in self.agreements if recipient_org in
                       {o.id for p in a.parties if (o := self.org(p)) is not None}]
        for ag in candidates:
            found = _valid_licence(ag, self.day)
            if found is not None:
                return found
        return None


def _valid_licence(ag: Agreement, day: date) -> dict[str, Any] | None:
    licence = ag.terms.get("export_licence")
    if not isinstance(licence, dict) or ag.state_on(day) != "active":
        return None
    expires = licence.get("expires")
    if expires and date.fromisoformat(expires) < day:
        return None
    return licence


def _where(code: str | None) -> str:
    return f"{countries().get(code, code)} ({code})" if code else "an unknown country"


@rule("export-unclassified",
      "A model or dataset was shared across a border (or to a country unknown) with no export "
      "classification.")
def export_unclassified(ctx: AuditContext) -> Iterable[Finding]:
    """Shares of unclassified models and datasets whose recipient may be abroad."""
    world = _World(ctx)
    seen: set[tuple[str, str]] = set()
    for share in world.shares:
        asset = ctx.by_id.get(share.asset)
        if asset is None or asset.kind not in CROSS_BORDER_KINDS or asset.export_control:
            continue
        org = world.org(share.recipient)
        key = (share.asset, org.id if org else share.recipient)
        theirs, ours = world.country(share.recipient), world.our_country(share.agreement)
        if key in seen or (theirs is not None and theirs == ours):
            continue
        seen.add(key)
        why = (f"to {_where(theirs)} from {_where(ours)}" if theirs and ours else
               f"to {_where(theirs)}, from a discloser whose country is unknown" if theirs else
               "to a recipient whose country is unknown")
        yield finding("export-unclassified", "high" if theirs and ours else "medium", asset.id,
                      f"{asset.kind} {asset.name} was shared with {world.name(share.recipient)} "
                      f"({why}; share {share.id}) but has no export classification",
                      f"classify it: `hallmark asset set {asset.id} --export-control CLASS` "
                      "(an ECCN such as 4E091, EAR99, or not-controlled), and record the "
                      "parties' countries with `hallmark party set NAME --country CC`",
                      share.recipient)


@rule("export-licence-missing",
      "A share, or a permitted transfer under an agreement, needs an export licence under the "
      "vault's export rules and no agreement in force records a valid one.")
def export_licence_missing(ctx: AuditContext) -> Iterable[Finding]:
    """Transfers of classified assets to destinations that need a licence, without one."""
    world = _World(ctx)
    rules = world.rules
    if isinstance(rules, InputError):
        yield finding("export-licence-missing", "high", None,
                      f"the export rules could not be read, so no transfer was checked: "
                      f"{rules.message}",
                      "fix .hallmark/export-rules.yaml (see the documented example shipped "
                      "with Hallmark)", "export-rules")
        return
    seen: set[tuple[str, str]] = set()
    for asset_id, recipient, agreement, what in _transfers(world):
        asset = ctx.by_id.get(asset_id)
        cls = asset.export_control if asset else None
        found = rules.rule_for(cls)
        org = world.org(recipient)
        org_id = org.id if org else recipient
        country = world.country(recipient)
        if asset is None or cls in (None, NOT_CONTROLLED) or found is None or (
                (asset_id, org_id) in seen or not found.needs_licence(country)):
            continue
        if world.licence(org_id, agreement) is not None:
            continue
        seen.add((asset_id, org_id))
        yield finding("export-licence-missing", "high", asset_id,
                      f"{asset.name} ({cls}) {what} {world.name(recipient)} in "
                      f"{_where(country)}, which needs an export licence under {found.source}, "
                      "and no agreement in force records an unexpired one",
                      "obtain a licence and record it in the agreement's terms "
                      "(`export_licence: {number, authority, expires}`, then `hallmark "
                      "agreement amend`), or stop the transfer; if the recipient's country is "
                      "wrong or unknown, set it with `hallmark party set NAME --country CC`",
                      recipient)


def _transfers(world: _World) -> Iterator[tuple[str, str, str | None, str]]:
    """(asset, recipient, agreement, how it is described) for every share, then every
    transfer an agreement in force permits of an asset it covers."""
    for share in world.shares:
        yield share.asset, share.recipient, share.agreement, f"was shared (share {share.id}) with"
    for ag in world.agreements:
        if ag.state_on(world.day) != "active":
            continue
        for term in ag.terms["permitted"]:
            if not set(term["actions"]) - set(NOT_TRANSFERS):
                continue
            for asset_id in ag.terms["covers"]:
                yield asset_id, term["party"], ag.id, f"may be transferred under {ag.id} to"


@rule("screening-hit",
      "A party's name matches an entry of the imported restricted-party list (score at or "
      "above the default threshold, 85).")
def screening_hit(ctx: AuditContext) -> Iterable[Finding]:
    """Parties with a hit on the restricted-party list."""
    from hallmark.agreements.screening import DEFAULT_THRESHOLD, screen

    report = screen(ctx.conn, None, DEFAULT_THRESHOLD)
    for party in report.parties:
        if not party.hits:
            continue
        best = party.hits[0]
        severity = "medium" if best.confidence == "low" else "high"
        more = f" and {len(party.hits) - 1} other entr(ies)" if len(party.hits) > 1 else ""
        yield finding("screening-hit", severity, None,
                      f"{party.name} matches {best.matched_name!r} on {best.entry.source} "
                      f"(score {best.score}, {best.confidence} confidence: list country "
                      f"{best.entry.country or 'unknown'}, party's {party.country or 'unknown'})"
                      f"{more}",
                      f"review `hallmark screening check {party.party!r}`: if it is the listed "
                      "entity, stop sharing with it and ask export counsel; if not, record why "
                      "the hit is a false positive in your files (e.g. different address)",
                      party.party)


@rule("party-country-unknown",
      "An external organisation that is party to an agreement or received a share has no "
      "country.")
def party_country_unknown(ctx: AuditContext) -> Iterable[Finding]:
    """Counterparties (organisations) with no country on record."""
    world = _World(ctx)
    involved: dict[str, set[str]] = {}
    disclosers = {ag.terms["discloser"] for ag in world.agreements}
    for ag in world.agreements:
        for party_id in ag.parties:
            involved.setdefault(party_id, set()).add(f"agreement {ag.id}")
    for share in world.shares:
        org = world.org(share.recipient)
        if org is not None:
            involved.setdefault(org.id, set()).add("shares")
    for party_id, where in sorted(involved.items()):
        party = world.parties.get(party_id)
        if party is None or party.kind != "organisation" or party.country:
            continue
        external = party.role in EXTERNAL_ROLES or (party.role is None
                                                    and party_id not in disclosers)
        if not external:
            continue
        yield finding("party-country-unknown", "high" if "shares" in where else "medium", None,
                      f"{party.name} ({', '.join(sorted(where))}) has no country, so export "
                      "rules and cross-border checks cannot be applied to it",
                      f"record it: `hallmark party set {party.name!r} --country CC` (ISO "
                      "3166-1 alpha-2)", party_id)
