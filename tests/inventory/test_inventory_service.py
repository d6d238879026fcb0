"""The inventory service from Python: typed errors naming the field, the actor it is told is the
actor the log records, and results whose JSON is what the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hallmark import InputError, NotFound
from hallmark.schemas import Asset, AssetList, ScanResult
from hallmark.services import inventory
from hallmark.store.tables import events
from hallmark.vault import Vault


def _files(vault: Vault) -> None:
    (vault.root / "a.csv").write_text("x,y\n1,2\n")
    (vault.root / "b.csv").write_text("x,y\n3,4\n")


def _actors(vault: Vault) -> list[tuple[str, str]]:
    """(event type, actor) of every event, in log order; the signed entry says the same."""
    with vault.read() as conn:
        rows = conn.execute(select(events).order_by(events.c.seq)).all()
    assert all(json.loads(r.entry)["actor"] == r.actor for r in rows)
    return [(r.type, r.actor) for r in rows]


def _ids(result: ScanResult) -> dict[str, str]:
    return {Path(a.path).name: a.id for a in result.assets}


def test_each_write_is_attributed_to_the_actor_it_is_told(vault: Vault) -> None:
    _files(vault)
    ids = _ids(inventory.scan(vault, [vault.root], actor="alice@example.com"))
    inventory.set_fields(vault, ids["a.csv"], actor="bob", owner="Acme AI")
    inventory.add_lineage(vault, ids["b.csv"], ids["a.csv"], "derived-from", actor="carol")
    inventory.remove_lineage(vault, ids["b.csv"], ids["a.csv"], actor="dave")
    by_type = {t: a for t, a in _actors(vault) if t != "vault.created"}
    assert by_type == {"asset.registered": "alice@example.com", "asset.updated": "bob",
                       "lineage.added": "carol", "lineage.removed": "dave"}


def test_the_actor_is_required_and_checked(vault: Vault) -> None:
    _files(vault)
    with pytest.raises(TypeError):
        inventory.scan(vault, [vault.root])  # type: ignore[call-arg]
    with pytest.raises(InputError) as bad:
        inventory.scan(vault, [vault.root], actor=" ")
    assert bad.value.field == "actor"


@pytest.mark.parametrize("changes,field", [
    ({"status": "mine"}, "status"),
    ({"classification": "secret"}, "classification"),
    ({"protection": "magic"}, "protection"),
    ({"value": 9}, "value"),
    ({"value": "4"}, "value"),
    ({"value": True}, "value"),
    ({"license": "not a licence at all ((("}, "license"),
    ({"license": 3}, "license"),
    ({"owner": "  "}, "owner"),
])
def test_set_fields_refuses_bad_values_naming_the_field(vault: Vault, changes: dict[str, Any],
                                                        field: str) -> None:
    _files(vault)
    aid = _ids(inventory.scan(vault, [vault.root], actor="t"))["a.csv"]
    before = _actors(vault)
    with pytest.raises(InputError) as bad:
        inventory.set_fields(vault, aid, actor="t", **changes)
    assert bad.value.field == field
    assert "--" not in bad.value.message
    assert _actors(vault) == before


def test_set_fields_normalises_the_licence_and_needs_a_change(vault: Vault) -> None:
    _files(vault)
    aid = _ids(inventory.scan(vault, [vault.root], actor="t"))["a.csv"]
    asset = inventory.set_fields(vault, aid, actor="t", license="apache-2.0", value=4)
    assert isinstance(asset, Asset)
    assert (asset.license, asset.effective_license, asset.value) == ("Apache-2.0", "Apache-2.0", 4)
    with pytest.raises(InputError) as nothing:
        inventory.set_fields(vault, aid, actor="t")
    assert "nothing to change" in nothing.value.message


def test_references_name_their_parameter(vault: Vault) -> None:
    _files(vault)
    ids = _ids(inventory.scan(vault, [vault.root], actor="t"))
    with pytest.raises(NotFound) as missing:
        inventory.get_asset(vault, "ffffffffffff")
    assert missing.value.field == "ref" and "no asset matches" in missing.value.message
    with pytest.raises(InputError) as empty:
        inventory.get_asset(vault, "")
    assert empty.value.field == "ref"
    with pytest.raises(InputError) as not_text:
        inventory.get_asset(vault, 42)  # type: ignore[arg-type]
    assert not_text.value.field == "ref"
    with pytest.raises(NotFound) as parent:
        inventory.add_lineage(vault, ids["a.csv"], "nothing.csv", "trained-on", actor="t")
    assert parent.value.field == "parent"
    with pytest.raises(InputError) as relation:
        inventory.add_lineage(vault, ids["a.csv"], ids["b.csv"], "inspired-by", actor="t")
    assert relation.value.field == "relation"
    with pytest.raises(InputError) as loop:
        inventory.add_lineage(vault, ids["a.csv"], ids["a.csv"], "contains", actor="t")
    assert loop.value.field == "parent"
    with pytest.raises(NotFound):
        inventory.remove_lineage(vault, ids["a.csv"], ids["b.csv"], actor="t")
    assert inventory.resolve(vault, "a.csv") == ids["a.csv"]


@pytest.mark.parametrize("call,field", [
    (lambda v: inventory.scan(v, [v.root / "missing"], actor="t"), "paths"),
    (lambda v: inventory.scan(v, [], actor="t"), "paths"),
    (lambda v: inventory.scan(v, "just-a-string", actor="t"), "paths"),
    (lambda v: inventory.scan(v, [3], actor="t"), "paths"),
    (lambda v: inventory.scan(v, [v.root], actor="t", exclude="*.csv"), "exclude"),
    (lambda v: inventory.scan(v, [v.root], actor="t", exclude=[1]), "exclude"),
    (lambda v: inventory.scan(v, [v.root], actor="t", rehash="yes"), "rehash"),
    (lambda v: inventory.scan(v, [v.root], actor="t", progress=5), "progress"),
    (lambda v: inventory.list_assets(v, "spaceship"), "kind"),
])
def test_scan_and_listing_refuse_bad_arguments(vault: Vault, call: Any, field: str) -> None:
    with pytest.raises(InputError) as bad:
        call(vault)
    assert bad.value.field == field
    assert "--" not in bad.value.message


def test_json_shapes_are_the_cli_documents(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    _files(vault)
    result = inventory.scan(vault, [vault.root], actor="t",
                            progress=lambda done, total: None)
    assert list(result.to_json()) == ["assets", "new", "changed", "unchanged", "problems"]
    assert list(result.assets[0].to_json()) == [
        "id", "path", "name", "kind", "size", "sha256", "blake3", "metadata", "owner", "status",
        "classification", "protection", "value", "license", "first_seen", "updated",
        "export_control", "parents", "children"]
    listing = inventory.list_assets(vault, "dataset")
    assert isinstance(listing, AssetList)
    assert json.loads(cli("assets", "--kind", "dataset", "--json").stdout) == listing.to_json()
    aid = result.assets[0].id
    assert json.loads(cli("asset", "show", aid, "--json").stdout) == \
        inventory.get_asset(vault, aid).to_json()
    again = json.loads(cli("scan", ".", "--json").stdout)
    assert again == inventory.scan(vault, [vault.root], actor="t").to_json()


def test_cli_errors_spell_the_flag(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    _files(vault)
    aid = _ids(inventory.scan(vault, [vault.root], actor="t"))["a.csv"]
    assert "error: --class: must be one of public" in cli("asset", "set", aid, "--class",
                                                          "secret").stderr
    assert "error: --status: must be one of" in cli("asset", "set", aid, "--status", "x").stderr
    assert "error: --relation: must be one of" in cli("lineage", "add", aid, "--from", aid,
                                                      "--relation", "x").stderr
    assert "error: --kind: unknown kind 'x'" in cli("assets", "--kind", "x").stderr
