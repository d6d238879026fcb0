"""The checklist and the partner audit rules, over the demo's vault and a bare one."""

from __future__ import annotations

import json
from pathlib import Path

from hallmark.vault import Vault


def _findings(cli, *rules: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    out = cli("audit", *(a for r in rules for a in ("--rule", r)), "--json")
    assert out.exit_code in (0, 1), out.stderr
    findings: list[dict[str, str]] = json.loads(out.stdout)["findings"]
    return findings


def test_bare_vault_checklist_is_all_gaps(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("checklist", "--json")
    assert out.exit_code == 0
    steps = json.loads(out.stdout)["steps"]
    assert [s["number"] for s in steps] == list(range(1, 11))
    assert all(s["status"] == "missing" and s["gaps"] for s in steps)
    assert steps[0]["gaps"] == ["no assets registered (run `hallmark scan`)"]


def test_demo_builds_and_the_checklist_reflects_it(vault: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hallmark.demo.agreements import build_agreements_demo  # only this test needs the demo

    lines = build_agreements_demo(vault, tmp_path / "work")
    text = "\n".join(lines)
    assert "for diagnostics-research: ALLOW" in text and "for marketing: DENY" in text
    assert "unpermitted team: only CloudCo/research may" in text
    steps = {s["id"]: s for s in json.loads(cli("checklist", "--json").stdout)["steps"]}
    assert steps["patents"]["status"] == "done"
    assert steps["nda"]["status"] == "partial"
    assert steps["nda"]["gaps"] == ["no NDA in force with CloudCo"]
    assert steps["access"]["status"] == "done"
    assert steps["digests"]["status"] == "done"
    assert steps["assignment"]["status"] == "missing"
    assert "Priya Rao (employee) has no assignment or work-for-hire" in steps["assignment"]["gaps"]
    findings = _findings(cli, "diligence-missing", "partner-risk-high")
    assert [(f["rule"], f["subject"], f["severity"]) for f in findings] == [
        ("diligence-missing", "nova-labs", "medium")]
    human = cli("checklist")
    assert "steps done" in human.stdout


def test_high_risk_partner_is_a_finding(vault: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("party", "add", "Shady Ltd", "--kind", "organisation", "--role", "partner")
    answers = tmp_path / "a.yaml"
    answers.write_text("answers:\n  ip-history: {answer: proven, evidence: court ruling}\n"
                       "  confidentiality-breaches: major\n")
    assert json.loads(cli("party", "diligence", "Shady Ltd", "--answers", str(answers),
                          "--json").stdout)["rating"] == "high"
    findings = _findings(cli, "partner-risk-high")
    assert [f["subject"] for f in findings] == ["shady-ltd"]
    assert "ip-history" in findings[0]["message"]


def test_diligence_missing_for_a_counterparty_without_a_role(vault: Vault, cli,
                                                              tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for args in (["Acme AI", "--kind", "organisation"], ["Quiet Corp", "--kind", "organisation"],
                 ["Ann Lee", "--kind", "person", "--role", "contractor"]):
        assert cli("party", "add", *args).exit_code == 0
    nda = tmp_path / "nda.yaml"
    nda.write_text("type: nda\ntitle: NDA\nparties: [Acme AI, Quiet Corp, Ann Lee]\n"
                   "effective: 2026-01-01\nterm: 2y\n")
    assert cli("agreement", "add", str(nda)).exit_code == 0
    flagged = {f["subject"] for f in _findings(cli, "diligence-missing")}
    assert flagged == {"quiet-corp", "ann-lee"}  # never the disclosing side, Acme AI
