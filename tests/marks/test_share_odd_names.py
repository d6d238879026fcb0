"""A dataset whose file name has a backslash or bytes that are not UTF-8 is stored in the
register's display form; `share` must still find and read the real file."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from hallmark.services.shares import share
from hallmark.vault import Vault

from .conftest import DUA, add_agreement, add_party, make_table, scan


@pytest.mark.parametrize("raw_name", [b"back\\slash.csv", b"caf\xe9-latin1.csv"])
def test_share_reads_a_file_with_an_odd_name(vault: Vault, tmp_path: Path,
                                             raw_name: bytes) -> None:
    data = vault.root / "data"
    data.mkdir()
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(make_table(2000), buffer)
    with open(os.fsencode(data) + b"/" + raw_name, "wb") as fh:
        fh.write(buffer.getvalue().to_pybytes())
    result = scan(vault, [data])
    (asset,) = [a for a in result.assets if a.kind == "dataset"]
    add_party(vault, "Acme AI", "organisation")
    for name in ("CloudCo", "Beta Labs", "Gamma"):
        add_party(vault, name, "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(DUA.format(name=f'"{asset.id}"'))
    add_agreement(vault, vault.root / "dua.yaml")
    out = tmp_path / "copy.csv"
    done = share(vault, asset.id, "CloudCo", out, actor="tester")
    assert out.is_file() and done.share.startswith("sh-")
