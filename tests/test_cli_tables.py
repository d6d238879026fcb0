"""Every list command's table is readable at 80 columns: no column collapses, no line is cut,
every header shows whole, and ids never wrap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hallmark.cli import common
from hallmark.cli.main import app

SAMPLE = Path(__file__).parents[1] / "src" / "hallmark" / "review" / "samples" / "nda_residuals.txt"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's vault, built once for this module, on SQLite."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("HALLMARK_DB_URL", raising=False)
        patch.delenv("HALLMARK_VAULT", raising=False)
        where = tmp_path_factory.mktemp("tables")
        demo = CliRunner().invoke(app, ["demo", "--dir", str(where)])
        assert demo.exit_code == 0, demo.output
        yield str(where / "acme-ai")


def shown(cli, project: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """What a user sees on an 80-column terminal."""
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    monkeypatch.setattr(common.console, "_width", 80)
    result = cli("--vault", project, *args)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def listed(cli, project: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    return json.loads(cli("--vault", project, *args, "--json").stdout)


def assert_readable(text: str, headers: list[str], whole: list[str]) -> None:
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    words = {w for line in lines for w in line.split()}
    for header in headers:
        for word in header.split():
            assert word in words, (word, text)
    for value in whole:  # an id (or a short value) sits whole on one line
        assert any(value in line for line in lines), (value, text)


CASES = {
    "assets": (["assets"], ["id", "kind", "path", "size", "owner", "status", "licence"],
               lambda doc: [a["id"] for a in doc["assets"]]),
    "audit": (["audit"], ["severity", "rule", "asset", "finding", "remedy"],
              lambda doc: [f["rule"] for f in doc["findings"]]),
    "party list": (["party", "list"], ["name", "id", "kind", "role", "member of", "country",
                                     "risk"],
                   lambda doc: [p["id"] for p in doc["parties"]]),
    "agreement list": (["agreement", "list"], ["id", "type", "title", "parties", "effective",
                                               "expires", "state", "v"],
                       lambda doc: [a["id"] for a in doc["agreements"]]),
    "invention list": (["invention", "list"], ["id", "title", "conceived", "inventors",
                                               "filings"],
                       lambda doc: [i["id"] for i in doc["inventions"]]),
    "checklist": (["checklist"], ["#", "step", "status", "evidence", "gap"],
                  lambda doc: [s["status"] for s in doc["steps"]]),
    "deadlines": (["deadlines"], ["due", "status", "days", "what"],
                  lambda doc: [d["due"] for d in doc["deadlines"]]),
    "shares": (["shares"], ["share", "asset", "recipient", "agreement", "rows", "marked cells",
                            "created"],
               lambda doc: [v for s in doc for v in (s["share"], s["asset"], s["agreement"])]),
    "ownership": (["ownership"], ["asset", "name", "kind", "status", "owners", "source"],
                  lambda doc: [r["asset"] for r in doc["assets"]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_list_tables_are_readable_at_80_columns(cli, project: str,
                                                monkeypatch: pytest.MonkeyPatch,
                                                name: str) -> None:
    args, headers, ids = CASES[name]
    values = ids(listed(cli, project, monkeypatch, *args))
    assert values, "the demo gives every list some rows"
    assert_readable(shown(cli, project, monkeypatch, *args), headers, values)


def test_review_table_shows_present_and_score(cli, project: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    report = listed(cli, project, monkeypatch, "review", str(SAMPLE), "--type", "nda")
    scores = [f"{c['score']:.2f}" for c in report["clauses"]]
    text = shown(cli, project, monkeypatch, "review", str(SAMPLE), "--type", "nda")
    assert_readable(text, ["clause", "present", "score", "best evidence"], scores)
    assert any(" yes " in line for line in text.splitlines())


def test_agreement_show_prints_its_state(cli, project: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    state = listed(cli, project, monkeypatch, "agreement", "show", "dua-cloudco")["state"]
    text = shown(cli, project, monkeypatch, "agreement", "show", "dua-cloudco")
    assert f"[{state}]" in text  # once read as a markup tag and dropped
