"""Schemas of the incidents service: a breach from the trace (or alert) that found it, through
notice and cure, to the case file counsel takes to court."""

from __future__ import annotations

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["BreachedClause", "Incident", "IncidentAccusation", "IncidentFile", "IncidentList",
           "IncidentStep", "Notice", "CaseFile"]

STATUSES = ("open", "noticed", "cured", "escalated", "terminated", "settled")


class IncidentAccusation(Record):
    """One accused share of the incident's party, with the trace's corrected p-value."""

    share: str
    recipient: str
    p_value: float


class BreachedClause(Record):
    """A term or clause the breach touches: from the agreement's terms, or from its reviewed
    document (then with the clause text and where it is)."""

    agreement: str
    source: str  # "terms" or "document"
    clause: str
    text: str
    location: str | None = None


class IncidentFile(Record):
    """A file logged with the incident (a notice, the evidence bundle sent with it)."""

    sha256: str
    kind: str
    name: str
    seq: int
    created: str


class IncidentStep(Record):
    """One logged step of the incident's timeline."""

    seq: int
    time: str
    type: str
    actor: str
    summary: str


class Incident(Record):
    """A breach being enforced; `incident open --json` prints it (its id under "incident")."""

    incident: str
    title: str
    status: str
    source: str
    source_kind: str
    asset: str
    party: str
    shares: list[str]
    agreements: list[str]
    accused: list[IncidentAccusation]
    clauses: list[BreachedClause]
    cure_period: str | None = None
    cure_due: str | None = None
    opened: str
    updated: str
    files: list[IncidentFile] = Field(default_factory=list)
    timeline: list[IncidentStep] = Field(default_factory=list)


class IncidentList(Record):
    """Every incident, newest first (without files and timelines)."""

    incidents: list[Incident]


class Notice(Record):
    """A drafted notice: the file, its digest, the bundle logged with it, the cure deadline."""

    incident: str
    kind: str  # breach-notice | cease-and-desist
    file: str
    format: str
    sha256: str
    evidence: list[str]
    evidence_sha256: list[str]
    checkpoint_size: int
    cure_due: str | None
    seq: int


class CaseFile(Record):
    """A written case file (`incident export --json`)."""

    incident: str
    file: str
    format: str
    tree_size: int
    events: int
    files: list[str]
    sha256: str
