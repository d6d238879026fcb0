"""Agreements through the command line: add (terms + signed document), list, show, amend with
history, terminate; bad input is one error with field and line, and nothing is stored."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from hallmark.store.tables import agreement_versions, agreements, events
from review.factories import docx_bytes, text_pdf

from .conftest import DUA, World


def _counts(world: World) -> tuple[int, int, int]:
    with world.vault.read() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar() or 0
                     for t in (events, agreements, agreement_versions))  # type: ignore[return-value]


def _event_types(world: World) -> list[str]:
    with world.vault.read() as conn:
        return [r.type for r in conn.execute(select(events.c.type).order_by(events.c.seq))]


def test_add_the_issue_example_with_a_signed_pdf(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    terms = world.write("dua.yaml", DUA)
    pdf = world.root / "signed.pdf"
    pdf.write_bytes(text_pdf([["Data-use agreement between Acme AI and CloudCo.",
                               "Signed by both parties."]]))
    out = cli("agreement", "add", str(terms), "--document", str(pdf), "--json")
    assert out.exit_code == 0, out.stderr
    ag = json.loads(out.stdout)
    assert ag["id"] == "dua-cloudco" and ag["version"] == 1
    assert ag["terms"]["covers"] == [world.dataset]
    assert ag["terms"]["permitted"][0]["teams"] == ["cloudco/research"]
    assert world.vault.blobs.get(ag["document_sha256"]).startswith(b"%PDF-")
    listed = json.loads(cli("agreement", "list", "--json").stdout)["agreements"]
    assert [(a["id"], a["state"]) for a in listed] == [("dua-cloudco", "active")]
    assert "agreement.added" in _event_types(world)


def test_amend_keeps_history_and_terminate_ends_it(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    cli("agreement", "add", str(world.write("dua.yaml", DUA)))
    amended = world.write("dua2.yaml", DUA.replace("expires: 2027-12-31", "expires: 2028-06-30"))
    assert cli("agreement", "amend", "dua-cloudco", str(amended)).exit_code == 0
    assert cli("agreement", "terminate", "dua-cloudco", "--on", "2026-09-01").exit_code == 0
    shown = json.loads(cli("agreement", "show", "dua-cloudco", "--json").stdout)
    assert shown["version"] == 3 and shown["status"] == "terminated"
    assert shown["terminated_on"] == "2026-09-01" and shown["expires"] == "2028-06-30"
    assert [(h["version"], h["change"]) for h in shown["history"]] == [
        (1, "added"), (2, "amended"), (3, "terminated")]
    assert shown["history"][0]["terms"]["expires"] == "2027-12-31"
    assert _event_types(world)[-3:] == ["agreement.added", "agreement.amended",
                                        "agreement.terminated"]
    again = cli("agreement", "terminate", "dua-cloudco", "--on", "2026-10-01")
    assert again.exit_code == 2 and "already terminated" in again.stderr


def test_generated_id_and_term(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    text = DUA.replace("id: dua-cloudco ", "# no id ").replace("expires: 2027-12-31", "term: 2y")
    out = cli("agreement", "add", str(world.write("a.yaml", text)), "--json")
    ag = json.loads(out.stdout)
    assert ag["id"] == "data-use-cloudco" and ag["expires"] == "2027-12-31"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("parties: [Acme AI, CloudCo]", "parties: [Acme AI, CloudKo]",
     "dua.yaml line 4: parties[1]: unknown party 'CloudKo'"),
    ("covers: [patients-v3.csv]", "covers: [patients-v9.csv]",
     "dua.yaml line 8: covers[0]: no asset matches 'patients-v9.csv'"),
    ("teams: [CloudCo/research]", "teams: [CloudCo/legal]",
     "dua.yaml line 11: permitted[0].teams[0]: unknown party 'CloudCo/legal'"),
    ("- party: CloudCo", "- party: Acme AI",
     "dua.yaml line 11: permitted[0].teams[0]: 'CloudCo/research' is not a team of 'Acme AI'"),
    ("expires: 2027-12-31", "expires: 2025-06-30", "dua.yaml line 6: expires: expires "
                                                   "2025-06-30 is before effective"),
    ("effective: 2026-01-01", "effective: yesterday", "dua.yaml line 5: effective: expected a "
                                                      "date as YYYY-MM-DD"),
    ("prohibited:", "forbidden:", "dua.yaml line 14: forbidden: unknown key"),
])
def test_bad_agreements_store_nothing(world: World, cli, old: str, new: str,  # type: ignore[no-untyped-def]
                                      expected: str) -> None:
    before = _counts(world)
    out = cli("agreement", "add", str(world.write("dua.yaml", DUA.replace(old, new))))
    assert out.exit_code == 2
    assert expected in out.stderr, out.stderr
    assert _counts(world) == before


def test_documents_are_checked(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    terms = str(world.write("dua.yaml", DUA))
    before = _counts(world)
    fake = world.write("fake.pdf", "not a pdf")
    out = cli("agreement", "add", terms, "--document", str(fake))
    assert out.exit_code == 2 and "not a PDF" in out.stderr
    exe = world.write("x.exe", "MZ")
    assert "must be PDF, DOCX or TXT" in cli("agreement", "add", terms, "--document",
                                             str(exe)).stderr
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    docx = world.root / "signed.docx"
    docx.write_bytes(buf.getvalue())  # a DOCX with no text cannot be reviewed
    assert "corrupt DOCX" in cli("agreement", "add", terms, "--document", str(docx)).stderr
    assert _counts(world) == before
    docx.write_bytes(docx_bytes(["Data-use agreement between Acme AI and CloudCo."]))
    assert cli("agreement", "add", terms, "--document", str(docx)).exit_code == 0


def test_unknown_agreement_is_not_found(world: World, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("agreement", "show", "nope")
    assert out.exit_code == 2 and "unknown agreement 'nope'" in out.stderr
