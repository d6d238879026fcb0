"""The default plugin contributing the built-in audit rules."""

from __future__ import annotations

from typing import Any

from hallmark.hooks import hookimpl


@hookimpl
def hallmark_audit_rules() -> list[Any]:
    """The built-in rules: inventory, agreements, IP rights and clause review."""
    from hallmark.audit import (  # noqa: F401
        rules_agreements,
        rules_closeout,
        rules_export,
        rules_inventory,
        rules_ip,
        rules_partnership,
        rules_review,
    )
    from hallmark.audit.registry import BUILTIN

    return list(BUILTIN.values())
