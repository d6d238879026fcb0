"""The agreements service: add an agreement from its YAML terms (and signed document, reviewed
and stored with it), amend, terminate, list and show them; the ownership matrix."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.errors import InputError
from hallmark.schemas.agreements import (
    Agreement,
    AgreementDetail,
    AgreementList,
    AgreementReview,
    AgreementRow,
    AgreementVersion,
    FutureTerm,
    OwnershipMatrix,
    ReviewedRisk,
)
from hallmark.services._args import path as checked_path
from hallmark.store.clock import today
from hallmark.vault import Vault

if TYPE_CHECKING:
    from hallmark.agreements.review_link import PreparedReview
    from hallmark.agreements.yamlsrc import Source

__all__ = ["add", "amend", "terminate", "list_agreements", "show", "versions", "ownership"]


def _terms(file: Path | str | None, text: str | None) -> Source:
    from hallmark.agreements.yamlsrc import load_file, load_text

    if (file is None) == (text is None):
        raise InputError("give the terms as a file or as text (one of them)", field="file")
    if text is not None:
        if not isinstance(text, str):
            raise InputError(f"expected text, got {type(text).__name__}", field="text")
        return load_text(text, "<terms>", field="text")
    file = checked_path(file, "file")
    return load_file(file, field="file")


def _document(document: Path | str | None) -> tuple[bytes, str] | None:
    from hallmark.agreements.agreements import read_document

    if document is None:
        return None
    document = checked_path(document, "document")
    return read_document(document)


def _id(agreement_id: object) -> str:
    if not isinstance(agreement_id, str) or not agreement_id.strip():
        raise InputError("expected an agreement id", field="agreement_id")
    return agreement_id


def _prepared(file: Path | str | None, text: str | None, document: Path | str | None,
              ) -> tuple[Source, tuple[bytes, str] | None, PreparedReview | None]:
    """The terms, the checked document and its review, all before anything is stored (terms
    that do not validate or a document that cannot be read store nothing)."""
    from hallmark.agreements.schema import validate_terms
    from hallmark.services.review import _prepare

    source = _terms(file, text)
    kind = validate_terms(source).type
    doc = _document(document)
    return source, doc, _prepare(kind, *doc) if doc is not None else None


def add(vault: Vault, file: Path | str | None = None, *, text: str | None = None,
        document: Path | str | None = None, actor: str) -> Agreement:
    """Record an agreement from its YAML terms (a file, or text) and its signed document."""
    from hallmark.agreements.agreements import insert_agreement
    from hallmark.agreements.review_link import record_review

    source, doc, review = _prepared(file, text, document)
    with vault.transaction(actor) as txn:
        ag = insert_agreement(txn, vault.blobs, source, doc)
        if review is not None and ag.document_sha256 is not None:
            record_review(txn, vault.blobs, ag.id, ag.version, ag.document_sha256, review)
    return ag


def amend(vault: Vault, agreement_id: str, file: Path | str | None = None, *,
          text: str | None = None, document: Path | str | None = None,
          actor: str) -> Agreement:
    """Amend an agreement: a new version with new terms; the history is kept and logged."""
    from hallmark.agreements.agreements import amend as amend_terms
    from hallmark.agreements.review_link import record_review

    agreement_id = _id(agreement_id)
    source, doc, review = _prepared(file, text, document)
    with vault.transaction(actor) as txn:
        ag = amend_terms(txn, vault.blobs, agreement_id, source, doc)
        if review is not None and ag.document_sha256 is not None:
            record_review(txn, vault.blobs, ag.id, ag.version, ag.document_sha256, review)
    return ag


def terminate(vault: Vault, agreement_id: str, on: date | str, *, actor: str) -> Agreement:
    """Terminate an agreement on a date (YYYY-MM-DD): nothing it permits holds from that day."""
    from hallmark.agreements.agreements import terminate as end
    from hallmark.agreements.schema import parse_date

    agreement_id = _id(agreement_id)
    if isinstance(on, date):
        day = on
    else:
        try:
            day = parse_date(on)
        except ValueError as exc:
            raise InputError(str(exc), field="on") from None
    with vault.transaction(actor) as txn:
        return end(txn, agreement_id, day)


def list_agreements(vault: Vault) -> AgreementList:
    """Every agreement at its current version, with its state today."""
    from hallmark.agreements.agreements import load_agreements

    day = today()
    with vault.read() as conn:
        found = load_agreements(conn)
    return AgreementList(agreements=[AgreementRow(**a.model_dump(), state=a.state_on(day))
                                     for a in found])


def show(vault: Vault, agreement_id: str) -> AgreementDetail:
    """One agreement with its state today, its version history and its latest review."""
    from hallmark.agreements.agreements import get_agreement, history
    from hallmark.agreements.review_link import latest_review_row
    from hallmark.services.review import _missing_required

    agreement_id = _id(agreement_id)
    with vault.read() as conn:
        ag = get_agreement(conn, agreement_id, field="agreement_id")
        versions = history(conn, ag.id)
        row = latest_review_row(conn, ag.id)
    review = None
    if row is not None:
        review = AgreementReview(
            version=row["version"], document_sha256=row["document_sha256"],
            review_sha256=row["review_sha256"], review_type=row["review_type"],
            missing=_missing_required(row["review_type"], row["missing"]),
            risks=[ReviewedRisk(**r) for r in row["risks"]], created=row["created"])
    return AgreementDetail(**ag.model_dump(), state=ag.state_on(today()),
                           history=[AgreementVersion(**v) for v in versions], review=review)


def versions(vault: Vault, agreement_id: str) -> list[AgreementVersion]:
    """Every version of an agreement, oldest first."""
    return show(vault, agreement_id).history


def ownership(vault: Vault, on: date | None = None) -> OwnershipMatrix:
    """The ownership matrix on a day (default today): every asset's owners, the future-work
    terms, and the conflicts between claims."""
    from hallmark.agreements.ownership import conflicts, future_terms, matrix_rows

    if on is not None and not isinstance(on, date):
        raise InputError(f"expected a date, got {type(on).__name__}", field="on")
    day = on or today()
    with vault.read() as conn:
        return OwnershipMatrix(
            assets=matrix_rows(conn, day),
            future_work=[FutureTerm(**f) for f in future_terms(conn)],
            conflicts=conflicts(conn, day))
