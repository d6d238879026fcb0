"""The audit service from Python: bad rule ids and severities are InputErrors naming the field,
the actor it is told is the one the log records, and the recorded digest is the one the JSON
findings give."""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from sqlalchemy import select

from hallmark import InputError
from hallmark.schemas import AuditRecorded, AuditReport, Finding
from hallmark.services import audit, inventory
from hallmark.store.tables import events
from hallmark.vault import Vault

PICKLE = b"cos\nsystem\n(S'true'\ntR."


def _audit_events(vault: Vault) -> list[tuple[str, dict]]:
    with vault.read() as conn:
        rows = conn.execute(select(events).where(events.c.type == "audit.completed")
                            .order_by(events.c.seq)).all()
    return [(r.actor, json.loads(r.entry)) for r in rows]


@pytest.fixture
def scanned(vault: Vault) -> Vault:
    (vault.root / "bad.pkl").write_bytes(PICKLE)
    (vault.root / "a.csv").write_text("x\n1\n")
    inventory.scan(vault, [vault.root], actor="t")
    return vault


@pytest.mark.parametrize("kwargs,field", [
    ({"rule": ["no-such-rule"]}, "rule"),
    ({"rule": "unsafe-pickle"}, "rule"),
    ({"rule": [3]}, "rule"),
    ({"fail_on": "severe"}, "fail_on"),
])
def test_bad_arguments_name_the_field_and_log_nothing(scanned: Vault, kwargs: dict,
                                                      field: str) -> None:
    for call in (lambda: audit.run(scanned, **kwargs),
                 lambda: audit.audit(scanned, actor="t", **kwargs)):
        with pytest.raises(InputError) as bad:
            call()
        assert bad.value.field == field
        assert "--" not in bad.value.message
    assert _audit_events(scanned) == []


def test_the_fail_on_message_names_no_flag_but_the_cli_spells_it(scanned: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as bad:
        audit.run(scanned, fail_on="bogus")
    assert str(bad.value) == "fail_on: must be one of low, medium, high (got 'bogus')"
    result = cli("audit", "--fail-on", "bogus")
    assert result.exit_code == 2
    assert "error: --fail-on: must be one of low, medium, high" in result.stderr


def test_run_reads_and_failing_follows_the_threshold(scanned: Vault) -> None:
    report = audit.run(scanned, fail_on="high")
    assert isinstance(report, AuditReport) and all(isinstance(f, Finding) for f in report.findings)
    assert {f.rule for f in report.failing} == {"unsafe-pickle"}
    assert audit.run(scanned).failing == []
    only = audit.run(scanned, ["unsafe-pickle"])
    assert [f.rule for f in only.findings] == ["unsafe-pickle"]
    assert list(report.to_json()) == ["findings"]
    assert list(report.findings[0].to_json()) == ["rule", "severity", "asset", "message",
                                                  "remedy", "subject"]
    assert _audit_events(scanned) == []  # a run alone records nothing
    assert "unsafe-pickle" in audit.rules()


def test_record_is_attributed_and_digests_the_json_findings(scanned: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    report = audit.audit(scanned, actor="auditor@example.com")
    ((actor, entry),) = _audit_events(scanned)
    assert actor == entry["actor"] == "auditor@example.com"
    as_printed = json.loads(cli("audit", "--json").stdout)["findings"]
    assert as_printed == [f.to_json() for f in report.findings]
    digest = hashlib.sha256(rfc8785.dumps(as_printed)).hexdigest()
    assert entry["payload"]["findings_sha256"] == digest
    recorded = audit.record(scanned, report.findings, actor="second")
    assert isinstance(recorded, AuditRecorded)
    assert recorded.findings_sha256 == digest and recorded.findings == len(as_printed)
    assert [a for a, _ in _audit_events(scanned)][-1] == "second"
    with pytest.raises(InputError) as bad:
        audit.record(scanned, [{"rule": "x"}], actor="t")  # type: ignore[list-item]
    assert bad.value.field == "findings"
