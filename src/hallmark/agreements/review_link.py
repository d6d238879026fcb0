"""Stored clause reviews of agreements: the review (done by the review service before its
agreement is stored, so a document that cannot be read stores nothing) is kept as a
canonical-JSON blob with a row per agreement version, and the change is logged. This module
imports nothing of `hallmark.review`: the services join the two."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rfc8785
from sqlalchemy import Connection, func, insert, select

from hallmark.store.clock import utcnow
from hallmark.store.tables import agreement_reviews

if TYPE_CHECKING:
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

# Agreement types (schema.py) to the review's requirement sets (review/requirements.yaml).
REVIEW_TYPES = {
    "nda": "nda", "collaboration": "collaboration", "data-use": "data-use",
    "assignment": "work-for-hire", "work-for-hire": "work-for-hire", "licence": "licence",
    "license": "licence", "sponsored-research": "sponsored-research",
    "developer-terms": "developer-terms",
}


@dataclass(frozen=True)
class PreparedReview:
    """A finished review of a document, waiting to be stored with its agreement."""

    review_type: str
    report: dict[str, Any]  # {"clauses", "missing", "risks"}

    @property
    def canonical(self) -> bytes:
        """The report as RFC 8785 canonical JSON (what is stored and digested)."""
        return rfc8785.dumps(self.report)

    @property
    def missing(self) -> list[str]:
        """The types of the required clauses the document lacks."""
        return [m["type"] for m in self.report["missing"]]

    @property
    def risks(self) -> list[dict[str, str]]:
        """Each risk as {id, severity, message}."""
        return [{"id": r["id"], "severity": r["severity"], "message": r["message"]}
                for r in self.report["risks"]]


def review_type_for(agreement_type: str) -> str:
    """The review's requirement set for an agreement type (`assignment` -> `work-for-hire`)."""
    return REVIEW_TYPES.get(agreement_type, agreement_type)


def record_review(txn: Txn, blobs: BlobStore, agreement_id: str, version: int,
                  document_sha256: str, review: PreparedReview) -> str:
    """Store a review for an agreement version and log `agreement.reviewed`; returns its digest."""
    review_sha = blobs.put(review.canonical)
    txn.conn.execute(insert(agreement_reviews).values(
        agreement=agreement_id, version=version, document_sha256=document_sha256,
        review_sha256=review_sha, review_type=review.review_type,
        missing=json.dumps(review.missing), risks=json.dumps(review.risks), created=utcnow()))
    txn.log.append("agreement.reviewed",
                   {"id": agreement_id, "version": version, "document_sha256": document_sha256,
                    "review_sha256": review_sha, "review_type": review.review_type,
                    "missing": review.missing, "risks": [r["id"] for r in review.risks]},
                   [agreement_id])
    return review_sha


def _row_json(row: Any) -> dict[str, Any]:
    return {"version": row.version, "document_sha256": row.document_sha256,
            "review_sha256": row.review_sha256, "review_type": row.review_type,
            "missing": json.loads(row.missing), "risks": json.loads(row.risks),
            "created": row.created}


def latest_reviews(conn: Connection) -> dict[str, dict[str, Any]]:
    """The latest review of every reviewed agreement, by agreement id."""
    newest = (select(agreement_reviews.c.agreement,
                     func.max(agreement_reviews.c.version).label("version"))
              .group_by(agreement_reviews.c.agreement).subquery())
    rows = conn.execute(select(agreement_reviews).join(newest, (
        agreement_reviews.c.agreement == newest.c.agreement)
        & (agreement_reviews.c.version == newest.c.version)))
    return {r.agreement: _row_json(r) for r in rows}


def latest_review_row(conn: Connection, agreement_id: str) -> dict[str, Any] | None:
    """An agreement's latest stored review row (missing clauses as their types), or None."""
    row = conn.execute(select(agreement_reviews)
                       .where(agreement_reviews.c.agreement == agreement_id)
                       .order_by(agreement_reviews.c.version.desc()).limit(1)).first()
    return None if row is None else _row_json(row)


def stored_report(blobs: BlobStore, review_sha256: str) -> dict[str, Any] | None:
    """The full stored review (clauses, evidence), or None when its blob is gone."""
    try:
        report = json.loads(blobs.get(review_sha256))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None
