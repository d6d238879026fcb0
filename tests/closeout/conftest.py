"""A partnership that ended: customers.csv shared with two partners (CloudCo, Beta Labs) under
a data-use agreement with confidentiality that survives it; helpers to read the vault's log."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
from sqlalchemy import func, select

from hallmark import Vault
from hallmark.store.tables import events
from marks.conftest import add_party, make_table, scan

TERMS = """\
id: dua-close
type: data-use
title: {title}
parties: [Acme AI, CloudCo, {partner}]
effective: 2025-01-01
expires: 2030-12-31
confidentiality_survives: 5y
covers: [customers.csv]
permitted:
  - party: CloudCo
    actions: [share, download]
  - party: {partner}
    actions: [share, download]
"""


@dataclass
class Partnership:
    vault: Vault
    root: Path
    asset: str
    shares: dict[str, str]  # recipient name -> share id


def make_partnership(vault: Vault, cli: Callable[..., Any], *, title: str = "Churn study",
                     partner: str = "Beta Labs", rows: int = 1500) -> Partnership:
    """Share customers.csv with CloudCo and `partner` under `dua-close` (in force today)."""
    data = vault.root / "data"
    data.mkdir()
    pacsv.write_csv(make_table(rows), data / "customers.csv")
    asset = next(a.id for a in scan(vault, [data]).assets if a.name == "customers.csv")
    add_party(vault, "Acme AI", "organisation")
    for name in ("CloudCo", partner):
        add_party(vault, name, "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(TERMS.format(title=json.dumps(title),
                                                      partner=json.dumps(partner)))
    added = cli("agreement", "add", str(vault.root / "dua.yaml"))
    assert added.exit_code == 0, added.stderr
    made = {}
    for name, out in (("CloudCo", "cloudco.csv"), (partner, "partner.csv")):
        shared = cli("share", asset, "--to", name, "-o", str(vault.root / out), "--json")
        assert shared.exit_code == 0, shared.stderr
        made[name] = json.loads(shared.stdout)["share"]
    return Partnership(vault, vault.root, asset, made)


@pytest.fixture
def partnership(vault: Vault, cli: Callable[..., Any]) -> Partnership:
    return make_partnership(vault, cli)


def log_size(vault: Vault) -> int:
    """How many entries the vault's log holds."""
    with vault.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar() or 0)


def logged(vault: Vault, kind: str) -> list[dict[str, Any]]:
    """The parsed log entries of one type, oldest first."""
    with vault.engine.connect() as conn:
        rows = conn.execute(select(events.c.entry).where(events.c.type == kind)
                            .order_by(events.c.seq))
        return [json.loads(r.entry) for r in rows]


def terminate(cli: Callable[..., Any], agreement: str = "dua-close") -> None:
    """End the agreement today."""
    from hallmark.store.clock import today

    ended = cli("agreement", "terminate", agreement, "--on", today().isoformat())
    assert ended.exit_code == 0, ended.stderr
