"""The agreement YAML schema (strict pydantic): validation errors name the field and its line."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hallmark.agreements.yamlsrc import Source, shown
from hallmark.errors import InputError
from hallmark.policy.compile import ACTIONS

AGREEMENT_TYPES = ("nda", "collaboration", "data-use", "assignment", "work-for-hire", "licence",
                   "sponsored-research", "developer-terms")
FUTURE_SUBJECTS = ("improvements", "derivatives", "results")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DURATION_RE = re.compile(r"^([1-9][0-9]{0,3})([dwmy])$")
MAX_LIST = 10_000
# A consortium can have a hundred members; the bound only keeps the compiled policies (one
# forbid per party and prohibition) and the ownership matrix of one agreement in proportion.
MAX_PARTIES = 1000


def parse_date(value: Any) -> date:
    """An ISO 8601 calendar date (YYYY-MM-DD)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date ({exc})") from None


def parse_duration(value: Any) -> str:
    """A duration like 90d, 6w, 18m or 2y (normalised text)."""
    if not isinstance(value, str) or not DURATION_RE.match(value.strip()):
        raise ValueError(f"expected a duration like 90d, 6w, 18m or 2y, got {value!r}")
    return value.strip()


def add_duration(start: date, duration: str, back: bool = False) -> date:
    """`start` plus (or, with `back`, minus) a duration; months clamp to month ends."""
    match = DURATION_RE.match(duration)
    if match is None:
        raise InputError(f"bad duration {duration!r}")
    n, unit = int(match.group(1)), match.group(2)
    delta = {"d": relativedelta(days=n), "w": relativedelta(weeks=n),
             "m": relativedelta(months=n), "y": relativedelta(years=n)}[unit]
    return start - delta if back else start + delta


def parse_share(value: Any) -> Decimal:
    """A percentage as an integer or a decimal string; floats are refused (inexact)."""
    if isinstance(value, (bool, float)):
        raise ValueError("a share must be an integer or a decimal string like \"33.5\", "
                         "not a float")
    if isinstance(value, int):
        share = Decimal(value)
    elif isinstance(value, str):
        try:
            share = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"expected a percentage, got {type(value).__name__}")
    if not share.is_finite() or not Decimal(0) < share <= Decimal(100):
        raise ValueError(f"a share must be above 0 and at most 100, got {value!r}")
    if share.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("a share has at most 4 decimal places")
    return share


Day = Annotated[date, BeforeValidator(parse_date)]
Duration = Annotated[str, BeforeValidator(parse_duration)]
Share = Annotated[Decimal, BeforeValidator(parse_share)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Purpose = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,99}$")]
Action = Literal[ACTIONS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Permit(_Strict):
    """One `permitted` term: a party (optionally some of its teams) may do these actions."""

    party: Name
    teams: list[Name] | None = Field(default=None, min_length=1, max_length=100)
    actions: list[Action] = Field(min_length=1, max_length=len(ACTIONS))
    purposes: list[Purpose] | None = Field(default=None, min_length=1, max_length=100)


class Ownership(_Strict):
    """Who owns a subject: an asset, or future improvements, derivatives or results."""

    subject: Name
    owner: Name | None = None
    joint: dict[Name, Share] | None = Field(default=None, min_length=2, max_length=MAX_PARTIES)

    @model_validator(mode="after")
    def _one_owner(self) -> Ownership:
        if (self.owner is None) == (self.joint is None):
            raise ValueError("give exactly one of `owner` or `joint`")
        if self.joint is not None and sum(self.joint.values()) != 100:
            total = sum(self.joint.values())
            raise ValueError(f"joint shares must add up to 100, they add up to {total}")
        return self


class Renewal(_Strict):
    """Renewal terms: automatic or not, and the notice to give before expiry."""

    auto: bool
    notice: Duration | None = None


class AgreementTerms(_Strict):
    """The terms of one agreement, as written in its YAML file."""

    id: str | None = None
    type: Literal[AGREEMENT_TYPES]  # type: ignore[valid-type]
    title: Name
    parties: list[Name] = Field(min_length=2, max_length=MAX_PARTIES)
    discloser: Name | None = None
    effective: Day
    expires: Day | None = None
    term: Duration | None = None
    confidentiality_survives: Duration | None = None
    covers: list[Name] = Field(default_factory=list, max_length=MAX_LIST)
    permitted: list[Permit] = Field(default_factory=list, max_length=1000)
    prohibited: list[Action] = Field(default_factory=list, max_length=len(ACTIONS))
    ownership: list[Ownership] = Field(default_factory=list, max_length=MAX_LIST)
    governing_law: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    renewal: Renewal | None = None
    limits: dict[Annotated[str, Field(min_length=1, max_length=64)], int] | None = None
    exit_strategy: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    notes: Annotated[str, Field(max_length=5000)] | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not ID_RE.match(value):
            raise ValueError("an id is 1-64 of a-z 0-9 . _ - and starts with a letter or digit")
        return value

    @model_validator(mode="after")
    def _dates(self) -> AgreementTerms:
        if self.expires is not None and self.term is not None:
            raise ValueError("give `expires` or `term`, not both")
        try:
            end = self.end_date
        except (OverflowError, ValueError):
            raise ValueError(f"`term` {self.term} runs past the year 9999") from None
        if end is not None and end < self.effective:
            raise ValueError(f"expires {end} is before effective {self.effective}")
        return self

    @property
    def end_date(self) -> date | None:
        """The last day of the agreement (from `expires`, or `effective` + `term`)."""
        if self.expires is not None:
            return self.expires
        if self.term is not None:
            return add_duration(self.effective, self.term) - relativedelta(days=1)
        return None


# Which field a cross-field check belongs to, so its error can name a line.
_MODEL_CHECK_FIELDS = {"expires": "expires", "exactly one of": "owner", "add up to": "joint",
                       "`term`": "term"}


def validate_terms(source: Source) -> AgreementTerms:
    """Validate parsed YAML strictly; the first error names its field and line."""
    if not isinstance(source.data, dict):
        raise source.error((), "an agreement file is a mapping of fields")
    try:
        return AgreementTerms.model_validate(source.data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None


def _first_error(exc: ValidationError, source: Source) -> InputError:
    errors = exc.errors(include_url=False)

    def locate(err: Any) -> tuple[str | int, ...]:
        # pydantic adds the union branch or validator name to the loc; keep field names only
        return tuple(p for p in err["loc"] if isinstance(p, int) or (
            p != "[key]" and not p.startswith(("function-", "literal[", "list[", "dict["))))

    err = min(errors, key=lambda e: source.line(locate(e)) or 0)
    loc = locate(err)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "literal_error":
        message = f"{message} (got {shown(err.get('input'))})"
    if not loc:
        for needle, fld in _MODEL_CHECK_FIELDS.items():
            if needle in message and isinstance(source.data, dict) and fld in source.data:
                loc = (fld,)
                break
    return source.error(loc, message)
