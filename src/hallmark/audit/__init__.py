"""The IP audit: rules registered by id through the `hallmark_audit_rules` hook (the built-in
ones, one module per line of work, are the default plugin `audit/plugin.py`) and the runner.

The names below load on first use: registering the default plugin (every command does) must
not import the register's database layer."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hallmark.audit.registry import RULES, SEVERITIES, AuditContext, Finding, Rule, rule
    from hallmark.audit.runner import at_or_above, audit_payload, run_rules

_WHERE = {
    "RULES": "registry", "SEVERITIES": "registry", "AuditContext": "registry",
    "Finding": "registry", "Rule": "registry", "rule": "registry",
    "at_or_above": "runner", "audit_payload": "runner", "run_rules": "runner",
}

__all__ = ["RULES", "SEVERITIES", "AuditContext", "Finding", "Rule", "at_or_above",
           "audit_payload", "rule", "run_rules"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"hallmark.audit.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'hallmark.audit' has no attribute {name!r}")
