"""A third party adds a format reader and an audit rule through the plugin hooks, as the
built-in readers and rules do; scan and audit use them, and they go again on unregister."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hallmark import InputError, hookimpl
from hallmark.hooks import plugin_manager, register, unregister
from hallmark.schemas import Finding
from hallmark.services import audit, inventory
from hallmark.vault import Vault


class FancyRule:
    """A rule object as the hook asks for: id, description, check(ctx)."""

    id = "fancy-file"
    description = "a .fancy file whose reader says it is fancy"

    def check(self, ctx: Any) -> Iterator[Finding]:
        for asset in ctx.assets:
            if asset.metadata.get("fancy"):
                yield Finding(rule=self.id, severity="medium", asset=asset.id,
                              message=f"{asset.path}: is fancy ({asset.metadata['level']})",
                              remedy="make it plain")


class FancyPlugin:
    """What a third-party package's plugin module would hold."""

    def __init__(self) -> None:
        self.read: list[Path] = []

    def read_fancy(self, path: Path) -> dict[str, Any]:
        self.read.append(path)
        return {"format": "fancy", "fancy": True, "level": path.read_text().strip()}

    @hookimpl
    def hallmark_readers(self) -> dict[str, Any]:
        return {".fancy": self.read_fancy}

    @hookimpl
    def hallmark_audit_rules(self) -> list[Any]:
        return [FancyRule()]


class CsvOverride:
    """A later plugin wins a suffix a built-in reader already has."""

    @hookimpl
    def hallmark_readers(self) -> dict[str, Any]:
        return {".csv": lambda path: {"format": "csv-by-plugin"}}


def test_a_third_party_reader_and_rule_are_used_then_go(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    from hallmark.inventory import readers

    (vault.root / "a.fancy").write_text("very\n")
    (vault.root / "b.txt").write_text("plain\n")
    plugin = FancyPlugin()
    register(plugin, name="fancy-test-plugin")
    try:
        assert ".fancy" in readers.SUFFIXES
        assert "fancy-file" in audit.rules()
        result = inventory.scan(vault, [vault.root], actor="t")
        fancy = next(a for a in result.assets if a.path == "a.fancy")
        assert fancy.metadata == {"format": "fancy", "fancy": True, "level": "very"}
        assert plugin.read == [vault.root / "a.fancy"]
        report = audit.run(vault, ["fancy-file"])
        assert [(f.rule, f.asset, f.message) for f in report.findings] == [
            ("fancy-file", fancy.id, "a.fancy: is fancy (very)")]
        printed = json.loads(cli("audit", "--json").stdout)["findings"]
        assert any(f["rule"] == "fancy-file" for f in printed)
    finally:
        unregister(plugin)
    assert ".fancy" not in readers.SUFFIXES
    assert "fancy-file" not in audit.rules()
    assert not any(f.rule == "fancy-file" for f in audit.run(vault).findings)
    with pytest.raises(InputError) as gone:
        audit.run(vault, ["fancy-file"])
    assert gone.value.field == "rule"


def test_a_later_plugin_wins_a_suffix(tmp_path: Path) -> None:
    from hallmark.inventory.readers import read_metadata

    path = tmp_path / "t.csv"
    path.write_text("x\n1\n")
    assert read_metadata(path, "dataset")["format"] == "csv"
    plugin = CsvOverride()
    register(plugin)
    try:
        assert read_metadata(path, "dataset") == {"format": "csv-by-plugin"}
    finally:
        unregister(plugin)
    assert read_metadata(path, "dataset")["format"] == "csv"


def test_the_builtin_readers_and_rules_are_default_plugins() -> None:
    names = {name for name, _ in plugin_manager().list_name_plugin()}
    assert {"hallmark.inventory.readers.plugin", "hallmark.audit.plugin"} <= names
    assert {"unknown-owner", "unsafe-pickle", "deadline-missed",
            "agreement-missing-clause"} <= set(audit.rules())


def test_asking_for_the_readers_does_not_import_pyarrow() -> None:
    import subprocess

    code = ("import sys; from hallmark.inventory import readers; s = readers.SUFFIXES; "
            "assert '.parquet' in s and '.pt' in s; print('pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

