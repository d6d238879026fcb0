"""`hallmark check`: allow or deny with reasons, exit 0 or 3, every decision logged; the batch
API answers many at once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hallmark import services
from hallmark.schemas import AccessQuery
from hallmark.store.tables import events

from .conftest import DUA, World, add_agreement, set_fields


@pytest.fixture
def dua(world: World) -> World:
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    return world


def _check(cli, world: World, *extra: str):  # type: ignore[no-untyped-def]
    return cli("check", "--party", "CloudCo", "--asset", "patients-v3.csv", *extra)


def test_allowed_with_the_term_that_allows_it(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    out = _check(cli, dua, "--team", "research", "--action", "train", "--purpose",
                 "diagnostics-research", "--at", "2026-06-01", "--json")
    assert out.exit_code == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["allowed"] is True and d["agreements"] == ["dua-cloudco"]
    assert d["reasons"] == ["permitted by dua-cloudco v1 permitted[0]: CloudCo/research may "
                            "share, download, train for diagnostics-research, 2026-01-01 to "
                            "2027-12-31"]
    human = _check(cli, dua, "--team", "CloudCo/research", "--action", "download", "--purpose",
                   "diagnostics-research", "--at", "2026-06-01")
    assert human.exit_code == 0 and human.stdout.startswith("allow cloudco/research download")


@pytest.mark.parametrize(("extra", "reason"), [
    (["--team", "research", "--action", "redistribute", "--purpose", "diagnostics-research"],
     "prohibited by dua-cloudco v1: redistribute is prohibited for CloudCo"),
    (["--team", "research", "--action", "train", "--purpose", "diagnostics-research", "--at",
      "2028-01-01"], "expired on 2027-12-31"),
    (["--team", "research", "--action", "train", "--purpose", "diagnostics-research", "--at",
      "2025-12-31"], "not yet effective: starts 2026-01-01"),
    (["--team", "sales", "--action", "train", "--purpose", "diagnostics-research"],
     "unpermitted team: only CloudCo/research may"),
    (["--action", "train", "--purpose", "diagnostics-research"],
     "unpermitted team: only CloudCo/research may"),
    (["--team", "research", "--action", "train", "--purpose", "advertising"],
     "unpermitted purpose: purpose 'advertising'"),
    (["--team", "research", "--action", "train"], "unpermitted purpose: no purpose given"),
    (["--team", "research", "--action", "evaluate", "--purpose", "diagnostics-research"],
     "action evaluate is not permitted"),
])
def test_denied_with_the_reason(dua: World, cli, extra: list[str], reason: str) -> None:  # type: ignore[no-untyped-def]
    at = [] if "--at" in extra else ["--at", "2026-06-01"]
    out = _check(cli, dua, *extra, *at, "--json")
    assert out.exit_code == 3
    d = json.loads(out.stdout)
    assert d["allowed"] is False
    assert any(reason in r for r in d["reasons"]), d["reasons"]


def test_uncovered_asset_and_termination(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("check", "--party", "CloudCo", "--team", "research", "--asset", "triage.safetensors",
              "--action", "train", "--purpose", "diagnostics-research", "--at", "2026-06-01",
              "--json")
    assert out.exit_code == 3
    assert "uncovered asset" in json.loads(out.stdout)["reasons"][0]
    cli("agreement", "terminate", "dua-cloudco", "--on", "2026-05-01")
    out = _check(cli, dua, "--team", "research", "--action", "train", "--purpose",
                 "diagnostics-research", "--at", "2026-06-01", "--json")
    assert out.exit_code == 3
    assert any("terminated on 2026-05-01" in r for r in json.loads(out.stdout)["reasons"])
    before = _check(cli, dua, "--team", "research", "--action", "train", "--purpose",
                    "diagnostics-research", "--at", "2026-04-30")
    assert before.exit_code == 0


def test_owner_may_use_what_it_owns(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    denied = cli("check", "--party", "Acme AI", "--asset", "triage.safetensors", "--action",
                 "train")
    assert denied.exit_code == 3
    set_fields(dua.vault, dua.model, owner="Acme AI", status="in-house")
    out = cli("check", "--party", "Acme AI", "--asset", "triage.safetensors", "--action",
              "train", "--json")
    assert out.exit_code == 0
    assert json.loads(out.stdout)["reasons"] == [f"Acme AI owns {dua.model} (asset register)"]


def test_bad_requests_exit_2(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    for extra, message in [
        (["--party", "Nobody", "--asset", "patients-v3.csv", "--action", "train"],
         "unknown party 'Nobody'"),
        (["--party", "CloudCo", "--asset", "nothing.csv", "--action", "train"],
         "no asset matches 'nothing.csv'"),
        (["--party", "CloudCo", "--asset", "patients-v3.csv", "--action", "steal"],
         "unknown action 'steal'"),
        (["--party", "CloudCo", "--asset", "patients-v3.csv", "--action", "train", "--at",
          "2026-02-31"], "--at: '2026-02-31' is not a date"),
        (["--party", "Acme AI", "--team", "research", "--asset", "patients-v3.csv",
          "--action", "train"], "unknown party 'Acme AI/research'"),
    ]:
        out = cli("check", *extra)
        assert out.exit_code == 2 and message in out.stderr, (extra, out.stderr)


def test_batch_decides_many_and_logs_one_event(dua: World, cli) -> None:  # type: ignore[no-untyped-def]
    ok = {"party": "CloudCo", "team": "research", "asset": "patients-v3.csv", "action": "share",
          "purpose": "diagnostics-research", "at": "2026-03-01"}
    requests = [ok, {**ok, "action": "sublicense"}, ok, {**ok, "team": "sales"}]
    path = dua.write("requests.jsonl", "\n".join(json.dumps(r) for r in requests))
    out = cli("check", "--batch", str(path), "--json")
    assert out.exit_code == 3
    got = [d["allowed"] for d in json.loads(out.stdout)["decisions"]]
    assert got == [True, False, True, False]
    with dua.vault.read() as conn:
        entries = [json.loads(r.entry) for r in conn.execute(
            select(events.c.entry).where(events.c.type == "access.decided"))]
    assert len(entries) == 1
    logged = entries[0]["payload"]["decisions"]
    assert [d["allowed"] for d in logged] == got
    assert {"cloudco", "cloudco/research", dua.dataset, "dua-cloudco"} <= set(
        entries[0]["subjects"])
    bad = dua.write("bad.jsonl", json.dumps({**ok, "colour": "red"}))
    assert cli("check", "--batch", str(bad)).exit_code == 2
    bad_date = dua.write("bad-date.jsonl", json.dumps(ok) + "\n" + json.dumps({**ok, "at": "soon"}))
    result = cli("check", "--batch", str(bad_date))
    assert result.exit_code == 2 and "request 2: at:" in result.stderr


def test_the_python_batch_api(dua: World) -> None:
    asks = [AccessQuery(party="CloudCo", asset=dua.dataset, action="download",
                        team="CloudCo/research", purpose="diagnostics-research",
                        at="2026-02-02"),
            AccessQuery(party="cloudco", asset=dua.dataset, action="download", at="2026-02-02")]
    first, second = services.access.check_batch(dua.vault, asks, actor="test",
                                                log=False).decisions
    assert first.allowed and first.agreements == ["dua-cloudco"]
    assert not second.allowed and second.reasons[-1].startswith("deny by default")
