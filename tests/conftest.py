"""Fixtures: every database test runs on SQLite and, when HALLMARK_TEST_PG_URL is set, on
PostgreSQL too (each test in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hallmark.cli.main import run
from hallmark.vault import Vault

PG_URL = os.environ.get("HALLMARK_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config: pytest.Config) -> None:
    """In CI, PostgreSQL is never skipped silently: .ci/run must have set its URL."""
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI is set but HALLMARK_TEST_PG_URL is not: run tests via .ci/run")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL ('' means the vault's own SQLite file)."""
    if request.param == "sqlite":
        yield ""
        return
    import sqlalchemy as sa

    from hallmark.store.db import normalise_url

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(normalise_url(PG_URL or ""))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"  # type: ignore[operator]
    yield f"{normalise_url(PG_URL or '')}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def vault(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vault]:
    """A new vault in tmp_path/project on the backend under test; commands run from there."""
    project = tmp_path / "project"
    project.mkdir()
    if db_url:
        monkeypatch.setenv("HALLMARK_DB_URL", db_url)
    else:
        monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    monkeypatch.delenv("HALLMARK_VAULT", raising=False)
    monkeypatch.chdir(project)
    v = Vault.create(project)
    yield v
    v.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run `hallmark ARGS` in-process through cli/main.py's own edge (`run`), as a user would:
    typed errors become their one line and exit code there, not here; a bug still raises."""
    with CliRunner().isolation() as (stdout, stderr, _):
        code = run(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return CliResult(code, out, err)


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """`cli(*args)` runs the command line in-process."""
    return run_cli
