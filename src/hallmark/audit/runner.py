"""Run every registered rule over the vault's state; order findings by severity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from hallmark.audit.registry import SEVERITIES, AuditContext, Finding, registered
from hallmark.errors import InputError
from hallmark.schemas.audit import AuditReport

if TYPE_CHECKING:
    from hallmark.vault import Vault


def run_rules(conn: Connection, vault: Vault | None = None,
              rules: Sequence[str] | None = None) -> list[Finding]:
    """Findings of the named rules (default: all), highest severity first."""
    table = registered()
    unknown = sorted(set(rules or []) - set(table))
    if unknown:
        raise InputError(f"unknown audit rule(s): {', '.join(unknown)}", field="rule")
    findings: list[Finding] = []
    ctx = AuditContext(conn, vault)
    for rule_id in rules or sorted(table):
        findings.extend(table[rule_id].check(ctx))
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(findings,
                  key=lambda f: (rank[f.severity], f.rule, f.asset or "", f.subject or ""))


def at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings at or above a severity."""
    if severity not in SEVERITIES:
        raise InputError(f"must be one of {', '.join(SEVERITIES)} (got {severity!r})",
                         field="fail_on")
    return AuditReport.model_validate({"findings": findings, "fail_on": severity}).failing


def audit_payload(findings: list[Finding]) -> dict[str, Any]:
    """What the log's `audit.completed` event records: counts and a digest of the findings,
    so the log is the central record of IP reviews the checklist asks for."""
    import hashlib

    import rfc8785

    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    return {
        "findings": len(findings),
        "by_severity": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
        "by_rule": by_rule,
        "findings_sha256": hashlib.sha256(
            rfc8785.dumps([f.to_json() for f in findings])).hexdigest(),
    }

