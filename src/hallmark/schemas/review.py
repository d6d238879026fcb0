"""Schemas of the review service: which clauses a document has, lacks, and which are risky."""

from __future__ import annotations

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["ClauseEvidence", "ClauseResult", "MissingClause", "ReviewRisk", "ReviewReport",
           "ClauseType"]


class ClauseEvidence(Record):
    """An excerpt that supports a finding and where it is in the document."""

    text: str
    location: str
    # Which segment of the document: benchmarks use it; it is not part of the JSON.
    segment: int = Field(default=-1, exclude=True)


class ClauseResult(Record):
    """One clause type: present or not, its confidence, the best evidence."""

    type: str
    present: bool
    score: float
    evidence: list[ClauseEvidence] = Field(default_factory=list)


class MissingClause(Record):
    """A clause the agreement type requires and the document lacks."""

    type: str
    reason: str
    covers: str


class ReviewRisk(Record):
    """A dangerous clause (or a dangerous gap) with its evidence."""

    id: str
    severity: str
    message: str
    evidence: list[ClauseEvidence] = Field(default_factory=list)


class ReviewReport(Record):
    """The result of a review; its JSON is exactly {"clauses", "missing", "risks"}."""

    clauses: list[ClauseResult]
    missing: list[MissingClause]
    risks: list[ReviewRisk]
    agreement_type: str | None = Field(default=None, exclude=True)
    segments: int = Field(default=0, exclude=True)

    def clause(self, clause_type: str) -> ClauseResult:
        """The result for one clause type (KeyError when the catalogue has no such type)."""
        for result in self.clauses:
            if result.type == clause_type:
                return result
        raise KeyError(clause_type)


class ClauseType(Record):
    """One clause type of the catalogue: its id, title and what a good clause covers."""

    id: str
    title: str
    covers: str
