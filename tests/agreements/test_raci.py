"""Periodic agreement reviews with a RACI as a user runs them: plan, re-plan, record a review,
the chart (table, CSV, JSON), the planned review in `deadlines` and .ics, the checklist's
review step; bad input refused with one line naming the flag, nothing stored. Both backends."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from hallmark.store.tables import events, periodic_reviews, review_plans
from hallmark.vault import Vault

TODAY = date.today()
START = TODAY - timedelta(days=30)


def _ok(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _counts(vault: Vault) -> tuple[int, int, int]:
    with vault.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (events, review_plans, periodic_reviews))  # type: ignore[return-value]


def _events(vault: Vault, kind: str) -> list[dict]:
    with vault.read() as conn:
        rows = conn.execute(select(events.c.entry).where(events.c.type == kind)
                            .order_by(events.c.seq))
        return [json.loads(r.entry) for r in rows]


@pytest.fixture
def world(vault: Vault, cli, tmp_path: Path) -> Vault:  # type: ignore[no-untyped-def]
    """Acme AI (with Bob Ray and Dee Fox), CloudCo with its research team (Ann Lee), and two
    agreements in force: nda-1 and dua-1."""
    for args in (["Acme AI", "--kind", "organisation"], ["CloudCo", "--kind", "organisation"],
                 ["research", "--kind", "team", "--member-of", "CloudCo"],
                 ["Ann Lee", "--kind", "person", "--member-of", "CloudCo/research"],
                 ["Bob Ray", "--kind", "person", "--member-of", "Acme AI"],
                 ["Dee Fox", "--kind", "person", "--member-of", "Acme AI"]):
        assert cli("party", "add", *args).exit_code == 0
    for ag_id, kind in (("nda-1", "nda"), ("dua-1", "data-use")):
        terms = tmp_path / f"{ag_id}.yaml"
        terms.write_text(f"id: {ag_id}\ntype: {kind}\ntitle: {ag_id} with CloudCo\n"
                         f"parties: [Acme AI, CloudCo]\neffective: {START}\nterm: 2y\n")
        assert cli("agreement", "add", str(terms)).exit_code == 0
    return vault


def test_plan_records_the_raci_logs_it_and_charts_it(world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    doc = _ok(cli("agreement", "plan", "nda-1", "--responsible", "CloudCo/research",
                  "--accountable", "Bob Ray", "--consulted", "Ann Lee", "--informed", "Dee Fox",
                  "--every", "90d", "--json"))
    assert doc["raci"] == {"responsible": "cloudco/research", "accountable": "bob-ray",
                           "consulted": ["ann-lee"], "informed": ["dee-fox"]}
    assert doc["every"] == "90d" and doc["last_review"] is None and not doc["overdue"]
    assert doc["next_due"] == (TODAY + timedelta(days=90)).isoformat() == doc["first_due"]
    planned = _events(world, "agreement.review_planned")
    assert len(planned) == 1 and planned[0]["payload"]["accountable"] == "bob-ray"
    assert planned[0]["payload"]["replaces"] is False
    assert {"nda-1", "bob-ray", "ann-lee", "dee-fox", "cloudco/research"} == set(
        planned[0]["subjects"])
    chart = _ok(cli("raci", "--json"))
    assert [a["agreement"] for a in chart["agreements"]] == ["nda-1"]
    assert chart["unplanned"] == ["dua-1"]
    row = chart["agreements"][0]
    assert set(row) >= {"agreement", "title", "state", "every", "next_due", "last_review",
                        "raci"} and row["state"] == "active"
    human = cli("raci")
    assert human.exit_code == 0 and "unplanned: dua-1" in human.stdout
    # columns: the parties by id (ann-lee, bob-ray, cloudco/research, dee-fox)
    assert re.search(r"nda-1\s+active\s+90d\s+\S+\s+C\s+A\s+R\s+I\s*\n", human.stdout)


def test_replanning_replaces_the_plan_and_one_party_may_be_r_and_a(world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    _ok(cli("agreement", "plan", "nda-1", "--responsible", "CloudCo/research",
            "--accountable", "Bob Ray", "--every", "90d", "--json"))
    doc = _ok(cli("agreement", "plan", "nda-1", "--responsible", "Bob Ray", "--accountable",
                  "bob-ray", "--informed", "Ann Lee", "--every", "6m", "--from", "2026-01-31",
                  "--json"))
    assert doc["first_due"] == "2026-07-31" and doc["every"] == "6m"
    assert _counts(world)[1] == 1
    assert [e["payload"]["replaces"] for e in _events(world, "agreement.review_planned")] == [
        False, True]
    out = cli("raci", "--csv")
    assert out.exit_code == 0
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["agreement", "title", "state", "every", "next_due", "party", "role"]
    assert ["nda-1", "nda-1 with CloudCo", "active", "6m", doc["next_due"], "bob-ray",
            "R/A"] in rows
    assert ["nda-1", "nda-1 with CloudCo", "active", "6m", doc["next_due"], "ann-lee",
            "I"] in rows
    assert ["dua-1", "dua-1 with CloudCo", "active", "", "", "", "unplanned"] in rows
    assert "R/A" in cli("raci").stdout


def test_a_review_held_is_logged_with_the_version_and_moves_the_next_due_date(
        world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    _ok(cli("agreement", "plan", "dua-1", "--responsible", "Dee Fox", "--accountable",
            "Bob Ray", "--every", "3m", "--from", START.isoformat(), "--json"))
    held_on = TODAY - timedelta(days=2)
    doc = _ok(cli("agreement", "reviewed", "dua-1", "--outcome", "keep", "--notes",
                  "all fine", "--on", held_on.isoformat(), "--json"))
    assert doc["outcome"] == "keep" and doc["version"] == 1 and doc["notes"] == "all fine"
    assert doc["next_due"] == (held_on + relativedelta(months=3)).isoformat()
    with world.read() as conn:
        row = conn.execute(select(periodic_reviews)).one()
    assert (row.agreement, row.version, row.reviewed, row.outcome) == (
        "dua-1", 1, held_on.isoformat(), "keep")
    logged = _events(world, "agreement.reviewed")
    assert len(logged) == 1 and logged[0]["payload"]["outcome"] == "keep"
    assert logged[0]["payload"]["accountable"] == "bob-ray"
    assert logged[0]["payload"]["version"] == 1
    chart = _ok(cli("raci", "--json"))["agreements"][0]
    assert chart["last_review"]["reviewed"] == held_on.isoformat()
    assert chart["next_due"] == doc["next_due"]
    human = cli("agreement", "reviewed", "dua-1", "--outcome", "terminate")
    assert human.exit_code == 0 and "recorded, not applied" in human.stdout
    assert _ok(cli("agreement", "show", "dua-1", "--json"))["status"] == "active"


def test_planned_reviews_are_deadlines_naming_the_accountable_and_go_missed(
        world: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long_ago = TODAY - timedelta(days=200)
    _ok(cli("agreement", "plan", "nda-1", "--responsible", "Dee Fox", "--accountable",
            "Bob Ray", "--every", "90d", "--from", long_ago.isoformat(), "--json"))
    ics = tmp_path / "due.ics"
    found = _ok(cli("deadlines", "--json", "--ics", str(ics)))["deadlines"]
    planned = [d for d in found if d["rule"] == "planned-review"]
    assert len(planned) == 1
    d = planned[0]
    assert d["subject"] == "nda-1" and d["accountable"] == "bob-ray"
    assert d["due"] == (long_ago + timedelta(days=90)).isoformat() and d["status"] == "missed"
    assert "Bob Ray" in d["title"]
    # the plan replaces the yearly default review of nda-1; dua-1 (unplanned) keeps it
    assert {x["subject"] for x in found if x["rule"] == "agreement-review"} == {"dua-1"}
    text = ics.read_text()
    assert "nda-1/planned-review@" in text and "planned-review" in text
    human = cli("deadlines")
    assert "missed" in human.stdout and "Bob Ray" in human.stdout
    audit = json.loads(cli("audit", "--rule", "deadline-missed", "--json").stdout)
    assert any(f["subject"] == "nda-1" and "Periodic review" in f["message"]
               for f in audit["findings"])
    _ok(cli("agreement", "reviewed", "nda-1", "--outcome", "keep", "--json"))
    after = [x for x in _ok(cli("deadlines", "--json"))["deadlines"]
             if x["rule"] == "planned-review"][0]
    assert after["status"] == "upcoming" and after["due"] == (
        TODAY + timedelta(days=90)).isoformat()


def test_the_checklist_review_step_reads_the_plans(world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    def step() -> dict:
        steps = _ok(cli("checklist", "--json"))["steps"]
        return next(s for s in steps if s["id"] == "reviews")

    assert cli("audit").exit_code in (0, 1)  # a compliance review today
    first = step()
    assert first["status"] == "partial"
    assert "nda-1 has no periodic review plan (`hallmark agreement plan`)" in first["gaps"]
    _ok(cli("agreement", "plan", "nda-1", "--responsible", "Dee Fox", "--accountable",
            "Bob Ray", "--every", "30d", "--from", (TODAY - timedelta(days=60)).isoformat(),
            "--json"))
    _ok(cli("agreement", "plan", "dua-1", "--responsible", "Dee Fox", "--accountable",
            "Bob Ray", "--every", "1y", "--json"))
    second = step()
    assert second["status"] == "partial"
    assert any(g.startswith("nda-1: periodic review overdue since") for g in second["gaps"])
    _ok(cli("agreement", "reviewed", "nda-1", "--outcome", "keep", "--json"))
    third = step()
    assert third["status"] == "done" and not third["gaps"]
    assert any("dua-1: next review" in e for e in third["evidence"])


@pytest.mark.parametrize(("args", "flag", "words"), [
    (["--responsible", "Dee Fox", "--every", "90d"], "--accountable", "exactly one accountable"),
    (["--accountable", "Bob Ray", "--every", "90d"], "--responsible", "responsible"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray"], "--every", "duration"),
    (["--responsible", "Dee Fox", "--accountable", "Nobody", "--every", "90d"],
     "--accountable", "unknown party 'Nobody'"),
    (["--responsible", "Ghost", "--accountable", "Bob Ray", "--every", "90d"],
     "--responsible", "unknown party"),
    (["--responsible", "Dee Fox", "--accountable", "CloudCo/research", "--every", "90d"],
     "--accountable", "is a team"),
    (["--responsible", "CloudCo", "--accountable", "Bob Ray", "--every", "90d"],
     "--responsible", "is an organisation"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90x"],
     "--every", "expected a duration"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "0d"],
     "--every", "expected a duration"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "9999y"],
     "--every", "runs past the calendar"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "11y"],
     "--every", "every 10 years"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d",
      "--from", "2026-02-30"], "--from", "not a date"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d",
      "--consulted", "Ann Lee", "--informed", "Ann Lee"], "--informed",
     "both consulted and informed"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d",
      "--consulted", "Ann Lee", "--consulted", "ann-lee"], "--consulted", "listed twice"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d",
      "--informed", "Bob Ray"], "--informed", "already responsible or accountable"),
    (["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d",
      "--informed", "Nope"], "--informed", "unknown party"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_plan_is_one_line_naming_the_flag_and_stores_nothing(
        world: Vault, cli, args: list[str], flag: str, words: str) -> None:  # type: ignore[no-untyped-def]
    before = _counts(world)
    out = cli("agreement", "plan", "nda-1", *args)
    assert out.exit_code == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {flag}:") and words in lines[0], \
        out.stderr
    assert _counts(world) == before


def test_plans_and_reviews_for_missing_or_ended_agreements_are_refused(
        world: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    plan = ["--responsible", "Dee Fox", "--accountable", "Bob Ray", "--every", "90d"]
    before = _counts(world)
    out = cli("agreement", "plan", "nope", *plan)
    assert out.exit_code == 2 and out.stderr.startswith("error: ID: unknown agreement 'nope'")
    out = cli("agreement", "reviewed", "nda-1", "--outcome", "keep")
    assert out.exit_code == 2 and "has no review plan" in out.stderr
    assert _counts(world) == before
    _ok(cli("agreement", "terminate", "dua-1", "--on", TODAY.isoformat(), "--json"))
    before = _counts(world)
    out = cli("agreement", "plan", "dua-1", *plan)
    assert out.exit_code == 2 and "is terminated" in out.stderr and "ID" in out.stderr
    assert _counts(world) == before


@pytest.mark.parametrize(("args", "flag", "words"), [
    (["--outcome", "maybe"], "--outcome", "keep, amend, terminate"),
    (["--outcome", "keep", "--notes", "x" * 5001], "--notes", "at most 5000"),
    (["--outcome", "keep", "--on", (TODAY + timedelta(days=1)).isoformat()], "--on",
     "in the future"),
    (["--outcome", "keep", "--on", "yesterday"], "--on", "YYYY-MM-DD"),
], ids=["outcome", "notes", "future", "malformed"])
def test_a_bad_review_is_one_line_naming_the_flag_and_stores_nothing(
        world: Vault, cli, args: list[str], flag: str, words: str) -> None:  # type: ignore[no-untyped-def]
    _ok(cli("agreement", "plan", "nda-1", "--responsible", "Dee Fox", "--accountable",
            "Bob Ray", "--every", "90d", "--json"))
    before = _counts(world)
    out = cli("agreement", "reviewed", "nda-1", *args)
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: {flag}:") and words in lines[0], out.stderr
    assert _counts(world) == before


def test_an_empty_vault_has_an_empty_chart(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    assert _ok(cli("raci", "--json")) == {"agreements": [], "unplanned": []}
    out = cli("raci", "--csv")
    assert out.exit_code == 0 and out.stdout.strip() == \
        "agreement,title,state,every,next_due,party,role"
