"""Schemas of the evidence service: bundles, attestations and model signatures, in the field
order `evidence`, `verify-bundle`, `attest`, `verify-attestation`, `sign` and `verify-model`
print with --json."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["Attestation", "AttestationCheck", "BundleCheck", "BundleCheckEvent",
           "BundleCheckFile", "BundleCheckTimestamp", "BundleEvent", "EvidenceBundle", "ModelCheck",
           "ModelSignature"]


class BundleEvent(Record):
    """One log entry an evidence bundle carries, as its manifest lists it."""

    seq: int
    type: str
    time: str


class EvidenceBundle(Record):
    """A written evidence bundle: the file and its manifest (`evidence --json`)."""

    file: str
    format: str
    subject: str
    origin: str
    key_name: str
    verifier_key: str
    tree_size: int
    events: list[BundleEvent]
    timestamp: bool


class BundleCheckEvent(Record):
    """One entry of a bundle, its inclusion proof checked."""

    seq: int
    type: str
    time: str
    verified: bool


class BundleCheckTimestamp(Record):
    """A bundle's checked time-stamp: the first `checkpoint_size` entries existed by then."""

    checkpoint_size: int
    gen_time: str
    tsa_pinned: bool


class BundleCheckFile(Record):
    """One file of a case file: its digest matched its name and a logged event recorded it."""

    path: str
    kind: str
    sha256: str
    seq: int


class BundleCheck(Record):
    """The outcome of checking a bundle with no vault (`verify-bundle --json`); `problem`
    names the first thing that failed."""

    ok: bool = False
    problem: str | None = None
    subject: str | None = None
    origin: str | None = None
    verifier_key: str | None = None
    key_fingerprint: str | None = None
    key_pinned: bool = False
    tree_size: int | None = None
    events: list[BundleCheckEvent] = Field(default_factory=list)
    timestamp: BundleCheckTimestamp | None = None
    format: str | None = None  # hallmark-evidence/1, or hallmark-case/1 for a case file
    # A case file's documents, notices and nested bundles, each bound to a logged digest.
    files: list[BundleCheckFile] = Field(default_factory=list)


class Attestation(Record):
    """A written DSSE envelope about an asset (`attest --json`)."""

    asset: str
    subject: list[dict[str, Any]]
    file: str
    statement_sha256: str


class AttestationCheck(Record):
    """A verified attestation: its Statement's predicate and subjects (`verify-attestation`)."""

    ok: bool
    predicate_type: str
    subjects: list[dict[str, Any]]
    predicate: dict[str, Any]
    key_fingerprint: str


class ModelSignature(Record):
    """A written OMS signature over a model (`sign --json`)."""

    model: str
    signature: str
    assets: list[str]
    signature_sha256: str


class ModelCheck(Record):
    """A model that verifies against its OMS signature (`verify-model --json`)."""

    ok: bool
    model: str
    signature: str
