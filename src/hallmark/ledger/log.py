"""The append-only log: events, their Merkle nodes and signed checkpoints, in the caller's
transaction. Appends keep only the tree's frontier in memory; proofs read O(log n) nodes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from hallmark.errors import InputError, IntegrityError, NotFound
from hallmark.ledger import merkle, note
from hallmark.store.clock import utcnow
from hallmark.store.tables import checkpoints, event_subjects, events, ledger_head, ledger_nodes


@dataclass
class Signer:
    """What a checkpoint is signed with: the log's origin line, key name and private key."""

    origin: str
    key_name: str
    private_key: Ed25519PrivateKey


# Every state change of the vault runs these, so they go straight to the DBAPI cursor of the
# transaction's connection: SQLAlchemy's statement handling cost several times the database work
# (bench/ledger.py). Written in qmark style; translated to %s for psycopg.
_INSERT_EVENT = (f"INSERT INTO {events.name} (seq, time, type, actor, entry, leaf_hash) "
                 "VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_SUBJECT = f"INSERT INTO {event_subjects.name} (subject, seq) VALUES (?, ?)"
_INSERT_NODE = f"INSERT INTO {ledger_nodes.name} (level, idx, hash) VALUES (?, ?, ?)"
_UPDATE_HEAD = f"UPDATE {ledger_head.name} SET size = ?, root = ?, frontier = ? WHERE id = 1"
_INSERT_CHECKPOINT = (f"INSERT INTO {checkpoints.name} (size, root, note, created) "
                      "VALUES (?, ?, ?, ?)")
# PostgreSQL refuses a longer value only at commit, with a driver error; SQLite stores it. Both
# refuse it up front instead, so the log means the same on either and nothing half-writes.
_MAX_SUBJECT = event_subjects.c.subject.type.length or 64  # type: ignore[attr-defined]
_MAX_TYPE = events.c.type.type.length or 64  # type: ignore[attr-defined]


@dataclass
class LogWriter:
    """Appends events inside one open transaction; `close()` writes them and a checkpoint."""

    conn: Connection
    signer: Signer
    actor: str
    size: int = 0
    frontier: list[tuple[int, bytes]] = field(default_factory=list)
    # pending rows, each a tuple in the column order of its statement above
    _events: list[tuple[Any, ...]] = field(default_factory=list)
    _subjects: list[tuple[str, int]] = field(default_factory=list)
    _nodes: list[tuple[int, int, bytes]] = field(default_factory=list)

    @classmethod
    def begin(cls, conn: Connection, signer: Signer, actor: str) -> LogWriter:
        """Lock the log head (serialising writers), check that the vault's key signed it, and
        load the frontier."""
        lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE
        cursor = conn.connection.cursor()
        cursor.execute(f"SELECT size, root, frontier FROM {ledger_head.name} WHERE id = 1{lock}")
        head = cursor.fetchone()
        cursor.execute(f"SELECT size, note FROM {checkpoints.name} ORDER BY size DESC LIMIT 1")
        latest = cursor.fetchone()
        cursor.close()
        size, root, blob = _head_values(head)
        _check_signed_head(size, root, latest, signer)
        writer = cls(conn=conn, signer=signer, actor=actor, size=size)
        levels = [level for level, _ in merkle.frontier_nodes(size)]
        if len(blob) != 32 * len(levels) or merkle.root_from_frontier(
                [blob[32 * i:32 * i + 32] for i in range(len(levels))]) != root:
            raise IntegrityError("the log head's frontier is corrupt; run `hallmark ledger verify`")
        writer.frontier = [(lv, blob[32 * i:32 * i + 32]) for i, lv in enumerate(levels)]
        return writer

    def append(self, type_: str, payload: dict[str, Any], subjects: Iterable[str] = ()) -> int:
        """Add one event; returns its sequence number (leaf index)."""
        subjects = sorted(set(subjects))
        if len(type_) > _MAX_TYPE:
            raise InputError(f"a log event type is longer than {_MAX_TYPE} characters")
        if any(len(s) > _MAX_SUBJECT for s in subjects):
            raise InputError(f"a log subject is longer than {_MAX_SUBJECT} characters")
        if "\x00" in type_ or any("\x00" in s for s in subjects):  # PostgreSQL cannot store it
            raise InputError("a log subject or type cannot hold a NUL byte")
        time = utcnow()
        entry = rfc8785.dumps(
            {"type": type_, "time": time, "actor": self.actor, "subjects": subjects,
             "payload": payload}
        )
        seq = self.size
        leaf = merkle.leaf_hash(entry)
        self._events.append((seq, time, type_, self.actor, entry, leaf))
        self._subjects.extend((s, seq) for s in subjects)
        level, h = 0, leaf
        self._nodes.append((0, seq, leaf))
        while self.frontier and self.frontier[-1][0] == level:
            _, left = self.frontier.pop()
            level, h = level + 1, merkle.node_hash(left, h)
            self._nodes.append((level, seq >> level, h))
        self.frontier.append((level, h))
        self.size += 1
        return seq

    @property
    def root(self) -> bytes:
        """The root over everything appended so far, in this transaction included."""
        return merkle.root_from_frontier([h for _, h in self.frontier])

    def close(self) -> str | None:
        """Write pending events, nodes, the new head and a signed checkpoint; returns the note."""
        if not self._events:
            return None
        qmark = self.conn.dialect.paramstyle == "qmark"

        def sql(statement: str) -> str:
            return statement if qmark else statement.replace("?", "%s")

        cursor = self.conn.connection.cursor()  # the transaction's own DBAPI connection
        cursor.executemany(sql(_INSERT_EVENT), self._events)
        if self._subjects:
            cursor.executemany(sql(_INSERT_SUBJECT), self._subjects)
        cursor.executemany(sql(_INSERT_NODE), self._nodes)
        root = self.root
        cursor.execute(sql(_UPDATE_HEAD), (self.size, root,
                                           b"".join(h for _, h in self.frontier)))
        body = note.checkpoint_body(self.signer.origin, self.size, root)
        signed = note.sign_note(body, self.signer.key_name, self.signer.private_key)
        cursor.execute(sql(_INSERT_CHECKPOINT), (self.size, root, signed, utcnow()))
        cursor.close()
        _opened[_cache_key(self.signer)] = note.Checkpoint(self.signer.origin, self.size, root,
                                                           signed)
        self._events, self._subjects, self._nodes = [], [], []
        return signed


def _head_values(head: Any) -> tuple[int, bytes, bytes]:
    """(size, root, frontier) of the head row, refusing values of the wrong type."""
    if head is None:
        raise IntegrityError("the log head is missing; run `hallmark ledger verify`")
    size, root, frontier = head
    if isinstance(root, memoryview):
        root = bytes(root)
    if isinstance(frontier, memoryview):
        frontier = bytes(frontier)
    if (not isinstance(size, int) or isinstance(size, bool) or size < 0
            or not isinstance(root, bytes) or not isinstance(frontier, bytes)):
        raise IntegrityError("the log head holds values of the wrong type; run "
                             "`hallmark ledger verify`")
    return size, root, frontier


def _check_signed_head(size: int, root: bytes, latest: Any, signer: Signer) -> None:
    """Refuse to sign on top of a head the vault's key never signed: otherwise anyone who can
    write the database could delete the newest checkpoints, rewrite entries, and have the next
    honest write sign the forged history."""
    if size == 0 and latest is None:
        return
    problem = None
    if latest is None:
        problem = f"the log has {size} entries but no signed checkpoint"
    else:
        cp_size, text = latest
        try:
            cp = _open_cached(text, signer)
        except (IntegrityError, TypeError, AttributeError):
            problem = "its newest checkpoint does not verify"
        else:
            if (cp.origin, cp.size, cp.root) != (signer.origin, size, root):
                problem = (f"its head (size {size}) is not the one the newest signed checkpoint "
                           f"(size {cp.size}) names")
        if problem is None and cp_size != size:
            problem = "its newest checkpoint row disagrees with its signed note"
    if problem:
        raise IntegrityError(f"the log was tampered with: {problem}; nothing was written (run "
                             "`hallmark ledger verify`)")


# The newest note this process signed or verified, by key name and public key: the next
# transaction usually finds exactly those bytes at the head, and identical bytes need no second
# Ed25519 check. The key is part of the cache key: by name alone, a note opened for one vault
# would be vouched for under another key that shares the name (a restored vault with a new key).
_opened: dict[tuple[str, bytes], note.Checkpoint] = {}


def _cache_key(signer: Signer) -> tuple[str, bytes]:
    return signer.key_name, signer.private_key.public_key().public_bytes_raw()


def _open_cached(text: str, signer: Signer) -> note.Checkpoint:
    known = _opened.get(_cache_key(signer))
    if known is not None and known.note == text:
        return known
    cp = note.open_checkpoint(text, signer.key_name, signer.private_key.public_key())
    _opened[_cache_key(signer)] = cp
    return cp


class NodeReader:
    """Reads perfect-subtree hashes, caching what it has read."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, idx: int) -> bytes:
        key = (level, idx)
        if key not in self.cache:
            row = self.conn.execute(
                select(ledger_nodes.c.hash).where(
                    ledger_nodes.c.level == level, ledger_nodes.c.idx == idx
                )
            ).first()
            if row is None:
                raise NotFound(f"log node ({level}, {idx}) is missing")
            self.cache[key] = row.hash
        return self.cache[key]


def head(conn: Connection) -> tuple[int, bytes]:
    """(size, root) of the log as stored."""
    row = conn.execute(select(ledger_head.c.size, ledger_head.c.root)).one()
    return row.size, row.root


def latest_checkpoint(conn: Connection) -> str | None:
    """The newest signed checkpoint note, or None for an empty log."""
    row = conn.execute(
        select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
    ).first()
    return row.note if row else None


def event(conn: Connection, seq: int) -> dict[str, Any]:
    """One event as stored: seq, its canonical entry bytes and the parsed entry."""
    row = conn.execute(select(events).where(events.c.seq == seq)).first()
    if row is None:
        raise NotFound(f"no log entry {seq}")
    return {"seq": row.seq, "entry": row.entry, "parsed": json.loads(row.entry)}


def events_for(conn: Connection, subject: str) -> list[int]:
    """Sequence numbers of the events that name `subject`."""
    rows = conn.execute(
        select(event_subjects.c.seq)
        .where(event_subjects.c.subject == subject)
        .order_by(event_subjects.c.seq)
    )
    return [r.seq for r in rows]
