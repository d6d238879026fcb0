"""Hallmark: protect the intellectual property of AI assets when you collaborate.

The public surface: `Vault`, the typed errors, `schemas` (every result, as pydantic models),
`services` (one module per noun) and the plugin hooks. Everything else is private and may
change. Names load on first use, so `import hallmark` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hallmark import schemas, services
    from hallmark.errors import (
        HallmarkError,
        InputError,
        IntegrityError,
        NotFound,
        PolicyDenied,
        Unauthenticated,
    )
    from hallmark.hooks import contributions, hookimpl, plugin_manager, problems, register
    from hallmark.vault import Vault

_WHERE = {
    "Vault": "hallmark.vault",
    "HallmarkError": "hallmark.errors",
    "InputError": "hallmark.errors",
    "NotFound": "hallmark.errors",
    "PolicyDenied": "hallmark.errors",
    "IntegrityError": "hallmark.errors",
    "Unauthenticated": "hallmark.errors",
    "contributions": "hallmark.hooks",
    "hookimpl": "hallmark.hooks",
    "problems": "hallmark.hooks",
    "plugin_manager": "hallmark.hooks",
    "register": "hallmark.hooks",
}
_MODULES = ("schemas", "services")

__all__ = [
    "HallmarkError",
    "InputError",
    "IntegrityError",
    "NotFound",
    "PolicyDenied",
    "Unauthenticated",
    "Vault",
    "__version__",
    "contributions",
    "hookimpl",
    "plugin_manager",
    "problems",
    "register",
    "schemas",
    "services",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"hallmark.{name}")
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'hallmark' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
