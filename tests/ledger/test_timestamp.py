"""`hallmark ledger timestamp`: RFC 3161 tokens from a loopback TSA, stored and bundled."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from hallmark.ledger.bundle import verify_bundle
from hallmark.store.tables import timestamps
from hallmark.vault import Vault

from .conftest import add_asset, append
from .test_bundle import members, rewrite
from .tsa import make_ca, serve


def _count(vault: Vault) -> int:
    with vault.read() as conn:
        return conn.execute(select(func.count()).select_from(timestamps)).scalar_one()


def test_timestamp_is_stored_bundled_and_verified(vault: Vault, cli, tsa_url: str,
                                                  tsa_root: Path, tmp_path: Path) -> None:
    asset = add_asset(vault, "model.bin", b"weights")
    result = cli("ledger", "timestamp", "--tsa", tsa_url, "--tsa-root", str(tsa_root), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["checkpoint_size"] == 1 and doc["pinned"]
    append(vault, 3)  # the bundle's checkpoint is later than the time-stamped one
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert status["timestamp"]["checkpoint_size"] == 1
    out = tmp_path / "e.zip"
    assert cli("evidence", asset, "-o", str(out)).exit_code == 0
    assert "timestamp/token.tsr" in members(out)
    result = cli("verify-bundle", str(out), "--tsa-root", str(tsa_root), "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["timestamp"]["checkpoint_size"] == 1 and report["timestamp"]["tsa_pinned"]
    assert report["timestamp"]["gen_time"][:4].isdigit()
    assert cli("ledger", "verify").exit_code == 0


def test_token_tampering_and_wrong_root_fail(vault: Vault, cli, tsa_url: str, tsa_root: Path,
                                            tmp_path: Path) -> None:
    asset = add_asset(vault, "model.bin", b"weights")
    assert cli("ledger", "timestamp", "--tsa", tsa_url).exit_code == 0
    out = tmp_path / "e.zip"
    cli("evidence", asset, "-o", str(out))
    assert verify_bundle(out).ok
    token = members(out)["timestamp/token.tsr"]
    for pos in range(0, len(token), max(1, len(token) // 40)):
        changed = bytearray(token)
        changed[pos] ^= 0x01
        report = verify_bundle(rewrite(out, tmp_path / "t.zip", "timestamp/token.tsr",
                                       bytes(changed)))
        assert not report.ok, f"token byte {pos} changed but the bundle still verifies"
    stamped = members(out)["timestamp/checkpoint.txt"]
    assert not verify_bundle(rewrite(out, tmp_path / "c.zip", "timestamp/checkpoint.txt",
                                     stamped.replace(b"\n1\n", b"\n2\n"))).ok
    other_root = tmp_path / "other.pem"
    other_root.write_bytes(make_ca("Other").root_pem)
    result = cli("verify-bundle", str(out), "--tsa-root", str(other_root))
    assert result.exit_code == 1 and "time-stamp" in result.stderr


def test_tsa_of_an_untrusted_root_stores_nothing(vault: Vault, cli, tsa_root: Path) -> None:
    append(vault, 1)
    with serve(make_ca("Rogue")) as url:
        result = cli("ledger", "timestamp", "--tsa", url, "--tsa-root", str(tsa_root))
    assert result.exit_code == 1 and "does not verify" in result.stderr
    assert _count(vault) == 0


def test_unreachable_tsa_or_empty_log_is_a_clear_error(vault: Vault, cli, tsa_url: str) -> None:
    assert cli("ledger", "timestamp", "--tsa", tsa_url).exit_code == 2  # empty log
    append(vault, 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nobody listens there
    result = cli("ledger", "timestamp", "--tsa", f"http://127.0.0.1:{port}/")
    assert result.exit_code == 2 and "cannot reach" in result.stderr
    assert cli("ledger", "timestamp", "--tsa", "file:///etc/passwd").exit_code == 2
    assert _count(vault) == 0


def test_bundle_without_timestamp_has_no_timestamp_members(vault: Vault, cli,
                                                            tmp_path: Path) -> None:
    asset = add_asset(vault, "m.bin", b"x")
    out = tmp_path / "e.zip"
    cli("evidence", asset, "-o", str(out))
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("timestamp/")]
