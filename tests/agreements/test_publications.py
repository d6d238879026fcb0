"""Defensive publications: `invention publish` writes a dated disclosure (.md or a real PDF),
keeps it as a blob, logs it, time-stamps it when a TSA is configured; a published invention is
prior art: no patent deadlines, and a later filing warns and is an audit finding."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from hallmark import services
from hallmark.schemas import Asset
from hallmark.store.tables import events, publications
from ledger.tsa import make_ca, serve

from .conftest import World

TODAY = date.today()


def _days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def _invention(cli, conceived: int = -400) -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", "Priya Rao", "--kind", "person").exit_code == 0
    assert cli("invention", "add", "Triage routing by uncertainty", "--conceived",
               _days(conceived), "--inventors", "Priya Rao", "--assets",
               "triage.safetensors").exit_code == 0


def _count(world: World, table) -> int:  # type: ignore[no-untyped-def]
    with world.vault.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar() or 0


def _asset(world: World) -> Asset:
    return services.inventory.get_asset(world.vault, "triage.safetensors")


def test_publish_markdown_writes_logs_and_keeps_the_disclosure(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    out = world.root / "disclosure.md"
    result = cli("invention", "publish", "inv-0001", "-o", str(out), "--abstract",
                 "Route triage cases by the model's calibrated uncertainty.", "--summary",
                 "A method that defers to a clinician above a threshold.", "--summary",
                 "A system that logs each deferral.", "--published", _days(-10),
                 "--public-url", "https://tdcommons.org/dpubs_series/1", "--json")
    assert result.exit_code == 0, result.stderr
    done = json.loads(result.stdout)
    text = out.read_text()
    asset = _asset(world)
    for expected in ("# Defensive publication: Triage routing by uncertainty", _days(-10),
                     _days(-400), "Priya Rao", "calibrated uncertainty",
                     "1. A method that defers", "2. A system that logs", asset.sha256,
                     asset.blake3, "https://tdcommons.org/dpubs_series/1"):
        assert expected in text, expected
    pub = done["publication"]
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert pub["disclosure_sha256"] == digest and pub["format"] == "md"
    assert pub["published"] == _days(-10) and pub["timestamped"] is None
    assert done["file"] == str(out) and done["size"] == out.stat().st_size
    assert world.vault.blobs.get(digest) == out.read_bytes()
    entry = services.ledger.entry(world.vault, pub["seq"]).to_json()
    assert entry["type"] == "invention.published"
    assert entry["payload"] == {"invention": "inv-0001", "disclosure_sha256": digest,
                                "format": "md", "published": _days(-10),
                                "url": "https://tdcommons.org/dpubs_series/1"}
    assert set(entry["subjects"]) == {"inv-0001", asset.id}
    listed = json.loads(cli("invention", "list", "--json").stdout)["inventions"][0]
    assert listed["publication"] == pub
    assert _days(-10) in cli("invention", "list").stdout


def test_publish_pdf_is_a_real_multi_page_pdf(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    source = world.write("disclosure.yaml", "abstract: " + "Uncertainty routing (w\\x) " * 300
                         + "\nclaims:\n  - Deferral above a threshold.\n  - Logged deferrals.\n")
    out = world.root / "disclosure.pdf"
    result = cli("invention", "publish", "inv-0001", "-o", str(out), "--from", str(source))
    assert result.exit_code == 0, result.stderr
    assert "Published inv-0001" in result.stdout
    data = out.read_bytes()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) >= 2
    extracted = "\n".join(p.extract_text() for p in reader.pages)
    assert "Defensive publication: Triage routing by uncertainty" in extracted
    assert "Uncertainty routing (w\\x)" in extracted and "2. Logged deferrals." in extracted
    assert _asset(world).sha256 in extracted.replace("\n", "")
    assert reader.metadata is not None and "Triage routing" in str(reader.metadata.title)
    pub = services.inventions.get_invention(world.vault, "inv-0001").publication
    assert pub is not None and pub.format == "pdf"
    assert pub.disclosure_sha256 == hashlib.sha256(data).hexdigest()


def test_a_second_publication_is_refused(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    args = ("invention", "publish", "inv-0001", "--abstract", "A", "--summary", "B")
    assert cli(*args, "-o", str(world.root / "a.md")).exit_code == 0
    logged = _count(world, events)
    again = cli(*args, "-o", str(world.root / "b.md"))
    assert again.exit_code == 2
    assert again.stderr.strip().splitlines() == [
        f"error: INVENTION: inv-0001 was already published on {TODAY} (one publication per "
        "invention)"]
    assert not (world.root / "b.md").exists() and _count(world, events) == logged


@pytest.mark.parametrize(("extra", "flag", "words"), [
    (["-o", "d.md", "--summary", "B"], "--abstract", "needs an abstract"),
    (["-o", "d.md", "--abstract", "A"], "--summary", "at least one statement"),
    (["-o", "d.txt", "--abstract", "A", "--summary", "B"], "--output", "name a .md or .pdf"),
    (["-o", "missing/d.md", "--abstract", "A", "--summary", "B"], "--output",
     "an existing folder"),
    (["-o", "d.md", "--abstract", "A", "--summary", "B", "--published", "FUTURE"],
     "--published", "is in the future"),
    (["-o", "d.md", "--abstract", "A", "--summary", "B", "--published", "2020-01-01"],
     "--published", "before the invention was conceived"),
    (["-o", "d.md", "--abstract", "A", "--summary", "B", "--published", "2026-02-30"],
     "--published", "is not a date"),
    (["-o", "d.md", "--abstract", "A", "--summary", "B", "--public-url", "ftp://x"],
     "--public-url", "not an http(s) URL"),
    (["-o", "d.md", "--from", "missing.yaml"], "--from", "missing.yaml"),
])
def test_bad_input_is_one_line_naming_the_flag_and_stores_nothing(  # type: ignore[no-untyped-def]
        world: World, cli, extra: list[str], flag: str, words: str) -> None:
    _invention(cli, conceived=-30)
    logged = _count(world, events)
    extra = [_days(3) if a == "FUTURE" else str(world.root / a) if a.startswith(
        ("d.", "missing")) else a for a in extra]
    result = cli("invention", "publish", "inv-0001", *extra)
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {flag}: ") and words in lines[0], lines
    assert _count(world, events) == logged and _count(world, publications) == 0
    assert not list(world.root.glob("d.*")) and not list(world.vault.blobs.root.rglob("*?*"))


def test_a_bad_from_file_names_its_line(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    source = world.write("d.yaml", "abstract: A\nclaim:\n  - B\n")
    result = cli("invention", "publish", "inv-0001", "-o", str(world.root / "d.md"), "--from",
                 str(source))
    assert result.exit_code == 2 and "d.yaml line 2" in result.stderr
    assert "unknown key 'claim'" in result.stderr and _count(world, publications) == 0


def test_unknown_invention(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("invention", "publish", "inv-0404", "-o", str(world.root / "d.md"),
                 "--abstract", "A", "--summary", "B")
    assert result.exit_code == 2 and "unknown invention 'inv-0404'" in result.stderr


def test_published_invention_is_prior_art(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)  # conceived 400 days ago: the first-filing deadline is missed
    rules = {d["rule"] for d in json.loads(cli("deadlines", "--json").stdout)["deadlines"]}
    assert "first-filing" in rules
    missed = services.audit.run(world.vault, ["deadline-missed"]).findings
    assert [f.subject for f in missed] == ["inv-0001"]
    assert cli("invention", "publish", "inv-0001", "-o", str(world.root / "d.md"), "--abstract",
               "A", "--summary", "B", "--published", _days(-20)).exit_code == 0
    deadlines = json.loads(cli("deadlines", "--json").stdout)["deadlines"]
    assert not [d for d in deadlines if d["subject"] == "inv-0001"]
    assert services.audit.run(world.vault, ["deadline-missed"]).findings == []
    step = services.checklist.checklist(world.vault).steps[4]
    assert step.id == "patents" and step.status == "done"
    assert any("published defensively" in e for e in step.evidence)

    # Filed before the publication: no warning. Filed after it: recorded, but warned.
    before = cli("filing", "add", "inv-0001", "--kind", "provisional", "--office", "US",
                 "--filed", _days(-20), "--json")
    assert before.exit_code == 0 and json.loads(before.stdout)["warnings"] == []
    assert "warning" not in before.stderr
    after = cli("filing", "add", "inv-0001", "--kind", "non-provisional", "--office", "US",
                "--filed", _days(-5), "--json")
    assert after.exit_code == 0
    filing = json.loads(after.stdout)
    assert filing["id"] == "inv-0001-f2" and len(filing["warnings"]) == 1
    assert after.stderr.startswith("warning: inv-0001-f2 was filed on ")
    assert "35 U.S.C. 102(b)(1)" in after.stderr
    listed = services.inventions.get_invention(world.vault, "inv-0001")
    assert [len(f.warnings) for f in listed.filings] == [0, 1]
    found = services.audit.run(world.vault, ["filing-after-publication"]).findings
    assert [(f.rule, f.severity, f.subject) for f in found] == [
        ("filing-after-publication", "high", "inv-0001")]
    assert "inv-0001-f2" in found[0].message and "grace period" in found[0].remedy
    step = services.checklist.checklist(world.vault).steps[4]
    assert step.status != "done" and any("after its defensive publication" in g
                                         for g in step.gaps)


def _configure_tsa(world: World, url: str, root: Path | None = None) -> None:
    config = world.vault.dir / "hallmark.toml"
    extra = f'\n[timestamp]\ntsa = "{url}"\n' + (f'tsa_root = "{root}"\n' if root else "")
    config.write_text(config.read_text() + extra)


def test_a_configured_tsa_stamps_the_publication(world: World, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    ca = make_ca("Publication")
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root_pem)
    with serve(ca) as url:
        _configure_tsa(world, url, root)
        result = cli("invention", "publish", "inv-0001", "-o", str(world.root / "d.md"),
                     "--abstract", "A", "--summary", "B", "--json")
    assert result.exit_code == 0, result.stderr
    pub = json.loads(result.stdout)["publication"]
    assert pub["timestamped"] and pub["timestamped"].startswith(str(TODAY.year))
    status = services.ledger.status(world.vault)
    assert status.timestamp is not None and status.timestamp.checkpoint_size > pub["seq"]
    types = [e.type for e in services.ledger.entries(world.vault, "inv-0001")]
    assert types[-2:] == ["invention.published", "invention.publication-timestamped"]
    listed = services.inventions.get_invention(world.vault, "inv-0001").publication
    assert listed is not None and listed.timestamped == pub["timestamped"]


def test_an_unreachable_tsa_still_publishes_and_warns(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    _invention(cli)
    with serve(make_ca("Gone")) as url:
        pass  # the server is down again: its port refuses connections
    _configure_tsa(world, url)
    result = cli("invention", "publish", "inv-0001", "-o", str(world.root / "d.md"),
                 "--abstract", "A", "--summary", "B", "--json")
    assert result.exit_code == 0
    done = json.loads(result.stdout)
    assert done["publication"]["timestamped"] is None and len(done["warnings"]) == 1
    assert result.stderr.startswith("warning: published, but not time-stamped")
    assert (world.root / "d.md").exists()
