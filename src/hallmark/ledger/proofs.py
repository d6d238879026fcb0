"""Proofs against the latest signed checkpoint: RFC 9162 inclusion and consistency, read from
the stored tree nodes and checked before they are returned."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from hallmark.errors import IntegrityError, NotFound
from hallmark.ledger import log, merkle, note


def latest(conn: Connection, name: str, public_key: Ed25519PublicKey) -> note.Checkpoint:
    """The newest checkpoint, its signature checked; NotFound for an empty log."""
    text = log.latest_checkpoint(conn)
    if text is None:
        raise NotFound("the log is empty: no checkpoint yet")
    return note.open_checkpoint(text, name, public_key)


def _reader(conn: Connection) -> log.NodeReader:
    return log.NodeReader(conn)


def inclusion(conn: Connection, seq: int, checkpoint: note.Checkpoint) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of entry `seq` in `checkpoint`, checked before returning."""
    if not 0 <= seq < checkpoint.size:
        raise NotFound(f"no log entry {seq} (the log has {checkpoint.size} entries)")
    entry = log.event(conn, seq)["entry"]
    leaf = merkle.leaf_hash(entry)
    try:
        path = merkle.inclusion_proof(seq, checkpoint.size, _reader(conn))
    except NotFound as exc:
        raise IntegrityError(f"cannot prove entry {seq}: {exc}") from exc
    if not merkle.verify_inclusion(seq, checkpoint.size, leaf, path, checkpoint.root):
        raise IntegrityError(f"entry {seq} does not prove into the checkpoint of size "
                             f"{checkpoint.size}: the log was modified (run `hallmark ledger "
                             "verify`)")
    return {"index": seq, "tree_size": checkpoint.size, "leaf_hash": leaf.hex(),
            "hashes": [h.hex() for h in path]}


def consistency(conn: Connection, old: note.Checkpoint, new: note.Checkpoint) -> dict[str, Any]:
    """The RFC 9162 consistency proof from `old` to `new`; IntegrityError when history forked."""
    if old.origin != new.origin:
        raise IntegrityError(f"the old checkpoint is for log {old.origin!r}, not {new.origin!r}")
    if old.size > new.size:
        raise IntegrityError(f"the old checkpoint has {old.size} entries but the log now has "
                             f"{new.size}: entries were removed")
    path: list[bytes] = []
    if old.size == 0:
        ok = old.root == merkle.EMPTY_ROOT
    else:
        try:
            path = merkle.consistency_proof(old.size, new.size, _reader(conn))
        except NotFound:
            ok = False
        else:
            ok = merkle.verify_consistency(old.size, new.size, old.root, new.root, path)
    if not ok:
        raise IntegrityError(f"the log is not consistent with the checkpoint of size {old.size}: "
                             "its history was rewritten")
    return {"old_size": old.size, "new_size": new.size, "old_root": old.root.hex(),
            "new_root": new.root.hex(), "hashes": [h.hex() for h in path]}
