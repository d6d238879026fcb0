"""Schemas of a de-identified share: what to de-identify, and what the share removed (column
names, rules and counts; never a value)."""

from __future__ import annotations

import math

from pydantic import ValidationInfo, field_validator

from hallmark.errors import InputError
from hallmark.schemas.base import Record

__all__ = ["DeidentifyOptions", "Deidentified", "PseudonymisedColumn", "GeneralisedColumn"]

MAX_K = 1_000_000  # beyond this no real release means what it asks for
MAX_NAMED = 4096  # columns named in one list (a table has at most this many)
MAX_SUPPRESS = 0.5


class DeidentifyOptions(Record):
    """How to de-identify a share's copy: the target k (2..1,000,000), extra quasi-identifier
    columns, columns to drop, extra columns to pseudonymise, and the largest fraction of rows
    that may be suppressed (0..0.5) rather than generalising further."""

    k: int = 5
    quasi: list[str] = []
    drop: list[str] = []
    pseudonymise: list[str] = []
    max_suppress: float = 0.01

    @field_validator("k")
    @classmethod
    def _k(cls, value: int) -> int:
        if isinstance(value, bool) or not 2 <= value <= MAX_K:
            raise InputError(f"must be a whole number from 2 to {MAX_K:,}", field="k")
        return value

    @field_validator("quasi", "drop", "pseudonymise")
    @classmethod
    def _columns(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(value) > MAX_NAMED:
            raise InputError(f"at most {MAX_NAMED} columns", field=info.field_name)
        for name in value:
            if not name or len(name) > 10_000 or "\x00" in name:
                raise InputError(f"{name[:40]!r} cannot be a column name", field=info.field_name)
        return list(dict.fromkeys(value))

    @field_validator("max_suppress")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not math.isfinite(value) or not 0.0 <= value <= MAX_SUPPRESS:
            raise InputError(f"must lie in [0, {MAX_SUPPRESS}]", field="max_suppress")
        return value


class PseudonymisedColumn(Record):
    """A direct identifier replaced by keyed pseudonyms, and the PII kind it was found as."""

    column: str
    kind: str


class GeneralisedColumn(Record):
    """A quasi-identifier generalised, and the rule applied ("10-year bands", "*", ...)."""

    column: str
    rule: str


class Deidentified(Record):
    """What a de-identified share removed: stored with the Share and in its event."""

    pseudonymised: list[PseudonymisedColumn]
    generalised: list[GeneralisedColumn]
    dropped: list[str]
    suppressed_rows: int
    k_target: int
    k_achieved: int | None
    quasi_identifiers: list[str]
    max_suppress: float
