"""The deadlines and checklist services from Python: `within` validated in the service, the
iCalendar export written through it, and the JSON shapes the CLI prints."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from hallmark.errors import InputError
from hallmark.schemas import Checklist, ChecklistStep, Deadline, DeadlineList
from hallmark.services import checklist, deadlines, inventions
from hallmark.vault import Vault

from .conftest import World

TODAY = date.today()


def _inventions(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", "Priya Rao", "--kind", "person").exit_code == 0
    for title, days in (("Old idea", -400), ("Soon idea", -350), ("Fresh idea", -10)):
        inventions.add_invention(world.vault, title, TODAY + timedelta(days=days),
                                 ["Priya Rao"], actor="tester")


def test_list_matches_the_cli_json(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _inventions(world, cli)
    found = deadlines.list_deadlines(world.vault)
    assert isinstance(found, DeadlineList) and all(isinstance(d, Deadline)
                                                   for d in found.deadlines)
    doc = json.loads(cli("deadlines", "--json").stdout)
    assert doc == found.to_json()
    assert list(doc) == ["deadlines"]
    assert list(doc["deadlines"][0]) == ["id", "rule", "subject", "title", "due", "basis",
                                         "obligation", "status", "days_left", "accountable"]
    near = deadlines.list_deadlines(world.vault, "90d")
    assert {d.id for d in near.deadlines} >= {"inv-0001/first-filing", "inv-0002/first-filing"}
    assert "inv-0003/first-filing" not in {d.id for d in near.deadlines}
    assert deadlines.list_deadlines(world.vault, 90) == near
    assert json.loads(cli("deadlines", "--within", "90d", "--json").stdout) == near.to_json()


def test_today_moves_the_statuses(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _inventions(world, cli)
    later = TODAY + timedelta(days=400)
    ids = {d.id: d for d in deadlines.list_deadlines(world.vault, today=later).deadlines}
    assert ids["inv-0003/first-filing"].status == "missed"
    assert ids["inv-0003/first-filing"].days_left < 0


@pytest.mark.parametrize("within", ["90", "90x", "0d", "-5d", "", "d", "99999d", "9999y", -1,
                                    True, 10**9, 2.5, ["90d"]])
def test_within_is_refused_by_the_service(vault: Vault, within: Any) -> None:
    with pytest.raises(InputError) as err:
        deadlines.list_deadlines(vault, within)
    assert err.value.field == "within" and "--" not in err.value.message


def test_today_must_be_a_date(vault: Vault) -> None:
    for bad in ("2026-01-01", datetime(2026, 1, 1), 3):
        with pytest.raises(InputError) as err:
            deadlines.list_deadlines(vault, today=bad)  # type: ignore[arg-type]
        assert err.value.field == "today"
        with pytest.raises(InputError) as err:
            checklist.checklist(vault, today=bad)  # type: ignore[arg-type]
        assert err.value.field == "today"
        with pytest.raises(InputError) as err:
            deadlines.within_days("90d", today=bad)  # type: ignore[arg-type]
        assert err.value.field == "today"
    assert deadlines.within_days("1m", today=date(2026, 2, 1)) == 28


def test_cli_within_error_names_the_flag(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("deadlines", "--within", "soon")
    assert out.exit_code == 2
    assert out.stderr.strip() == ("error: --within: 'soon': expected a duration like 90d, 12w, "
                                  "6m or 1y")
    out = cli("deadlines", "--within", "9999y")
    assert out.exit_code == 2 and "--within" in out.stderr and "Traceback" not in out.stderr


def test_export_ics_bytes_and_file(world: World, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _inventions(world, cli)
    found = deadlines.list_deadlines(world.vault)
    data = deadlines.export_ics(world.vault, found)
    cal = icalendar.Calendar.from_ical(data)
    uids = [str(e["uid"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(found.deadlines)
    assert all(u.endswith("@" + world.vault.origin) for u in uids)
    target = tmp_path / "d.ics"
    written = deadlines.export_ics(world.vault, found.deadlines, path=target)
    assert target.read_bytes() == written
    with pytest.raises(InputError) as err:
        deadlines.export_ics(world.vault, found, path=tmp_path / "missing" / "d.ics")
    assert "does not exist" in err.value.message and not (tmp_path / "missing").exists()
    for bad in ("not deadlines", [{"id": "x"}]):
        with pytest.raises(InputError) as err:
            deadlines.export_ics(world.vault, bad)  # type: ignore[arg-type]
        assert err.value.field == "deadlines"
    with pytest.raises(InputError) as err:
        deadlines.export_ics(world.vault, found, path=" ")
    assert err.value.field == "path"


def test_checklist_service_and_json(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    result = checklist.checklist(vault)
    assert isinstance(result, Checklist) and len(result.steps) == 10
    assert all(isinstance(s, ChecklistStep) for s in result.steps)
    doc = json.loads(cli("checklist", "--json").stdout)
    assert doc == result.to_json()
    assert list(doc) == ["steps", "done"]
    assert list(doc["steps"][0]) == ["number", "id", "title", "status", "evidence", "gaps"]
    assert result.done == sum(s.status == "done" for s in result.steps) == 0
