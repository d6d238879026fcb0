"""The one clock: every timestamp and every "today" Hallmark records or decides with."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> str:
    """Now, as ISO 8601 UTC with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date (local calendar, as the deadlines and terms a user reads are)."""
    return date.today()


def epoch_seconds() -> int:
    """Now, as whole seconds since 1970 (cosignature timestamps)."""
    return int(datetime.now(UTC).timestamp())
