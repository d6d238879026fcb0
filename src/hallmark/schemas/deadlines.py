"""Schemas of the deadlines service: dated obligations derived from the vault's rules."""

from __future__ import annotations

from typing import Literal

from hallmark.schemas.base import Record

__all__ = ["Deadline", "DeadlineList"]

DeadlineStatus = Literal["missed", "near", "upcoming", "passed"]


class Deadline(Record):
    """One dated obligation (or a date to know about, when `obligation` is false)."""

    id: str
    rule: str
    subject: str
    title: str
    due: str
    basis: str
    obligation: bool
    status: DeadlineStatus = "upcoming"
    days_left: int = 0
    accountable: str | None = None  # a planned review's accountable person (party id)


class DeadlineList(Record):
    """The deadlines a listing found, soonest first (what `deadlines --json` prints)."""

    deadlines: list[Deadline]
