"""Schemas of restricted-party screening: an imported list, and parties screened against it."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__ = ["ScreeningImport", "ScreeningEntry", "ScreeningHit", "PartyScreening",
           "ScreeningReport"]


class ScreeningImport(Record):
    """What `screening import` stored: the file's digest, its layout and how many entries each
    source list gave."""

    file: str
    sha256: str
    layout: str  # consolidated-screening-list | generic
    rows: int
    names: int  # entry names and alternative names together
    sources: dict[str, int]
    replaced: int  # entries of the previous list, now gone
    seq: int  # the `screening.imported` event


class ScreeningEntry(Record):
    """The list entry a party's name matched."""

    name: str
    source: str
    country: str | None
    programs: str | None


class ScreeningHit(Record):
    """A list entry whose name (or one of its other names) is like the party's name. `score` is
    the name similarity (0..100); `country_match` is true, false (both countries known and
    different) or null (one unknown); `confidence` is high (same country), medium (a country
    unknown) or low (different countries): a mismatch lowers it, never hides the hit."""

    score: int
    entry: ScreeningEntry
    matched_name: str
    country_match: bool | None
    confidence: str


class PartyScreening(Record):
    """One party screened: its hits, best first."""

    party: str
    name: str
    country: str | None
    hits: list[ScreeningHit]


class ScreeningReport(Record):
    """Parties screened against the imported list at a threshold; `list_sha256` is null when
    no list was imported."""

    threshold: int
    list_sha256: str | None
    list_entries: int
    parties: list[PartyScreening]
