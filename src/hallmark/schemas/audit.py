"""Schemas of the audit service: findings and an audit's report."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["AuditRecorded", "AuditReport", "Finding"]

SEVERITIES = ("low", "medium", "high")
Severity = Literal["low", "medium", "high"]


class Finding(Record):
    """One gap the audit found."""

    model_config = Record.model_config | {"frozen": True}

    rule: str
    severity: Severity
    asset: str | None
    message: str
    remedy: str
    subject: str | None = None  # what it is about when not an asset (a path, a party)


class AuditReport(Record):
    """An audit's findings, highest severity first (`audit --json`)."""

    findings: list[Finding]
    # The threshold the run was asked about; not part of the JSON document.
    fail_on: Severity | None = Field(default=None, exclude=True)

    @property
    def failing(self) -> list[Finding]:
        """The findings at or above `fail_on` (none when no threshold was given)."""
        if self.fail_on is None:
            return []
        floor = SEVERITIES.index(self.fail_on)
        return [f for f in self.findings if SEVERITIES.index(f.severity) >= floor]


class AuditRecorded(Record):
    """What the log's `audit.completed` event says about an audit."""

    seq: int | None = None
    findings: int
    by_severity: dict[str, int]
    by_rule: dict[str, int]
    findings_sha256: str
