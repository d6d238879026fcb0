"""Shared helpers for the ledger tests: assets with events, a loopback TSA."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from hallmark.store.clock import utcnow
from hallmark.store.tables import assets, lineage
from hallmark.vault import Vault

from .tsa import TestCA, make_ca, serve


def add_asset(vault: Vault, name: str, content: bytes, parent: str | None = None) -> str:
    """Register a file as an asset the way the scanner does: row and event in one transaction."""
    path = vault.root / name
    path.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    asset_id = sha[:16]
    now = utcnow()
    row = {"id": asset_id, "path": name, "name": name, "kind": "model", "size": len(content),
           "mtime_ns": 0, "inode": 0, "sha256": sha, "blake3": "0" * 64, "meta": json.dumps({}),
           "owner": "Acme Research", "status": "in-house", "classification": "confidential",
           "protection": "trade-secret", "value": None, "license": "Apache-2.0",
           "first_seen": now, "updated": now}
    with vault.transaction(vault.actor) as txn:
        txn.conn.execute(insert(assets).values(**row))
        txn.log.append("asset.registered", {"id": asset_id, "sha256": sha, "path": name},
                       [asset_id])
        if parent:
            txn.conn.execute(insert(lineage).values(child=asset_id, parent=parent,
                                                    relation="fine-tuned-from", created=now))
            txn.log.append("lineage.added", {"child": asset_id, "parent": parent,
                                             "relation": "fine-tuned-from"}, [asset_id, parent])
    return asset_id


def append(vault: Vault, n: int, subject: str = "noise") -> None:
    """n events, one transaction each."""
    for i in range(n):
        with vault.transaction(vault.actor) as txn:
            txn.log.append("test.event", {"i": i}, [subject])


@pytest.fixture(scope="session")
def tsa_ca() -> TestCA:
    """A root CA and TSA certificate made for this test run."""
    return make_ca()


@pytest.fixture
def tsa_url(tsa_ca: TestCA) -> Iterator[str]:
    """A running loopback TSA."""
    with serve(tsa_ca) as url:
        yield url


@pytest.fixture
def tsa_root(tsa_ca: TestCA, tmp_path: Path) -> Path:
    """The test TSA's root certificate as a PEM file."""
    path = tmp_path / "tsa-root.pem"
    path.write_bytes(tsa_ca.root_pem)
    return path
