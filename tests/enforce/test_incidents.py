"""Incidents as a user runs them: open from a trace, notice, cure or terminate, export and
verify the case file; on both database backends."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallmark.store.tables import events, incidents

from .conftest import Leak, make_leak


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _events(leak: Leak, kind: str) -> list[dict]:
    with leak.vault.read() as conn:
        rows = conn.execute(select(events.c.entry).where(events.c.type == kind)
                            .order_by(events.c.seq))
        return [json.loads(r.entry) for r in rows]


def _opened(cli, leak: Leak) -> dict:
    return _json(cli("incident", "open", "--from", leak.trace["trace"], "--json"))


def test_an_incident_opens_from_the_trace_bound_to_party_asset_agreement_and_clauses(
        cli, leak: Leak) -> None:
    assert leak.trace["accused"][0]["recipient"] == "beta-labs"
    doc = _opened(cli, leak)
    assert doc["incident"] == "inc-0001" and doc["status"] == "open"
    assert (doc["party"], doc["asset"], doc["source"]) == ("beta-labs", leak.dataset,
                                                           leak.trace["trace"])
    assert doc["shares"] == [leak.share] and doc["agreements"] == ["dua-partners"]
    assert doc["accused"][0]["p_value"] <= 1e-6 and doc["cure_period"] == "14d"
    clauses = {(c["source"], c["clause"]) for c in doc["clauses"]}
    assert {("terms", "covers"), ("terms", "prohibited"), ("terms", "governing_law")} <= clauses
    documented = [c for c in doc["clauses"] if c["source"] == "document"]
    assert any(c["clause"] == "confidentiality" and "strict confidence" in c["text"]
               and c["location"] for c in documented)
    opened = _events(leak, "incident.opened")
    assert len(opened) == 1 and opened[0]["payload"]["party"] == "beta-labs"
    assert {"inc-0001", "beta-labs", leak.share, leak.trace["trace"]} <= set(
        opened[0]["subjects"])
    listed = _json(cli("incident", "list", "--json"))
    assert [i["incident"] for i in listed["incidents"]] == ["inc-0001"]
    shown = _json(cli("incident", "show", "inc-0001", "--json"))
    assert [s["type"] for s in shown["timeline"]] == ["incident.opened"]
    human = cli("incident", "show", "inc-0001")
    assert human.exit_code == 0 and "strict confidence" in human.stdout


def _count(leak: Leak) -> tuple[int, int]:
    with leak.vault.read() as conn:
        return (conn.execute(select(func.count()).select_from(incidents)).scalar_one(),
                conn.execute(select(func.count()).select_from(events)).scalar_one())


def test_nothing_to_enforce_and_unknown_sources_are_refused(cli, leak: Leak) -> None:
    innocent = _json(cli("trace", str(leak.root / "data" / "customers.csv"), "--json"))
    assert innocent["accused"] == [] and innocent["trace"]
    before = _count(leak)
    result = cli("incident", "open", "--from", innocent["trace"])
    assert result.exit_code == 2 and "accuses nobody" in result.stderr
    for bad in ("tr-doesnotexist", "../etc/passwd", ""):
        result = cli("incident", "open", "--from", bad)
        assert result.exit_code == 2 and "--from" in result.stderr, bad
    result = cli("incident", "open", "--from", leak.trace["trace"], "--party", "CloudCo")
    assert result.exit_code == 2 and "does not accuse" in result.stderr
    assert _count(leak) == before


@pytest.mark.parametrize("suffix", ["md", "docx", "pdf"])
def test_a_notice_is_drafted_logged_with_its_bundle_and_starts_the_cure_period(
        cli, leak: Leak, suffix: str) -> None:
    _opened(cli, leak)
    target = leak.root / f"notice.{suffix}"
    doc = _json(cli("incident", "notice", "inc-0001", "-o", str(target), "--json"))
    assert doc["kind"] == "breach-notice" and doc["format"] == suffix
    data = target.read_bytes()
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    bundle = leak.root / "notice-evidence.zip"
    assert doc["evidence"] == [str(bundle)]
    assert doc["evidence_sha256"] == [hashlib.sha256(bundle.read_bytes()).hexdigest()]
    noticed = _events(leak, "incident.noticed")
    assert len(noticed) == 1
    payload = noticed[0]["payload"]
    assert payload["notice_sha256"] == doc["sha256"]
    assert payload["evidence_sha256"] == doc["evidence_sha256"]
    assert payload["cure_due"] == doc["cure_due"]
    checked = _json(cli("verify-bundle", str(bundle), "--json"))
    assert checked["ok"] and checked["subject"] == leak.share
    if suffix == "md":
        text = data.decode()
    elif suffix == "docx":
        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    else:
        import pypdf

        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    for needed in ("NOTICE OF BREACH", "Beta Labs", "Data-use agreement with partners",
                   doc["cure_due"], "an injunction", "verify-bundle", "strict confidence"):
        assert needed in text, needed
    assert "10^" in text  # the p-value in words
    due = _json(cli("deadlines", "--json"))
    cure = [d for d in due["deadlines"] if d["rule"] == "cure-period"]
    assert [(d["subject"], d["due"]) for d in cure] == [("inc-0001", doc["cure_due"])]
    assert _json(cli("incident", "show", "inc-0001", "--json"))["status"] == "noticed"


def test_without_an_agreement_in_force_the_notice_is_a_labelled_cease_and_desist(
        cli, leak: Leak) -> None:
    _opened(cli, leak)
    ended = cli("agreement", "terminate", "dua-partners", "--on", "2026-01-02")
    assert ended.exit_code == 0, ended.stderr
    doc = _json(cli("incident", "notice", "inc-0001", "-o", str(leak.root / "c.md"), "--json"))
    assert doc["kind"] == "cease-and-desist" and doc["cure_due"] is None
    text = (leak.root / "c.md").read_text()
    assert text.startswith("# CEASE AND DESIST") and "cease-and-desist form" in text


def test_a_malformed_template_names_the_placeholder_and_writes_nothing(
        cli, leak: Leak, tmp_path: Path) -> None:
    _opened(cli, leak)
    before = _count(leak)
    for body, named in (("Dear ${partyname},\n", "${partyname}"), ("Pay $ 5\n", "line 1")):
        template = tmp_path / "t.md"
        template.write_text(body)
        result = cli("incident", "notice", "inc-0001", "-o", str(leak.root / "n.md"),
                     "--template", str(template))
        assert result.exit_code == 2 and "--template" in result.stderr
        assert named in result.stderr
    assert not (leak.root / "n.md").exists() and not (leak.root / "n-evidence.zip").exists()
    assert _count(leak) == before
    result = cli("incident", "notice", "inc-0001", "-o", str(leak.root / "n.txt"))
    assert result.exit_code == 2 and "--output" in result.stderr


def test_terminating_terminates_the_agreement_and_closes_the_incident(cli, leak: Leak) -> None:
    _opened(cli, leak)
    done = _json(cli("incident", "update", "inc-0001", "--status", "terminated", "--notes",
                     "no cure", "--json"))
    assert done["status"] == "terminated"
    agreement = _json(cli("agreement", "show", "dua-partners", "--json"))
    assert agreement["status"] == "terminated"
    updated = _events(leak, "incident.updated")
    assert updated[-1]["payload"]["terminated_agreements"] == ["dua-partners"]
    again = cli("incident", "update", "inc-0001", "--status", "cured")
    assert again.exit_code == 2 and "closed" in again.stderr
    bad = cli("incident", "update", "inc-0001", "--status", "forgiven")
    assert bad.exit_code == 2 and "--status" in bad.stderr


def test_an_agreement_can_ask_for_an_incident_as_soon_as_a_trace_accuses(cli, vault) -> None:
    leak = make_leak(vault, cli, extra="  incident_on_trace: true\n")
    assert leak.trace["incidents"] == ["inc-0001"]
    opened = _events(leak, "incident.opened")
    assert opened[0]["payload"]["automatic"] is True
    assert opened[0]["actor"] == _events(leak, "trace.recorded")[0]["actor"]


def _case(cli, leak: Leak) -> Path:
    _opened(cli, leak)
    _json(cli("incident", "notice", "inc-0001", "-o", str(leak.root / "notice.md"), "--json"))
    _json(cli("incident", "update", "inc-0001", "--status", "escalated", "--json"))
    case = leak.root / "case.zip"
    written = _json(cli("incident", "export", "inc-0001", "-o", str(case), "--json"))
    assert written["format"] == "hallmark-case/1"
    return case


def test_the_case_file_carries_everything_and_verifies_offline(cli, leak: Leak) -> None:
    case = _case(cli, leak)
    checked = _json(cli("verify-bundle", str(case), "--json"))
    assert checked["ok"] and checked["format"] == "hallmark-case/1"
    assert checked["subject"] == "inc-0001"
    kinds = sorted(f["kind"] for f in checked["files"])
    assert kinds == ["document", "evidence", "notice"]
    types = {e["type"] for e in checked["events"]}
    assert {"agreement.added", "agreement.reviewed", "share.created", "trace.recorded",
            "incident.opened", "incident.noticed", "incident.updated", "access.decided",
            "asset.registered"} <= types
    with zipfile.ZipFile(case) as zf:
        names = zf.namelist()
        timeline = zf.read("timeline.md").decode()
        manifest = json.loads(zf.read("manifest.json"))
    assert names[0] == "README.txt" and "incident.noticed" in timeline
    notice = next(f for f in manifest["files"] if f["kind"] == "notice")
    with zipfile.ZipFile(case) as zf:
        assert zf.read(notice["path"]) == (leak.root / "notice.md").read_bytes()
    # CloudCo's share of the same asset is not this case's business
    cloudco = [e for e in checked["events"] if e["type"] == "share.created"]
    assert len(cloudco) == 1
    human = cli("verify-bundle", str(case))
    assert human.exit_code == 0 and "inc-0001" in human.stdout


def _rewrite(case: Path, change) -> Path:
    with zipfile.ZipFile(case) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    out = case.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def test_every_edit_to_a_case_file_is_caught(cli, leak: Leak) -> None:
    case = _case(cli, leak)
    with zipfile.ZipFile(case) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    attacks = {}
    for name in names:
        if name == "README.txt":
            continue

        def flip(members, name=name):
            data = bytearray(members[name])
            data[len(data) // 2] ^= 0x01
            members[name] = bytes(data)
        attacks[f"flip {name}"] = flip
    event = next(n for n in names if n.startswith("events/"))
    attacks["drop an entry"] = lambda m: m.pop(event)
    attacks["extra member"] = lambda m: m.__setitem__("timeline2.md", b"x")
    notice = next(f for f in manifest["files"] if f["kind"] == "notice")
    forged = b"# NOTICE OF BREACH\nWe forgive everything.\n"
    forged_path = f"files/{hashlib.sha256(forged).hexdigest()}/notice.md"

    def swap_notice(members):
        # the forged file named by its own digest: no logged entry records that digest
        members.pop(notice["path"])
        members[forged_path] = forged
        m = json.loads(members["manifest.json"])
        for f in m["files"]:
            if f["kind"] == "notice":
                f["path"], f["sha256"] = forged_path, hashlib.sha256(forged).hexdigest()
        import rfc8785
        members["manifest.json"] = rfc8785.dumps(m)
    attacks["swap the notice"] = swap_notice

    def drop_file(members):
        m = json.loads(members["manifest.json"])
        gone = m["files"].pop()
        members.pop(gone["path"])
        import rfc8785
        members["manifest.json"] = rfc8785.dumps(m)
    attacks["hide a file consistently"] = drop_file
    survived = []
    for label, attack in attacks.items():
        report = json.loads(cli("verify-bundle", str(_rewrite(case, attack)), "--json").stdout)
        if report["ok"]:
            survived.append(label)
    # hiding a file while keeping the manifest consistent is the one thing a case file cannot
    # show (as a bundle cannot show that no other entries exist); every other edit fails
    assert survived == ["hide a file consistently"]
