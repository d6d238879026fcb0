"""The register: show, set, id prefixes, lineage; every change is logged."""

from __future__ import annotations

import json
from pathlib import Path

from hallmark.ledger import log
from hallmark.vault import Vault


def scanned(vault: Vault, cli) -> dict[str, dict]:
    (vault.root / "a.csv").write_text("x,y\n1,2\n")
    (vault.root / "b.csv").write_text("x,y\n3,4\n")
    (vault.root / "m.gguf").write_bytes(b"")
    doc = json.loads(cli("scan", ".", "--json").stdout)
    return {Path(a["path"]).name: a for a in doc["assets"]}


def test_asset_set_and_show(vault: Vault, cli) -> None:
    assets = scanned(vault, cli)
    aid = assets["a.csv"]["id"]
    result = cli("asset", "set", aid[:6], "--owner", "Acme AI", "--status", "in-house",
                 "--class", "confidential", "--protection", "trade-secret", "--value", "4",
                 "--license", "apache-2.0")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("asset", "show", aid[:6], "--json").stdout)
    assert shown["owner"] == "Acme AI"
    assert shown["status"] == "in-house"
    assert shown["classification"] == "confidential"
    assert shown["value"] == 4
    assert shown["license"] == "Apache-2.0"
    with vault.read() as conn:
        types = [log.event(conn, s)["parsed"]["type"] for s in log.events_for(conn, aid)]
    assert types == ["asset.registered", "asset.updated"]


def test_bad_values_are_exit_2_and_change_nothing(vault: Vault, cli) -> None:
    aid = scanned(vault, cli)["a.csv"]["id"]
    with vault.read() as conn:
        before = log.head(conn)
    for args in (["--status", "mine"], ["--value", "9"], ["--class", "secret"],
                 ["--license", "not a licence at all ((("]):
        result = cli("asset", "set", aid, *args)
        assert result.exit_code == 2, args
    assert cli("asset", "set", "ffffffffffff", "--owner", "x").exit_code == 2
    with vault.read() as conn:
        assert log.head(conn) == before


def test_lineage_add_shows_and_refuses_cycles(vault: Vault, cli) -> None:
    assets = scanned(vault, cli)
    a, b = assets["a.csv"]["id"], assets["b.csv"]["id"]
    assert cli("lineage", "add", b, "--from", a, "--relation", "derived-from").exit_code == 0
    shown = json.loads(cli("asset", "show", b, "--json").stdout)
    assert shown["parents"] == [{"id": a, "relation": "derived-from"}]
    cycle = cli("lineage", "add", a, "--from", b, "--relation", "derived-from")
    assert cycle.exit_code == 2 and "loop" in cycle.stderr
    bad = cli("lineage", "add", a, "--from", b, "--relation", "inspired-by")
    assert bad.exit_code == 2


def test_assets_listing_filters_by_kind(vault: Vault, cli) -> None:
    scanned(vault, cli)
    doc = json.loads(cli("assets", "--kind", "dataset", "--json").stdout)
    assert sorted(Path(a["path"]).name for a in doc["assets"]) == ["a.csv", "b.csv"]
    assert cli("assets", "--kind", "spaceship").exit_code == 2


def test_ambiguous_prefix_is_an_error(vault: Vault, cli) -> None:
    scanned(vault, cli)
    result = cli("asset", "show", "")
    assert result.exit_code == 2
