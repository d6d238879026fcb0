"""The default plugin contributing the built-in mark schemes."""

from __future__ import annotations

from hallmark.hooks import hookimpl

_ = hookimpl
