"""Witnessing: signed checkpoints recorded outside the vault, so that someone who can write the
database cannot cut the log back or rewrite it without the witness noticing.

A witness file is JSON Lines, one record per `hallmark ledger witness`, appended and never
rewritten (the user keeps it elsewhere: another disk, a repository, a partner's mailbox). Each
record carries the vault's signed checkpoint note, optionally with a C2SP tlog-cosignature/v1
line from a second vault that checked the log's consistency with what it cosigned before, and
optionally an RFC 3161 token over the note. `hallmark ledger verify --witness FILE` requires the
log to reach every witnessed size with the witnessed root.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hallmark.errors import InputError, IntegrityError
from hallmark.ledger import log, note, verify
from hallmark.store.clock import epoch_seconds, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hallmark.vault import Txn

FORMAT = "hallmark-witness/v1"
MAX_FILE = 64 << 20
MAX_LINE = 64 << 10


@dataclass(frozen=True)
class Record:
    """One witnessed checkpoint, as read from a witness file (not yet checked)."""

    line: int
    origin: str
    size: int
    root: bytes
    witnessed: str
    checkpoint: str
    cosigner: str | None
    timestamp: dict[str, Any] | None

    @property
    def label(self) -> str:
        """How messages name this record."""
        return f"the checkpoint witnessed on line {self.line} ({self.witnessed})"


# -- C2SP tlog-cosignature/v1 ----------------------------------------------------------------

def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || key)[:4], the key id of an Ed25519 cosigner."""
    return note.key_id(name, public_key, note.COSIGNATURE_ALG)


def cosigner_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    """The cosigner's verifier key `<name>+<hex key id>+<base64(0x04 || key)>`."""
    return note.verifier_key(name, public_key, note.COSIGNATURE_ALG)


def parse_cosigner_vkey(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Inverse of `cosigner_vkey`; InputError when malformed or its key id does not match."""
    return note.parse_verifier_key(vkey, note.COSIGNATURE_ALG)


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(checkpoint: str, name: str, private_key: Ed25519PrivateKey,
           timestamp: int | None = None) -> str:
    """`checkpoint` with one more signature line: a cosignature/v1 by `name`."""
    body = checkpoint.partition("\n\n")[0] + "\n"
    stamp = epoch_seconds() if timestamp is None else timestamp
    sig = private_key.sign(_cosigned_message(body, stamp))
    blob = cosigner_key_id(name, private_key.public_key()) + struct.pack(">Q", stamp) + sig
    return f"{checkpoint}{note.SIG_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def open_cosignature(checkpoint: str, name: str, public_key: Ed25519PublicKey) -> int:
    """The time of `name`'s valid cosignature on `checkpoint`; IntegrityError when none."""
    body, _, sigs = checkpoint.partition("\n\n")
    want = cosigner_key_id(name, public_key)
    for line in sigs.splitlines():
        signer, _, b64 = line.removeprefix(note.SIG_PREFIX).partition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error):
            continue
        if signer != name or blob[:4] != want or len(blob) != 4 + 8 + 64:
            continue
        (stamp,) = struct.unpack(">Q", blob[4:12])
        try:
            public_key.verify(blob[12:], _cosigned_message(body + "\n", stamp))
        except InvalidSignature as exc:
            raise IntegrityError(f"the cosignature by {name} does not verify") from exc
        if stamp >= 1 << 63:
            raise IntegrityError(f"the cosignature by {name} has an impossible time")
        return int(stamp)
    raise IntegrityError(f"the checkpoint carries no cosignature by {name}")


# -- reading and checking a witness file ---------------------------------------------------------

def load(path: Path, field: str | None = None) -> list[Record]:
    """Every record of a witness file; InputError (naming `field`) and the first line that does
    not parse."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"no witness file at {path}", field=field)
    if path.stat().st_size > MAX_FILE:
        raise InputError(f"{path} is too large for a witness file", field=field)
    records = []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                records.append(_parse(raw, number, path))
            except ValueError as exc:
                raise InputError(str(exc), field=field) from exc
    return records


def _parse(raw: bytes, number: int, path: Path) -> Record:
    """One record; ValueError naming the file and line when it does not parse."""
    where = f"{path}, line {number}"
    if len(raw) > MAX_LINE:
        raise ValueError(f"{where}: the record is too long for a witness record")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError(f"{where}: not a JSON witness record") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{where}: not a {FORMAT} record")
    try:
        size, origin, checkpoint = doc["size"], doc["origin"], doc["checkpoint"]
        root = bytes.fromhex(doc["root"])
        witnessed = str(doc["witnessed"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{where}: the record lacks a valid size, root, origin or "
                         "checkpoint") from None
    cosigner, stamp = doc.get("cosigner"), doc.get("timestamp")
    if (not isinstance(size, int) or isinstance(size, bool) or size < 0 or len(root) != 32
            or not isinstance(origin, str) or not isinstance(checkpoint, str)
            or not isinstance(cosigner, str | None) or not isinstance(stamp, dict | None)):
        raise ValueError(f"{where}: the record has fields of the wrong type")
    return Record(number, origin, size, root, witnessed[:40], checkpoint, cosigner, stamp)


def of_this_log(origin: str, records: list[Record]) -> list[Record]:
    """The records of this vault's log: those whose `origin` field or whose note's origin line
    says so. The field is not signed, and relabelling a record must not make it skipped (`check`
    then fails it, as its fields disagree with its note)."""
    return [r for r in records if origin in (r.origin, r.checkpoint.partition("\n")[0])]


def check(records: list[Record], origin: str, name: str, key: Ed25519PublicKey,
          cosigner: str | None = None,
          tsa_roots: list[Any] | None = None) -> list[verify.Witnessed]:
    """The records of this vault's log, each signature checked; IntegrityError when a record
    is not what it claims, or when none is this log's. A record's own cosigner key and
    certificate chain only show it is intact; `cosigner` (a vkey) and `tsa_roots` pin who must
    have cosigned and stamped every record."""
    pinned = parse_cosigner_vkey(cosigner) if cosigner else None
    mine = of_this_log(origin, records)
    if not mine:
        raise IntegrityError(f"the witness file holds no checkpoint of this vault's log "
                             f"({origin})")
    out = []
    for record in mine:
        try:
            cp = note.open_checkpoint(record.checkpoint, name, key)
        except IntegrityError as exc:
            raise IntegrityError(f"{record.label}: {exc}") from exc
        if (cp.origin, cp.size, cp.root) != (record.origin, record.size, record.root):
            raise IntegrityError(f"{record.label}: its fields disagree with its signed note")
        if record.cosigner is not None:
            cosigner_name, cosigner_key = parse_cosigner_vkey(record.cosigner)
            open_cosignature(record.checkpoint, cosigner_name, cosigner_key)
        if pinned is not None:
            try:
                open_cosignature(record.checkpoint, *pinned)
            except IntegrityError as exc:
                raise IntegrityError(f"{record.label}: {exc}") from exc
        if record.timestamp is not None or tsa_roots:
            _check_token(record, tsa_roots)
        out.append(verify.Witnessed(cp.size, cp.root, record.label))
    return out


def _check_token(record: Record, pinned: list[Any] | None = None) -> None:
    """The record's RFC 3161 token must stamp its exact checkpoint note (with cosignatures),
    checked against the `pinned` roots when given, else against the chain the record carries."""
    from hallmark.ledger import timestamp

    if record.timestamp is None:
        raise IntegrityError(f"{record.label}: it carries no time-stamp")
    stamp = record.timestamp
    try:
        token = base64.b64decode(str(stamp["token"]), validate=True)
        roots = pinned or timestamp.parse_certificates(str(stamp["chain"]).encode())
    except (KeyError, ValueError, binascii.Error, InputError) as exc:
        raise IntegrityError(f"{record.label}: its time-stamp is malformed") from exc
    try:
        timestamp.verify_token(token, record.checkpoint.encode(), roots)
    except IntegrityError as exc:
        raise IntegrityError(f"{record.label}: {exc}") from exc


# -- witnessing (the service opens the connections and the cosigner's transaction) ------------

def current(conn: Connection, name: str, key: Ed25519PublicKey,
            seen: list[verify.Witnessed]) -> note.Checkpoint:
    """The log's newest signed checkpoint, after checking that it signs the head and that the
    log is consistent with every record `seen` before."""
    verify.one_snapshot(conn)  # the newest checkpoint and the head, read as of one moment
    cp = verify.latest(conn, name, key)
    size, root = log.head(conn)
    if (size, root) != (cp.size, cp.root):
        raise IntegrityError("the log head is not the one its newest checkpoint signs; run "
                             "`hallmark ledger verify`")
    for w in seen:
        consistent(conn, w, cp)
    return cp


def consistent(conn: Connection, w: verify.Witnessed, cp: note.Checkpoint) -> None:
    """IntegrityError unless the log under `cp` extends the witnessed checkpoint `w`."""
    if w.size > cp.size:
        raise IntegrityError(f"the log has {cp.size} entries but {w.label} saw size {w.size}: "
                             "the log was cut back")
    old = note.Checkpoint(cp.origin, w.size, w.root, "")
    try:
        verify.consistency(conn, old, cp)
    except IntegrityError as exc:
        raise IntegrityError(f"the log is inconsistent with {w.label} at size {w.size}: its "
                             "history was rewritten") from exc


def last_cosigned(conn: Connection, origin: str, label: str) -> verify.Witnessed | None:
    """The newest checkpoint of log `origin` that the cosigner (whose log `conn` reads)
    cosigned before, or None."""
    seqs = log.events_for(conn, origin)
    if not seqs:
        return None
    last = log.event(conn, seqs[-1])["parsed"]["payload"]
    return verify.Witnessed(int(last["size"]), bytes.fromhex(last["root"]), label)


def cosign_into(txn: Txn, cp: note.Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The cosigner's cosignature on `cp`, recorded in the cosigner's own log (`txn`)."""
    signed = cosign(cp.note, name, private_key)
    txn.log.append("witness.cosigned", {"origin": cp.origin, "size": cp.size,
                                        "root": cp.root.hex()}, [cp.origin])
    return signed


def append_record(to: Path, cp: note.Checkpoint, checkpoint: str, cosigner: str | None,
                  stamp: dict[str, Any] | None) -> None:
    """Append one witness record (the signed, maybe cosigned `checkpoint`) to the file `to`."""
    doc: dict[str, Any] = {"format": FORMAT, "origin": cp.origin, "size": cp.size,
                           "root": cp.root.hex(), "witnessed": utcnow(), "checkpoint": checkpoint}
    if cosigner is not None:
        doc["cosigner"] = cosigner
    if stamp is not None:
        doc["timestamp"] = stamp
    _append(to, (json.dumps(doc, sort_keys=True, ensure_ascii=True) + "\n").encode())


def _append(path: Path, line: bytes) -> None:
    """One write of one whole line to the end of the file, flushed to disk before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            line = b"\n" + line  # a partial line from a crash elsewhere stays its own bad line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def expect(paths: list[Path], origin: str, name: str, key: Ed25519PublicKey,
           cosigner: str | None = None, tsa_roots: list[Any] | None = None,
           field: str | None = None) -> list[verify.Witnessed]:
    """What `ledger verify --witness` checks the log against: every record of every file."""
    out: list[verify.Witnessed] = []
    for path in paths:
        out.extend(check(load(path, field), origin, name, key, cosigner, tsa_roots))
    return out
