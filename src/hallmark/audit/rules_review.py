"""Audit rules from the clause review of agreements' signed documents: required clauses that are
missing, and risky clauses (residuals, improvements flowing out, short confidentiality ...)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.review_link import latest_reviews, stored_report
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.review.service import clause_catalogue, requirements
from hallmark.schemas.agreements import Agreement
from hallmark.store.clock import today

EXCERPT_CHARS = 160
# A residuals clause is a licence to keep what people remember: high whatever the review says.
ALWAYS_HIGH = ("residuals",)


def _reviewed_active(ctx: AuditContext) -> list[tuple[Agreement, dict[str, Any]]]:
    """(agreement, its latest review) for every agreement active today that has a review."""
    reviews = latest_reviews(ctx.conn)
    on = today()
    return [(ag, reviews[ag.id]) for ag in load_agreements(ctx.conn)
            if ag.id in reviews and ag.state_on(on) == "active"]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


@rule("agreement-missing-clause",
      "The signed document of an active agreement lacks a clause its type requires.")
def agreement_missing_clause(ctx: AuditContext) -> Iterable[Finding]:
    """One finding per required clause missing from an active agreement's latest review."""
    catalogue = clause_catalogue()
    for ag, review in _reviewed_active(ctx):
        kind = review["review_type"]
        required = requirements().get(kind, {}).get("requires", {})
        for clause in review["missing"]:
            entry = catalogue.get(clause, {})
            title = str(entry.get("title", clause))
            why = str(required.get(clause, "the agreement type requires it"))
            yield finding(
                "agreement-missing-clause", "medium", None,
                f"{ag.id} ({ag.title}) has no {clause} clause (required of {kind} "
                f"agreements): {why}",
                f"amend {ag.id} with a {title.lower()} clause that covers: "
                f"{entry.get('covers', 'what the agreement type requires')}", ag.id)


@rule("agreement-risky-clause",
      "The signed document of an active agreement has a risky clause (e.g. residuals).")
def agreement_risky_clause(ctx: AuditContext) -> Iterable[Finding]:
    """One finding per risk in an active agreement's latest review, with an evidence excerpt."""
    for ag, review in _reviewed_active(ctx):
        report = (stored_report(ctx.vault.blobs, review["review_sha256"]) if ctx.vault is not None
                  else None) or {}
        evidence = {r.get("id"): r.get("evidence") or [] for r in report.get("risks", [])
                    if isinstance(r, dict)}
        for risk in review["risks"]:
            severity = "high" if risk["id"] in ALWAYS_HIGH else risk["severity"]
            quoted = evidence.get(risk["id"]) or []
            where = ""
            if quoted and isinstance(quoted[0], dict):
                where = (f" (\"{_excerpt(str(quoted[0].get('text', '')))}\", "
                         f"{quoted[0].get('location', '')})")
            yield finding(
                "agreement-risky-clause", severity, None,
                f"{ag.id} ({ag.title}) {risk['id']}: {risk['message']}{where}",
                f"renegotiate or amend {ag.id} to remove or narrow the {risk['id']} term, then "
                "record the new document with `hallmark agreement amend --document`", ag.id)
