"""The deadlines service: the dated obligations the vault's inventions and agreements carry,
listed or exported as iCalendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.agreements import deadlines as _deadlines
from hallmark.agreements.schema import DURATION_RE, add_duration
from hallmark.errors import InputError
from hallmark.schemas.deadlines import Deadline, DeadlineList
from hallmark.services._args import items_of, optional_path
from hallmark.store import clock

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["export_ics", "list_deadlines", "within_days"]

MAX_WITHIN_DAYS = 100 * 366  # a window past a century is no window anyone plans by


def within_days(within: str | int, today: date | None = None) -> int:
    """A window (90d, 12w, 6m or 1y, or a number of days) as a number of days from today."""
    if isinstance(within, int) and not isinstance(within, bool):
        days = within
    elif isinstance(within, str) and DURATION_RE.match(within.strip()):
        start = _today(today)
        try:
            days = (add_duration(start, within.strip()) - start).days
        except (OverflowError, ValueError):
            days = MAX_WITHIN_DAYS + 1
    else:
        raise InputError(f"{within!r}: expected a duration like 90d, 12w, 6m or 1y",
                         field="within")
    if not 0 <= days <= MAX_WITHIN_DAYS:
        raise InputError(f"{within!r}: expected a window of 0 to {MAX_WITHIN_DAYS} days",
                         field="within")
    return days


def _today(today: object) -> date:
    if today is None:
        return clock.today()
    if isinstance(today, datetime) or not isinstance(today, date):
        raise InputError(f"expected a calendar date, got {today!r}", field="today")
    return today


def list_deadlines(vault: Vault, within: str | int | None = None, *,
                   today: date | None = None) -> DeadlineList:
    """Every deadline, soonest first; with `within`, only those due in that window (missed
    ones included). `today` is the day the statuses are computed for (default: today)."""
    day = _today(today)
    window = None if within is None else within_days(within, day)
    with vault.read() as conn:
        found = _deadlines.compute(conn, day)
    return DeadlineList(deadlines=_deadlines.select_within(found, window))


def export_ics(vault: Vault, deadlines: DeadlineList | Sequence[Deadline], *,
               path: str | Path | None = None) -> bytes:
    """The deadlines as an iCalendar file (one all-day event each); with `path`, also written
    there atomically (a folder or a missing folder is an InputError naming the path)."""
    from hallmark.files import write_atomically

    found = deadlines.deadlines if isinstance(deadlines, DeadlineList) else deadlines
    found = items_of(found, Deadline, "deadlines")
    target = optional_path(path, "path")
    data = _deadlines.to_ics(found, vault.origin)
    if target is not None:
        write_atomically(target, data, field="path")
    return data
