"""Schemas of the ledger service: the log's state, its entries, proofs, verification and
witnessing, in the field order `hallmark ledger ... --json` prints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from hallmark.schemas.base import Record

__all__ = ["ConsistencyProof", "InclusionProof", "LedgerStatus", "LedgerTimestamp", "LogEntry",
           "LogVerification", "PublicKey", "SignedCheckpoint", "StatusTimestamp",
           "WitnessResult"]


class StatusTimestamp(Record):
    """The newest stored RFC 3161 time-stamp, as `ledger status` shows it."""

    checkpoint_size: int
    gen_time: str
    tsa: str


class LedgerStatus(Record):
    """Size, root and newest checkpoint of the log (`ledger status --json`)."""

    origin: str
    size: int
    root: str
    checkpoint_size: int | None
    verifier_key: str
    timestamp: StatusTimestamp | None


class LogEntry(Record):
    """One entry of the log with its leaf hash (`ledger show --json`); the entry's own fields
    come in their canonical (RFC 8785) order."""

    seq: int
    leaf_hash: str
    actor: str
    payload: dict[str, Any]
    subjects: list[str]
    time: str
    type: str


class InclusionProof(Record):
    """RFC 9162 inclusion proof of one entry in the newest checkpoint (`ledger prove --json`)."""

    index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]
    checkpoint: str
    # The checkpoint's root (hex), for a reader of the result; not part of the JSON form, which
    # carries it inside `checkpoint`.
    root: str = Field(exclude=True)


class ConsistencyProof(Record):
    """RFC 9162 consistency proof from a saved checkpoint to the newest one."""

    consistent: bool
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    hashes: list[str]


class SignedCheckpoint(Record):
    """The newest signed checkpoint note, and the file it was saved to (if any)."""

    size: int
    root: str
    note: str
    file: str | None = None


class LogVerification(Record):
    """What a full verification of the log found (`ledger verify --json`)."""

    ok: bool
    size: int
    root: str
    nodes_checked: int
    checkpoints_checked: int
    witnessed_checked: int
    subjects_checked: int
    seconds: float
    problem: str | None
    bad_entry: int | None


class WitnessResult(Record):
    """A checkpoint recorded in a witness file (`ledger witness --json`)."""

    witness: str
    origin: str
    size: int
    root: str
    cosigner: str | None
    timestamped: bool
    previously_witnessed: int


class LedgerTimestamp(Record):
    """An RFC 3161 time-stamp over the newest checkpoint (`ledger timestamp --json`)."""

    checkpoint_size: int
    tsa: str
    gen_time: str
    pinned: bool
    token_sha256: str


class PublicKey(Record):
    """One of the vault's public keys as text, and the file it was saved to (if any)."""

    kind: Literal["verifier-key", "pem", "oms"]
    text: str
    file: str | None = None
