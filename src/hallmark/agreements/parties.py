"""Parties: organisations, teams inside them (written `Org/Team`) and persons. Every add logs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from hallmark.errors import InputError, NotFound
from hallmark.schemas.parties import Party as Party  # re-exported: the internals name it here
from hallmark.store.clock import utcnow
from hallmark.store.tables import parties

if TYPE_CHECKING:
    from hallmark.vault import Txn

KINDS = ("organisation", "team", "person")
ROLES = ("partner", "contractor", "employee", "sponsor", "vendor", "university")
MAX_NAME = 100


def slug(name: str) -> str:
    """The id of a party name: lower-case words joined by '-', teams as 'org/team'."""
    parts = [re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in name.split("/")]
    if not all(parts):
        raise InputError(f"party name {name!r} needs letters or digits in every part")
    return "/".join(parts)


def _from_row(row: Any) -> Party:
    return Party(id=row.id, name=row.name, kind=row.kind, member_of=row.member_of, role=row.role,
                 email=row.email, created=row.created, country=row.country)


def load_parties(conn: Connection) -> dict[str, Party]:
    """Every party by id."""
    return {r.id: _from_row(r) for r in conn.execute(select(parties).order_by(parties.c.name))}


def resolve_party(conn: Connection, ref: str, *, field: str | None = None) -> Party:
    """A party by id or name (case-insensitive); teams as `Org/Team`. Its errors name `field`
    (the parameter the reference came in)."""
    ref = ref.strip()
    if not ref:
        raise InputError("empty party name", field=field)
    row = conn.execute(select(parties).where(parties.c.id == ref)).first()
    if row is None:
        row = conn.execute(
            select(parties).where(func.lower(parties.c.name) == ref.lower())).first()
    if row is None:
        try:
            row = conn.execute(select(parties).where(parties.c.id == slug(ref))).first()
        except InputError:
            row = None
    if row is None:
        raise NotFound(f"unknown party {ref!r} (add it with `hallmark party add`)", field=field)
    return _from_row(row)


def resolve_team(conn: Connection, party: Party, team: str) -> Party:
    """The team `team` (its full `Org/Team` name, or the part after the slash) inside `party`."""
    org = organisation_of(load_parties(conn), party.id)
    candidates = [team] if "/" in team else [f"{org.name}/{team}", team]
    for ref in candidates:
        try:
            found = resolve_party(conn, ref)
        except NotFound:
            continue
        if found.kind == "team":
            if organisation_of(load_parties(conn), found.id).id != org.id:
                raise InputError(f"team {found.name!r} does not belong to {org.name!r}")
            return found
    raise NotFound(f"unknown team {team!r} of {org.name!r}")


def ancestors(index: dict[str, Party], party_id: str) -> list[str]:
    """The party and every group it belongs to, nearest first."""
    chain: list[str] = []
    current: str | None = party_id
    while current is not None and current not in chain:
        chain.append(current)
        current = index[current].member_of if current in index else None
    return chain


def organisation_of(index: dict[str, Party], party_id: str) -> Party:
    """The outermost group a party belongs to (itself for an organisation or a lone person)."""
    return index[ancestors(index, party_id)[-1]]


def check_party_fields(name: str, kind: str, role: str | None, email: str | None) -> str:
    """The name with its spaces normalised, after checking the fields that need no database."""
    name = " ".join(name.split())
    if kind not in KINDS:
        raise InputError(f"must be one of {', '.join(KINDS)} (got {kind!r})", field="kind")
    if role is not None and role not in ROLES:
        raise InputError(f"must be one of {', '.join(ROLES)} (got {role!r})", field="role")
    if not name or len(name) > MAX_NAME:
        raise InputError(f"a party name is 1 to {MAX_NAME} characters", field="name")
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise InputError(f"{email!r} is not an email address", field="email")
    return name


def insert_party(txn: Txn, name: str, kind: str, member_of: str | None = None,
                 role: str | None = None, email: str | None = None,
                 country: str | None = None) -> Party:
    """Register a party and log `party.added`; a team's name becomes `Org/Team`."""
    name = check_party_fields(name, kind, role, email)
    group = _group(txn.conn, name, kind, member_of)
    if kind == "team" and group is not None and "/" not in name:
        name = f"{group.name}/{name}"
    party_id = slug(name)
    clash = txn.conn.execute(select(parties).where(
        (parties.c.id == party_id) | (func.lower(parties.c.name) == name.lower()))).first()
    if clash is not None:
        raise InputError(f"party {clash.name!r} already exists (id {clash.id})", field="name")
    party = Party(id=party_id, name=name, kind=kind, member_of=group.id if group else None,
                  role=role, email=email, created=utcnow(), country=country)
    txn.conn.execute(insert(parties).values(**party.model_dump()))
    txn.log.append("party.added",
                   {"id": party.id, "name": party.name, "kind": kind,
                    "member_of": party.member_of, "role": role,
                    **({"country": country} if country else {})},
                   [party.id] + ([party.member_of] if party.member_of else []))
    return party


def update_party(txn: Txn, party_id: str, changes: dict[str, str]) -> Party:
    """Change validated fields of a party (country, role, email); logs `party.updated`."""
    txn.conn.execute(update(parties).where(parties.c.id == party_id).values(**changes))
    row = txn.conn.execute(select(parties).where(parties.c.id == party_id)).one()
    # An email is personal data: the append-only log says it changed, not what it is.
    shown = {k: v for k, v in changes.items() if k != "email"}
    txn.log.append("party.updated", {"id": party_id, "changed": sorted(changes), **shown},
                   [party_id])
    return _from_row(row)


def _group(conn: Connection, name: str, kind: str, member_of: str | None) -> Party | None:
    if kind == "team":
        if "/" in name:
            org_name, _, team = name.rpartition("/")
            if not team.strip():
                raise InputError(f"team name {name!r} needs a name after the slash")
            org = resolve_party(conn, org_name, field="name")
            if member_of is not None and resolve_party(conn, member_of,
                                                       field="member_of").id != org.id:
                raise InputError(f"team {name!r} is written inside {org.name!r}, "
                                 f"not {member_of!r}", field="member_of")
        elif member_of is None:
            raise InputError("a team needs the organisation it belongs to (or write it as "
                             "Org/Team)", field="member_of")
        else:
            org = resolve_party(conn, member_of, field="member_of")
        if org.kind != "organisation":
            raise InputError(f"a team belongs to an organisation; {org.name!r} is a {org.kind}",
                             field="member_of")
        return org
    if "/" in name:
        raise InputError(f"only a team's name has a slash (got {name!r})")
    if member_of is None:
        return None
    if kind == "organisation":
        raise InputError("an organisation is not a member of another party", field="member_of")
    group = resolve_party(conn, member_of, field="member_of")
    if group.kind == "person":
        raise InputError(f"{group.name!r} is a person; a person joins an organisation or team",
                         field="member_of")
    return group


def members(index: dict[str, Party], party_id: str) -> list[Party]:
    """The parties directly inside `party_id`."""
    return sorted((p for p in index.values() if p.member_of == party_id), key=lambda p: p.name)
