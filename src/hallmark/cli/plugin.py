"""The default plugin contributing the built-in CLI command groups."""

from __future__ import annotations

from typing import Any

from hallmark import hookimpl


@hookimpl
def hallmark_cli_commands(app: Any) -> None:
    """Attach every built-in command group."""
    from hallmark.cli import (
        agreement_cmds,
        audit_cmds,
        closeout_cmds,
        incident_cmds,
        inventory_cmds,
        ip_cmds,
        ledger_cmds,
        mark_cmds,
        party_cmds,
        raci_cmds,
        review_cmds,
        screening_cmds,
        share_cmds,
        token_cmds,
        vault_cmds,
    )

    for group in (vault_cmds, inventory_cmds, audit_cmds, ledger_cmds, party_cmds, ip_cmds,
                  mark_cmds, agreement_cmds, share_cmds, review_cmds, incident_cmds,
                  screening_cmds, closeout_cmds, raci_cmds, token_cmds):
        group.register(app)
