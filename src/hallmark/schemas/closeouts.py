"""Schemas of the close-out of a partnership: what became of each shared copy (returned, or
destroyed with a certificate kept by digest) and the post-partnership report."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__ = ["Disposition", "DispositionList", "CloseOutParty", "CloseOutShare", "CloseOutTrace",
           "CloseOutIncident", "Obligation", "CloseOutToken", "CloseOutReport", "CloseOut"]

REPORT_FORMAT = "hallmark-closeout/1"


class Disposition(Record):
    """What became of one shared copy; `dispose --json` prints it."""

    share: str
    asset: str
    recipient: str
    agreement: str | None
    disposition: str  # returned | destroyed
    recorded: str  # the day it was returned or destroyed
    certificate_sha256: str | None
    certificate_name: str | None
    seq: int
    created: str


class DispositionList(Record):
    """Every disposition recorded (optionally for one agreement's shares)."""

    dispositions: list[Disposition]


class CloseOutParty(Record):
    """A party to the agreement, as the report names it."""

    id: str
    name: str
    kind: str
    partner: bool  # not the disclosing side
    country: str | None = None


class CloseOutShare(Record):
    """One copy made under the agreement and what became of it."""

    share: str
    asset: str
    asset_name: str
    classification: str
    recipient: str
    team: str | None
    created: str
    status: str  # returned | destroyed | unaccounted
    recorded: str | None
    certificate_sha256: str | None
    certificate_name: str | None


class CloseOutTrace(Record):
    """A recorded trace that accused the partner (one of its copies or its people)."""

    trace: str
    asset: str
    suspect_name: str
    created: str
    accused: list[str]  # "recipient (share, p=...)"


class CloseOutIncident(Record):
    """An incident against the partner or under the agreement."""

    incident: str
    title: str
    status: str
    party: str
    opened: str


class Obligation(Record):
    """Something still owed after the agreement: confidentiality that survives, a deadline
    ahead, a copy to return or destroy, an incident still open, a clause of the document."""

    kind: str  # confidentiality | deadline | return-or-destruction | incident | clause
    subject: str
    text: str
    due: str | None = None
    open: bool = True


class CloseOutToken(Record):
    """An API token of a partner that the close-out revoked, or kept (and why)."""

    token: str  # the token's id
    role: str
    party: str | None
    note: str | None
    reason: str  # "close-out of <agreement>", or why it was kept


class CloseOutReport(Record):
    """The post-partnership report (stored as canonical JSON by digest, and as HTML)."""

    format: str = REPORT_FORMAT
    agreement: str
    title: str
    type: str
    status: str
    state: str  # the agreement's state on the day of the close-out
    effective: str
    expires: str | None
    terminated_on: str | None
    closed: str
    forced: bool
    parties: list[CloseOutParty]
    shares: list[CloseOutShare]
    traces: list[CloseOutTrace]
    incidents: list[CloseOutIncident]
    alerts: list[str]
    alerts_note: str
    obligations: list[Obligation]
    tokens_revoked: list[CloseOutToken]
    tokens_kept: list[CloseOutToken] = []  # a party with another agreement still in force
    tokens_note: str
    lessons: list[str]
    notes: str | None
    checkpoint_size: int
    checkpoint_root: str
    generated: str
    actor: str


class CloseOut(Record):
    """`agreement close-out --json`: the report, its digests, the file written, the entry."""

    agreement: str
    closed: str
    forced: bool
    file: str
    report_sha256: str  # the canonical JSON report's blob
    html_sha256: str
    certificate_sha256: str | None
    disposed: list[str]  # shares the certificate accounted for
    unaccounted: list[str]
    seq: int
    report: CloseOutReport
