"""The default plugin contributing the built-in format readers."""

from __future__ import annotations

from hallmark.hooks import hookimpl

_ = hookimpl
