"""The checklist service: the ten steps of an AI IP protection programme, graded from the
vault as done, partial or missing."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from hallmark.agreements import checklist as _checklist
from hallmark.errors import InputError
from hallmark.schemas.checklist import Checklist
from hallmark.store import clock

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["checklist"]


def checklist(vault: Vault, *, today: date | None = None) -> Checklist:
    """The ten steps with their evidence and gaps, graded as of `today` (default: today)."""
    if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
        raise InputError(f"expected a calendar date, got {today!r}", field="today")
    with vault.read() as conn:
        steps = _checklist.grade(conn, today or clock.today())
    return Checklist(steps=steps, done=sum(s.status == "done" for s in steps))
