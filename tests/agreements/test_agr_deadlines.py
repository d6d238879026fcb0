"""Inventions, filings and the deadlines derived from the rules; the iCalendar export; missed
and near deadlines as audit findings."""

from __future__ import annotations

import json
from datetime import date, timedelta

import icalendar
from dateutil.relativedelta import relativedelta

from .conftest import World

TODAY = date.today()


def _days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def _setup(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", "Priya Rao", "--kind", "person", "--member-of", "Acme AI",
               "--role", "employee").exit_code == 0
    for title, conceived in (("Old idea", -400), ("Soon idea", -350), ("Filed idea", -200),
                             ("PCT idea", -600)):
        out = cli("invention", "add", title, "--conceived", _days(conceived), "--inventors",
                  "Priya Rao", "--assets", "triage.safetensors")
        assert out.exit_code == 0, out.stderr
    assert cli("filing", "add", "inv-0003", "--kind", "provisional", "--office", "USPTO",
               "--filed", _days(-100)).exit_code == 0
    assert cli("filing", "add", "inv-0004", "--kind", "pct", "--office", "WO",
               "--filed", _days(-500)).exit_code == 0


def test_patent_deadlines_follow_the_rules(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _setup(world, cli)
    found = {d["id"]: d for d in json.loads(cli("deadlines", "--json").stdout)["deadlines"]}
    conceived = TODAY - timedelta(days=400)
    assert found["inv-0001/first-filing"]["due"] == (conceived + relativedelta(months=12)
                                                     ).isoformat()
    assert found["inv-0001/first-filing"]["status"] == "missed"
    assert found["inv-0002/first-filing"]["status"] == "near"
    priority = TODAY - timedelta(days=100)
    assert found["inv-0003/priority"]["due"] == (priority + relativedelta(months=12)).isoformat()
    assert "inv-0003/first-filing" not in found
    pct = TODAY - timedelta(days=500)
    assert found["inv-0004/national-phase"]["due"] == (pct + relativedelta(months=30)).isoformat()
    assert found["inv-0004/national-phase/EP"]["due"] == (pct + relativedelta(months=31)
                                                          ).isoformat()
    within = json.loads(cli("deadlines", "--within", "90d", "--json").stdout)["deadlines"]
    assert {d["id"] for d in within} >= {"inv-0001/first-filing", "inv-0002/first-filing"}
    assert all(d["days_left"] <= 90 for d in within)
    assert cli("filing", "add", "inv-0004", "--kind", "national", "--office", "EPO",
               "--filed", _days(-1)).exit_code == 0
    after = {d["id"] for d in json.loads(cli("deadlines", "--json").stdout)["deadlines"]}
    assert "inv-0004/national-phase/EP" not in after and "inv-0004/national-phase" not in after


def test_ics_parses_with_icalendar(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _setup(world, cli)
    ics = world.root / "deadlines.ics"
    doc = json.loads(cli("deadlines", "--json", "--ics", str(ics)).stdout)["deadlines"]
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(doc) > 0
    assert sorted(e.decoded("dtstart").isoformat() for e in events) == sorted(
        d["due"] for d in doc)
    assert len({str(e["uid"]) for e in events}) == len(events)
    assert {str(e["summary"]) for e in events} == {d["title"] for d in doc}


def test_agreement_deadlines(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    expires = TODAY + timedelta(days=70)
    text = f"""\
id: nda-cloudco
type: nda
title: NDA with CloudCo
parties: [Acme AI, CloudCo]
effective: {TODAY - timedelta(days=300)}
expires: {expires}
confidentiality_survives: 3y
renewal: {{auto: true, notice: 2m}}
"""
    assert cli("agreement", "add", str(world.write("nda.yaml", text))).exit_code == 0
    found = {d["id"]: d for d in json.loads(cli("deadlines", "--json").stdout)["deadlines"]}
    assert found["nda-cloudco/expiry"]["due"] == expires.isoformat()
    assert found["nda-cloudco/renewal-notice"]["due"] == (expires - relativedelta(months=2)
                                                         ).isoformat()
    assert found["nda-cloudco/confidentiality"]["due"] == (expires + relativedelta(years=3)
                                                          ).isoformat()
    assert found["nda-cloudco/review"]["obligation"] is True
    assert found["compliance/review"]["rule"] == "compliance-review"


def test_missed_and_near_are_findings(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _setup(world, cli)
    missed = _findings(cli, "deadline-missed")
    assert [f["subject"] for f in missed] == ["inv-0001"]
    assert "was due" in missed[0]["message"]
    near = _findings(cli, "deadline-near")
    assert [f["subject"] for f in near] == ["inv-0002"]


def _findings(cli, rule: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    out = cli("audit", "--rule", rule, "--json")
    assert out.exit_code in (0, 1), out.stderr
    findings: list[dict[str, str]] = json.loads(out.stdout)["findings"]
    return findings


def test_bad_invention_and_filing_input(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", "Priya Rao", "--kind", "person").exit_code == 0
    for args, message in [
        (["invention", "add", "X", "--conceived", "2026-13-01", "--inventors", "Priya Rao"],
         "--conceived: '2026-13-01' is not a date"),
        (["invention", "add", "X", "--conceived", _days(5), "--inventors", "Priya Rao"],
         "is in the future"),
        (["invention", "add", "X", "--conceived", _days(-5), "--inventors", "Nobody"],
         "unknown party 'Nobody'"),
        (["invention", "add", "X", "--conceived", _days(-5), "--inventors", "CloudCo"],
         "inventor 'CloudCo' is not a person (organisation)"),
        (["filing", "add", "inv-0009", "--kind", "pct", "--office", "WO", "--filed", _days(-1)],
         "unknown invention 'inv-0009'"),
    ]:
        out = cli(*args)
        assert out.exit_code == 2 and message in out.stderr, (args, out.stderr)
    cli("invention", "add", "X", "--conceived", _days(-5), "--inventors", "Priya Rao")
    for args, message in [
        (["--kind", "national", "--office", "EP", "--filed", _days(-1)], "needs a PCT filing"),
        (["--kind", "utility", "--office", "US", "--filed", _days(-1)], "--kind: must be one of"),
        (["--kind", "pct", "--office", "Mars", "--filed", _days(-1)], "two-letter office"),
        (["--kind", "pct", "--office", "WO", "--filed", _days(-9)], "before the invention"),
    ]:
        out = cli("filing", "add", "inv-0001", *args)
        assert out.exit_code == 2 and message in out.stderr, (args, out.stderr)


def test_ics_to_a_bad_path_is_a_clear_error(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    for target in (world.root / "no-such-folder" / "d.ics", world.root):
        result = cli("deadlines", "--ics", str(target))
        assert result.exit_code == 2
        assert str(target) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (world.root / "no-such-folder").exists()


def test_deadlines_past_the_calendar_do_not_break_deadlines_or_audit(  # type: ignore[no-untyped-def]
        world: World, cli) -> None:
    far = world.write("far.yaml", "id: far\ntype: nda\ntitle: Far\nparties: [Acme AI, CloudCo]\n"
                      "effective: 2026-01-01\nexpires: 9999-12-30\n"
                      "confidentiality_survives: 3y\n")
    old = world.write("old.yaml", "id: old\ntype: nda\ntitle: Old\nparties: [Acme AI, CloudCo]\n"
                      "effective: 0001-01-01\nexpires: 0001-01-05\n"
                      "renewal: {auto: false, notice: 60d}\n")
    for path in (far, old):
        assert cli("agreement", "add", str(path)).exit_code == 0
    result = cli("deadlines", "--json")
    assert result.exit_code == 0, result.stderr
    found = {d["id"]: d for d in json.loads(result.stdout)["deadlines"]}
    assert found["far/expiry"]["due"] == "9999-12-30"
    assert found["old/expiry"]["due"] == "0001-01-05"
    assert "far/confidentiality" not in found and "old/renewal-notice" not in found
    assert cli("audit", "--json").exit_code in (0, 1)
