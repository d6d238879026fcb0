"""Red-team attacks on periodic reviews and their RACI (issue 15): bad input that could store
half a plan, duplicate or conflicting roles, plans of agreements that ended, and dates at the
edge of the calendar. Each refusal is one error naming the field, and nothing is stored."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallmark import services
from hallmark.errors import HallmarkError
from hallmark.store.tables import events, periodic_reviews, review_plans
from hallmark.vault import Vault

ACTOR = "raci-attacks"
START = date.today() - timedelta(days=30)


def _counts(vault: Vault) -> tuple[int, ...]:
    with vault.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (events, review_plans, periodic_reviews))


@pytest.fixture
def world(vault: Vault, tmp_path: Path) -> Vault:
    add = services.parties.add
    add(vault, "Acme AI", "organisation", actor=ACTOR)
    add(vault, "CloudCo", "organisation", actor=ACTOR)
    add(vault, "CloudCo/research", "team", actor=ACTOR)
    for name in ("Bob Ray", "Dee Fox"):
        add(vault, name, "person", member_of="Acme AI", actor=ACTOR)
    for ag_id in ("dua-1", "old-1"):
        terms = tmp_path / f"{ag_id}.yaml"
        terms.write_text(f"id: {ag_id}\ntype: data-use\ntitle: {ag_id}\n"
                         f"parties: [Acme AI, CloudCo]\neffective: {START}\nterm: 2y\n")
        services.agreements.add(vault, terms, actor=ACTOR)
    services.agreements.terminate(vault, "old-1", START + timedelta(days=1), actor=ACTOR)
    return vault


def _plan(vault: Vault, **changes: object) -> object:
    args: dict[str, object] = {"responsible": "Bob Ray", "accountable": "Dee Fox",
                               "every": "90d", "consulted": ["CloudCo"], "informed": []}
    args.update(changes)
    agreement = args.pop("agreement", "dua-1")
    return services.raci.plan(vault, agreement, actor=ACTOR, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "field"), [
    ({"consulted": ["CloudCo", "Nobody"]}, "consulted"),       # the second one is unknown
    ({"informed": ["CloudCo/research", "Dee Fox"]}, "informed"),  # accountable again
    ({"consulted": ["CloudCo", "cloudco"]}, "consulted"),      # the same party twice
    ({"consulted": ["CloudCo"], "informed": ["CloudCo"]}, "consulted"),
    ({"accountable": "CloudCo/research"}, "accountable"),      # a team is not one person
    ({"accountable": ""}, "accountable"),
    ({"responsible": "CloudCo"}, "responsible"),               # an organisation
    ({"every": "0d"}, "every"),
    ({"every": "11y"}, "every"),
    ({"every": "-90d"}, "every"),
    ({"every": "1y", "start": "9999-06-01"}, "every"),         # past the calendar
    ({"start": "2026-02-30"}, "start"),
    ({"agreement": "old-1"}, "agreement_id"),                  # terminated
    ({"agreement": "nope"}, "agreement_id"),
])
def test_a_bad_plan_stores_nothing(world: Vault, changes: dict[str, object],
                                   field: str) -> None:
    before = _counts(world)
    with pytest.raises(HallmarkError) as caught:
        _plan(world, **changes)
    assert caught.value.field in (field, "informed", "consulted") if field in (
        "consulted", "informed") else caught.value.field == field
    assert _counts(world) == before


def test_a_re_plan_replaces_the_plan_and_keeps_the_history(world: Vault) -> None:
    _plan(world)
    _plan(world, responsible="Dee Fox", accountable="Bob Ray", consulted=[])
    chart = services.raci.chart(world)
    [plan] = [p for p in chart.agreements if p.agreement == "dua-1"]
    assert (plan.raci.responsible, plan.raci.accountable) == ("dee-fox", "bob-ray")
    assert plan.raci.consulted == []
    with world.read() as conn:
        assert conn.execute(select(func.count()).select_from(review_plans)).scalar_one() == 1


def test_a_review_on_a_day_out_of_reach_is_refused(world: Vault) -> None:
    _plan(world)
    before = _counts(world)
    for on in ("2999-01-01", (date.today() + timedelta(days=1)).isoformat(), "0001-01-01",
               "1999-12-31", (START - timedelta(days=1)).isoformat()):
        with pytest.raises(HallmarkError) as caught:
            services.raci.reviewed(world, "dua-1", "keep", on=on, actor=ACTOR)
            pytest.fail(f"a review on {on} was recorded")
        assert caught.value.field in ("on", "agreement_id"), on
    with pytest.raises(HallmarkError) as bad:
        services.raci.reviewed(world, "dua-1", "shred", actor=ACTOR)
    assert bad.value.field == "outcome"
    with pytest.raises(HallmarkError) as ended:
        services.raci.reviewed(world, "old-1", "keep", actor=ACTOR)
    assert ended.value.field == "agreement_id"
    assert _counts(world) == before
    held = services.raci.reviewed(world, "dua-1", "keep", on=START.isoformat(), actor=ACTOR)
    assert held.reviewed == START.isoformat()
