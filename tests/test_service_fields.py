"""A service error names the parameter it is about: an unknown party, agreement or lineage link,
a path that is a folder or cannot be read, YAML that does not parse (with its line), a bad
cosigner key; and no service message spells a CLI flag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hallmark import Vault, services
from hallmark.errors import HallmarkError, InputError, NotFound

TERMS = ("id: dua-1\ntype: data-use\ntitle: T\nparties: [Acme AI, CloudCo]\neffective: 2025-01-01\n"
         "term: 2y\ncovers: [cohort.csv]\npermitted:\n  - party: CloudCo\n    teams: [CloudCo/ML]\n"
         "    actions: [train]\n")


def _raises(kind: type[HallmarkError], fn: Callable[..., Any], *args: Any,
            **kwargs: Any) -> HallmarkError:
    with pytest.raises(kind) as err:
        fn(*args, **kwargs)
    return err.value


@pytest.fixture
def stocked(vault: Vault) -> Vault:
    data = vault.root / "data"
    data.mkdir()
    (data / "cohort.csv").write_text("id,age\n1,20\n2,30\n")
    (data / "model.bin").write_bytes(b"weights")
    services.inventory.scan(vault, [data], actor="tester")
    services.parties.add(vault, "Acme AI", "organisation", actor="tester")
    services.parties.add(vault, "CloudCo", "organisation", actor="tester")
    services.parties.add(vault, "ML", "team", member_of="CloudCo", actor="tester")
    return vault


def test_an_unknown_group_names_member_of(vault: Vault) -> None:
    exc = _raises(NotFound, services.parties.add, vault, "x", "team", member_of="nope",
                  actor="tester")
    assert exc.field == "member_of" and "unknown party 'nope'" in exc.message


def test_an_unknown_organisation_in_a_team_name_names_name(vault: Vault) -> None:
    exc = _raises(NotFound, services.parties.add, vault, "Nope/ML", "team", actor="tester")
    assert exc.field == "name"


@pytest.mark.parametrize("fn", [services.parties.show, services.parties.latest_diligence])
def test_an_unknown_party_names_name(vault: Vault, fn: Callable[..., Any]) -> None:
    assert _raises(NotFound, fn, vault, "nope").field == "name"


def test_diligence_for_an_unknown_party_names_name(vault: Vault, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  confidentiality-breaches: major\n")
    exc = _raises(NotFound, services.parties.record_diligence, vault, "nope", answers,
                  actor="tester")
    assert exc.field == "name"


@pytest.mark.parametrize("call", [
    lambda v: services.agreements.show(v, "nope"),
    lambda v: services.agreements.versions(v, "nope"),
    lambda v: services.agreements.amend(v, "nope", text=TERMS, actor="tester"),
    lambda v: services.agreements.terminate(v, "nope", date(2026, 1, 1), actor="tester"),
], ids=["show", "versions", "amend", "terminate"])
def test_an_unknown_agreement_names_agreement_id(stocked: Vault,
                                                 call: Callable[[Vault], Any]) -> None:
    with pytest.raises(NotFound) as err:
        call(stocked)
    assert err.value.field == "agreement_id" and "unknown agreement 'nope'" in err.value.message


@pytest.mark.parametrize(("child", "parent", "field"), [
    ("nope", "cohort.csv", "child"), ("model.bin", "nope", "parent"),
    ("model.bin", "cohort.csv", "parent"),  # both exist, no link between them
])
def test_removing_lineage_names_child_or_parent(stocked: Vault, child: str, parent: str,
                                                field: str) -> None:
    exc = _raises(NotFound, services.inventory.remove_lineage, stocked, child, parent,
                  actor="tester")
    assert exc.field == field


def _unreadable(tmp_path: Path) -> list[Path]:
    return [tmp_path, tmp_path / "missing.yaml"]


def test_a_folder_or_missing_terms_file_names_file(vault: Vault, tmp_path: Path) -> None:
    for bad in _unreadable(tmp_path):
        exc = _raises(InputError, services.agreements.add, vault, bad, actor="tester")
        assert exc.field == "file", (bad, exc)


def test_a_folder_or_missing_answers_file_names_answers(stocked: Vault, tmp_path: Path) -> None:
    for bad in _unreadable(tmp_path):
        exc = _raises(InputError, services.parties.record_diligence, stocked, "Acme AI", bad,
                      actor="tester")
        assert exc.field == "answers", (bad, exc)


def test_ics_to_a_folder_names_path(vault: Vault, tmp_path: Path) -> None:
    for bad in (tmp_path, tmp_path / "no" / "such.ics"):
        exc = _raises(InputError, services.deadlines.export_ics, vault, [], path=bad)
        assert exc.field == "path", (bad, exc)


def test_reviewing_a_folder_or_missing_file_names_file(tmp_path: Path) -> None:
    for bad in (tmp_path, tmp_path / "missing.txt"):
        exc = _raises(InputError, services.review.review, bad)
        assert exc.field == "file", (bad, exc)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert _raises(InputError, services.review.review, empty).field == "file"


def test_yaml_that_does_not_parse_has_its_line(vault: Vault) -> None:
    exc = _raises(InputError, services.agreements.add, vault, text="id: [\n", actor="tester")
    assert exc.line == 2 and exc.field == "text"
    assert exc.message.startswith("not valid YAML")
    assert str(exc).startswith("<terms> line 2: not valid YAML") and "\n" not in str(exc)
    assert exc.located("--text") == str(exc)  # the CLI line is today's


def test_refused_yaml_has_its_line(vault: Vault, tmp_path: Path) -> None:
    exc = _raises(InputError, services.agreements.add, vault, text="a: 1\nb: &x [1]\n",
                  actor="tester")
    assert exc.line == 2 and "anchors and aliases" in exc.message
    answers = tmp_path / "answers.yaml"
    answers.write_text("q1: yes\nq2: [\n")
    exc = _raises(InputError, services.parties.record_diligence, vault, "Acme", answers,
                  actor="tester")
    assert exc.line == 3 and exc.field == "answers"
    assert str(exc).startswith("answers.yaml line 3: not valid YAML")


def test_a_garbage_cosigner_key_names_cosigner_key(vault: Vault) -> None:
    exc = _raises(InputError, services.ledger.verify, vault, cosigner_key="garbage")
    assert exc.field == "cosigner_key"


def test_an_unpermitted_team_reason_names_no_flag(stocked: Vault) -> None:
    services.agreements.add(stocked, text=TERMS, actor="tester")
    decision = services.access.check(stocked, "CloudCo", "cohort.csv", "train",
                                     at="2025-06-01", actor="tester")
    text = " ".join(decision.reasons)
    assert "unpermitted team" in text and "name a permitted team" in text, text
    assert "--" not in text
