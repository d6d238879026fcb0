"""The ownership matrix: who owns every asset (register plus the agreements' ownership terms),
conflicts between claims, and contributors without an assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from hallmark.agreements.agreements import Agreement, load_agreements
from hallmark.agreements.parties import Party, ancestors, load_parties, slug
from hallmark.agreements.schema import FUTURE_SUBJECTS
from hallmark.inventory.assets import Asset, list_assets
from hallmark.schemas.agreements import OwnershipConflict, OwnershipRow
from hallmark.store.clock import today as clock_today

ASSIGNING = ("assignment", "work-for-hire")


# One ownership conflict or missing assignment, ready to become an audit finding.
Conflict = OwnershipConflict


def _conflict(rule: str, severity: str, asset: str | None, subject: str | None, message: str,
              remedy: str) -> Conflict:
    return Conflict(rule=rule, severity=severity, asset=asset, subject=subject, message=message,
                    remedy=remedy)


def party_for_owner(index: dict[str, Party], text: str | None) -> str | None:
    """The party a register owner names (by id or name, case-insensitive), if any."""
    if not text:
        return None
    by_name = {p.name.lower(): p.id for p in index.values()}
    if text.strip().lower() in by_name:
        return by_name[text.strip().lower()]
    try:
        key = slug(text)
    except Exception:
        return None
    return key if key in index else None


def in_force(ag: Agreement, today: date) -> bool:
    """Its terms hold today (not pending, expired or terminated)."""
    return ag.state_on(today) == "active"


def claims(agreements: list[Agreement], today: date) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """asset id -> [(agreement id, {party: share})] from the ownership terms in force."""
    out: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for ag in sorted(agreements, key=lambda a: (a.effective, a.updated)):  # newest last
        if not in_force(ag, today):
            continue
        for term in ag.terms["ownership"]:
            if term["subject"] in FUTURE_SUBJECTS:
                continue
            shares = {term["owner"]: "100"} if term["owner"] else dict(term["joint"])
            out.setdefault(term["subject"], []).append((ag.id, shares))
    return out


def matrix_rows(conn: Connection, today: date | None = None) -> list[OwnershipRow]:
    """Every asset with its owner or joint shares, status and the establishing agreement."""
    today = today or clock_today()
    index = load_parties(conn)
    agreements = load_agreements(conn)
    terms = {a.id: a.terms for a in agreements}
    by_asset = claims(agreements, today)
    rows = []
    for asset in list_assets(conn):
        found = by_asset.get(asset.id, [])
        if found:
            agreement, shares = found[-1]
            row = _row(asset, shares, agreement, [a for a, _ in found])
            row.governing_law = terms[agreement].get("governing_law")
            row.jurisdiction = terms[agreement].get("jurisdiction")
            rows.append(row)
        elif asset.owner:
            owner = party_for_owner(index, asset.owner) or asset.owner
            rows.append(_row(asset, {owner: "100"}, "register"))
        else:
            rows.append(_row(asset, {}, "none"))
    return rows


def _row(asset: Asset, owners: dict[str, str], source: str,
         agreements: list[str] | None = None) -> OwnershipRow:
    return OwnershipRow(asset=asset.id, name=asset.name, kind=asset.kind, status=asset.status,
                        register_owner=asset.owner if source != "none" else None,
                        owners=owners, source=source, agreements=agreements or [])


def future_terms(conn: Connection) -> list[dict[str, Any]]:
    """Who owns improvements, derivatives and results under each agreement."""
    out = []
    for ag in load_agreements(conn):
        for term in ag.terms["ownership"]:
            if term["subject"] in FUTURE_SUBJECTS:
                out.append({"agreement": ag.id, "subject": term["subject"],
                            "owners": {term["owner"]: "100"} if term["owner"] else term["joint"]})
    return out


def conflicts(conn: Connection, today: date | None = None) -> list[Conflict]:
    """Claims above 100%, joint ownership with no agreement, assignments that contradict the
    register."""
    today = today or clock_today()
    index = load_parties(conn)
    agreements = load_agreements(conn)
    by_asset = claims(agreements, today)
    out = []
    for asset in list_assets(conn):
        found = by_asset.get(asset.id, [])
        best: dict[str, Decimal] = {}
        for _, shares in found:
            for party, share in shares.items():
                best[party] = max(best.get(party, Decimal(0)), Decimal(share))
        total = sum(best.values(), Decimal(0))
        if total > 100:
            named = ", ".join(f"{a}: {_shares(s, index)}" for a, s in found)
            out.append(_conflict("ownership-conflict", "high", asset.id, None,
                                f"claims on {asset.name} add up to {total}% ({named})",
                                "amend the agreements so the shares add up to 100%"))
        if asset.status == "joint" and not found:
            out.append(_conflict("ownership-conflict", "high", asset.id, None,
                                f"{asset.name} is registered as jointly owned but no agreement in "
                                "force sets the shares",
                                "record a collaboration agreement with an ownership term for it"))
        register = party_for_owner(index, asset.owner)
        for ag in agreements:
            if ag.type not in ASSIGNING or not in_force(ag, today):
                continue
            for term in ag.terms["ownership"]:
                if term["subject"] == asset.id and term["owner"] and asset.owner and \
                        term["owner"] != register:
                    out.append(_conflict(
                        "ownership-conflict", "high", asset.id, ag.id,
                        f"{ag.type} {ag.id} assigns {asset.name} to "
                        f"{_name(index, term['owner'])} but the register says {asset.owner}",
                        f"correct the register (`hallmark asset set {asset.id} --owner ...`) "
                        "or the agreement"))
    return out


def missing_assignments(conn: Connection, today: date | None = None) -> list[Conflict]:
    """Git contributors to code not covered by an assignment or work-for-hire agreement: one
    gap per person (an unregistered one keyed by e-mail, a registered one by party id), with
    the files and the share of the code's lines that are not covered."""
    today = today or clock_today()
    index = load_parties(conn)
    by_email = {p.email.lower(): p.id for p in index.values() if p.email}
    by_name = {p.name.lower(): p.id for p in index.values()}
    assigning = [ag for ag in load_agreements(conn) if ag.type in ASSIGNING
                 and ag.state_on(today) != "pending"
                 and not (ag.terminated_on and ag.terminated_on <= ag.effective)]
    people: dict[str, _Contribution] = {}
    total = 0
    for asset in list_assets(conn, "code"):
        for author in _authors(asset):
            name, email = str(author.get("name") or ""), str(author.get("email") or "").lower()
            lines = author.get("lines")
            lines = lines if isinstance(lines, int) and lines > 0 else 0
            total += lines
            who = by_email.get(email) or by_name.get(name.lower())
            if who is not None:
                chain = set(ancestors(index, who))
                if any(chain & assignors(ag) and (not ag.terms["covers"]
                       or asset.id in ag.terms["covers"]) for ag in assigning):
                    continue
            # git blame already applied the repository's .mailmap; e-mails match in any case
            key = who or email or f"name:{name.lower()}"
            person = people.setdefault(key, _Contribution(who, name, email))
            person.add(asset, lines, _percent(author.get("share")))
    ranked = sorted(people.values(), key=lambda p: (-p.lines, p.party or p.email or p.name))
    return [p.conflict(index, total) for p in ranked]


_FILES_LISTED = 5


@dataclass
class _Contribution:
    """What one person wrote that no assignment covers."""

    party: str | None
    name: str
    email: str
    lines: int = 0
    files: list[str] = field(default_factory=list)
    top_share: float = 0.0  # their largest share of any one file, in percent

    def add(self, asset: Asset, lines: int, share: float | None) -> None:
        """Count one file of theirs."""
        self.lines += lines
        self.files.append(asset.path)
        self.top_share = max(self.top_share, 100.0 if share is None else share)

    def conflict(self, index: dict[str, Party], total: int) -> Conflict:
        """The gap as one finding-ready conflict."""
        files = sorted(self.files)
        listed = ", ".join(files[:_FILES_LISTED])
        if len(files) > _FILES_LISTED:
            listed += f" and {len(files) - _FILES_LISTED} more"
        percent = round(100 * self.lines / total, 1) if total else 0.0
        wrote = (f"wrote {percent:g}% of the code's lines ({self.lines} of {total}) in "
                 f"{len(files)} file{'s' if len(files) != 1 else ''}: {listed}")
        severity = "high" if max(percent, self.top_share) >= 30 else "medium"
        if self.party is None:
            label = f"{self.name} <{self.email}>" if self.email else self.name
            return _conflict("missing-assignment", severity, None, self.email or self.name,
                            f"{label} {wrote}, and is not a registered party",
                            "register them (`hallmark party add`) and record an assignment or "
                            "work-for-hire agreement")
        them = "them" if len(files) != 1 else "it"
        name = index[self.party].name
        return _conflict("missing-assignment", severity, None, self.party,
                        f"{name} {wrote}, with no assignment or work-for-hire agreement "
                        f"covering {them}",
                        f"record an assignment (or work-for-hire) agreement with {name} or "
                        "their organisation")


def assignors(ag: Agreement) -> set[str]:
    """The parties that give up rights under an assignment: all but the company, which is the
    discloser (the first party unless `discloser` names another)."""
    return set(ag.parties) - {ag.terms["discloser"]}


def _authors(asset: Asset) -> list[dict[str, Any]]:
    authors = asset.metadata.get("authors")
    if not isinstance(authors, list):
        return []
    return [a for a in authors[:10_000] if isinstance(a, dict)]


def _percent(share: Any) -> float | None:
    try:
        value = float(share)
    except (TypeError, ValueError):
        return None
    return round(value * 100 if value <= 1 else value, 1)


def _name(index: dict[str, Party], party: str) -> str:
    return index[party].name if party in index else party


def _shares(shares: dict[str, str], index: dict[str, Party]) -> str:
    return " + ".join(f"{_name(index, p)} {s}%" for p, s in shares.items())
