"""Schemas of the trademarks service: registered (or applied-for) marks such as model names."""

from __future__ import annotations

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Trademark", "TrademarkList"]


class Trademark(Record):
    """One mark at one office in one Nice class."""

    id: str
    name: str
    nice_class: int
    office: str
    filed: str | None
    registered: str | None
    number: str | None
    assets: list[str] = Field(default_factory=list)
    created: str


class TrademarkList(Record):
    """Every recorded mark (what `mark list --json` prints)."""

    trademarks: list[Trademark]
