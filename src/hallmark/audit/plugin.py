"""The default plugin contributing the built-in audit rules."""

from __future__ import annotations

from typing import Any

from hallmark.hooks import hookimpl


@hookimpl
def hallmark_audit_rules() -> list[Any]:
    """The built-in rules: inventory, agreements and clause review."""
    from hallmark.audit import rules_agreements, rules_inventory, rules_review  # noqa: F401
    from hallmark.audit.registry import BUILTIN

    return list(BUILTIN.values())
