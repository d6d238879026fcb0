"""Schemas of the traces service: a recipient's evidence and the outcome of a trace."""

from __future__ import annotations

from pydantic import Field, field_serializer

from hallmark.schemas.base import Record

__all__ = ["Candidate", "TraceResult"]


class Candidate(Record):
    """One recipient's score and Bonferroni-corrected p-value."""

    recipient: str
    share: str
    score: float
    p_value: float

    @field_serializer("score")
    def _rounded(self, score: float) -> float:
        return round(score, 4)


class TraceResult(Record):
    """The outcome of examining a suspect; its JSON form is exactly {asset, rows_matched,
    accused, needed_rows, trace, incidents}: `trace` is the recorded trace's id (null when it
    was inconclusive and nothing was recorded), `incidents` those opened by themselves because
    an agreement asks for it. The rest is for the human rendering and the API's detail."""

    asset: str
    rows_matched: int
    accused: list[Candidate]
    needed_rows: int
    trace: str | None = None
    incidents: list[str] = Field(default_factory=list)
    recipients: int = Field(default=0, exclude=True)
    positions: int = Field(default=0, exclude=True)
    top: list[Candidate] = Field(default_factory=list, exclude=True)
    evidence: list[str] = Field(default_factory=list, exclude=True)

    @property
    def conclusive(self) -> bool:
        """False when nobody is accused and there were too few rows to decide."""
        return bool(self.accused) or self.rows_matched >= self.needed_rows
