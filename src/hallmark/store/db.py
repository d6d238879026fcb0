"""Engines and migrations. SQLite by default; PostgreSQL (psycopg 3) by URL."""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from hallmark.errors import InputError
from hallmark.store import tables

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)
# RFC 9162's root of the empty tree (ledger.merkle.EMPTY_ROOT), computed here because the store
# sits below the ledger and must not import it.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _has_nul(params: object) -> bool:
    if isinstance(params, str):
        return "\x00" in params
    if isinstance(params, dict):
        return any(_has_nul(v) for v in params.values())
    if isinstance(params, list | tuple):
        return any(_has_nul(v) for v in params)
    return False


def _refuse_nul(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
    # PostgreSQL cannot hold a NUL in text and fails deep in the driver; SQLite would store it.
    # Refusing it on both, before the statement runs, keeps one meaning and a typed error.
    if _has_nul(params):
        raise InputError("text cannot hold a NUL byte (\\x00)")


def make_engine(url: str) -> Engine:
    """An engine whose write transactions serialise (BEGIN IMMEDIATE on SQLite) and that
    refuses text holding a NUL byte on every backend."""
    url = normalise_url(url)
    engine = _make_engine(url)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A pooled connection: opening one per transaction (and the WAL checkpoint that closing
        # the last one runs) cost more than the append itself.
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL: a commit survives the process being killed (SIGKILL, crash);
            # only an OS crash or power loss may lose the last commits. FULL costs an fsync each.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


_REVISION = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']+)["']|None)""",
                       re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the files in migrations/versions without
    importing Alembic; None when the files do not name exactly one head (Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _REVISION.finditer(path.read_text()))
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _versions(conn: Connection) -> list[str] | None:
    """The revisions alembic_version records, or None where the table is absent (a new
    database)."""
    try:
        with conn.begin_nested():
            return [str(v) for v in
                    conn.execute(text("SELECT version_num FROM alembic_version")).scalars()]
    except SQLAlchemyError:
        return None


def is_current(engine: Engine) -> bool:
    """Whether the schema is at the head revision and the log head exists: one cheap read, so
    that opening a current vault never loads Alembic."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            if _versions(conn) != [head]:
                return False
            return conn.execute(select(tables.ledger_head.c.id)).first() is not None
    except SQLAlchemyError:
        return False


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision and make sure the log head exists; a schema
    already current is only read (Alembic loads only when there is something to do). An
    existing schema that was behind is upgraded and says so (a warning on the `hallmark.store.db`
    logger, which reaches stderr unless logging is configured)."""
    if is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        before = _versions(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn.execute(select(tables.ledger_head.c.id)).first() is None:
            conn.execute(insert(tables.ledger_head).values(id=1, size=0, root=EMPTY_ROOT,
                                                            frontier=b""))
        after = _versions(conn)
    if before and before != after:
        log.warning("upgraded the vault's database schema from revision %s to %s",
                    ", ".join(before), ", ".join(after or []))
