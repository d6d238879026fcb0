"""The default plugin contributing the built-in audit rules."""

from __future__ import annotations

from hallmark.hooks import hookimpl

_ = hookimpl
