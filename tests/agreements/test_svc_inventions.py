"""The inventions service from Python: typed errors that name the field, the actor on the
event, and the JSON shapes the CLI prints."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hallmark.errors import InputError, NotFound
from hallmark.schemas import Filing, Invention, InventionList
from hallmark.services import inventions
from hallmark.store.tables import events
from hallmark.vault import Vault

from .conftest import World

TODAY = date.today()


def _days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def _person(cli, name: str = "Priya Rao") -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", name, "--kind", "person").exit_code == 0


def _actors(vault: Vault, kind: str) -> list[str]:
    with vault.read() as conn:
        return [r.actor for r in conn.execute(select(events.c.actor).where(events.c.type == kind)
                                              .order_by(events.c.seq))]


def test_writes_are_attributed_to_the_actor_passed(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _person(cli)
    inv = inventions.add_invention(world.vault, "Triage", _days(-30), ["Priya Rao"],
                                   ["triage.safetensors"], actor="alice@acme")
    filing = inventions.add_filing(world.vault, inv.id, "provisional", "USPTO", _days(-3),
                                   actor="counsel-bot")
    assert isinstance(inv, Invention) and isinstance(filing, Filing)
    assert filing.office == "US" and filing.id == "inv-0001-f1"
    assert _actors(world.vault, "invention.disclosed") == ["alice@acme"]
    assert _actors(world.vault, "filing.added") == ["counsel-bot"]
    with pytest.raises(InputError) as err:
        inventions.add_invention(world.vault, "X", _days(-1), ["Priya Rao"], actor=" ")
    assert err.value.field == "actor"


def test_json_shapes(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _person(cli)
    added = json.loads(cli("invention", "add", "Triage", "--conceived", _days(-30),
                           "--inventors", "Priya Rao", "--json").stdout)
    assert list(added) == ["id", "title", "conceived", "inventors", "assets", "disclosed",
                           "filings", "publication"]
    assert added["inventors"] == ["priya-rao"] and added["filings"] == []
    filed = json.loads(cli("filing", "add", "inv-0001", "--kind", "pct", "--office", "WIPO",
                           "--filed", _days(-2), "--number", "PCT/US2026/1", "--json").stdout)
    assert list(filed) == ["id", "invention", "kind", "office", "filed", "number", "created",
                           "warnings"]
    listed = json.loads(cli("invention", "list", "--json").stdout)
    assert list(listed) == ["inventions"]
    assert listed["inventions"][0]["filings"] == [filed]
    found = inventions.list_inventions(world.vault)
    assert isinstance(found, InventionList) and found.to_json() == listed
    assert inventions.get_invention(world.vault, "inv-0001").to_json() == listed["inventions"][0]


@pytest.mark.parametrize(("args", "field", "words"), [
    (("", "2026-01-01", ["Priya Rao"]), "title", "1 to 300 characters"),
    (("x" * 301, "2026-01-01", ["Priya Rao"]), "title", "1 to 300 characters"),
    ((None, "2026-01-01", ["Priya Rao"]), "title", "1 to 300 characters"),
    (("T", "2026-13-01", ["Priya Rao"]), "conceived", "is not a date"),
    (("T", "01/02/2026", ["Priya Rao"]), "conceived", "YYYY-MM-DD"),
    (("T", 20260101, ["Priya Rao"]), "conceived", "YYYY-MM-DD"),
    (("T", datetime(2026, 1, 1), ["Priya Rao"]), "conceived", "YYYY-MM-DD"),
    (("T", "FUTURE", ["Priya Rao"]), "conceived", "is in the future"),
    (("T", "2026-01-01", []), "inventors", "name 1 to 50 inventors"),
    (("T", "2026-01-01", ["p"] * 51), "inventors", "name 1 to 50 inventors"),
    (("T", "2026-01-01", "Priya Rao"), "inventors", "a list of inventors"),
    (("T", "2026-01-01", [7]), "inventors", "non-empty name"),
    (("T", "2026-01-01", ["Nobody"]), "inventors", "unknown party 'Nobody'"),
    (("T", "2026-01-01", ["CloudCo"]), "inventors", "is not a person (organisation)"),
    (("T", "2026-01-01", ["Priya Rao"], "triage.safetensors"), "assets", "a list of assets"),
    (("T", "2026-01-01", ["Priya Rao"], ["no-such-asset"]), "assets", "no-such-asset"),
])
def test_add_invention_refuses_bad_input(world: World, cli, args: tuple[Any, ...],  # type: ignore[no-untyped-def]
                                         field: str, words: str) -> None:
    _person(cli)
    args = tuple(_days(3) if a == "FUTURE" else a for a in args)
    with pytest.raises(InputError) as err:
        inventions.add_invention(world.vault, *args, actor="tester")
    assert err.value.field == field and words in err.value.message, str(err.value)
    assert "--" not in err.value.message
    assert inventions.list_inventions(world.vault).inventions == []


@pytest.mark.parametrize(("args", "field", "words"), [
    (("inv-0001", "utility", "US", "D-1"), "kind", "must be one of provisional"),
    (("inv-0001", ["pct"], "US", "D-1"), "kind", "must be one of"),
    (("inv-0001", "national", "EP", "D-1"), "kind", "needs a PCT filing first"),
    (("inv-0001", "pct", "Mars", "D-1"), "office", "two-letter office code"),
    (("inv-0001", "pct", None, "D-1"), "office", "two-letter office code"),
    (("inv-0001", "pct", "WO", "2026-02-30"), "filed", "is not a date"),
    (("inv-0001", "pct", "WO", "D+2"), "filed", "is in the future"),
    (("inv-0001", "pct", "WO", "D-90"), "filed", "before the invention was conceived"),
    (("inv-0001", "pct", "WO", "D-1", "no;such"), "number", "not an application number"),
    (("inv-0001", "pct", "WO", "D-1", 12), "number", "not an application number"),
    (("", "pct", "WO", "D-1"), "invention", "by its id"),
])
def test_add_filing_refuses_bad_input(world: World, cli, args: tuple[Any, ...],  # type: ignore[no-untyped-def]
                                      field: str, words: str) -> None:
    _person(cli)
    inventions.add_invention(world.vault, "T", _days(-30), ["Priya Rao"], actor="tester")
    args = tuple(_days(int(a[1:])) if isinstance(a, str) and a[:2] in ("D-", "D+") else a
                 for a in args)
    with pytest.raises(InputError) as err:
        inventions.add_filing(world.vault, *args, actor="tester")
    assert err.value.field == field and words in err.value.message, str(err.value)
    assert "--" not in err.value.message
    assert inventions.get_invention(world.vault, "inv-0001").filings == []


def test_unknown_invention_is_not_found(world: World) -> None:
    for call in (lambda: inventions.add_filing(world.vault, "inv-0404", "pct", "WO", _days(-1),
                                               actor="tester"),
                 lambda: inventions.get_invention(world.vault, "inv-0404")):
        with pytest.raises(NotFound) as err:
            call()
        assert err.value.field == "invention" and "unknown invention 'inv-0404'" in str(err.value)


def test_cli_names_the_flag(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _person(cli)
    out = cli("invention", "add", "X", "--conceived", _days(-5), "--inventors", "Nobody")
    assert out.exit_code == 2 and "error: --inventors: unknown party 'Nobody'" in out.stderr
    out = cli("filing", "add", "inv-0001", "--kind", "pct", "--office", "WO", "--filed",
              _days(-1))
    assert out.exit_code == 2 and "INVENTION: unknown invention 'inv-0001'" in out.stderr
