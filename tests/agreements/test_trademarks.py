"""Trademarks: `mark add|list`, offices and Nice classes checked, renewal deadlines from the
shipped rules (in `deadlines` and its .ics), and the `unprotected-model-name` audit rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from sqlalchemy import func, insert, select

from hallmark import Vault, services
from hallmark.store.clock import utcnow
from hallmark.store.tables import events, shares, trademarks

from .conftest import ACTOR, World, scan


def _count(vault: Vault, table) -> int:  # type: ignore[no-untyped-def]
    with vault.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar() or 0


def test_add_and_list(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("mark", "add", "Med-Triage", "--class", "9", "--office", "us", "--filed",
                "2018-01-02", "--registered", "2019-05-01", "--number", "5,123,456", "--assets",
                "triage.safetensors", "--json")
    assert added.exit_code == 0, added.stderr
    mark = json.loads(added.stdout)
    assert mark | {"created": "-"} == {
        "id": "tm-0001", "name": "Med-Triage", "nice_class": 9, "office": "USPTO",
        "filed": "2018-01-02", "registered": "2019-05-01", "number": "5,123,456",
        "assets": [world.model], "created": "-"}
    human = cli("mark", "add", "MedTriage Cloud", "--class", "42", "--office", "Madrid")
    assert human.exit_code == 0 and "Recorded tm-0002 'MedTriage Cloud' in class 42 at WIPO" \
        in " ".join(human.stdout.split())
    listed = json.loads(cli("mark", "list", "--json").stdout)
    assert listed == {"trademarks": [mark, listed["trademarks"][1]]}
    assert listed["trademarks"][1]["office"] == "WIPO"
    table = cli("mark", "list").stdout
    assert "tm-0001" in table and "USPTO" in table and "MedTriage" in table
    entry = services.ledger.entries(world.vault, "tm-0001")[0].to_json()
    assert entry["type"] == "trademark.added" and entry["actor"]
    assert entry["payload"]["name"] == "Med-Triage" and entry["payload"]["nice_class"] == 9
    assert set(entry["subjects"]) == {"tm-0001", world.model}


@pytest.mark.parametrize(("args", "flag", "words"), [
    (["X", "--class", "46", "--office", "USPTO"], "--class", "is not a Nice class, 1 to 45"),
    (["X", "--class", "0", "--office", "USPTO"], "--class", "is not a Nice class"),
    (["X", "--class", "nine", "--office", "USPTO"], "--class", "is not a Nice class"),
    (["X", "--class", "9", "--office", "Mars"], "--office", "unknown trademark office 'Mars'"),
    (["_ _", "--class", "9", "--office", "USPTO"], "NAME", "letters or digits"),
    (["X", "--class", "9", "--office", "EUIPO", "--filed", "2099-01-01"], "--filed",
     "is in the future"),
    (["X", "--class", "9", "--office", "EUIPO", "--filed", "2020-02-30"], "--filed",
     "is not a date"),
    (["X", "--class", "9", "--office", "EUIPO", "--filed", "2020-02-01", "--registered",
      "2020-01-01"], "--registered", "before the filing date"),
    (["X", "--class", "9", "--office", "EUIPO", "--number", "12;rm"], "--number",
     "not an application or registration number"),
    (["X", "--class", "9", "--office", "EUIPO", "--assets", "nope"], "--assets", "nope"),
])
def test_bad_input_names_the_flag_and_stores_nothing(world: World, cli, args: list[str],  # type: ignore[no-untyped-def]
                                                     flag: str, words: str) -> None:
    logged = _count(world.vault, events)
    result = cli("mark", "add", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {flag}: ") and words in lines[0], lines
    assert _count(world.vault, trademarks) == 0 and _count(world.vault, events) == logged


def test_the_same_mark_twice_is_refused_but_another_class_is_not(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("mark", "add", "Med Triage", "--class", "9", "--office", "EU").exit_code == 0
    again = cli("mark", "add", "med-triage", "--class", "9", "--office", "EUIPO")
    assert again.exit_code == 2 and "already recorded (tm-0001)" in again.stderr
    assert cli("mark", "add", "med-triage", "--class", "42", "--office", "EUIPO").exit_code == 0


def _renewals(vault: Vault, today: date) -> dict[str, tuple[str, str]]:
    found = services.deadlines.list_deadlines(vault, today=today).deadlines
    return {d.id: (d.due, d.status) for d in found if d.id.startswith("tm-")}


def test_renewal_deadlines_follow_each_offices_rule(world: World) -> None:
    add = services.trademarks.add_mark
    add(world.vault, "Alpha", 9, "USPTO", filed="2018-01-02", registered="2019-05-01",
        actor=ACTOR)
    add(world.vault, "Beta", 9, "EUIPO", filed="2016-03-15", actor=ACTOR)
    add(world.vault, "Gamma", 42, "UKIPO", filed="2015-06-15", registered="2015-10-01",
        actor=ACTOR)
    add(world.vault, "Delta", 9, "JPO", filed="2019-01-10", registered="2020-02-29",
        actor=ACTOR)
    add(world.vault, "Epsilon", 9, "CNIPA", filed="2021-01-10", actor=ACTOR)  # not registered
    assert _renewals(world.vault, date(2025, 3, 1)) == {
        "tm-0001/tm-declaration-of-use": ("2025-05-01", "upcoming"),  # 6th year after reg.
        "tm-0001/tm-renewal": ("2029-05-01", "upcoming"),  # 10 years after registration
        "tm-0002/tm-renewal": ("2026-03-15", "upcoming"),  # 10 years after filing (EU)
        "tm-0003/tm-renewal": ("2025-06-15", "upcoming"),  # 10 years after filing (UK)
        "tm-0004/tm-renewal": ("2030-02-28", "upcoming"),  # default: 10 after registration
    }
    # In the grace period the deadline is missed (still curable); after it, the next one.
    later = _renewals(world.vault, date(2025, 8, 1))
    assert later["tm-0001/tm-declaration-of-use"] == ("2025-05-01", "missed")
    assert later["tm-0003/tm-renewal"] == ("2025-06-15", "missed")
    after = _renewals(world.vault, date(2026, 1, 1))
    assert "tm-0001/tm-declaration-of-use" not in after
    assert after["tm-0003/tm-renewal"] == ("2035-06-15", "upcoming")
    assert after["tm-0002/tm-renewal"] == ("2026-03-15", "upcoming")
    found = {d.id: d for d in services.deadlines.list_deadlines(
        world.vault, today=date(2025, 3, 1)).deadlines}
    us = found["tm-0001/tm-declaration-of-use"]
    assert "15 U.S.C. 1058" in us.basis and "can be filed from 2024-05-01" in us.basis
    assert "late until 2025-11-01" in us.basis and us.subject == "tm-0001"
    assert "Regulation (EU) 2017/1001" in found["tm-0002/tm-renewal"].basis


def test_renewals_in_the_deadlines_command_and_ics(world: World, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    this_year = date.today().year
    assert cli("mark", "add", "Alpha", "--class", "9", "--office", "UKIPO", "--filed",
               f"{this_year - 9}-01-10").exit_code == 0
    ics = tmp_path / "d.ics"
    listed = json.loads(cli("deadlines", "--json", "--ics", str(ics)).stdout)["deadlines"]
    renewal = [d for d in listed if d["id"] == "tm-0001/tm-renewal"]
    assert renewal and renewal[0]["due"] == f"{this_year + 1}-01-10"
    text = ics.read_text()
    assert "tm-0001/tm-renewal@" in text and "Renew: trademark 'Alpha'" in text


def _released_model(world: World, card: str) -> str:
    folder = world.root / "release"
    folder.mkdir()
    (folder / "README.md").write_text(card)
    save_file({"w": np.ones((2, 2), dtype=np.float32)}, str(folder / "model.safetensors"))
    found = scan(world.vault, [folder])
    return next(a.id for a in found.assets if a.kind == "model")


def _unprotected(world: World) -> list[tuple[str | None, str]]:
    found = services.audit.run(world.vault, ["unprotected-model-name"]).findings
    assert all(f.severity == "medium" and "hallmark mark add" in f.remedy for f in found)
    return [(f.asset, f.message) for f in found]


def test_a_released_model_needs_a_mark_for_its_name(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    model = _released_model(world, "---\nlicense: mit\nmodel_name: Med-Triage 2\n---\n# X\n")
    assert _unprotected(world) == []  # internal: not out in the world yet
    services.inventory.set_fields(world.vault, model, classification="public", actor=ACTOR)
    found = _unprotected(world)
    assert [a for a, _ in found] == [model]
    assert "released model named 'Med-Triage 2'" in found[0][1]
    assert cli("mark", "add", "MedTriage Two", "--class", "9", "--office", "EU").exit_code == 0
    assert _unprotected(world) != []  # another name is no cover
    assert cli("mark", "add", "med triage-2", "--class", "9", "--office", "EU").exit_code == 0
    assert _unprotected(world) == []


def test_a_shared_model_named_by_its_heading(world: World) -> None:
    model = _released_model(world, "---\nlicense: mit\n---\n# TriageNet\n")
    with world.vault.transaction(ACTOR) as txn:  # a share as the weights scheme records one
        txn.conn.execute(insert(shares).values(
            id="sh-test", asset=model, recipient="cloudco", format="safetensors",
            source_sha256="0" * 64, copy_sha256="1" * 64, scheme="test", params="{}",
            params_sha256="2" * 64, rows=0, marked_cells=0, seq=0, created=utcnow()))
        txn.log.append("share.created", {"id": "sh-test"}, ["sh-test", model])
    found = _unprotected(world)
    assert [a for a, _ in found] == [model] and "shared model named 'TriageNet'" in found[0][1]
