"""The parties service: register organisations, teams and persons; list and show them; record
and read their due diligence."""

from __future__ import annotations

from pathlib import Path

from hallmark.errors import InputError
from hallmark.schemas.parties import (
    Diligence,
    Party,
    PartyAgreement,
    PartyList,
    PartyReport,
    PartyRow,
)
from hallmark.services._args import path as checked_path
from hallmark.vault import Vault

__all__ = ["add", "set_fields", "list_parties", "show", "record_diligence", "latest_diligence",
           "diligence_by_party"]


def _text(value: object, field: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise InputError(f"expected text, got {type(value).__name__}", field=field)


def add(vault: Vault, name: str, kind: str, *, member_of: str | None = None,
        role: str | None = None, email: str | None = None, country: str | None = None,
        actor: str) -> Party:
    """Register a party (kind organisation, team or person; country an ISO 3166-1 alpha-2
    code); a team's name becomes Org/Team."""
    from hallmark.agreements.export import country_code
    from hallmark.agreements.parties import check_party_fields, insert_party

    _text(name, "name")
    _text(kind, "kind")
    for value, field in ((member_of, "member_of"), (role, "role"), (email, "email"),
                         (country, "country")):
        _text(value, field, optional=True)
    check_party_fields(name, kind, role, email)  # before a transaction is opened
    code = None if country is None else country_code(country)
    with vault.transaction(actor) as txn:
        return insert_party(txn, name, kind, member_of, role, email, code)


def set_fields(vault: Vault, name: str, *, country: str | None = None, role: str | None = None,
               email: str | None = None, actor: str) -> Party:
    """Change a party's country (ISO 3166-1 alpha-2), role or email; logs `party.updated`."""
    from hallmark.agreements.export import country_code
    from hallmark.agreements.parties import ROLES, update_party

    _text(name, "name")
    for value, field in ((country, "country"), (role, "role"), (email, "email")):
        _text(value, field, optional=True)
    changes: dict[str, str] = {}
    if country is not None:
        changes["country"] = country_code(country)
    if role is not None:
        if role not in ROLES:
            raise InputError(f"must be one of {', '.join(ROLES)} (got {role[:40]!r})",
                             field="role")
        changes["role"] = role
    if email is not None:
        from hallmark.agreements.parties import check_party_fields

        check_party_fields("x", "person", None, email)
        changes["email"] = email
    if not changes:
        raise InputError("nothing to change: give a country, role or email", field="country")
    from hallmark.agreements.parties import resolve_party

    with vault.transaction(actor) as txn:
        return update_party(txn, resolve_party(txn.conn, name, field="name").id, changes)


def list_parties(vault: Vault) -> PartyList:
    """Every party by name, with the rating of its latest due diligence."""
    from hallmark.agreements.diligence import latest_diligence as newest
    from hallmark.agreements.parties import load_parties

    with vault.read() as conn:
        found = sorted(load_parties(conn).values(), key=lambda p: p.name.lower())
        reviews = newest(conn)
    return PartyList(parties=[PartyRow(**p.model_dump(), risk=reviews[p.id].rating
                                       if p.id in reviews else None) for p in found])


def show(vault: Vault, name: str) -> PartyReport:
    """One party (by id or name) with its groups, members, agreements and due diligence."""
    from hallmark.agreements.agreements import load_agreements
    from hallmark.agreements.diligence import diligence_of
    from hallmark.agreements.parties import ancestors, load_parties, members, resolve_party

    _text(name, "name")
    with vault.read() as conn:
        party = resolve_party(conn, name, field="name")
        index = load_parties(conn)
        chain = ancestors(index, party.id)
        return PartyReport(
            party=party,
            groups=[index[p].name for p in chain[1:]],
            members=[m.name for m in members(index, party.id)],
            agreements=[PartyAgreement(id=a.id, type=a.type, status=a.status)
                        for a in load_agreements(conn) if set(chain) & set(a.parties)],
            diligence=diligence_of(conn, party))


def record_diligence(vault: Vault, name: str, answers: Path | str, *, actor: str) -> Diligence:
    """Score a due-diligence answers file (YAML) with the rubric and record it for a party."""
    from hallmark.agreements.diligence import insert_diligence
    from hallmark.agreements.parties import resolve_party
    from hallmark.agreements.yamlsrc import load_file

    _text(name, "name")
    answers = checked_path(answers, "answers")
    source = load_file(answers, field="answers")
    with vault.transaction(actor) as txn:
        resolve_party(txn.conn, name, field="name")  # an unknown party names its parameter
        return insert_diligence(txn, vault.blobs, name, source)


def latest_diligence(vault: Vault, name: str) -> Diligence | None:
    """A party's newest due-diligence review, or None when it has none."""
    from hallmark.agreements.diligence import diligence_of
    from hallmark.agreements.parties import resolve_party

    _text(name, "name")
    with vault.read() as conn:
        return diligence_of(conn, resolve_party(conn, name, field="name"))


def diligence_by_party(vault: Vault) -> dict[str, Diligence]:
    """The newest due-diligence review of every party that has one, by party id."""
    from hallmark.agreements.diligence import latest_diligence as newest

    with vault.read() as conn:
        return newest(conn)
