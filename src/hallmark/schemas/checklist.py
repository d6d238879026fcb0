"""Schemas of the checklist service: the ten steps of an AI IP protection programme."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["ChecklistStep", "Checklist"]

StepStatus = Literal["done", "partial", "missing"]


class ChecklistStep(Record):
    """One step of the programme and where the vault stands on it."""

    number: int
    id: str
    title: str
    status: StepStatus = "missing"
    evidence: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)


class Checklist(Record):
    """The graded steps and how many are done (what `checklist --json` prints)."""

    steps: list[ChecklistStep]
    done: int
