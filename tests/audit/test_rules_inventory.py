"""Every inventory audit rule: a file that triggers it and one that does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hallmark.audit import RULES
from hallmark.vault import Vault


def audit(cli, *args: str) -> list[dict]:
    result = cli("audit", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["findings"]


def scan_ids(cli) -> dict[str, str]:
    doc = json.loads(cli("scan", ".", "--json").stdout)
    return {Path(a["path"]).name: a["id"] for a in doc["assets"]}


def rule_hits(findings: list[dict], rule: str) -> set[str]:
    return {f["asset"] or f["subject"] for f in findings if f["rule"] == rule}


def test_rules_are_registered() -> None:
    assert {"unknown-owner", "pii-in-dataset", "copyleft-dependency", "no-license",
            "noncommercial-input", "unsafe-pickle", "unreadable-file"} <= set(RULES)


def test_unknown_owner_rises_with_value(vault: Vault, cli) -> None:
    (vault.root / "a.csv").write_text("x\n1\n")
    (vault.root / "b.csv").write_text("x\n2\n")
    (vault.root / "c.csv").write_text("x\n3\n")
    ids = scan_ids(cli)
    cli("asset", "set", ids["b.csv"], "--value", "5")
    cli("asset", "set", ids["c.csv"], "--owner", "Acme", "--status", "in-house")
    findings = [f for f in audit(cli) if f["rule"] == "unknown-owner"]
    sev = {f["asset"]: f["severity"] for f in findings}
    assert sev[ids["b.csv"]] == "high"
    assert sev[ids["a.csv"]] == "medium"
    assert ids["c.csv"] not in sev


def test_pii_in_dataset_names_the_columns(vault: Vault, cli) -> None:
    rows = "".join(f"u{i},user{i}@mail.example,4111 1111 1111 1111,{i}\n" for i in range(40))
    (vault.root / "people.csv").write_text("user,contact,card,score\n" + rows)
    (vault.root / "clean.csv").write_text(
        "sensor,reading\n" + "".join(f"s{i},{i * 0.5}\n" for i in range(40)))
    ids = scan_ids(cli)
    findings = [f for f in audit(cli) if f["rule"] == "pii-in-dataset"]
    assert {f["asset"] for f in findings} == {ids["people.csv"]}
    assert "contact" in findings[0]["message"] and "card" in findings[0]["message"]


def test_copyleft_dependency(vault: Vault, cli) -> None:
    gpl = vault.root / "gpl"
    gpl.mkdir()
    (gpl / "COPYING").write_text(
        "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\nCopyright (C) 2007 Free "
        "Software Foundation, Inc. <https://fsf.org/>\nEveryone is permitted to copy and "
        "distribute verbatim copies of this license document, but changing it is not allowed.\n"
        "\nPreamble\n\nThe GNU General Public License is a free, copyleft license for software "
        "and other kinds of works.\n")
    (gpl / "tool.py").write_text("x = 1\n")
    mit = vault.root / "mit"
    mit.mkdir()
    (mit / "LICENSE").write_text(
        "MIT License\n\nCopyright (c) 2024 Acme\n\nPermission is hereby granted, free of charge, "
        "to any person obtaining a copy of this software and associated documentation files "
        "(the \"Software\"), to deal in the Software without restriction, including without "
        "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, "
        "and/or sell copies of the Software\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT "
        "WARRANTY OF ANY KIND\n")
    (mit / "lib.py").write_text("y = 2\n")
    ids = scan_ids(cli)
    hits = rule_hits(audit(cli), "copyleft-dependency")
    assert ids["tool.py"] in hits
    assert ids["lib.py"] not in hits


def test_no_license_and_card_licence(vault: Vault, cli) -> None:
    (vault.root / "a.csv").write_text("x\n1\n")
    (vault.root / "b.csv").write_text("x\n2\n")
    ids = scan_ids(cli)
    cli("asset", "set", ids["b.csv"], "--license", "CC-BY-4.0")
    hits = rule_hits(audit(cli), "no-license")
    assert ids["a.csv"] in hits and ids["b.csv"] not in hits


def test_noncommercial_input_through_lineage(vault: Vault, cli) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    for name in ("m1", "m2"):
        save_file({"w": np.zeros(2, dtype=np.float32) + (name == "m2")},
                  str(vault.root / f"{name}.safetensors"))
    (vault.root / "nc.csv").write_text("x\n1\n")
    (vault.root / "ok.csv").write_text("x\n2\n")
    ids = scan_ids(cli)
    cli("asset", "set", ids["nc.csv"], "--license", "CC-BY-NC-4.0")
    cli("asset", "set", ids["ok.csv"], "--license", "CC-BY-4.0")
    cli("lineage", "add", ids["m1.safetensors"], "--from", ids["nc.csv"], "--relation",
        "trained-on")
    cli("lineage", "add", ids["m2.safetensors"], "--from", ids["ok.csv"], "--relation",
        "trained-on")
    hits = rule_hits(audit(cli), "noncommercial-input")
    assert hits == {ids["m1.safetensors"]}
    # marking the model itself non-commercial resolves it
    cli("asset", "set", ids["m1.safetensors"], "--license", "CC-BY-NC-4.0")
    assert rule_hits(audit(cli), "noncommercial-input") == set()


def test_unsafe_pickle_only_for_dangerous_globals(vault: Vault, cli) -> None:
    import collections
    import pickle

    (vault.root / "bad.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    (vault.root / "good.pkl").write_bytes(pickle.dumps(collections.OrderedDict(a=1), protocol=2))
    ids = scan_ids(cli)
    hits = rule_hits(audit(cli), "unsafe-pickle")
    assert hits == {ids["bad.pkl"]}


@pytest.mark.parametrize("level,code", [("high", 1), ("low", 1)])
def test_fail_on_exits_1(vault: Vault, cli, level: str, code: int) -> None:
    (vault.root / "bad.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    scan_ids(cli)
    assert cli("audit", "--fail-on", level).exit_code == code


def test_fail_on_passes_when_clean(vault: Vault, cli) -> None:
    (vault.root / "a.py").write_text("x = 1\n")
    ids = scan_ids(cli)
    cli("asset", "set", ids["a.py"], "--owner", "Acme", "--status", "in-house")
    assert cli("audit", "--fail-on", "medium").exit_code == 0
    assert cli("audit", "--fail-on", "severe").exit_code == 2


def test_audit_is_recorded_in_the_log(vault: Vault, cli) -> None:
    from hallmark.ledger import log

    (vault.root / "bad.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    scan_ids(cli)
    assert cli("audit", "--fail-on", "bogus").exit_code == 2
    with vault.read() as conn:
        assert log.events_for(conn, "audit") == []
    cli("audit")
    with vault.read() as conn:
        (seq,) = log.events_for(conn, "audit")
        entry = log.event(conn, seq)["parsed"]
    assert entry["type"] == "audit.completed"
    assert entry["payload"]["by_rule"]["unsafe-pickle"] == 1
