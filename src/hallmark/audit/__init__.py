"""The IP audit: rules registered by id (one module per line of work) and the runner."""

import hallmark.audit.rules_agreements  # noqa: F401  (registers its rules)
import hallmark.audit.rules_review  # noqa: F401  (registers its rules)
from hallmark.audit import rules_inventory  # noqa: F401  (registers its rules)
from hallmark.audit.registry import RULES, SEVERITIES, AuditContext, Finding, rule
from hallmark.audit.runner import run_audit

__all__ = ["RULES", "SEVERITIES", "AuditContext", "Finding", "rule", "run_audit"]
