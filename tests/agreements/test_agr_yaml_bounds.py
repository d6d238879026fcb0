"""Hostile YAML for `agreement add` and `party diligence --answers`: refused while parsing with
one short line (exit 2), nothing written to the vault."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallmark.agreements.yamlsrc import MAX_DEPTH, MAX_NODES, load_text
from hallmark.errors import InputError
from hallmark.store.tables import events
from hallmark.vault import Vault

# a billion laughs: nine aliases of nine aliases of ... (9**9 values if expanded)
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True))

HOSTILE = {
    "deep-flow": ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested deeper than"),
    "deep-block": ("- " * 10_000 + "x\n", "nested deeper than"),
    "deep-mapping": ("".join(" " * i + f"k{i}:\n" for i in range(1_000)) + "\n",
                     "nested deeper than"),
    "many-values": ("answers: [" + ", ".join(["1"] * 300_000) + "]\n",
                    f"more than {MAX_NODES} values"),
    "many-keys": ("".join(f"k{i}: {i}\n" for i in range(60_000)), f"more than {MAX_NODES}"),
    "long-number": ("answers: " + "9" * 5_001 + "\n", "number longer than"),
    "long-text": ("answers: " + "x" * 200_000 + "\n", "longer than"),
    "long-key": ("k" * 200_000 + ": 1\n", "longer than"),
    "alias-bomb": (BOMB, "anchors and aliases are not allowed"),
    "many-documents": ("---\na: 1\n" * 100_000, "exactly one YAML document"),
}


def _events(vault: Vault) -> int:
    with vault.read() as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar() or 0


def _blobs(vault: Vault) -> list[Path]:
    return sorted(p for p in vault.root.joinpath(".hallmark").rglob("*") if p.is_file()
                  and "blobs" in p.parts)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_one_short_line_and_writes_nothing(
        vault: Vault, cli, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    text, expected = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    assert path.stat().st_size < 1 << 20  # the size cap is not what refuses it
    cli("party", "add", "CloudCo", "--kind", "organisation", "--role", "partner")
    before, blobs = _events(vault), _blobs(vault)
    for args in (["agreement", "add", str(path)],
                 ["party", "diligence", "CloudCo", "--answers", str(path)]):
        out = cli(*args)
        assert out.exit_code == 2, (args, out.stderr[-300:])
        line = out.stderr.strip()
        assert expected in line, line[:300]
        assert "\n" not in line and len(line) < 200, line[:300]
        assert "9" * 60 not in line and "x" * 60 not in line and "k" * 60 not in line
    assert _events(vault) == before and _blobs(vault) == blobs


def test_limits_leave_room_for_real_files() -> None:
    nested = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH - 1)) + "\n"
    assert load_text(nested).data["a"]["k0"]
    many = load_text("covers: [" + ", ".join(f"asset-{i}" for i in range(10_000)) + "]\n")
    assert len(many.data["covers"]) == 10_000
    assert load_text("notes: " + "word " * 1_000 + "\n").data["notes"].startswith("word")
    assert load_text("a: 12345678901234567890\n").data["a"] == 12345678901234567890


def test_an_echoed_value_is_a_short_prefix() -> None:
    with pytest.raises(InputError) as err:
        load_text("a: !!int " + "1" * 90 + "z\n", "x.yaml")
    assert len(str(err.value)) < 200 and "1" * 60 not in str(err.value)
