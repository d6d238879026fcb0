"""`hallmark ledger timestamp`: RFC 3161 tokens from a loopback TSA, stored and bundled."""

from __future__ import annotations

import hashlib
import json
import socket
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import rfc8785
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder
from sqlalchemy import func, select, update

from hallmark.errors import IntegrityError
from hallmark.ledger import log
from hallmark.ledger.bundle import verify_bundle
from hallmark.ledger.timestamp import decode, verify_token
from hallmark.store.tables import timestamps
from hallmark.vault import Vault

from .conftest import add_asset, append
from .test_bundle import members, rewrite
from .tsa import make_ca, respond, serve

if TYPE_CHECKING:  # imported by name, pytest would try to collect it as a test class
    from .tsa import TestCA


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


SHA256_OID, SHA512_OID = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.3"


@pytest.fixture
def stamped(vault: Vault, cli, tsa_url: str, tsa_root: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A bundle whose time-stamp covers an earlier checkpoint than its own."""
    asset = add_asset(vault, "model.bin", b"weights")
    append(vault, 2)
    assert cli("ledger", "timestamp", "--tsa", tsa_url, "--tsa-root", str(tsa_root)).exit_code == 0
    append(vault, 3)
    out = tmp_path / "stamped.zip"
    assert cli("evidence", asset, "-o", str(out)).exit_code == 0
    return out


def test_the_token_imprint_is_sha256_of_the_checkpoint(stamped: Path) -> None:
    content = members(stamped)
    imprint = decode(content["timestamp/token.tsr"]).tst_info.message_imprint
    assert imprint.hash_algorithm.dotted_string == SHA256_OID
    assert imprint.message == hashlib.sha256(content["timestamp/checkpoint.txt"]).digest()


def test_an_older_sha512_token_still_verifies(tsa_ca: TestCA) -> None:
    message = b"origin\n1\nroot\n"
    request = (TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA512)
               .nonce(nonce=False).build())
    token = respond(tsa_ca, request.as_bytes(), 7)
    assert decode(token).tst_info.message_imprint.hash_algorithm.dotted_string == SHA512_OID
    assert verify_token(token, message, [tsa_ca.root]).year >= 2026
    with pytest.raises(IntegrityError, match="does not verify"):
        verify_token(token, message + b"x", [tsa_ca.root])


def _edit_json(path: Path, name: str, edit: Callable[[dict[str, Any]], None],
               out: Path) -> Path:
    document = json.loads(members(path)[name])
    edit(document)
    return rewrite(path, out, name, rfc8785.dumps(document))


@pytest.mark.parametrize("field", ["old_size", "new_size", "old_root", "new_root"])
@pytest.mark.parametrize("how", ["changed", "removed"])
def test_every_consistency_field_is_checked(stamped: Path, cli, tsa_root: Path,  # type: ignore[no-untyped-def]
                                            tmp_path: Path, field: str, how: str) -> None:
    result = cli("verify-bundle", str(stamped), "--tsa-root", str(tsa_root))
    assert result.exit_code == 0, result.stderr

    def edit(document: dict[str, Any]) -> None:
        if how == "removed":
            del document[field]
        elif field.endswith("size"):
            document[field] += 1
        else:
            document[field] = "ab" * 32

    tampered = _edit_json(stamped, "timestamp/consistency.json", edit, tmp_path / "t.zip")
    result = cli("verify-bundle", str(tampered), "--tsa-root", str(tsa_root))
    assert result.exit_code == 1
    assert "consistency.json" in result.stderr and field in result.stderr, result.stderr


def test_an_unlisted_consistency_field_fails(stamped: Path, tmp_path: Path) -> None:
    tampered = _edit_json(stamped, "timestamp/consistency.json",
                          lambda d: d.update(note="hi"), tmp_path / "t.zip")
    report = verify_bundle(tampered)
    assert not report.ok and "consistency.json" in (report.problem or "")


def test_the_time_stamp_entry_must_name_the_stamped_root(vault: Vault, cli, tsa_url: str,  # type: ignore[no-untyped-def]
                                                        tsa_root: Path, tmp_path: Path) -> None:
    # A writer holding the vault's key logs a time-stamp entry whose checkpoint_root is not
    # the root of the checkpoint the token covers: every proof holds, only the root differs.
    asset = add_asset(vault, "model.bin", b"weights")
    assert cli("ledger", "timestamp", "--tsa", tsa_url, "--tsa-root", str(tsa_root)).exit_code == 0
    with vault.read() as conn:
        row = conn.execute(select(timestamps)).one()
        payload = dict(log.event(conn, row.event_seq)["parsed"]["payload"])
    payload["checkpoint_root"] = "ab" * 32
    with vault.transaction(vault.actor) as txn:
        seq = txn.log.append("ledger.timestamped", payload)
        txn.conn.execute(update(timestamps).values(event_seq=seq))
    out = tmp_path / "e.zip"
    assert cli("evidence", asset, "-o", str(out)).exit_code == 0
    result = cli("verify-bundle", str(out), "--tsa-root", str(tsa_root))
    assert result.exit_code == 1 and "checkpoint_root" in result.stderr, result.stderr
