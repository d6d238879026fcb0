"""Agreements meet the clause review: `agreement add --document` reviews the document and stores
the review, `agreement show` prints it, and the audit raises missing and risky clauses."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from sqlalchemy import func, select

from hallmark import services
from hallmark.review.service import review_document, sample_path
from hallmark.store.tables import agreement_reviews, agreements, events, ledger_head
from hallmark.vault import Vault

from .factories import docx_bytes, text_pdf

NDA = """\
id: {id}
type: nda
title: Mutual NDA with CloudCo
parties: [Acme AI, CloudCo]
effective: 2026-01-01
term: 3y
"""

COMPLETE_NDA = [
    "MUTUAL NON-DISCLOSURE AGREEMENT",
    "This Agreement is made on 1 January 2026 between Acme AI Ltd and CloudCo Inc.",
    '1. Confidential Information. "Confidential Information" means all information disclosed '
    "by one party to the other, including training data, model weights, source code and "
    "evaluation results. The Recipient shall hold Confidential Information in strict confidence, "
    "use it only for the Purpose and not disclose it to any third party.",
    "2. Term. This Agreement begins on the Effective Date and expires three (3) years after the "
    "Effective Date.",
    "3. Survival. The obligations of confidentiality in this Agreement survive any termination "
    "or expiry of this Agreement for a period of five (5) years, and for trade secrets for as "
    "long as they remain trade secrets.",
    "4. Return or Destruction. On termination or on request, the Recipient shall promptly return "
    "or destroy all Confidential Information, including all copies of data sets and model "
    "checkpoints, and certify in writing that it has done so.",
    "5. Governing Law. This Agreement is governed by the laws of England and Wales.",
    "6. Disputes. The courts of London have exclusive jurisdiction over any dispute arising out "
    "of this Agreement, and the Discloser may seek injunctive relief in any court of competent "
    "jurisdiction.",
]
RULES = ("--rule", "agreement-missing-clause", "--rule", "agreement-risky-clause")


@pytest.fixture
def parties(vault: Vault) -> Vault:
    """The vault with the two organisations of the NDA."""
    services.parties.add(vault, "Acme AI", "organisation", actor="review-tests")
    services.parties.add(vault, "CloudCo", "organisation", role="partner", actor="review-tests")
    return vault


def _terms(vault: Vault, agreement_id: str = "nda-cloudco") -> Path:
    path = vault.root / f"{agreement_id}.yaml"
    path.write_text(NDA.format(id=agreement_id))
    return path


def _state(vault: Vault) -> tuple[int, int, int, int]:
    """(agreements, reviews, log size, blobs): what a failed command must leave unchanged."""
    with vault.read() as conn:
        counts = [conn.execute(select(func.count()).select_from(t)).scalar() or 0
                  for t in (agreements, agreement_reviews)]
        size = conn.execute(select(ledger_head.c.size)).scalar() or 0
    blobs = sum(1 for p in (vault.dir / "blobs").rglob("*") if p.is_file())
    return counts[0], counts[1], size, blobs


def _events(vault: Vault, kind: str) -> list[dict[str, Any]]:
    with vault.read() as conn:
        rows = conn.execute(select(events.c.entry).where(events.c.type == kind)
                            .order_by(events.c.seq))
        return [json.loads(bytes(r.entry)) for r in rows]


def _audit(cli, agreement_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = cli("audit", *RULES, "--json")
    assert out.exit_code == 0, out.stderr
    return [f for f in json.loads(out.stdout)["findings"] if f["subject"] == agreement_id]


def test_add_with_the_sample_nda_reviews_stores_logs_and_audits(parties: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    vault = parties
    out = cli("agreement", "add", str(_terms(vault)), "--document", str(sample_path()), "--json")
    assert out.exit_code == 0, out.stderr
    document_sha = json.loads(out.stdout)["document_sha256"]

    expected = review_document(sample_path(), "nda").to_json()
    with vault.read() as conn:
        row = conn.execute(select(agreement_reviews)).one()
    assert (row.agreement, row.version, row.review_type) == ("nda-cloudco", 1, "nda")
    assert row.document_sha256 == document_sha
    assert json.loads(row.missing) == ["survival"]
    assert [r["id"] for r in json.loads(row.risks)][0] == "residuals"
    stored = vault.blobs.get(row.review_sha256)
    assert stored == rfc8785.dumps(expected)
    assert hashlib.sha256(stored).hexdigest() == row.review_sha256

    (event,) = _events(vault, "agreement.reviewed")
    assert event["subjects"] == ["nda-cloudco"]
    assert event["payload"]["review_sha256"] == row.review_sha256
    assert event["payload"]["document_sha256"] == document_sha
    assert event["payload"]["missing"] == ["survival"]
    assert "residuals" in event["payload"]["risks"]

    findings = _audit(cli, "nda-cloudco")
    missing = [f for f in findings if f["rule"] == "agreement-missing-clause"]
    assert len(missing) == 1 and missing[0]["severity"] == "medium"
    assert "no survival clause" in missing[0]["message"]
    assert "outlast the agreement" in missing[0]["message"]  # why an NDA needs it
    risky = {f["message"].split(": ")[0]: f for f in findings
             if f["rule"] == "agreement-risky-clause"}
    residuals = risky["nda-cloudco (Mutual NDA with CloudCo) residuals"]
    assert residuals["severity"] == "high"
    assert "the residuals resulting from access" in residuals["message"]  # the clause excerpt

    shown = json.loads(cli("agreement", "show", "nda-cloudco", "--json").stdout)
    assert [m["type"] for m in shown["review"]["missing"]] == ["survival"]
    assert shown["review"]["missing"][0]["covers"]
    human = cli("agreement", "show", "nda-cloudco").stdout
    assert "survival" in human and "residuals" in human and "missing clauses" in human


def test_a_complete_document_raises_no_review_findings(parties: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    vault = parties
    signed = vault.root / "signed.docx"
    signed.write_bytes(docx_bytes(COMPLETE_NDA))
    out = cli("agreement", "add", str(_terms(vault, "nda-complete")), "--document", str(signed))
    assert out.exit_code == 0, out.stderr
    cli("agreement", "add", str(_terms(vault, "nda-sample")), "--document", str(sample_path()))
    assert _audit(cli, "nda-complete") == []
    assert {f["rule"] for f in _audit(cli, "nda-sample")} == {"agreement-missing-clause",
                                                              "agreement-risky-clause"}
    shown = json.loads(cli("agreement", "show", "nda-complete", "--json").stdout)
    assert shown["review"]["missing"] == [] and shown["review"]["risks"] == []


def _corrupt_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><w:body><w:p>unclosed")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("scanned.pdf", text_pdf([[], []]), "OCR is needed"),
    ("signed.docx", _corrupt_docx(), "corrupt DOCX"),
    ("empty.txt", b"   \n", "empty"),
])
def test_an_unreviewable_document_stores_nothing(parties: Vault, cli, name: str, data: bytes,  # type: ignore[no-untyped-def]
                                                 message: str) -> None:
    vault = parties
    terms = _terms(vault)
    document = vault.root / name
    document.write_bytes(data)
    before = _state(vault)
    out = cli("agreement", "add", str(terms), "--document", str(document))
    assert out.exit_code == 2
    assert message in out.stderr and name in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert _state(vault) == before


def test_amend_with_a_new_document_the_latest_review_wins(parties: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    vault = parties
    terms = _terms(vault)
    assert cli("agreement", "add", str(terms), "--document", str(sample_path())).exit_code == 0
    assert len(_audit(cli, "nda-cloudco")) >= 2

    scanned = vault.root / "scan.pdf"
    scanned.write_bytes(text_pdf([[]]))
    before = _state(vault)
    failed = cli("agreement", "amend", "nda-cloudco", str(terms), "--document", str(scanned))
    assert failed.exit_code == 2 and _state(vault) == before

    signed = vault.root / "signed-v2.pdf"
    signed.write_bytes(text_pdf([COMPLETE_NDA]))
    out = cli("agreement", "amend", "nda-cloudco", str(terms), "--document", str(signed))
    assert out.exit_code == 0, out.stderr
    shown = json.loads(cli("agreement", "show", "nda-cloudco", "--json").stdout)
    assert shown["version"] == 2
    assert shown["review"]["version"] == 2
    assert shown["review"]["document_sha256"] == shown["document_sha256"]
    assert shown["review"]["missing"] == [] and shown["review"]["risks"] == []
    assert _audit(cli, "nda-cloudco") == []
    assert [e["payload"]["version"] for e in _events(vault, "agreement.reviewed")] == [1, 2]


def test_review_demo_nda_reports_what_it_found(parties: Vault) -> None:
    from hallmark.demo.review import review_demo_nda

    lines = review_demo_nda(parties)
    text = "\n".join(lines)
    assert "missing survival" in text and "risk residuals (high)" in text
    assert "Acme AI and CloudCo" in lines[0]
    again = review_demo_nda(parties)  # a second run adds a second agreement, not an error
    assert again[0].startswith("Agreement nda-reviewed-2 ")
