"""The reports service from Python: the BOM is written atomically and bad paths name the field."""

from __future__ import annotations

import json

import pytest

from hallmark import InputError
from hallmark.schemas import BomWritten
from hallmark.services import inventory, reports
from hallmark.vault import Vault


def test_write_bom_returns_what_it_wrote(vault: Vault) -> None:
    (vault.root / "a.csv").write_text("x\n1\n")
    inventory.scan(vault, [vault.root], actor="t")
    out = vault.root / "bom.json"
    written = reports.write_bom(vault, out)
    assert isinstance(written, BomWritten)
    assert written.components == 1 and written.path == str(out)
    on_disk, fresh = json.loads(out.read_text()), json.loads(reports.bom_json(vault))
    assert on_disk["components"] == fresh["components"]  # serial number and time differ
    assert list(written.to_json()) == ["path", "components", "spec_version"]


@pytest.mark.parametrize("target", ["folder", "missing/bom.json", "", 7])
def test_bad_outputs_name_the_field(vault: Vault, target: object) -> None:
    (vault.root / "folder").mkdir()
    where = vault.root / target if isinstance(target, str) and target else target
    with pytest.raises(InputError) as bad:
        reports.write_bom(vault, where)  # type: ignore[arg-type]
    assert bad.value.field == "output"
    assert list((vault.root / "folder").iterdir()) == []
