"""The front door: one module per noun, each a short list of functions that take a Vault (and,
for a change, the actor who makes it), validate their inputs, and return schemas.

Each module loads on first use (`services.inventory`), so a command pays only for the nouns it
touches."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hallmark.services import (
        access,
        acknowledgements,
        agreements,
        audit,
        checklist,
        closeouts,
        deadlines,
        evidence,
        incidents,
        inventions,
        inventory,
        ledger,
        parties,
        raci,
        reports,
        review,
        screening,
        shares,
        tokens,
        traces,
        trademarks,
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
    "trademarks",
    "reports",
    "incidents",
    "screening",
    "closeouts",
    "raci",
    "acknowledgements",
    "tokens",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"hallmark.services.{name}")
    raise AttributeError(f"module 'hallmark.services' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
