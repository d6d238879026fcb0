"""Schemas of the agreements service: an agreement, its history and review, the ownership
matrix."""

from __future__ import annotations

from datetime import date
from typing import Any

from hallmark.schemas.base import Record

__all__ = ["Agreement", "AgreementRow", "AgreementList", "AgreementVersion", "MissingRequired",
           "ReviewedRisk", "AgreementReview", "AgreementDetail", "OwnershipRow", "FutureTerm",
           "OwnershipConflict", "OwnershipMatrix"]


class Agreement(Record):
    """One agreement at its current version; `terms` hold resolved party and asset ids."""

    id: str
    type: str
    title: str
    status: str
    version: int
    effective: str
    expires: str | None
    terminated_on: str | None
    # The normalised terms stay a mapping: deadlines, checklist and policy read them by key.
    terms: dict[str, Any]
    document_sha256: str | None
    document_name: str | None
    created: str
    updated: str

    def state_on(self, day: date) -> str:
        """pending, active, expired or terminated on `day`."""
        if self.terminated_on and day >= date.fromisoformat(self.terminated_on):
            return "terminated"
        if day < date.fromisoformat(self.effective):
            return "pending"
        if self.expires and day > date.fromisoformat(self.expires):
            return "expired"
        return "active"

    @property
    def parties(self) -> list[str]:
        """The ids of its parties."""
        return list(self.terms["parties"])


class AgreementRow(Agreement):
    """An agreement as `agreement list` shows it, with its state today."""

    state: str


class AgreementList(Record):
    """Every agreement at its current version."""

    agreements: list[AgreementRow]


class AgreementVersion(Record):
    """One version of an agreement: what changed, when, and the terms it had."""

    version: int
    change: str
    recorded: str
    source_sha256: str | None
    document_sha256: str | None
    terms: dict[str, Any]


class MissingRequired(Record):
    """A clause the agreement's type requires that its document lacks."""

    type: str
    reason: str
    covers: str


class ReviewedRisk(Record):
    """A risky clause found in an agreement's document."""

    id: str
    severity: str
    message: str


class AgreementReview(Record):
    """The latest clause review stored with an agreement's document."""

    version: int
    document_sha256: str
    review_sha256: str
    review_type: str
    missing: list[MissingRequired]
    risks: list[ReviewedRisk]
    created: str


class AgreementDetail(Agreement):
    """An agreement with its state today, every version, and its latest review."""

    state: str
    history: list[AgreementVersion]
    review: AgreementReview | None


class OwnershipRow(Record):
    """One asset's line of the ownership matrix."""

    asset: str
    name: str
    kind: str
    status: str
    register_owner: str | None
    owners: dict[str, str]  # party id (or the register's text) -> share, a decimal string
    source: str  # "register", an agreement id, or "none"
    agreements: list[str]


class FutureTerm(Record):
    """Who owns improvements, derivatives or results under one agreement."""

    agreement: str
    subject: str
    owners: dict[str, str]


class OwnershipConflict(Record):
    """A claim above 100%, joint ownership no agreement sets, or an assignment against the
    register."""

    rule: str
    severity: str
    asset: str | None
    subject: str | None
    message: str
    remedy: str


class OwnershipMatrix(Record):
    """Every asset's owners, the future-work terms, and the conflicts."""

    assets: list[OwnershipRow]
    future_work: list[FutureTerm]
    conflicts: list[OwnershipConflict]
