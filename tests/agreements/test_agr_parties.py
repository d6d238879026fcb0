"""Parties and due diligence through the command line, and the rubric's arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from hallmark.agreements.diligence import questionnaire, score_answers
from hallmark.store.tables import events, parties
from hallmark.vault import Vault

ANSWERS = """\
answers:
  reputation: {answer: good, evidence: "12 years trading"}
  ip-history: {answer: none, evidence: "litigation search 2026-01-10"}
  confidentiality-breaches: {answer: none}
  security: {answer: certified, evidence: "ISO/IEC 27001"}
  data-protection: compliant
  conflicts: {answer: direct-competitor, evidence: "sells a rival product"}
"""


def _count(vault: Vault, table=events) -> int:  # type: ignore[no-untyped-def]
    with vault.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar() or 0


def test_party_add_list_show(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("party", "add", "CloudCo", "--kind", "organisation", "--role", "partner"
               ).exit_code == 0
    out = cli("party", "add", "research", "--kind", "team", "--member-of", "CloudCo")
    assert out.exit_code == 0 and "CloudCo/research" in out.stdout
    assert cli("party", "add", "Jane Roe", "--kind", "person", "--member-of",
               "CloudCo/research", "--role", "contractor").exit_code == 0
    listed = json.loads(cli("party", "list", "--json").stdout)["parties"]
    assert [p["name"] for p in listed] == ["CloudCo", "CloudCo/research", "Jane Roe"]
    assert listed[1]["member_of"] == "cloudco"
    shown = json.loads(cli("party", "show", "cloudco/RESEARCH", "--json").stdout)
    assert shown["groups"] == ["CloudCo"] and shown["members"] == ["Jane Roe"]
    assert shown["diligence"] is None
    with vault.read() as conn:
        types = [r.type for r in conn.execute(select(events.c.type))]
    assert types.count("party.added") == 3


def test_bad_party_input_is_one_error_and_stores_nothing(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    cli("party", "add", "CloudCo", "--kind", "organisation")
    before = _count(vault)
    for args, message in [
        (["Dup", "--kind", "robot"], "--kind: must be one of"),
        (["cloudco", "--kind", "organisation"], "already exists"),
        (["research", "--kind", "team"], "--member-of: a team needs"),
        (["x", "--kind", "team", "--member-of", "Nowhere"], "unknown party 'Nowhere'"),
        (["Bob", "--kind", "person", "--role", "king"], "--role: must be one of"),
        (["A/B", "--kind", "person"], "only a team's name has a slash"),
    ]:
        out = cli("party", "add", *args)
        assert out.exit_code == 2 and message in out.stderr, (args, out.stderr)
    assert _count(vault) == before and _count(vault, parties) == 1


def test_diligence_scores_with_reasons(vault: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("party", "add", "CloudCo", "--kind", "organisation", "--role", "partner")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    out = cli("party", "diligence", "CloudCo", "--answers", str(answers), "--json")
    assert out.exit_code == 0, out.stderr
    review = json.loads(out.stdout)
    # risks x weights: 0 + 0 + 70*20 (none without evidence) + 0 + 70*10 + 100*10 + 80*5
    assert review["score"] == round((1400 + 700 + 1000 + 400) / 100) == 35
    assert review["rating"] == "medium"
    items = {i["item"]: i for i in review["items"]}
    assert items["confidentiality-breaches"]["reason"].startswith("'none' without evidence")
    assert items["references"]["reason"].startswith("not answered")
    shown = cli("party", "show", "CloudCo")
    assert "risk 35/100 medium" in shown.stdout and "conflicts" in shown.stdout


def test_bad_answers_name_their_line(vault: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("party", "add", "CloudCo", "--kind", "organisation")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS.replace("conflicts: {answer: direct-competitor",
                                       "conflicts: {answer: frenemy"))
    before = _count(vault)
    out = cli("party", "diligence", "CloudCo", "--answers", str(answers))
    assert out.exit_code == 2
    assert "answers.yaml line 7: answers.conflicts.answer: answer must be one of" in out.stderr
    assert _count(vault) == before


ANSWER_CHOICES = {i.id: sorted(i.answers) for i in questionnaire().items}


@given(st.fixed_dictionaries({}, optional={k: st.sampled_from(v)
                                           for k, v in ANSWER_CHOICES.items()}),
       st.booleans())
def test_score_is_a_weighted_mean_in_range(picked: dict[str, str], evidence: bool) -> None:
    answers = {k: {"answer": v, **({"evidence": "e"} if evidence else {})}
               for k, v in picked.items()}
    score, rating, rows = score_answers(answers)
    assert 0 <= score <= 100
    assert score == (sum(r["risk"] * r["weight"] for r in rows) + 50) // 100
    assert rating == ("high" if score >= 60 else "medium" if score >= 30 else "low")
    risks = {i.id: i.answers for i in questionnaire().items}
    worst = {k: {"answer": max(v, key=risks[k].__getitem__)} for k, v in risks.items()}
    assert score_answers(worst)[0] >= score
