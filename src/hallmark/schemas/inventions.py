"""Schemas of the inventions service: invention disclosures, their patent filings and their
defensive publication."""

from __future__ import annotations

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Filing", "Invention", "InventionList", "Publication", "PublishedDisclosure"]


class Filing(Record):
    """One application filed for an invention."""

    id: str
    invention: str
    kind: str
    office: str
    filed: str
    number: str | None
    created: str
    # Why this filing may not hold (filed after the invention was published, say); derived
    # from the vault when read, not stored.
    warnings: list[str] = Field(default_factory=list)


class Publication(Record):
    """A defensive publication: the dated disclosure of an invention, made prior art."""

    invention: str
    published: str
    url: str | None
    disclosure_sha256: str
    format: str
    timestamped: str | None  # the RFC 3161 time of the first time-stamp covering its event
    seq: int  # its `invention.published` event
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
    publication: Publication | None = None


class InventionList(Record):
    """Every invention with its filings (what `invention list --json` prints)."""

    inventions: list[Invention]


class PublishedDisclosure(Record):
    """What `invention publish --json` prints: the file written, the publication recorded, and
    anything that did not go as asked (a TSA that could not be reached)."""

    invention: str
    file: str
    size: int
    publication: Publication
    warnings: list[str] = Field(default_factory=list)
