"""The audit service: run the registered rules over the vault and record that an audit ran."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hallmark.errors import InputError
from hallmark.schemas.audit import SEVERITIES, AuditRecorded, AuditReport, Finding
from hallmark.services._args import items_of

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["SEVERITIES", "audit", "record", "rules", "run"]


def rules() -> dict[str, str]:
    """Every registered audit rule: id -> description."""
    from hallmark.audit.registry import registered

    return {rule_id: str(r.description) for rule_id, r in sorted(registered().items())}


def run(vault: Vault, rule: Sequence[str] | None = None, *,
        fail_on: str | None = None) -> AuditReport:
    """The findings of the named rules (default: every registered rule), highest severity
    first; `fail_on` (low|medium|high) sets the threshold `report.failing` counts from."""
    from hallmark.audit.runner import at_or_above, run_rules

    wanted = _rule_ids(rule)
    if fail_on is not None:
        at_or_above([], fail_on)  # refuses a bad level before any rule runs
    with vault.read() as conn:
        findings = run_rules(conn, vault, wanted)
    return AuditReport.model_validate({"findings": findings, "fail_on": fail_on})


def record(vault: Vault, findings: Sequence[Finding], *, actor: str) -> AuditRecorded:
    """Log `audit.completed`: counts and a digest of `findings` (the log is the central record
    of IP reviews)."""
    from hallmark.audit.runner import audit_payload

    items = items_of(findings, Finding, "findings")
    payload = audit_payload(items)
    with vault.transaction(actor) as txn:
        seq = txn.log.append("audit.completed", payload, ["audit"])
    return AuditRecorded(seq=seq, **payload)


def audit(vault: Vault, *, actor: str, rule: Sequence[str] | None = None,
          fail_on: str | None = None) -> AuditReport:
    """`run` then `record`, as `hallmark audit` does; bad arguments fail before anything is
    logged."""
    report = run(vault, rule, fail_on=fail_on)
    record(vault, report.findings, actor=actor)
    return report


def _rule_ids(rule: Sequence[str] | None) -> list[str] | None:
    if rule is None:
        return None
    if isinstance(rule, str) or not isinstance(rule, Sequence | set):
        raise InputError("must be a list of rule ids", field="rule")
    ids = list(rule)
    if not all(isinstance(r, str) for r in ids):
        raise InputError("must be a list of rule ids", field="rule")
    return ids or None

