"""The parties, agreements, access and review services called from Python: every bad input is
an InputError naming its field (never ValueError or a traceback, never a CLI flag), every write
is attributed to the actor passed, and results are the schemas whose JSON the CLI prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hallmark import services
from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.schemas import AccessQuery, ClauseEvidence
from hallmark.store.tables import events
from hallmark.vault import Vault

NDA = """\
id: nda-cloudco
type: nda
title: Mutual NDA with CloudCo
parties: [Acme AI, CloudCo]
effective: 2026-01-01
term: 1y
covers: []
permitted:
  - party: CloudCo
    actions: [download]
    purposes: [evaluation]
"""


@pytest.fixture
def orgs(vault: Vault) -> Vault:
    for name, role in (("Acme AI", None), ("CloudCo", "partner")):
        services.parties.add(vault, name, "organisation", role=role, actor="setup")
    services.parties.add(vault, "research", "team", member_of="CloudCo", actor="setup")
    return vault


def _actors(vault: Vault, kind: str) -> list[str]:
    with vault.read() as conn:
        return [r.actor for r in conn.execute(select(events.c.actor)
                                              .where(events.c.type == kind)
                                              .order_by(events.c.seq))]


def _refused(call, field: str | None, contains: str = "") -> InputError:  # type: ignore[no-untyped-def]
    with pytest.raises(HallmarkError) as info:
        call()
    err = info.value
    assert isinstance(err, InputError), type(err)
    assert err.field == field, (err.field, str(err))
    assert "--" not in err.message, err.message
    assert contains in err.message, err.message
    return err


@pytest.mark.parametrize(("kwargs", "field", "contains"), [
    ({"name": "Dup", "kind": "robot"}, "kind", "must be one of organisation"),
    ({"name": "Bob", "kind": "person", "role": "king"}, "role", "must be one of partner"),
    ({"name": "Bob", "kind": "person", "email": "nobody"}, "email", "not an email"),
    ({"name": "", "kind": "person"}, "name", "1 to 100 characters"),
    ({"name": 7, "kind": "person"}, "name", "expected text"),
    ({"name": "research", "kind": "team"}, "member_of", "a team needs"),
    ({"name": "cloudco", "kind": "organisation"}, "name", "already exists"),
])
def test_party_add_refuses_bad_input_naming_the_field(orgs: Vault, kwargs, field: str,  # type: ignore[no-untyped-def]
                                                      contains: str) -> None:
    before = len(services.parties.list_parties(orgs).parties)
    _refused(lambda: services.parties.add(orgs, **kwargs, actor="x"), field, contains)
    assert len(services.parties.list_parties(orgs).parties) == before


def test_party_writes_record_the_actor_and_list_json_keeps_its_shape(orgs: Vault) -> None:
    services.parties.add(orgs, "Dana Dev", "person", member_of="CloudCo",
                         email="dana@cloud.example", actor="alice@example")
    assert _actors(orgs, "party.added")[-1] == "alice@example"
    assert set(_actors(orgs, "party.added")[:-1]) == {"setup"}
    found = services.parties.list_parties(orgs).to_json()
    assert list(found) == ["parties"]
    assert list(found["parties"][0]) == ["id", "name", "kind", "member_of", "role", "email",
                                         "country", "created", "risk"]
    report = services.parties.show(orgs, "CloudCo").to_json()
    assert list(report) == ["party", "groups", "members", "agreements", "diligence"]
    assert report["members"] == ["CloudCo/research", "Dana Dev"]
    with pytest.raises(NotFound):
        services.parties.show(orgs, "Nowhere")


def test_diligence_records_the_actor(orgs: Vault, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  conflicts: none\n")
    review = services.parties.record_diligence(orgs, "CloudCo", answers, actor="auditor")
    assert _actors(orgs, "party.diligence") == ["auditor"]
    assert services.parties.latest_diligence(orgs, "CloudCo") == review
    assert list(review.to_json()) == ["party", "version", "score", "rating", "items",
                                      "source_sha256", "recorded"]
    _refused(lambda: services.parties.record_diligence(orgs, "CloudCo", 3,  # type: ignore[arg-type]
                                                       actor="x"), "answers")
    _refused(lambda: services.parties.record_diligence(orgs, "CloudCo/research", answers,
                                                       actor="x"), "name", "not a team")


def test_agreement_from_text_then_terminate_each_attributed(orgs: Vault) -> None:
    ag = services.agreements.add(orgs, text=NDA, actor="legal@acme")
    assert ag.id == "nda-cloudco" and _actors(orgs, "agreement.added") == ["legal@acme"]
    _refused(lambda: services.agreements.terminate(orgs, ag.id, "2026-02-31", actor="x"),
             "on", "is not a date")
    _refused(lambda: services.agreements.terminate(orgs, ag.id, "2025-06-01", actor="x"),
             "on", "before the agreement's effective date")
    ended = services.agreements.terminate(orgs, ag.id, "2026-06-01", actor="counsel")
    assert ended.status == "terminated" and ended.version == 2
    assert _actors(orgs, "agreement.terminated") == ["counsel"]
    _refused(lambda: services.agreements.terminate(orgs, ag.id, "2026-07-01", actor="x"),
             "agreement_id", "already terminated")
    detail = services.agreements.show(orgs, ag.id).to_json()
    assert list(detail)[-3:] == ["state", "history", "review"]
    assert [v["change"] for v in detail["history"]] == ["added", "terminated"]
    assert [v.version for v in services.agreements.versions(orgs, ag.id)] == [1, 2]
    listed = services.agreements.list_agreements(orgs).to_json()["agreements"]
    assert listed[0]["state"] in ("terminated", "pending")


def test_agreement_inputs_are_refused_with_their_field(orgs: Vault, tmp_path: Path) -> None:
    _refused(lambda: services.agreements.add(orgs, actor="x"), "file")
    _refused(lambda: services.agreements.add(orgs, tmp_path / "a.yaml", text=NDA, actor="x"),
             "file")
    _refused(lambda: services.agreements.add(orgs, text=NDA, document=tmp_path / "terms.exe",
                                             actor="x"), "document", "must be PDF, DOCX or TXT")
    fake = tmp_path / "signed.pdf"
    fake.write_bytes(b"not a pdf")
    _refused(lambda: services.agreements.add(orgs, text=NDA, document=fake, actor="x"),
             "document", "is not a PDF")
    _refused(lambda: services.agreements.show(orgs, ""), "agreement_id")
    with pytest.raises(NotFound):
        services.agreements.show(orgs, "nope")
    assert services.agreements.list_agreements(orgs).agreements == []


def test_yaml_errors_carry_the_document_field_and_line(orgs: Vault) -> None:
    bad = NDA.replace("effective: 2026-01-01", "effective: 2026-13-01")
    err = _refused(lambda: services.agreements.add(orgs, text=bad, actor="x"), "effective")
    assert err.line == 5
    assert str(err).startswith("<terms> line 5: effective: ")


def test_access_check_validates_and_logs_the_actor(orgs: Vault) -> None:
    services.agreements.add(orgs, text=NDA, actor="legal")
    for kwargs, field, contains in [
        ({"at": "2026-02-31"}, "at", "is not a date"),
        ({"action": "fly"}, "action", "unknown action 'fly'"),
        ({"purpose": "  "}, "purpose", "must not be empty"),
        ({"team": 5}, "team", "expected text"),
    ]:
        args = {"party": "CloudCo", "asset": "anything", "action": "download", **kwargs}
        _refused(lambda a=args: services.access.check(  # type: ignore[misc]
            orgs, a.pop("party"), a.pop("asset"), a.pop("action"), **a, actor="x"),
            field, contains)
    assert _actors(orgs, "access.decided") == []


def test_batch_of_queries_is_bounded_and_refuses_bad_items(orgs: Vault, tmp_path: Path) -> None:
    query = AccessQuery(party="CloudCo", asset="x", action="download")
    too_many = [query] * (services.access.MAX_BATCH + 1)
    _refused(lambda: services.access.check_batch(orgs, too_many, actor="x"), "batch",
             "at most 100000")
    _refused(lambda: services.access.check_batch(orgs, [{"party": "a"}],  # type: ignore[list-item]
                                                 actor="x"), "batch", "request 1")
    path = tmp_path / "batch.jsonl"
    path.write_text('{"party": "CloudCo", "asset": "x", "action": "download", "at": "2026-1"}\n')
    _refused(lambda: services.access.check_batch(orgs, path, actor="x"), None,
             "request 1: at: expected a date")
    assert services.access.check_batch(orgs, [], actor="x").decisions == []


def test_review_service_validates_and_keeps_the_json_contract(tmp_path: Path) -> None:
    _refused(lambda: services.review.review(services.review.sample_path(), "poem"),
             "agreement_type", "unknown agreement type 'poem'")
    _refused(lambda: services.review.review(42), "file")  # type: ignore[arg-type]
    _refused(lambda: services.review.review_text(b"x"), "text")  # type: ignore[arg-type]
    report = services.review.review_text("The Recipient shall keep all Confidential "
                                         "Information secret for one year.", "nda")
    doc = report.to_json()
    assert list(doc) == ["clauses", "missing", "risks"]
    assert list(doc["clauses"][0]) == ["type", "present", "score", "evidence"]
    assert ClauseEvidence(text="t", location="p1", segment=3).to_json() == {
        "text": "t", "location": "p1"}
    titles = services.review.clause_titles()
    assert titles["confidentiality"] == "Confidentiality"
    page = tmp_path / "r.html"
    services.review.write_html(report, "x.txt", page)
    assert page.read_text().startswith("<!doctype html>")


def test_a_bad_field_inside_a_batch_is_named_in_the_message(orgs: Vault) -> None:
    bad = [AccessQuery(party="CloudCo", asset="x", action="download"),
           AccessQuery(party="CloudCo", asset="x", action="fly")]
    err = _refused(lambda: services.access.check_batch(orgs, bad, actor="x"), "batch",
                   "action: unknown action 'fly'")
    assert str(err).startswith("batch: action: ")


def test_amend_checks_the_file_is_for_it_and_records_the_actor(orgs: Vault) -> None:
    services.agreements.add(orgs, text=NDA, actor="legal")
    other = NDA.replace("id: nda-cloudco", "id: nda-other")
    err = _refused(lambda: services.agreements.amend(orgs, "nda-cloudco", text=other,
                                                     actor="x"), "id", "this file is for")
    assert err.line == 1
    longer = NDA.replace("term: 1y", "term: 2y")
    amended = services.agreements.amend(orgs, "nda-cloudco", text=longer, actor="counsel")
    assert amended.version == 2 and amended.expires == "2027-12-31"
    assert _actors(orgs, "agreement.amended") == ["counsel"]
    with pytest.raises(NotFound):
        services.agreements.amend(orgs, "nope", text=longer, actor="x")


def test_a_decision_is_logged_as_its_actor_with_todays_json_shape(world) -> None:  # type: ignore[no-untyped-def]
    from .conftest import DUA, add_agreement

    add_agreement(world.vault, world.write("dua.yaml", DUA))
    decision = services.access.check(world.vault, "CloudCo", "patients-v3.csv", "train",
                                     team="research", purpose="diagnostics-research",
                                     at="2026-06-01", actor="bob@cloudco")
    assert decision.allowed and decision.agreements == ["dua-cloudco"]
    assert _actors(world.vault, "access.decided") == ["bob@cloudco"]
    doc = decision.to_json()
    assert list(doc) == ["allowed", "reasons", "agreements", "policies", "request"]
    assert doc["request"] == {"party": "cloudco", "team": "cloudco/research",
                              "asset": world.dataset, "action": "train",
                              "purpose": "diagnostics-research", "at": "2026-06-01",
                              "person": None}  # issue 15 added the person a decision is for
    matrix = services.agreements.ownership(world.vault).to_json()
    assert list(matrix) == ["assets", "future_work", "conflicts"]
    assert list(matrix["assets"][0]) == ["asset", "name", "kind", "status", "register_owner",
                                         "owners", "source", "agreements", "governing_law",
                                         "jurisdiction"]
    assert matrix["future_work"] == [{"agreement": "dua-cloudco", "subject": "improvements",
                                      "owners": {"acme-ai": "100"}}]
    _refused(lambda: services.agreements.ownership(world.vault, "2026"),  # type: ignore[arg-type]
             "on")
