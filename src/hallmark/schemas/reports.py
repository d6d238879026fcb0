"""Schemas of the reports service."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__ = ["BomWritten"]


class BomWritten(Record):
    """A CycloneDX BOM written to disk."""

    path: str
    components: int
    spec_version: str = "1.6"
