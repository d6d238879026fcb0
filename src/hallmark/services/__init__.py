"""The front door: one module per noun, each a short list of functions that take a Vault (and,
for a change, the actor who makes it), validate their inputs, and return schemas."""

from hallmark.services import (
    access,
    agreements,
    audit,
    checklist,
    deadlines,
    evidence,
    inventions,
    inventory,
    ledger,
    parties,
    reports,
    review,
    shares,
    traces,
)

__all__ = [
    "inventory",
    "audit",
    "ledger",
    "evidence",
    "parties",
    "agreements",
    "access",
    "deadlines",
    "inventions",
    "checklist",
    "review",
    "shares",
    "traces",
    "reports",
]
