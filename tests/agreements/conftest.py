"""A small world for agreement tests: real files scanned into the vault, parties, YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from hallmark import Vault, services
from hallmark.schemas import Agreement, Asset, Finding, Party, ScanResult

ACTOR = "agreements-tests"


def scan(vault: Vault, paths: list[Path]) -> ScanResult:
    """Register `paths` (as the tests' actor)."""
    return services.inventory.scan(vault, paths, actor=ACTOR)


def add_party(vault: Vault, name: str, kind: str, member_of: str | None = None,
              role: str | None = None, email: str | None = None) -> Party:
    """Register a party (as the tests' actor)."""
    return services.parties.add(vault, name, kind, member_of=member_of, role=role, email=email,
                                actor=ACTOR)


def add_agreement(vault: Vault, file: Path) -> Agreement:
    """Record an agreement from its YAML file (as the tests' actor)."""
    return services.agreements.add(vault, file, actor=ACTOR)


def set_fields(vault: Vault, ref: str, **fields: str) -> Asset:
    """Change an asset's register fields (as the tests' actor)."""
    return services.inventory.set_fields(vault, ref, actor=ACTOR, **fields)  # type: ignore[arg-type]


def run_audit(vault: Vault, rules: list[str]) -> list[Finding]:
    """The findings of the named audit rules."""
    return services.audit.run(vault, rules).findings

DUA = """\
id: dua-cloudco            # optional; generated when absent
type: data-use             # nda | collaboration | data-use | ...
title: Data-use agreement with CloudCo
parties: [Acme AI, CloudCo]
effective: 2026-01-01
expires: 2027-12-31        # or: term: 2y
confidentiality_survives: 3y
covers: [patients-v3.csv]  # asset ids or names
permitted:
  - party: CloudCo
    teams: [CloudCo/research]          # omitted: any team of that party
    actions: [share, download, train]
    purposes: [diagnostics-research]   # omitted: any purpose
prohibited: [redistribute, sublicense, commercial-use]
ownership:
  - subject: improvements  # an asset id, or improvements | derivatives | results
    owner: Acme AI         # or: joint: {Acme AI: 60, CloudCo: 40}
governing_law: Delaware, USA
renewal: {auto: false, notice: 60d}
"""


@dataclass
class World:
    vault: Vault
    root: Path
    dataset: str
    model: str

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path


@pytest.fixture
def world(vault: Vault) -> World:
    """A vault with a dataset and a model scanned from real files, and the demo's parties."""
    data = vault.root / "data"
    data.mkdir()
    rows = ["patient,age,label"] + [f"p{i},{20 + i},{i % 2}" for i in range(50)]
    (data / "patients-v3.csv").write_text("\n".join(rows) + "\n")
    save_file({"w": np.arange(12, dtype=np.float32).reshape(3, 4)},
              str(data / "triage.safetensors"))
    result = scan(vault, [data])
    by_name = {a.name: a.id for a in result.assets}
    add_party(vault, "Acme AI", "organisation")
    add_party(vault, "CloudCo", "organisation", role="partner")
    add_party(vault, "CloudCo/research", "team")
    add_party(vault, "sales", "team", member_of="CloudCo")
    return World(vault, vault.root, by_name["patients-v3.csv"], by_name["triage.safetensors"])
