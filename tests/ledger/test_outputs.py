"""Output paths the user gets wrong (a missing folder, a folder) are one-line errors, exit 2,
and leave nothing behind, for every ledger command that writes a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hallmark.ledger.log import head
from hallmark.vault import Vault

from .conftest import add_asset

COMMANDS = {
    "checkpoint": ("ledger", "checkpoint", "-o"),
    "keys": ("keys", "public", "-o"),
    "evidence": ("evidence", "base.safetensors", "-o"),
    "attest": ("attest", "base.safetensors", "-o"),
    "sign": ("sign", "base.safetensors", "-o"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("where", ["missing-folder", "folder"])
def test_bad_output_path_is_a_clear_error(vault: Vault, cli, tmp_path: Path, command: str,
                                          where: str) -> None:
    asset = add_asset(vault, "base.safetensors", b"base weights")
    target = tmp_path / "no-such-folder" / "out.file" if where == "missing-folder" else tmp_path
    listing = sorted(p.name for p in tmp_path.iterdir())
    with vault.read() as conn:
        size = head(conn)[0]
    result = cli(*COMMANDS[command], str(target))
    assert result.exit_code == 2, result.stdout
    assert str(target) in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing half-written
    with vault.read() as conn:
        assert head(conn)[0] == size  # and nothing logged for a file that was not written
    assert asset
