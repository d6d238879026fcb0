"""A vault with a scanned tabular dataset, two partners and an agreement that permits sharing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from hallmark import Vault, services
from hallmark.schemas import Agreement, Party, ScanResult

ACTOR = "marks-tester"  # who the test setup acts as


def scan(vault: Vault, paths: list[Path]) -> ScanResult:
    """Register `paths` (as the tests' actor)."""
    return services.inventory.scan(vault, paths, actor=ACTOR)


def add_party(vault: Vault, name: str, kind: str, role: str | None = None) -> Party:
    """Register a party (as the tests' actor)."""
    return services.parties.add(vault, name, kind, role=role, actor=ACTOR)


def add_agreement(vault: Vault, file: Path) -> Agreement:
    """Record an agreement from its YAML file (as the tests' actor)."""
    return services.agreements.add(vault, file, actor=ACTOR)

DUA = """\
id: dua-partners
type: data-use
title: Data-use agreement with partners
parties: [Acme AI, CloudCo, Beta Labs, Gamma]
effective: 2025-01-01
expires: 2030-12-31
covers: [{name}]
permitted:
  - party: CloudCo
    actions: [share, download]
  - party: Beta Labs
    actions: [share, download]
prohibited: [redistribute]
"""


def make_table(rows: int, seed: int = 7) -> pa.Table:
    """Customers: an integer id, two categories, an integer amount and a 2-decimal score."""
    rng = np.random.default_rng(seed)
    return pa.table({
        "customer": np.arange(100_000, 100_000 + rows, dtype=np.int64),
        "region": rng.choice(["north", "south", "east", "west"], rows).tolist(),
        "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2]).tolist(),
        "spend": rng.gamma(2.0, 400.0, rows).round().astype(np.int64),
        "score": np.round(rng.normal(50.0, 12.0, rows), 2),
    })


@dataclass
class World:
    vault: Vault
    root: Path
    dataset: str
    table: pa.Table


@pytest.fixture
def world(vault: Vault) -> World:
    """A vault with customers.csv (4,000 rows) scanned, parties and a data-use agreement."""
    data = vault.root / "data"
    data.mkdir()
    table = make_table(4000)
    pacsv.write_csv(table, data / "customers.csv")
    result = scan(vault, [data])
    asset = next(a.id for a in result.assets if a.name == "customers.csv")
    add_party(vault, "Acme AI", "organisation")
    for name in ("CloudCo", "Beta Labs", "Gamma"):
        add_party(vault, name, "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(DUA.format(name="customers.csv"))
    add_agreement(vault, vault.root / "dua.yaml")
    return World(vault, vault.root, asset, table)
