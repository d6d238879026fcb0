"""Schemas of the shares service: the options of a marked copy, what a share did, the shares
listed."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationInfo, field_validator

from hallmark.errors import InputError
from hallmark.schemas.base import Record
from hallmark.schemas.deidentify import Deidentified

__all__ = ["ShareOptions", "ShareRecord", "ShareResult"]

CATEGORICAL_MODES = ("auto", "always", "never")
# Upper bounds of the options: beyond them a code or a lattice no longer fits in the numbers
# the plan and the log hold (the Tardos code for MAX_COLLUDERS among MAX_RECIPIENTS is about
# 3e8 symbols long).
MAX_RECIPIENTS = 10_000_000
MAX_COLLUDERS = 1000
LEAST_EPSILON = 1e-100
MAX_AMOUNT = 1e15  # a column budget, or the magnitude of a declared range's bound


def _finite(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise InputError(f"{value!r} is not a finite number", field=field)
    return value


def _amount(value: float, field: str) -> float:
    if abs(_finite(value, field)) > MAX_AMOUNT:
        raise InputError(f"must be at most {MAX_AMOUNT:g} in magnitude", field=field)
    return value


class ShareOptions(Record):
    """How strongly and for how many recipients to mark (all of it public, stored in the
    plan). Bad values raise InputError naming the field. Bounds: recipients 1..10,000,000,
    colluders 1..1000, epsilon in [1e-100, 1), column budgets and range bounds at most 1e15 in
    magnitude."""

    budget: float = 0.01
    budgets: dict[str, float] | None = None
    ranges: dict[str, tuple[float, float]] | None = None
    recipients: int = 1000
    colluders: int = 5
    epsilon: float = 1e-6
    categorical: str = "auto"

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: float) -> float:
        if not 0 < _finite(value, "budget") <= 0.5:
            raise InputError("must lie in (0, 0.5]", field="budget")
        return value

    @field_validator("recipients", "colluders")
    @classmethod
    def _count(cls, value: int, info: ValidationInfo) -> int:
        most = MAX_RECIPIENTS if info.field_name == "recipients" else MAX_COLLUDERS
        if value < 1:
            raise InputError("must be >= 1", field=info.field_name)
        if value > most:
            raise InputError(f"must be at most {most:,}", field=info.field_name)
        return value

    @field_validator("epsilon")
    @classmethod
    def _epsilon(cls, value: float) -> float:
        if not 0 < _finite(value, "epsilon") < 1:
            raise InputError("must lie in (0, 1)", field="epsilon")
        if value < LEAST_EPSILON:
            raise InputError(f"must be at least {LEAST_EPSILON:g}", field="epsilon")
        return value

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for name, amount in (value or {}).items():
            if _amount(amount, f"budgets.{name}") <= 0:
                raise InputError("the amount must be positive", field=f"budgets.{name}")
        return value

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, value: dict[str, tuple[float, float]] | None
                ) -> dict[str, tuple[float, float]] | None:
        for name, (lo, hi) in (value or {}).items():
            where = f"ranges.{name}"
            if _amount(lo, where) >= _amount(hi, where):
                raise InputError("LO must be below HI", field=where)
        return value

    @field_validator("categorical")
    @classmethod
    def _categorical(cls, value: str) -> str:
        if value not in CATEGORICAL_MODES:
            raise InputError("must be auto, always or never", field="categorical")
        return value

    def plan_options(self) -> dict[str, Any]:
        """The options as stored inside the plan (dicts, never None; ranges as lists)."""
        return {"budget": self.budget, "budgets": dict(self.budgets or {}),
                "ranges": {k: list(v) for k, v in (self.ranges or {}).items()},
                "recipients": self.recipients, "colluders": self.colluders,
                "epsilon": self.epsilon, "categorical": self.categorical}


class ShareResult(Record):
    """What a share did."""

    share: str
    asset: str
    recipient: str
    team: str | None
    agreement: str | None
    purpose: str | None
    out: str
    format: str
    rows: int
    marked_cells: int
    marked_columns: list[str]
    source_sha256: str
    copy_sha256: str
    seq: int
    survives: dict[str, Any] = {}
    categorical_columns: list[str] = []
    deidentified: Deidentified | None = None


class ShareRecord(Record):
    """One share as listed."""

    share: str
    asset: str
    recipient: str
    team: str | None
    agreement: str | None
    purpose: str | None
    format: str
    rows: int
    marked_cells: int
    marked_columns: list[str]
    source_sha256: str
    copy_sha256: str
    scheme: str
    created: str
    seq: int
    deidentified: Deidentified | None = None
