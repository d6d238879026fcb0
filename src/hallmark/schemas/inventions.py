"""Schemas of the inventions service: invention disclosures and their patent filings."""

from __future__ import annotations

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Filing", "Invention", "InventionList"]


class Filing(Record):
    """One application filed for an invention."""

    id: str
    invention: str
    kind: str
    office: str
    filed: str
    number: str | None
    created: str


class Invention(Record):
    """An invention disclosure and its filings."""

    id: str
    title: str
    conceived: str
    inventors: list[str]
    assets: list[str]
    disclosed: str
    filings: list[Filing] = Field(default_factory=list)


class InventionList(Record):
    """Every invention with its filings (what `invention list --json` prints)."""

    inventions: list[Invention]
