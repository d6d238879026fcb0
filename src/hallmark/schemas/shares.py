"""Schemas of the shares service: the options of a marked copy, what a share did, the shares
listed."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError, ValidationInfo, field_validator

from hallmark.errors import InputError
from hallmark.schemas.base import Record

__all__ = ["ShareOptions", "ShareRecord", "ShareResult"]

CATEGORICAL_MODES = ("auto", "always", "never")


def _finite(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise InputError(f"{value!r} is not a finite number", field=field)
    return value


def refused(exc: ValidationError) -> InputError:
    """A pydantic refusal as the InputError a caller gets: the first problem, named by field."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    return InputError(str(first.get("msg", "is not valid")).removeprefix("Value error, "),
                      field=field)


class ShareOptions(Record):
    """How strongly and for how many recipients to mark (all of it public, stored in the
    plan). Bad values raise InputError naming the field."""

    budget: float = 0.01
    budgets: dict[str, float] | None = None
    ranges: dict[str, tuple[float, float]] | None = None
    recipients: int = 1000
    colluders: int = 5
    epsilon: float = 1e-6
    categorical: str = "auto"

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise refused(exc) from None

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: float) -> float:
        if not 0 < _finite(value, "budget") <= 0.5:
            raise InputError("must lie in (0, 0.5]", field="budget")
        return value

    @field_validator("recipients", "colluders")
    @classmethod
    def _at_least_one(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise InputError("must be >= 1", field=info.field_name)
        return value

    @field_validator("epsilon")
    @classmethod
    def _epsilon(cls, value: float) -> float:
        if not 0 < _finite(value, "epsilon") < 1:
            raise InputError("must lie in (0, 1)", field="epsilon")
        return value

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for name, amount in (value or {}).items():
            if _finite(amount, f"budgets.{name}") <= 0:
                raise InputError("the amount must be positive", field=f"budgets.{name}")
        return value

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, value: dict[str, tuple[float, float]] | None
                ) -> dict[str, tuple[float, float]] | None:
        for name, (lo, hi) in (value or {}).items():
            where = f"ranges.{name}"
            if _finite(lo, where) >= _finite(hi, where):
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
