"""The reports service: exports of the register in standard formats."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.errors import InputError
from hallmark.schemas.reports import BomWritten
from hallmark.services._args import path

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["bom_json", "write_bom"]


def bom_json(vault: Vault) -> str:
    """The register as CycloneDX 1.6 JSON text (an ML-BOM: model cards, lineage as
    dependencies)."""
    return _bom(vault)[0]


def write_bom(vault: Vault, output: Path | str) -> BomWritten:
    """Write the CycloneDX 1.6 JSON BOM to `output`, atomically (nothing is left on failure)."""
    from hallmark.files import write_atomically

    target = path(output, "output")
    if target.is_dir():  # refused before the register is read
        raise InputError(f"{target} is a folder; name the file to write", field="output")
    text, count = _bom(vault)
    try:
        write_atomically(target, text)
    except InputError as exc:
        exc.field = exc.field or "output"
        raise
    return BomWritten(path=str(target), components=count)


def _bom(vault: Vault) -> tuple[str, int]:
    from hallmark.inventory.assets import list_assets
    from hallmark.reports.bom import bom_document

    with vault.read() as conn:
        items = list_assets(conn)
    return bom_document(items, vault.root.name, str(vault.config["vault"]["id"]))
