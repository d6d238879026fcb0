"""Schemas of periodic agreement reviews: the plan with its RACI (who is Responsible,
Accountable, Consulted and Informed), the reviews held, and the chart over every agreement."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Raci", "HeldReview", "ReviewPlan", "RaciChart"]

Outcome = Literal["keep", "amend", "terminate"]


class Raci(Record):
    """Who does the review (responsible), answers for it (accountable, one person), is asked
    (consulted) and is told (informed); party ids."""

    responsible: str
    accountable: str
    consulted: list[str] = Field(default_factory=list)
    informed: list[str] = Field(default_factory=list)


class HeldReview(Record):
    """One periodic review held: its outcome on a day, for the version then in force."""

    agreement: str
    reviewed: str
    outcome: Outcome
    version: int
    notes: str | None = None
    seq: int
    next_due: str | None = None


class ReviewPlan(Record):
    """An agreement's review plan: how often, when next due, the last review and the RACI
    (one row of `raci --json`, and what `agreement plan --json` prints)."""

    agreement: str
    title: str
    state: str
    every: str
    first_due: str
    next_due: str
    overdue: bool = False
    last_review: HeldReview | None = None
    raci: Raci
    seq: int


class RaciChart(Record):
    """Every planned agreement with its RACI, and the agreements without a plan."""

    agreements: list[ReviewPlan]
    unplanned: list[str]
