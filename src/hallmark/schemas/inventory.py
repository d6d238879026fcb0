"""Schemas of the inventory service: assets, scans, lineage."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr

from hallmark.schemas.base import Record

__all__ = ["Asset", "AssetList", "LineageRemoved", "ScanProblem", "ScanResult"]


class Asset(Record):
    """One registered asset with its register fields and lineage (`asset show --json`)."""

    id: str
    path: str
    name: str
    kind: str
    size: int
    sha256: str
    blake3: str
    metadata: dict[str, Any]
    owner: str | None
    status: str
    classification: str
    protection: str | None
    value: int | None
    license: str | None
    first_seen: str
    updated: str
    export_control: str | None = None  # ECCN, EU dual-use entry, EAR99 or not-controlled
    # {"id": ..., "relation": ...}: plain dicts, as the JSON form and every reader has them.
    parents: list[dict[str, str]] = Field(default_factory=list)
    children: list[dict[str, str]] = Field(default_factory=list)

    # The licence the file itself states (its card, header or repository), as the register
    # read it; not part of the JSON form, which carries the metadata it comes from.
    _stated_license: str | None = PrivateAttr(default=None)

    @property
    def stated_license(self) -> str | None:
        """The licence the file itself states, normalised to SPDX where it parses."""
        return self._stated_license

    @stated_license.setter
    def stated_license(self, value: str | None) -> None:
        self._stated_license = value

    @property
    def effective_license(self) -> str | None:
        """The licence set on the register, else the one the file itself states."""
        return self.license or self._stated_license


class AssetList(Record):
    """The register, or one kind of it (`assets --json`)."""

    assets: list[Asset]


class ScanProblem(Record):
    """A file a scan could not read, and why."""

    path: str
    reason: str


class ScanResult(Record):
    """What a scan did: every asset it saw, counts, and the files it skipped (`scan --json`)."""

    assets: list[Asset] = Field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[ScanProblem] = Field(default_factory=list)


class LineageRemoved(Record):
    """The lineage edges from `child` to `parent` that were removed."""

    child: str
    parent: str
    removed: int
