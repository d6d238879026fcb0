"""A copy made with a fixed marking key and share id is byte-identical to the one the code made
before the mark schemes became plugins (golden SHA-256 values computed from that code)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from hallmark.store.tables import shares

from .conftest import World, add_agreement, scan

KEY = bytes(range(32))
SHARE_UUID = uuid.UUID("0123456789abcdef0123456789abcdef")  # share id sh-0123456789abcdef


def _fixed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = world.vault.dir / "keys"
    marking = next(p for p in keys.iterdir() if "mark" in p.name)
    marking.write_bytes(KEY)
    world.vault.__dict__.pop("marking_key", None)
    monkeypatch.setattr(uuid, "uuid4", lambda: SHARE_UUID)


def _share(world: World, out: Path, **options: object) -> tuple[str, str]:
    from hallmark.schemas import ShareOptions
    from hallmark.services.shares import share

    done = share(world.vault, world.dataset, "CloudCo", out, actor="tester",
                 options=ShareOptions(**options))
    assert done.share == "sh-0123456789abcdef"
    return done.copy_sha256, hashlib.sha256(out.read_bytes()).hexdigest()


# SHA-256 of the default plan's canonical JSON, as the code before the schemes stored it
PARAMS_SHA256 = "71542fa38f8ec4ba40ad42c2b8cda66a42bd3f07a525efd4073e81b1846553a0"
GOLDEN = {
    "default": "62243b98f7cf73f4644ed04ff51032dddb09ad7ccd4cbd9661bfeb1aee4477cd",
    "always": "f77a3ff2348681ccd5065c939d86e202b7b9c9422fec49c35acc041e38b5f03c",
    "parquet": "cd083eafff3c7854070236b8d57eacdd65f72e038df802fd77837f3223da5aed",
}


def test_csv_copy_is_byte_identical(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed(world, monkeypatch)
    recorded, actual = _share(world, world.root / "copy.csv")
    assert recorded == actual == GOLDEN["default"]
    with world.vault.read() as conn:  # the stored public parameters are unchanged too
        params_sha = conn.execute(select(shares.c.params_sha256)).scalar_one()
    assert params_sha == PARAMS_SHA256


def test_categorical_always_copy_is_byte_identical(world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed(world, monkeypatch)
    recorded, actual = _share(world, world.root / "copy.csv", categorical="always",
                              budget=0.02, recipients=200, colluders=3)
    assert recorded == actual == GOLDEN["always"]


def test_parquet_copy_is_byte_identical(world: World, monkeypatch: pytest.MonkeyPatch) -> None:

    _fixed(world, monkeypatch)
    pq.write_table(world.table, world.root / "data" / "customers.parquet")
    scan(world.vault, [world.root / "data"])
    dua = (world.root / "dua.yaml").read_text().replace("customers.csv", "customers.parquet")
    (world.root / "dua2.yaml").write_text(dua.replace("dua-partners", "dua-parquet"))

    add_agreement(world.vault, world.root / "dua2.yaml")
    from hallmark.services.shares import share

    asset = "data/customers.parquet"
    out = world.root / "copy.parquet"
    done = share(world.vault, asset, "CloudCo", out, actor="tester")
    actual = hashlib.sha256(out.read_bytes()).hexdigest()
    assert done.copy_sha256 == actual == GOLDEN["parquet"]
