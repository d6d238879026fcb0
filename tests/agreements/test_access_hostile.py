"""Hostile values to the access service and its schemas give a typed error about the named
field, never a pydantic ValidationError, TypeError or RecursionError."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from hallmark import services
from hallmark.errors import InputError, NotFound
from hallmark.schemas import AccessQuery
from hallmark.schemas.access import AccessDecision

from .conftest import DUA, World, add_agreement

ME = "hostile-tester"


@pytest.fixture
def dua(world: World) -> World:
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    return world


@pytest.mark.parametrize(("fields", "field"), [
    ({"party": 1, "asset": "a", "action": "b"}, "party"),
    ({"asset": "a", "action": "b"}, "party"),
    ({"party": "p", "asset": "a", "action": "b", "colour": "red"}, "colour"),
    ({"party": "p", "asset": ["a"], "action": "b"}, "asset"),
])
def test_schemas_refuse_with_input_error_naming_the_field(fields: dict[str, Any],
                                                          field: str) -> None:
    with pytest.raises(InputError) as caught:
        AccessQuery(**fields)
    assert type(caught.value) is InputError and caught.value.field == field
    assert "--" not in caught.value.message


def test_nested_schema_errors_name_the_dotted_path() -> None:
    with pytest.raises(InputError) as caught:
        AccessDecision(allowed=True, reasons=[], agreements=[], policies=[],
                       request={"party": "p", "team": None, "asset": "a", "action": "x",
                                "purpose": None, "at": 5})
    assert caught.value.field == "request.at"


def test_check_takes_a_date_or_iso_text_and_refuses_a_datetime(dua: World) -> None:
    v = dua.vault
    by_date = services.access.check(v, "CloudCo", "patients-v3.csv", "train",
                                    at=date(2026, 3, 1), actor=ME)
    by_text = services.access.check(v, "CloudCo", "patients-v3.csv", "train",
                                    at="2026-03-01", actor=ME)
    assert by_date.request.at == by_text.request.at == "2026-03-01"
    with pytest.raises(InputError) as caught:
        services.access.check(v, "CloudCo", "patients-v3.csv", "train",
                              at=datetime(2026, 1, 1), actor=ME)
    assert caught.value.field == "at" and "--" not in caught.value.message


def test_a_deeply_nested_batch_is_refused(dua: World) -> None:
    file = dua.write("b5.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError) as caught:
        services.access.check_batch(dua.vault, file, actor=ME)
    assert caught.value.field == "batch" and "nested too deeply" in caught.value.message
    with pytest.raises(InputError):
        services.access.check_batch(dua.vault, str(dua.write("b6.json", "[{]")), actor=ME)


def test_cli_batch_nested_too_deeply_is_one_line(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    file = dua.write("b5.json", "[" * 100_000 + "]" * 100_000)
    out = cli("check", "--batch", str(file))
    assert out.exit_code == 2 and "nested too deeply" in out.stderr
    assert "Traceback" not in out.stderr


def test_decide_takes_the_public_query(dua: World) -> None:
    query = AccessQuery(party="CloudCo", asset="patients-v3.csv", action="train",
                        at="2026-03-01")
    [decision] = services.access.decide(dua.vault, [query], actor=ME)
    assert decision.request["at"] == "2026-03-01"
    with pytest.raises(InputError) as caught:
        services.access.decide(dua.vault, [object()], actor=ME)  # type: ignore[list-item]
    assert caught.value.field == "requests" and "AccessRequest" not in caught.value.message


@pytest.mark.parametrize(("change", "field"), [
    ({"party": "nope"}, "party"),
    ({"asset": "nope.csv"}, "asset"),
    ({"team": "zz"}, "team"),
    ({"team": "CloudCo"}, "team"),  # a party, not a team
])
def test_failed_lookups_name_the_parameter(dua: World, change: dict[str, Any],
                                           field: str) -> None:
    given: dict[str, Any] = {"party": "CloudCo", "asset": "patients-v3.csv",
                             "action": "train"} | change
    party, asset, action = given.pop("party"), given.pop("asset"), given.pop("action")
    with pytest.raises(InputError) as caught:
        services.access.check(dua.vault, party, asset, action, actor=ME, **given)
    assert caught.value.field == field
    if change != {"team": "CloudCo"}:
        assert isinstance(caught.value, NotFound)
