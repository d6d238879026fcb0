"""Reviewing agreements end to end: the sample NDA, the JSON contract, risks, missing clauses."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from hallmark.errors import InputError
from hallmark.review import patterns
from hallmark.review.cuad import CUAD_MAP
from hallmark.review.service import (
    agreement_types,
    clause_catalogue,
    requirements,
    review_document,
    review_text,
    sample_path,
)

CLAUSE_TYPES = [
    "confidentiality", "ip-ownership-assignment", "joint-ip-ownership", "license-grant",
    "non-transferable-license", "irrevocable-or-perpetual-license", "work-for-hire",
    "improvements-and-derivatives", "non-compete", "no-solicit-of-employees",
    "no-solicit-of-customers", "exclusivity", "indemnification", "cap-on-liability",
    "uncapped-liability", "dispute-resolution", "governing-law", "expiration-date",
    "renewal-term", "termination-for-convenience", "survival", "return-or-destruction",
    "audit-rights", "anti-assignment", "change-of-control", "covenant-not-to-sue",
    "source-code-escrow", "data-use-restrictions", "export-control", "residuals",
]


def test_catalogue_covers_exactly_the_issue_clause_types() -> None:
    catalogue = clause_catalogue()
    assert sorted(catalogue) == sorted(CLAUSE_TYPES)
    for clause_type, entry in catalogue.items():
        assert entry["covers"] and entry["title"]
        if entry["detector"] == "model":
            assert CUAD_MAP[clause_type] == entry["cuad"]
        else:
            assert entry["detector"] == "patterns" and clause_type in patterns.PATTERNS
    for kind in agreement_types():
        for clause_type, reason in requirements()[kind]["requires"].items():
            assert clause_type in catalogue and isinstance(reason, str) and reason


def test_sample_nda_has_residuals_risk_and_lacks_survival(cli) -> None:
    result = cli("review", str(sample_path()), "--type", "nda", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"clauses", "missing", "risks"}
    risks = {r["id"]: r for r in report["risks"]}
    assert "residuals" in risks and risks["residuals"]["severity"] == "high"
    assert any("unaided memory" in e["text"] for e in risks["residuals"]["evidence"])
    assert "confidentiality-not-surviving" in risks
    assert [m["type"] for m in report["missing"]] == ["survival"]
    assert "survive" in report["missing"][0]["covers"]
    clauses = {c["type"]: c for c in report["clauses"]}
    assert [c["type"] for c in report["clauses"]] == CLAUSE_TYPES
    for clause in report["clauses"]:
        assert set(clause) == {"type", "present", "score", "evidence"}
        assert isinstance(clause["present"], bool) and 0.0 <= clause["score"] <= 1.0
        for evidence in clause["evidence"]:
            assert set(evidence) == {"text", "location"}
            assert evidence["location"].startswith("paragraph ")
    for present in ("confidentiality", "governing-law", "return-or-destruction", "residuals",
                    "anti-assignment", "dispute-resolution"):
        assert clauses[present]["present"], present
    for absent in ("survival", "non-compete", "audit-rights", "work-for-hire", "export-control"):
        assert not clauses[absent]["present"], absent
    assert "England and Wales" in clauses["governing-law"]["evidence"][0]["text"]


def test_human_output_and_html_report(cli, tmp_path: Path) -> None:
    out = tmp_path / "nda.html"
    result = cli("review", str(sample_path()), "--type", "nda", "--html", str(out))
    assert result.exit_code == 0
    assert "Missing for nda" in result.stdout and "Risks" in result.stdout
    assert "residuals" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "unaided memory" in page and "CC BY 4.0" in page


def test_html_to_a_folder_is_one_line_error_and_leaves_nothing(cli, tmp_path: Path) -> None:
    result = cli("review", str(sample_path()), "--html", str(tmp_path))
    assert result.exit_code == 2 and "is a folder" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_unknown_type_is_refused(cli) -> None:
    result = cli("review", str(sample_path()), "--type", "lease")
    assert result.exit_code == 2 and "nda" in result.stderr and result.stdout == ""


def test_pdf_review_reports_pages(tmp_path: Path, make_pdf) -> None:
    path = tmp_path / "licence.pdf"
    path.write_bytes(make_pdf([
        ["LICENCE AGREEMENT", "Licensor hereby grants to Licensee a non-exclusive licence to use",
         "the Software during the Term."],
        ["This Agreement shall be governed by and construed in accordance with the laws",
         "of the State of California, without regard to its conflict of laws principles."],
    ]))
    report = review_document(path, "licence")
    governing = report.clause("governing-law")
    assert governing.present and governing.evidence[0].location == "page 2"
    missing = {m.type for m in report.missing}
    assert "governing-law" not in missing and "audit-rights" in missing


RISKY = """MASTER COLLABORATION AGREEMENT

1. Confidentiality. Each party shall hold the other's Confidential Information in confidence
for a period of one (1) year from disclosure.

2. Improvements. Any improvements or derivative works of the Model made by either party shall
be owned by Partner, and Company hereby assigns such improvements to Partner.

3. Licence. Company grants Partner a perpetual, irrevocable, worldwide licence to the Company
Model, fully sublicensable through multiple tiers without the consent of Company.
"""


def test_risky_clauses_are_flagged_with_evidence() -> None:
    report = review_text(RISKY, "collaboration")
    risks = {r.id: r for r in report.risks}
    assert set(risks) >= {"confidentiality-shorter-than-2-years", "improvements-to-other-party",
                          "perpetual-or-irrevocable-licence", "unlimited-sublicensing"}
    assert "12 months" in risks["confidentiality-shorter-than-2-years"].message
    assert "multiple tiers" in risks["unlimited-sublicensing"].evidence[0].text
    assert risks["improvements-to-other-party"].evidence[0].location == "paragraph 3"
    assert "residuals" not in risks


def test_lasting_confidentiality_is_not_flagged() -> None:
    text = (
        "The Recipient shall keep the Confidential Information in confidence for five (5) years "
        "after termination of this Agreement.\n\nThis Agreement shall be governed by the laws of "
        "the State of New York."
    )
    ids = {r.id for r in review_text(text).risks}
    assert "confidentiality-shorter-than-2-years" not in ids
    assert "confidentiality-not-surviving" not in ids


def test_empty_text_is_an_input_error() -> None:
    with pytest.raises(InputError):
        review_text("   \n\n ")


def test_patterns_against_the_hand_labelled_set() -> None:
    source = resources.files("hallmark.review").joinpath("hand_labelled.yaml")
    items = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert len(items) >= 30
    tp = fp = fn = 0
    for item in items:
        for clause_type in patterns.PATTERNS:
            predicted = patterns.pattern_score(clause_type, item["text"]) >= patterns.PRESENT_AT
            truth = clause_type in item["types"]
            tp, fp, fn = tp + (predicted and truth), fp + (predicted and not truth), fn + (
                truth and not predicted)
    assert fp == 0
    assert tp / (tp + fn) >= 0.9


def test_residuals_as_a_bare_defined_term_is_flagged() -> None:
    risky = review_text("Each party may use Residuals for any purpose, including the "
                        "development of its own products.", "nda").to_json()
    assert "residuals" in [r["id"] for r in risky["risks"]]
    plain = review_text("The residuals of the process are disposed of by the supplier.",
                        "nda").to_json()
    assert "residuals" not in [r["id"] for r in plain["risks"]]
