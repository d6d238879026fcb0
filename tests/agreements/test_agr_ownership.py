"""The ownership matrix, its conflicts, and contributors (from real git history) without an
assignment; each surfaces as the audit finding of the same name."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import World, add_agreement, add_party, run_audit, scan, set_fields

COLLAB = """\
id: collab-cloudco
type: collaboration
title: Joint model development
parties: [Acme AI, CloudCo]
effective: 2026-01-01
term: 3y
covers: [triage.safetensors]
ownership:
  - subject: triage.safetensors
    joint: {Acme AI: 60, CloudCo: "40"}
  - subject: results
    joint: {Acme AI: "50.5", CloudCo: "49.5"}
exit_strategy: Each party keeps a licence to the joint model on exit.
"""


def test_matrix_lists_owners_shares_and_sources(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    set_fields(world.vault, world.dataset, owner="Acme AI", status="in-house")
    add_agreement(world.vault, world.write("c.yaml", COLLAB))
    set_fields(world.vault, world.model, status="joint")
    doc = json.loads(cli("ownership", "--json").stdout)
    rows = {r["asset"]: r for r in doc["assets"]}
    assert rows[world.dataset]["owners"] == {"acme-ai": "100"}
    assert rows[world.dataset]["source"] == "register"
    assert rows[world.model]["owners"] == {"acme-ai": "60", "cloudco": "40"}
    assert rows[world.model]["source"] == "collab-cloudco"
    assert doc["future_work"] == [{"agreement": "collab-cloudco", "subject": "results",
                                   "owners": {"acme-ai": "50.5", "cloudco": "49.5"}}]
    assert doc["conflicts"] == []
    table = list(csv.DictReader(io.StringIO(cli("ownership", "--csv").stdout)))
    assert {r["asset"]: r["owners"] for r in table}[world.model] == "acme-ai 60%; cloudco 40%"


def test_conflicts_are_findings(world: World) -> None:
    set_fields(world.vault, world.model, status="joint")
    set_fields(world.vault, world.dataset, owner="CloudCo")
    findings = [f for f in run_audit(world.vault, ["ownership-conflict"])]
    assert [f.asset for f in findings] == [world.model]
    assert "jointly owned but no agreement" in findings[0].message
    add_agreement(world.vault, world.write("c.yaml", COLLAB))
    rival = COLLAB.replace("collab-cloudco", "collab-2").replace(
        "joint: {Acme AI: 60, CloudCo: \"40\"}", "owner: CloudCo")
    add_agreement(world.vault, world.write("r.yaml", rival))
    assignment = """\
id: assign-dataset
type: assignment
title: Assignment of the patients dataset
parties: [Acme AI, CloudCo]
effective: 2026-01-01
ownership:
  - subject: patients-v3.csv
    owner: Acme AI
"""
    add_agreement(world.vault, world.write("a.yaml", assignment))
    messages = sorted(f.message for f in run_audit(world.vault, ["ownership-conflict"]))
    assert len(messages) == 2
    assert "assigns patients-v3.csv to Acme AI but the register says CloudCo" in messages[0]
    assert messages[1].startswith("claims on triage.safetensors add up to 160%")


def _git(repo: Path, *args: str, author: str | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if author:
        name, email = author.split("|")
        env |= {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_contributors_without_assignment(world: World) -> None:
    repo = world.root / "src"
    repo.mkdir()
    _git(repo, "init", "-q")
    code = repo / "train.py"
    code.write_text("".join(f"x{i} = {i}\n" for i in range(30)))
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-qm", "first", author="Dana Dev|dana@contract.example")
    code.write_text(code.read_text() + "".join(f"y{i} = {i}\n" for i in range(10)))
    _git(repo, "commit", "-qam", "second", author="Priya Rao|priya@acme.example")
    scan(world.vault, [repo])
    findings = run_audit(world.vault, ["missing-assignment"])
    assert sorted((f.subject, f.severity) for f in findings) == [
        ("dana@contract.example", "high"), ("priya@acme.example", "medium")]
    assert findings[0].message == ("Dana Dev <dana@contract.example> wrote 75% of the code's "
                                   "lines (30 of 40) in 1 file: src/train.py, and is not a "
                                   "registered party")
    add_party(world.vault, "Dev Shop", "organisation", role="contractor")
    add_party(world.vault, "Dana Dev", "person", member_of="Dev Shop",
              email="dana@contract.example")
    add_party(world.vault, "Priya Rao", "person", member_of="Acme AI", role="employee",
              email="PRIYA@acme.example")
    wfh = """\
type: work-for-hire
title: Master services agreement with Dev Shop
parties: [Acme AI, Dev Shop]
effective: 2025-01-01
ownership:
  - subject: results
    owner: Acme AI
"""
    add_agreement(world.vault, world.write("wfh.yaml", wfh))
    left = run_audit(world.vault, ["missing-assignment"])
    assert [(f.subject, f.message) for f in left] == [
        ("priya-rao", "Priya Rao wrote 25% of the code's lines (10 of 40) in 1 file: "
                      "src/train.py, with no assignment or work-for-hire agreement covering it")]
