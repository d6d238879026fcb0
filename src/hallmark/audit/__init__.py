"""The IP audit: rules registered by id through the `hallmark_audit_rules` hook (the built-in
ones, one module per line of work, are the default plugin `audit/plugin.py`) and the runner."""

from hallmark.audit.registry import RULES, SEVERITIES, AuditContext, Finding, Rule, rule
from hallmark.audit.runner import at_or_above, audit_payload, run_rules

__all__ = ["RULES", "SEVERITIES", "AuditContext", "Finding", "Rule", "at_or_above",
           "audit_payload", "rule", "run_rules"]
