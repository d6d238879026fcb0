"""A vault where a dataset was shared with two partners under a data-use agreement (with breach
terms and a reviewed document) and one partner's copy leaked and was traced."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest

from hallmark import Vault
from marks.conftest import add_agreement, add_party, make_table, scan

DUA = """\
id: dua-partners
type: data-use
title: Data-use agreement with partners
parties: [Acme AI, CloudCo, Beta Labs]
effective: 2025-01-01
expires: 2030-12-31
covers: [customers.csv]
permitted:
  - party: CloudCo
    actions: [share, download]
    purposes: [churn-research]
  - party: Beta Labs
    actions: [share, download]
prohibited: [redistribute]
governing_law: England and Wales
breach:
  cure_period: 14d
  remedies: [an injunction, damages under clause 9]
{extra}"""
DOCUMENT = """DATA USE AGREEMENT

1. Confidentiality. The Recipient shall hold the Data in strict confidence and shall not
disclose the Data to any third party without the prior written consent of the Discloser.

2. Use of Data. The Recipient shall use the Data solely for the Permitted Purpose and for no
other purpose, and shall not sell, license or redistribute the Data.

3. Return or destruction. On termination the Recipient shall return or destroy all copies of
the Data and certify the destruction in writing.

4. Governing law. This Agreement is governed by the laws of England and Wales.
"""


@dataclass
class Leak:
    vault: Vault
    root: Path
    dataset: str
    share: str
    trace: dict


def make_leak(vault: Vault, run_cli: Callable[..., Any], extra: str = "") -> Leak:
    """Share customers.csv with CloudCo and Beta Labs; Beta Labs' copy leaks and is traced."""
    data = vault.root / "data"
    data.mkdir()
    pacsv.write_csv(make_table(4000), data / "customers.csv")
    asset = next(a.id for a in scan(vault, [data]).assets if a.name == "customers.csv")
    add_party(vault, "Acme AI", "organisation")
    for name in ("CloudCo", "Beta Labs"):
        add_party(vault, name, "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(DUA.format(extra=extra))
    (vault.root / "dua.txt").write_text(DOCUMENT)
    result = run_cli("agreement", "add", str(vault.root / "dua.yaml"), "--document",
                     str(vault.root / "dua.txt"))
    assert result.exit_code == 0, result.stderr
    for name, out in (("CloudCo", "cloudco.csv"), ("Beta Labs", "beta.csv")):
        shared = run_cli("share", asset, "--to", name, "-o", str(vault.root / out), "--json",
                         *(["--purpose", "churn-research"] if name == "CloudCo" else []))
        assert shared.exit_code == 0, shared.stderr
    share = json.loads(shared.stdout)["share"]
    traced = run_cli("trace", str(vault.root / "beta.csv"), "--json")
    assert traced.exit_code == 0, traced.stderr
    return Leak(vault, vault.root, asset, share, json.loads(traced.stdout))


@pytest.fixture
def leak(vault: Vault, cli: Callable[..., Any]) -> Leak:
    return make_leak(vault, cli)


__all__ = ["add_agreement", "Leak", "make_leak"]
