"""The default plugin contributing the built-in mark schemes."""

from __future__ import annotations

from typing import Any

from hallmark.hooks import hookimpl


@hookimpl
def hallmark_mark_schemes() -> list[Any]:
    """The tabular scheme (tables: CSV, TSV, Parquet, JSON Lines)."""
    from hallmark.marks.tabular_scheme import TabularScheme

    return [TabularScheme()]
