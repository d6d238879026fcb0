"""CycloneDX 1.6 JSON BOM of the register (an ML-BOM: models, datasets, code, lineage)."""

from __future__ import annotations

from pathlib import Path

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6

from hallmark import __version__
from hallmark.files import write_atomically
from hallmark.inventory.assets import Asset, list_assets
from hallmark.vault import Vault

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


def build_bom(vault: Vault) -> Bom:
    """The BOM object: one component per asset, lineage as dependencies."""
    with vault.read() as conn:
        items = list_assets(conn)
    bom = Bom()
    bom.metadata.component = Component(name=vault.root.name or "vault",
                                       type=ComponentType.APPLICATION,
                                       bom_ref=f"hallmark-vault:{vault.config['vault']['id']}")
    bom.metadata.properties.add(Property(name="hallmark:version", value=__version__))
    components = {a.id: _component(a) for a in items}
    for component in components.values():
        bom.components.add(component)
    for asset in items:
        parents = [components[p["id"]] for p in asset.parents if p["id"] in components]
        bom.register_dependency(components[asset.id], parents)
    bom.register_dependency(bom.metadata.component, list(components.values()))
    return bom


def write_bom(vault: Vault, output: Path) -> int:
    """Write the BOM as CycloneDX 1.6 JSON (atomically); returns the number of components."""
    bom = build_bom(vault)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    write_atomically(output, text)
    return len(bom.components)
