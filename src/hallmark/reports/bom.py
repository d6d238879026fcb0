"""CycloneDX 1.6 JSON BOM of the register (an ML-BOM: models with their model cards, datasets,
code, lineage), naming Hallmark in metadata.tools."""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6

from hallmark import __version__
from hallmark.schemas.inventory import Asset

__all__ = ["bom_document", "build_bom", "model_card"]

TYPES = {
    "model": ComponentType.MACHINE_LEARNING_MODEL,
    "dataset": ComponentType.DATA,
    "document": ComponentType.FILE,
    "other": ComponentType.FILE,
}


def _component(asset: Asset) -> Component:
    kind = TYPES.get(asset.kind)
    if kind is None:  # code: a manifest describes an application, a source file a library
        kind = ComponentType.APPLICATION if asset.metadata.get("dependencies") is not None \
            else ComponentType.LIBRARY
    component = Component(
        name=asset.name, type=kind, bom_ref=f"hallmark:{asset.id}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=asset.sha256),
                HashType(alg=HashAlgorithm.BLAKE3, content=asset.blake3)],
        properties=[Property(name=f"hallmark:{k}", value=str(v)) for k, v in (
            ("id", asset.id), ("path", asset.path), ("owner", asset.owner),
            ("status", asset.status), ("classification", asset.classification),
            ("protection", asset.protection), ("value", asset.value)) if v is not None],
    )
    if asset.effective_license:
        component.licenses.add(LicenseFactory().make_from_string(asset.effective_license))
    if asset.owner:
        from cyclonedx.model.contact import OrganizationalEntity

        component.supplier = OrganizationalEntity(name=asset.owner)
    return component


def build_bom(items: list[Asset], vault_name: str, vault_id: str) -> Bom:
    """The BOM object: one component per asset, lineage as dependencies; the vault (its
    folder's name and its id) is the BOM's subject."""
    bom = Bom()
    bom.metadata.component = Component(name=vault_name or "vault",
                                       type=ComponentType.APPLICATION,
                                       bom_ref=f"hallmark-vault:{vault_id}")
    bom.metadata.properties.add(Property(name="hallmark:version", value=__version__))
    bom.metadata.tools.components.add(Component(
        name="hallmark", version=__version__, type=ComponentType.APPLICATION,
        bom_ref="hallmark-tool"))
    components = {a.id: _component(a) for a in items}
    for component in components.values():
        bom.components.add(component)
    for asset in items:
        parents = [components[p["id"]] for p in asset.parents if p["id"] in components]
        bom.register_dependency(components[asset.id], parents)
    bom.register_dependency(bom.metadata.component, list(components.values()))
    return bom


CARD_TEXT = ("license", "license_name", "license_link", "base_model", "tags")


def model_card(asset: Asset, kinds: dict[str, str]) -> dict[str, Any]:
    """A CycloneDX modelCard from what the inventory read: the card's task and datasets, the
    datasets lineage says it came from (by bom-ref), the rest of the card as properties."""
    card = asset.metadata.get("card") or {}
    datasets: list[dict[str, str]] = [{"ref": f"hallmark:{p['id']}"} for p in asset.parents
                                      if kinds.get(p["id"]) == "dataset"]
    named = card.get("datasets", [])
    datasets += [{"type": "dataset", "name": n} for n in ([named] if isinstance(named, str)
                                                          else named)]
    parameters: dict[str, Any] = {}
    if card.get("pipeline_tag"):
        parameters["task"] = card["pipeline_tag"]
    if datasets:
        parameters["datasets"] = datasets
    properties = [{"name": f"hallmark:card:{key}", "value": value} for key in CARD_TEXT
                  for value in ([card[key]] if isinstance(card.get(key), str)
                                else card.get(key, []))]
    if asset.metadata.get("card_file"):
        properties.append({"name": "hallmark:card_file", "value": asset.metadata["card_file"]})
    result: dict[str, Any] = {}
    if parameters:
        result["modelParameters"] = parameters
    if properties:
        result["properties"] = properties
    return result


def bom_document(assets: list[Asset], vault_name: str, vault_id: str) -> tuple[str, int]:
    """The BOM as CycloneDX 1.6 JSON text, and its number of components."""
    bom = build_bom(assets, vault_name, vault_id)
    document = json.loads(JsonV1Dot6(bom).output_as_string())
    items = {f"hallmark:{a.id}": a for a in assets}
    kinds = {a.id: a.kind for a in assets}
    # cyclonedx-python-lib does not model modelCard yet; it is added to the JSON it wrote.
    for component in document.get("components", []):
        asset = items.get(component.get("bom-ref", ""))
        if asset is not None and component["type"] == "machine-learning-model":
            component["modelCard"] = model_card(asset, kinds)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", len(bom.components)
