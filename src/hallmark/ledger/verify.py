"""Full-log verification: recompute the tree from the stored entries, streaming in batches.

Memory stays constant in the log size: entries, nodes and checkpoints are read in keyset-paged
batches, and only the tree's frontier (at most log2 n hashes) is kept between batches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, and_, func, or_, select

from hallmark.errors import IntegrityError
from hallmark.ledger import merkle, note
from hallmark.ledger.proofs import consistency, inclusion, latest
from hallmark.store.tables import checkpoints, event_subjects, events, ledger_head, ledger_nodes

# The proofs (consistency, inclusion, latest) once lived here; callers still import them here.
__all__ = ["BATCH", "Report", "Witnessed", "consistency", "inclusion", "latest",
           "one_snapshot", "verify_log"]

BATCH = 20_000


@dataclass
class Report:
    """What `verify_log` found; `problem` is None when everything checks."""

    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    nodes: int = 0
    checkpoints: int = 0
    witnessed: int = 0
    subjects: int = 0
    seconds: float = 0.0
    problem: str | None = None
    bad_entry: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return self.problem is None


class _Bad(Exception):
    def __init__(self, message: str, entry: int | None = None) -> None:
        super().__init__(message)
        self.entry = entry


def _expected_node_count(size: int) -> int:
    return sum(size >> level for level in range(size.bit_length()))


def _fetch(conn: Connection, statement: Any, table: str) -> list[Any]:
    """Rows of one read; a value the driver cannot even convert is a named failure, not a crash."""
    try:
        return list(conn.execute(statement))
    except Exception as exc:  # noqa: BLE001 - e.g. bytes(str) in a LargeBinary result processor
        raise _Bad(f"the {table} table holds a value of the wrong type "
                   f"({type(exc).__name__}): it was tampered with") from exc


def _typed(value: Any, kind: type, where: str) -> Any:
    """`value` if it has the column's type; SQLite lets a tamperer store anything anywhere."""
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise _Bad(f"{where} holds {type(value).__name__}, not {kind.__name__}: it was "
                   "tampered with")
    return value


class _Checkpoints:
    """Stored checkpoints in size order, paged, each opened (signature checked) on the way."""

    def __init__(self, conn: Connection, origin: str, name: str, key: Ed25519PublicKey) -> None:
        self.conn, self.origin, self.name, self.key = conn, origin, name, key
        self.page: list[Any] = []
        # None: the first page has no lower bound, so a row at a negative size (never signed by
        # a writer) is read and reported as stray rather than skipped.
        self.after: int | None = None
        self.done = False
        self.count = 0
        self.last_ok = 0

    def _fill(self) -> None:
        if self.page or self.done:
            return
        query = select(checkpoints.c.size, checkpoints.c.root, checkpoints.c.note)
        if self.after is not None:
            query = query.where(checkpoints.c.size > self.after)
        self.page = _fetch(self.conn, query.order_by(checkpoints.c.size).limit(BATCH),
                           "checkpoints")
        for row in self.page:
            if not (type(row.size) is int and type(row.root) is bytes and type(row.note) is str):
                where = f"the checkpoint row at size {row.size!r}"
                _typed(row.size, int, f"{where}: its size column")
                _typed(row.root, bytes, f"{where}: its root column")
                _typed(row.note, str, f"{where}: its note column")
        self.page.reverse()
        self.done = not self.page

    def peek_size(self) -> int | None:
        """The size of the next unchecked checkpoint, or None."""
        self._fill()
        return self.page[-1].size if self.page else None

    def due(self, seq: int) -> bool:
        """Whether a stored checkpoint has a size of at most `seq`."""
        size = self.peek_size()
        return size is not None and size <= seq

    def check_next(self, root: bytes) -> None:
        """Check the next checkpoint against the recomputed `root` at its size."""
        row = self.page.pop()
        self.after = row.size
        self.count += 1
        try:
            cp = note.open_checkpoint(row.note, self.name, self.key)
        except IntegrityError as exc:
            raise _Bad(f"checkpoint at size {row.size}: {exc}") from exc
        if cp.origin != self.origin or cp.size != row.size or cp.root != row.root:
            raise _Bad(f"checkpoint at size {row.size}: its columns disagree with its signed note")
        if cp.root != root:
            raise _Bad(f"checkpoint at size {row.size}: the entries no longer hash to its signed "
                       f"root; the first bad entry is among {self.last_ok}..{row.size - 1}",
                       self.last_ok)
        self.last_ok = row.size


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint recorded outside the vault: the log must reach `size` with this `root`."""

    size: int
    root: bytes
    label: str


def _nodes_ending_in(conn: Connection, start: int, end: int, size: int) -> dict[tuple[int, int],
                                                                               bytes]:
    """Stored perfect-subtree hashes whose last leaf lies in [start, end)."""
    ranges = []
    for level in range(size.bit_length()):
        lo = -(-(start + 1) // (1 << level)) - 1  # first idx with (idx+1)*2^L - 1 >= start
        hi = (end >> level) - 1  # last idx with (idx+1)*2^L <= end
        if hi >= lo:
            ranges.append(and_(ledger_nodes.c.level == level, ledger_nodes.c.idx >= lo,
                               ledger_nodes.c.idx <= hi))
    if not ranges:
        return {}
    rows = _fetch(conn, select(ledger_nodes).where(or_(*ranges)), "ledger_nodes")
    found = {}
    for r in rows:  # the messages are built only for a bad row: this loop sees every node
        if not (type(r.level) is int and type(r.idx) is int and type(r.hash) is bytes):
            where = f"tree node ({r.level!r}, {r.idx!r})"
            _typed(r.level, int, f"{where}: its level column")
            _typed(r.idx, int, f"{where}: its idx column")
            _typed(r.hash, bytes, f"{where}: its hash column")
        found[(r.level, r.idx)] = r.hash
    return found


def _subjects_in(conn: Connection, start: int, end: int) -> dict[int, set[str]]:
    """The subject index rows for entries [start, end), by entry."""
    rows = _fetch(conn, select(event_subjects.c.seq, event_subjects.c.subject).where(
        event_subjects.c.seq >= start, event_subjects.c.seq < end), "event_subjects")
    by_seq: dict[int, set[str]] = {}
    for r in rows:
        if not (type(r.seq) is int and type(r.subject) is str):
            _typed(r.seq, int, f"a subject index row of entry {r.seq!r}: its seq column")
            _typed(r.subject, str, f"the subject index row of entry {r.seq}: its subject column")
        by_seq.setdefault(r.seq, set()).add(r.subject)
    return by_seq


def one_snapshot(conn: Connection) -> None:
    """Make every later read on `conn` see one snapshot: under PostgreSQL's default READ
    COMMITTED each statement saw the newest commits, so an honest write landing between two
    reads looked like entries "beyond the head", a stray checkpoint or a head its checkpoint
    does not sign. (SQLite's reads already run in one BEGIN IMMEDIATE transaction: store/db.py.)
    """
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def verify_log(conn: Connection, origin: str, name: str, public_key: Ed25519PublicKey,
               batch: int = BATCH, witnessed: Sequence[Witnessed] = ()) -> Report:
    """Recompute every leaf and node from the entries; check nodes, head, the subject index,
    every checkpoint (one must sign the head) and every witnessed checkpoint."""
    started = time.perf_counter()
    report = Report()
    one_snapshot(conn)
    try:
        _verify(conn, origin, name, public_key, batch, report, witnessed)
    except _Bad as bad:
        report.problem, report.bad_entry = str(bad), bad.entry
    report.seconds = time.perf_counter() - started
    return report


def _verify(conn: Connection, origin: str, name: str, key: Ed25519PublicKey, batch: int,
            report: Report, witnessed: Sequence[Witnessed]) -> None:
    heads = _fetch(conn, select(ledger_head.c.id, ledger_head.c.size, ledger_head.c.root,
                                ledger_head.c.frontier), "ledger_head")
    if len(heads) != 1:
        raise _Bad("the log head is missing" if not heads else "the log has several heads")
    head = heads[0]
    # Writers read and lock only the row with id 1: verify must vouch for that same row.
    if _typed(head.id, int, "the log head's id column") != 1:
        raise _Bad(f"the log head row has id {head.id!r}, not 1: it was tampered with")
    size = _typed(head.size, int, "the log head's size column")
    _typed(head.root, bytes, "the log head's root column")
    _typed(head.frontier, bytes, "the log head's frontier column")
    for w in witnessed:
        if w.size > size:
            raise _Bad(f"the log has {size} entries but {w.label} saw size {w.size}: the log was "
                       "cut back", size)
    # Every record counts, several at one size included: keeping one per size let a second
    # witness of a rewritten history (same size, other root) hide the honest one.
    expect: dict[int, list[Witnessed]] = {}
    for w in witnessed:
        expect.setdefault(w.size, []).append(w)
    for w in expect.get(0, []):
        if w.root != merkle.EMPTY_ROOT:
            raise _Bad(f"{w.label} at size 0 has a root that no empty log has")
    cps = _Checkpoints(conn, origin, name, key)
    frontier: list[tuple[int, bytes]] = []
    seq = 0
    while True:
        rows = _fetch(conn, select(events.c.seq, events.c.time, events.c.type, events.c.actor,
                                   events.c.entry, events.c.leaf_hash)
                      .where(events.c.seq >= seq).order_by(events.c.seq).limit(batch), "events")
        if not rows:
            break
        stored = _nodes_ending_in(conn, seq, min(seq + len(rows), size), size)
        subjects = _subjects_in(conn, seq, seq + len(rows))
        for row in rows:
            if row.seq != seq:
                raise _Bad(f"entry {seq} is missing (next stored entry is {row.seq!r})", seq)
            if seq >= size:
                raise _Bad(f"entry {seq} lies beyond the log head (size {size}): inserted after "
                           "the fact", seq)
            report.subjects += _check_entry(row, seq, subjects.pop(seq, set()))
            level, h = 0, row.leaf_hash  # _check_entry proved it is SHA-256(0x00 || entry)
            _check_node(stored, 0, seq, h)
            while frontier and frontier[-1][0] == level:
                _, left = frontier.pop()
                level, h = level + 1, merkle.node_hash(left, h)
                _check_node(stored, level, seq >> level, h)
            frontier.append((level, h))
            report.nodes += level + 1
            seq += 1
            if seq in expect or cps.due(seq):
                root = merkle.root_from_frontier([x for _, x in frontier])
                for w in expect.get(seq, []):
                    _check_witnessed(w, root)
                while cps.due(seq):
                    if cps.peek_size() != seq:
                        _stray_checkpoint(cps)
                    cps.check_next(root)
        if subjects:
            stray = min(subjects)
            raise _Bad(f"the subject index names entry {stray}, which does not exist", stray)
    if seq < size:
        raise _Bad(f"entry {seq} is missing: the log head says size {size} but the entries end "
                   f"at {seq}", seq)
    while cps.peek_size() is not None:
        _stray_checkpoint(cps)
    _check_head(conn, head, size, frontier, cps)
    report.size, report.root, report.checkpoints = size, head.root, cps.count
    report.witnessed = len(witnessed)


def _check_witnessed(w: Witnessed, root: bytes) -> None:
    if w.root != root:
        raise _Bad(f"the log is inconsistent with {w.label} at size {w.size}: its first "
                   f"{w.size} entries no longer hash to the witnessed root (history was "
                   "rewritten)", w.size)


def _check_head(conn: Connection, head: Any, size: int, frontier: list[tuple[int, bytes]],
                cps: _Checkpoints) -> None:
    root = merkle.root_from_frontier([x for _, x in frontier])
    if root != head.root:
        raise _Bad("the log head's root does not match the entries")
    if head.frontier != b"".join(x for _, x in frontier):
        raise _Bad("the log head's frontier does not match the entries")
    # The paged reads start at seq 0, so rows at a negative (or otherwise out-of-line) seq are
    # never visited; other code still reads them (e.g. the first event by `ORDER BY seq`).
    stored_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
    if stored_events != size:
        raise _Bad(f"the log stores {stored_events} entries where its head says {size}: entries "
                   "were inserted outside the sequence")
    stored_nodes = conn.execute(select(func.count()).select_from(ledger_nodes)).scalar_one()
    if stored_nodes != _expected_node_count(size):
        raise _Bad(f"the log stores {stored_nodes} tree nodes where {size} entries make "
                   f"{_expected_node_count(size)}: nodes were inserted")
    # Every committing transaction signs the head it leaves. Without this, deleting the newest
    # checkpoints would let anyone rewrite or append entries past the last signature.
    if size and cps.last_ok != size:
        raise _Bad(f"no signed checkpoint covers the log head (size {size}; the newest valid one "
                   f"is at size {cps.last_ok}): entries {cps.last_ok}..{size - 1} carry no "
                   "signature by the vault's key", cps.last_ok)
    stray = conn.execute(select(func.count()).select_from(event_subjects).where(
        or_(event_subjects.c.seq < 0, event_subjects.c.seq >= size))).scalar_one()
    if stray:
        raise _Bad(f"the subject index has {stray} row(s) for entries outside the log")


def _stray_checkpoint(cps: _Checkpoints) -> None:
    cps._fill()
    row = cps.page[-1]
    raise _Bad(f"checkpoint at size {row.size} has no matching entries (the log was truncated)")


def _check_entry(row: Any, seq: int, indexed: set[str]) -> int:
    """Check one stored entry against its columns and its subject index rows; returns how many
    subjects it names."""
    if not isinstance(row.entry, bytes):  # SQLite's dynamic typing lets a tamperer store anything
        raise _Bad(f"entry {seq}: stored value is not bytes", seq)
    if merkle.leaf_hash(row.entry) != row.leaf_hash:
        raise _Bad(f"entry {seq}: its stored leaf hash does not match its content", seq)
    try:
        parsed = json.loads(row.entry)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _Bad(f"entry {seq}: not valid JSON", seq) from exc
    if not isinstance(parsed, dict) or (parsed.get("type"), parsed.get("time"),
                                        parsed.get("actor")) != (row.type, row.time, row.actor):
        raise _Bad(f"entry {seq}: its type/time/actor columns disagree with the entry", seq)
    named = parsed.get("subjects", [])
    if not isinstance(named, list) or not all(isinstance(x, str) for x in named):
        raise _Bad(f"entry {seq}: its subjects are not a list of names", seq)
    if set(named) != indexed:
        lost, extra = sorted(set(named) - indexed), sorted(indexed - set(named))
        what = (f"lost {len(lost)} of its subjects" if lost else
                f"gained {len(extra)} subject(s) it does not name")
        raise _Bad(f"entry {seq}: the subject index {what}, so evidence for them would miss or "
                   "gain this event", seq)
    return len(named)


def _check_node(stored: dict[tuple[int, int], bytes], level: int, idx: int, h: bytes) -> None:
    got = stored.get((level, idx))
    first = idx << level
    if got is None:
        raise _Bad(f"tree node ({level}, {idx}) over entries {first}..{first + (1 << level) - 1} "
                   "is missing", first)
    if got != h:
        raise _Bad(f"tree node ({level}, {idx}) over entries {first}..{first + (1 << level) - 1} "
                   "does not match the entries", first)
