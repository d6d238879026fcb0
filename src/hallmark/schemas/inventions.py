"""Schemas of the inventions service."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__: list[str] = []

_ = Record
