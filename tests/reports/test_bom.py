"""CycloneDX 1.6 export validates against the official schema."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hallmark.demo import build_sample_project
from hallmark.vault import Vault


def test_bom_validates_and_carries_lineage(vault: Vault, cli) -> None:
    build_sample_project(vault.root / "proj")
    doc = json.loads(cli("scan", ".", "--json").stdout)
    ids = {a["name"] if "name" in a else a["path"]: a["id"] for a in doc["assets"]}
    model, data = ids["risk-classifier.safetensors"], ids["patients.csv"]
    assert cli("lineage", "add", model, "--from", data, "--relation", "trained-on").exit_code == 0
    out = vault.root / "bom.json"
    result = cli("export", "bom", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, errors
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    types = {c["name"]: c["type"] for c in bom["components"]}
    assert types["risk-classifier.safetensors"] == "machine-learning-model"
    assert types["patients.csv"] == "data"
    assert types["train.py"] in ("library", "application")
    deps = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert f"hallmark:{data}" in deps[f"hallmark:{model}"]
    model_c = next(c for c in bom["components"] if c["bom-ref"] == f"hallmark:{model}")
    algs = {h["alg"] for h in model_c["hashes"]}
    assert algs == {"SHA-256", "BLAKE3"}


def test_bom_to_a_folder_is_one_line_error_and_leaves_nothing(vault: Vault, cli) -> None:
    target = vault.root / "out"
    target.mkdir()
    result = cli("export", "bom", "-o", str(target))
    assert result.exit_code == 2
    assert "is a folder" in result.stderr and "Traceback" not in result.stderr
    assert list(target.iterdir()) == []
    assert not [p for p in vault.root.iterdir() if p.name.startswith(".bom-")]


def test_models_carry_a_model_card_and_the_bom_names_its_tool(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    from hallmark import __version__

    build_sample_project(vault.root / "proj")
    doc = json.loads(cli("scan", ".", "--json").stdout)
    ids = {a["name"]: a["id"] for a in doc["assets"]}
    model, data = ids["risk-classifier.safetensors"], ids["patients.csv"]
    assert cli("lineage", "add", model, "--from", data, "--relation", "trained-on").exit_code == 0
    out = vault.root / "bom.json"
    assert cli("export", "bom", "-o", str(out)).exit_code == 0
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    tools = bom["metadata"]["tools"]["components"]
    assert [(t["name"], t["version"]) for t in tools] == [("hallmark", __version__)]
    by_type: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for c in bom["components"]:
        by_type.setdefault(c["type"], []).append(c)
    assert all("modelCard" in c for c in by_type["machine-learning-model"])
    assert not any("modelCard" in c for t, cs in by_type.items() if t != "machine-learning-model"
                   for c in cs)
    card = next(c for c in bom["components"] if c["bom-ref"] == f"hallmark:{model}")["modelCard"]
    # the sample's models/README.md front matter: apache-2.0, base_model, datasets [patients]
    assert {"ref": f"hallmark:{data}"} in card["modelParameters"]["datasets"]
    assert {"type": "dataset", "name": "patients"} in card["modelParameters"]["datasets"]
    props = {(p["name"], p["value"]) for p in card["properties"]}
    assert ("hallmark:card:base_model", "acme/clinical-base") in props
    assert ("hallmark:card:license", "apache-2.0") in props
    assert ("hallmark:card_file", "README.md") in props
