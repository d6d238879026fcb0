"""Schemas of the parties service: a party, the party list, a party's report, due diligence."""

from __future__ import annotations

from typing import Any

from hallmark.schemas.base import Record

__all__ = ["Party", "PartyRow", "PartyList", "PartyAgreement", "Diligence", "PartyReport"]


class Party(Record):
    """One registered party: an organisation, a team inside one (`Org/Team`) or a person."""

    id: str
    name: str
    kind: str
    member_of: str | None
    role: str | None
    email: str | None
    country: str | None = None  # ISO 3166-1 alpha-2
    created: str


class PartyRow(Party):
    """A party as `party list` shows it, with the rating of its latest due diligence."""

    risk: str | None = None


class PartyList(Record):
    """Every party, by name."""

    parties: list[PartyRow]


class PartyAgreement(Record):
    """An agreement a party (or a group it belongs to) is party to."""

    id: str
    type: str
    status: str


class Diligence(Record):
    """One recorded due-diligence review of a party: a 0-100 risk score and a row per item."""

    party: str
    version: int
    score: int
    rating: str
    # Rows stay plain mappings: audit rules and reports index them by key.
    items: list[dict[str, Any]]
    source_sha256: str
    recorded: str


class PartyReport(Record):
    """One party with the groups it is in, its members, agreements and latest due diligence."""

    party: Party
    groups: list[str]
    members: list[str]
    agreements: list[PartyAgreement]
    diligence: Diligence | None
