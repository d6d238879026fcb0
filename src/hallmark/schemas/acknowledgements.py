"""Schemas of acknowledged terms: a person has read (or was trained on) one version of an
agreement's terms."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Acknowledgement", "AcknowledgementResult", "MissingAcknowledgement",
           "AcknowledgementList"]

AckKind = Literal["read", "trained"]


class Acknowledgement(Record):
    """One recorded acknowledgement; `current` says whether it is for the version in force."""

    agreement: str
    person: str
    person_name: str
    version: int
    kind: AckKind
    acknowledged: str
    seq: int
    current: bool = True


class AcknowledgementResult(Record):
    """What `acknowledge` did: `recorded` is false when that version was already acknowledged
    (nothing logged the second time)."""

    acknowledgement: Acknowledgement
    recorded: bool


class MissingAcknowledgement(Record):
    """A person who must acknowledge an agreement's version in force and has not."""

    agreement: str
    version: int
    person: str
    person_name: str
    via: str  # the permitted party or team that makes them a member


class AcknowledgementList(Record):
    """The acknowledgements recorded (oldest first) and those still missing where an agreement
    requires them (what `acknowledgements --json` prints)."""

    acknowledgements: list[Acknowledgement]
    missing: list[MissingAcknowledgement] = Field(default_factory=list)
