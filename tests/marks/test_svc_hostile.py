"""Hostile share options and names give a typed error about the named parameter before any
marking, never an OverflowError, TypeError or an encoder's error from the log."""

from __future__ import annotations

from typing import Any

import pytest

from hallmark import services
from hallmark.errors import InputError, NotFound
from hallmark.schemas import ShareOptions
from hallmark.store.tables import events

from .conftest import World


@pytest.mark.parametrize(("options", "field"), [
    ({"recipients": 10**20}, "recipients"),
    ({"recipients": 10_000_001}, "recipients"),
    ({"colluders": 10**9}, "colluders"),
    ({"colluders": 1001}, "colluders"),
    ({"epsilon": 5e-324}, "epsilon"),
    ({"budgets": {"spend": 1e308}}, "budgets.spend"),
    ({"ranges": {"spend": (-1e308, 1e308)}}, "ranges.spend"),
    ({"ranges": {"spend": (0, 1e16)}}, "ranges.spend"),
])
def test_options_beyond_their_bounds_are_refused(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        ShareOptions(**options)
    assert caught.value.field == field and "--" not in caught.value.message


def test_options_at_their_bounds_are_taken() -> None:
    ShareOptions(recipients=10_000_000, colluders=1000, budgets={"spend": 1e15},
                 ranges={"spend": (-1e15, 1e15)}, epsilon=1e-100)


def _count(world: World) -> int:
    with world.vault.read() as conn:
        return len(conn.execute(events.select()).all())


@pytest.mark.parametrize(("change", "field", "kind"), [
    ({"options": {1: 1}}, "options", InputError),
    ({"options": {"colour": 1}}, "options", InputError),
    ({"options": {"recipients": 10**20}}, "recipients", InputError),
    ({"options": {"budgets": {"spend": 1e308}}}, "budgets.spend", InputError),
    ({"to": "nope"}, "to", NotFound),
    ({"team": "zz"}, "team", NotFound),
])
def test_share_refuses_before_marking(world: World, change: dict[str, Any], field: str,
                                      kind: type[Exception]) -> None:
    out = world.root / "copy.csv"
    given: dict[str, Any] = {"to": "CloudCo", "actor": "alice"} | change
    to = given.pop("to")
    with pytest.raises(InputError) as caught:
        services.shares.share(world.vault, world.dataset, to, out, **given)
    assert isinstance(caught.value, kind) and caught.value.field == field, caught.value
    assert "--" not in caught.value.message and not out.exists()


def test_cli_column_budget_overflow_is_one_line(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("share", world.dataset, "--to", "CloudCo", "--output", str(world.root / "c.csv"),
              "--column-budget", "spend=1e308")
    assert out.exit_code == 2 and "Traceback" not in out.stderr, out.stderr
    assert "--column-budget" in out.stderr
