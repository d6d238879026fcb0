"""The ownership matrix and `agreement show` say which law governs and where disputes go."""

from __future__ import annotations

import csv
import io
import json

from .conftest import World, add_agreement, set_fields

COLLAB = """\
id: collab-law
type: collaboration
title: Joint model development
parties: [Acme AI, CloudCo]
effective: 2026-01-01
term: 3y
covers: [triage.safetensors]
ownership:
  - subject: triage.safetensors
    joint: {Acme AI: 60, CloudCo: 40}
governing_law: England and Wales
jurisdiction: Courts of London (exclusive)
export_licence: {number: GBSIEL/2026/1, authority: ECJU, expires: 2027-03-31}
"""


def test_matrix_rows_carry_the_establishing_agreements_law(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    set_fields(world.vault, world.dataset, owner="Acme AI")
    add_agreement(world.vault, world.write("c.yaml", COLLAB))
    rows = {r["asset"]: r for r in json.loads(cli("ownership", "--json").stdout)["assets"]}
    assert (rows[world.model]["governing_law"], rows[world.model]["jurisdiction"]) == (
        "England and Wales", "Courts of London (exclusive)")
    assert rows[world.dataset]["governing_law"] is None  # the register sets no law
    table = {r["asset"]: r for r in csv.DictReader(io.StringIO(cli("ownership", "--csv").stdout))}
    assert table[world.model]["jurisdiction"] == "Courts of London (exclusive)"
    assert table[world.dataset]["governing_law"] == ""
    text = cli("ownership").stdout
    assert "governing law" in text and "England and Wales" in text and "collab-law" in text


def test_agreement_show_prints_law_jurisdiction_and_licence(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    add_agreement(world.vault, world.write("c.yaml", COLLAB))
    text = " ".join(cli("agreement", "show", "collab-law").stdout.split())
    assert "governing law: England and Wales; jurisdiction: Courts of London (exclusive)" in text
    assert "export licence: GBSIEL/2026/1 (ECJU), expires 2027-03-31" in text
    doc = json.loads(cli("agreement", "show", "collab-law", "--json").stdout)
    assert doc["terms"]["jurisdiction"] == "Courts of London (exclusive)"
    bare = COLLAB.replace("id: collab-law", "id: collab-bare").split("governing_law")[0]
    add_agreement(world.vault, world.write("b.yaml", bare))
    text = " ".join(cli("agreement", "show", "collab-bare").stdout.split())
    assert "governing law: not stated; jurisdiction: not stated" in text
