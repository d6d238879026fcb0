"""Schemas of the agreements service: an agreement's terms as written (the input of add and
amend), the agreement as stored, its history and review, the ownership matrix."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from hallmark.errors import InputError
from hallmark.policy.compile import ACTIONS
from hallmark.schemas.base import Record

__all__ = ["AgreementTerms", "PermittedUse", "OwnershipTerm", "RenewalTerms", "BreachTerms",
           "ExportLicence",
           "Agreement",
           "AgreementRow", "AgreementList", "AgreementVersion", "MissingRequired", "ReviewedRisk",
           "AgreementReview", "AgreementDetail", "OwnershipRow", "FutureTerm",
           "OwnershipConflict", "OwnershipMatrix"]


# The terms of an agreement as written in its YAML file: the input schema of `add`/`amend`.
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
    moved: date = start - delta if back else start + delta  # relativedelta is untyped
    return moved


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


class _Strict(Record):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PermittedUse(_Strict):
    """One `permitted` term: a party (optionally some of its teams) may do these actions."""

    party: Name
    teams: list[Name] | None = Field(default=None, min_length=1, max_length=100)
    actions: list[Action] = Field(min_length=1, max_length=len(ACTIONS))
    purposes: list[Purpose] | None = Field(default=None, min_length=1, max_length=100)


class OwnershipTerm(_Strict):
    """Who owns a subject: an asset, or future improvements, derivatives or results."""

    subject: Name
    owner: Name | None = None
    joint: dict[Name, Share] | None = Field(default=None, min_length=2, max_length=MAX_PARTIES)

    @model_validator(mode="after")
    def _one_owner(self) -> OwnershipTerm:
        if (self.owner is None) == (self.joint is None):
            raise ValueError("give exactly one of `owner` or `joint`")
        if self.joint is not None and sum(self.joint.values()) != 100:
            total = sum(self.joint.values())
            raise ValueError(f"joint shares must add up to 100, they add up to {total}")
        return self


class RenewalTerms(_Strict):
    """Renewal terms: automatic or not, and the notice to give before expiry."""

    auto: bool
    notice: Duration | None = None


class BreachTerms(_Strict):
    """What the agreement gives on a breach: the cure period after notice, the remedies a notice
    cites, and whether a trace that accuses a party opens an incident by itself."""

    cure_period: Duration | None = None
    remedies: list[Annotated[str, Field(min_length=1, max_length=500)]] | None = Field(
        default=None, min_length=1, max_length=20)
    incident_on_trace: bool = False


class ExportLicence(_Strict):
    """The export licence a transfer under this agreement relies on: its number, the authority
    that issued it (BIS, BAFA, ECJU ...) and the day it expires."""

    number: Annotated[str, Field(min_length=1, max_length=100)]
    authority: Annotated[str, Field(min_length=1, max_length=200)]
    expires: Day | None = None


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
    permitted: list[PermittedUse] = Field(default_factory=list, max_length=1000)
    prohibited: list[Action] = Field(default_factory=list, max_length=len(ACTIONS))
    ownership: list[OwnershipTerm] = Field(default_factory=list, max_length=MAX_LIST)
    governing_law: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    # Where disputes are heard (courts or an arbitral seat), beside the law that governs.
    jurisdiction: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    export_licence: ExportLicence | None = None
    # Access decisions for a person deny members of a permitted team who have not acknowledged
    # the terms of the version in force.
    require_acknowledgement: bool = False
    renewal: RenewalTerms | None = None
    limits: dict[Annotated[str, Field(min_length=1, max_length=64)], int] | None = None
    exit_strategy: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    breach: BreachTerms | None = None
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
            last: date = add_duration(self.effective, self.term) - relativedelta(days=1)
            return last
        return None



class Agreement(Record):
    """One agreement at its current version; `terms` hold resolved party and asset ids."""

    id: str
    type: str
    title: str
    status: str
    version: int
    effective: str
    expires: str | None
    terminated_on: str | None
    # The normalised terms stay a mapping: deadlines, checklist and policy read them by key.
    terms: dict[str, Any]
    document_sha256: str | None
    document_name: str | None
    created: str
    updated: str

    def state_on(self, day: date) -> str:
        """pending, active, expired or terminated on `day`."""
        if self.terminated_on and day >= date.fromisoformat(self.terminated_on):
            return "terminated"
        if day < date.fromisoformat(self.effective):
            return "pending"
        if self.expires and day > date.fromisoformat(self.expires):
            return "expired"
        return "active"

    @property
    def parties(self) -> list[str]:
        """The ids of its parties."""
        return list(self.terms["parties"])


class AgreementRow(Agreement):
    """An agreement as `agreement list` shows it, with its state today."""

    state: str


class AgreementList(Record):
    """Every agreement at its current version."""

    agreements: list[AgreementRow]


class AgreementVersion(Record):
    """One version of an agreement: what changed, when, and the terms it had."""

    version: int
    change: str
    recorded: str
    source_sha256: str | None
    document_sha256: str | None
    terms: dict[str, Any]


class MissingRequired(Record):
    """A clause the agreement's type requires that its document lacks."""

    type: str
    reason: str
    covers: str


class ReviewedRisk(Record):
    """A risky clause found in an agreement's document."""

    id: str
    severity: str
    message: str


class AgreementReview(Record):
    """The latest clause review stored with an agreement's document."""

    version: int
    document_sha256: str
    review_sha256: str
    review_type: str
    missing: list[MissingRequired]
    risks: list[ReviewedRisk]
    created: str


class AgreementDetail(Agreement):
    """An agreement with its state today, every version, and its latest review."""

    state: str
    history: list[AgreementVersion]
    review: AgreementReview | None


class OwnershipRow(Record):
    """One asset's line of the ownership matrix."""

    asset: str
    name: str
    kind: str
    status: str
    register_owner: str | None
    owners: dict[str, str]  # party id (or the register's text) -> share, a decimal string
    source: str  # "register", an agreement id, or "none"
    agreements: list[str]
    # The law that governs, and where disputes are heard, under the agreement in `source`.
    governing_law: str | None = None
    jurisdiction: str | None = None


class FutureTerm(Record):
    """Who owns improvements, derivatives or results under one agreement."""

    agreement: str
    subject: str
    owners: dict[str, str]


class OwnershipConflict(Record):
    """A claim above 100%, joint ownership no agreement sets, or an assignment against the
    register."""

    rule: str
    severity: str
    asset: str | None
    subject: str | None
    message: str
    remedy: str


class OwnershipMatrix(Record):
    """Every asset's owners, the future-work terms, and the conflicts."""

    assets: list[OwnershipRow]
    future_work: list[FutureTerm]
    conflicts: list[OwnershipConflict]
