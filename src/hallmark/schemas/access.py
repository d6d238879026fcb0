"""Schemas of the access service: a request as a caller writes it, and the decision."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__ = ["AccessQuery", "AccessEcho", "AccessDecision", "AccessDecisions"]


class AccessQuery(Record):
    """May `party` (or its `team`) do `action` with `asset` on `at` (default today) for
    `purpose`? Names or ids, as a user writes them; one line of a batch file."""

    party: str
    asset: str
    action: str
    team: str | None = None
    purpose: str | None = None
    at: str | None = None
    person: str | None = None


class AccessEcho(Record):
    """The request as it was decided: ids resolved, the date filled in."""

    party: str
    team: str | None
    asset: str
    action: str
    purpose: str | None
    at: str
    person: str | None = None


class AccessDecision(Record):
    """Allowed or not, why, and which agreements and policies decided it."""

    allowed: bool
    reasons: list[str]
    agreements: list[str]
    policies: list[str]
    request: AccessEcho


class AccessDecisions(Record):
    """The decisions of a batch, in the order of its requests."""

    decisions: list[AccessDecision]
