"""Acknowledged terms as a user records them: `acknowledge` (logged, idempotent per version),
`acknowledgements` (in force or for an older version, and who still must), and the audit
rule unacknowledged-terms; bad input refused with one line naming the flag, nothing stored.
Both backends."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallmark.store.tables import acknowledgements, events
from hallmark.vault import Vault

START = date.today() - timedelta(days=30)
TERMS = """\
id: dua-1
type: data-use
title: Data use with CloudCo
parties: [Acme AI, CloudCo]
effective: {start}
term: 2y
require_acknowledgement: {required}
permitted:
  - party: CloudCo
    teams: [CloudCo/research]
    actions: [download]
"""


def _ok(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _counts(vault: Vault) -> tuple[int, int]:
    with vault.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (events, acknowledgements))  # type: ignore[return-value]


def _acked(vault: Vault) -> list[dict]:
    with vault.read() as conn:
        rows = conn.execute(select(events.c.entry).where(events.c.type == "terms.acknowledged")
                            .order_by(events.c.seq))
        return [json.loads(r.entry) for r in rows]


@pytest.fixture
def world(vault: Vault, cli, tmp_path: Path) -> Vault:  # type: ignore[no-untyped-def]
    """CloudCo's research team (Ann Lee, Eve Kim), CloudCo's Cy Dee outside that team, Acme's
    Bob Ray; dua-1 permits the research team and requires acknowledgement."""
    for args in (["Acme AI", "--kind", "organisation"], ["CloudCo", "--kind", "organisation"],
                 ["research", "--kind", "team", "--member-of", "CloudCo"],
                 ["Ann Lee", "--kind", "person", "--member-of", "CloudCo/research"],
                 ["Eve Kim", "--kind", "person", "--member-of", "CloudCo/research"],
                 ["Cy Dee", "--kind", "person", "--member-of", "CloudCo"],
                 ["Bob Ray", "--kind", "person", "--member-of", "Acme AI"]):
        assert cli("party", "add", *args).exit_code == 0
    terms = tmp_path / "dua.yaml"
    terms.write_text(TERMS.format(start=START, required="true"))
    assert cli("agreement", "add", str(terms)).exit_code == 0
    return vault


def _findings(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    out = cli("audit", "--rule", "unacknowledged-terms", "--json")
    assert out.exit_code in (0, 1), out.stderr
    return json.loads(out.stdout)["findings"]


def test_acknowledging_is_logged_once_per_version(world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    doc = _ok(cli("acknowledge", "dua-1", "--person", "Ann Lee", "--json"))
    assert doc["recorded"] is True
    ack = doc["acknowledgement"]
    assert (ack["agreement"], ack["person"], ack["person_name"], ack["version"], ack["kind"],
            ack["current"]) == ("dua-1", "ann-lee", "Ann Lee", 1, "read", True)
    logged = _acked(world)
    assert len(logged) == 1 and logged[0]["subjects"] == ["ann-lee", "dua-1"]
    assert logged[0]["payload"] == {"agreement": "dua-1", "version": 1, "person": "ann-lee",
                                    "kind": "read", "acknowledged": ack["acknowledged"]}
    before = _counts(world)
    again = _ok(cli("acknowledge", "dua-1", "--person", "ann-lee", "--kind", "trained",
                    "--json"))
    assert again["recorded"] is False and again["acknowledgement"] == ack
    assert _counts(world) == before
    human = cli("acknowledge", "dua-1", "--person", "Ann Lee")
    assert human.exit_code == 0 and "Already recorded (nothing logged again)" in human.stdout
    trained = _ok(cli("acknowledge", "dua-1", "--person", "Eve Kim", "--kind", "trained",
                      "--json"))
    assert trained["recorded"] and trained["acknowledgement"]["kind"] == "trained"


def test_the_list_says_which_are_for_the_version_in_force_and_who_still_must(
        world: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    listed = _ok(cli("acknowledgements", "--json"))
    assert listed["acknowledgements"] == []
    assert [(m["agreement"], m["person"], m["via"], m["version"]) for m in listed["missing"]] \
        == [("dua-1", "ann-lee", "cloudco/research", 1),
            ("dua-1", "eve-kim", "cloudco/research", 1)]
    _ok(cli("acknowledge", "dua-1", "--person", "Ann Lee", "--json"))
    listed = _ok(cli("acknowledgements", "dua-1", "--json"))
    assert [a["person"] for a in listed["acknowledgements"]] == ["ann-lee"]
    assert [m["person"] for m in listed["missing"]] == ["eve-kim"]
    amended = tmp_path / "dua2.yaml"
    amended.write_text(TERMS.format(start=START, required="true").replace(
        "title: Data use", "title: Amended data use"))
    assert cli("agreement", "amend", "dua-1", str(amended)).exit_code == 0
    listed = _ok(cli("acknowledgements", "--json"))
    assert [(a["version"], a["current"]) for a in listed["acknowledgements"]] == [(1, False)]
    assert [(m["person"], m["version"]) for m in listed["missing"]] == [("ann-lee", 2),
                                                                          ("eve-kim", 2)]
    human = cli("acknowledgements")
    assert human.exit_code == 0 and "no (older version)" in human.stdout
    assert "still to acknowledge" in human.stdout and "Eve Kim" in human.stdout


def test_the_audit_names_every_member_who_has_not_acknowledged(world: Vault, cli,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    found = _findings(cli)
    assert [(f["rule"], f["subject"], f["severity"]) for f in found] == [
        ("unacknowledged-terms", "ann-lee", "medium"), ("unacknowledged-terms", "eve-kim",
                                                        "medium")]
    assert "version 1 of dua-1" in found[0]["message"] and "Ann Lee" in found[0]["message"]
    assert "hallmark acknowledge dua-1 --person ann-lee" in found[0]["remedy"]
    for person in ("Ann Lee", "Eve Kim"):
        _ok(cli("acknowledge", "dua-1", "--person", person, "--json"))
    assert _findings(cli) == []
    amended = tmp_path / "dua2.yaml"
    amended.write_text(TERMS.format(start=START, required="true").replace(
        "    teams: [CloudCo/research]\n", ""))  # now the whole of CloudCo is permitted
    assert cli("agreement", "amend", "dua-1", str(amended)).exit_code == 0
    assert {f["subject"] for f in _findings(cli)} == {"ann-lee", "eve-kim", "cy-dee"}
    relaxed = tmp_path / "dua3.yaml"
    relaxed.write_text(TERMS.format(start=START, required="false"))
    assert cli("agreement", "amend", "dua-1", str(relaxed)).exit_code == 0
    assert _findings(cli) == []


@pytest.mark.parametrize(("args", "flag", "words"), [
    (["dua-1", "--person", "Nobody"], "--person", "unknown party 'Nobody'"),
    (["dua-1", "--person", "CloudCo/research"], "--person", "is a team"),
    (["dua-1", "--person", "CloudCo"], "--person", "is a organisation"),
    (["dua-1", "--person", "Ann Lee", "--kind", "skimmed"], "--kind", "read, trained"),
    (["nope", "--person", "Ann Lee"], "AGREEMENT", "unknown agreement 'nope'"),
    (["dua-1", "--person", "x" * 5000], "--person", "at most"),
], ids=["unknown", "team", "organisation", "kind", "agreement", "huge"])
def test_bad_acknowledgements_are_one_line_naming_the_flag_and_store_nothing(
        world: Vault, cli, args: list[str], flag: str, words: str) -> None:  # type: ignore[no-untyped-def]
    before = _counts(world)
    out = cli("acknowledge", *args)
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: {flag}:") and words in lines[0], out.stderr
    assert _counts(world) == before


def test_terms_no_longer_in_force_cannot_be_acknowledged(world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("agreement", "terminate", "dua-1", "--on", date.today().isoformat()).exit_code == 0
    before = _counts(world)
    out = cli("acknowledge", "dua-1", "--person", "Ann Lee")
    assert out.exit_code == 2 and "is terminated" in out.stderr
    assert _counts(world) == before
    assert _findings(cli) == []  # nothing to acknowledge once it has ended
    out = cli("acknowledgements", "nope")
    assert out.exit_code == 2 and out.stderr.startswith("error: AGREEMENT: unknown agreement")
