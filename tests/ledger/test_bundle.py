"""`hallmark evidence` and `hallmark verify-bundle`: a bundle checks with no vault, and any
change to an entry, proof, checkpoint or key inside it makes it fail."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.ledger import note
from hallmark.ledger.bundle import verify_bundle
from hallmark.vault import Vault

from .conftest import add_asset, append


@pytest.fixture
def bundle(vault: Vault, cli, tmp_path: Path) -> Path:
    base = add_asset(vault, "base.safetensors", b"base weights")
    add_asset(vault, "tuned.safetensors", b"tuned weights", parent=base)
    append(vault, 5)
    out = tmp_path / "evidence.zip"
    result = cli("evidence", "tuned.safetensors", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def rewrite(src: Path, dst: Path, name: str, data: bytes | None) -> Path:
    """Copy a zip, replacing (or with None, dropping) one member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename == name:
                if data is not None:
                    zout.writestr(info, data)
            else:
                zout.writestr(info, zin.read(info))
    return dst


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_bundle_verifies_without_a_vault(bundle: Path, cli, tmp_path: Path, monkeypatch) -> None:
    names = set(members(bundle))
    assert {"README.txt", "manifest.json", "checkpoint.txt", "key.pem",
            "verifier-key.txt"} <= names
    assert sum(n.startswith("events/") for n in names) == 2  # registered + lineage
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("HALLMARK_VAULT", raising=False)
    result = cli("verify-bundle", str(bundle), "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] and [e["type"] for e in report["events"]] == ["asset.registered",
                                                                       "lineage.added"]
    assert report["tree_size"] == 8 and not report["key_pinned"]
    assert "how" in members(bundle)["README.txt"].decode().lower()


def test_pinned_key_accepts_own_and_rejects_another(bundle: Path, vault: Vault, cli,
                                                    tmp_path: Path) -> None:
    own = tmp_path / "own.vkey"
    assert cli("keys", "public", "-o", str(own)).exit_code == 0
    own_pem = tmp_path / "own.pem"
    assert cli("keys", "public", "--pem", "-o", str(own_pem)).exit_code == 0
    for key in (own, own_pem):
        result = cli("verify-bundle", str(bundle), "--key", str(key), "--json")
        assert result.exit_code == 0 and json.loads(result.stdout)["key_pinned"]
    other = Vault.create(tmp_path / "other")
    other_key = tmp_path / "other.vkey"
    other_key.write_text(note.verifier_key(other.key_name, other.signing_key.public_key()))
    result = cli("verify-bundle", str(bundle), "--key", str(other_key))
    assert result.exit_code == 1
    assert "another key" in result.stderr
    other.close()


def test_bundled_key_must_sign_the_checkpoint(bundle: Path, tmp_path: Path) -> None:
    other = Vault.create(tmp_path / "other")
    from hallmark.ledger import bundle as b

    key = other.signing_key.public_key()
    forged = rewrite(bundle, tmp_path / "k1.zip", "key.pem", b.public_pem(key))
    report = verify_bundle(forged)
    assert not report.ok
    # Swap every copy of the key consistently: the checkpoint signature still fails.
    manifest = json.loads(members(bundle)["manifest.json"])
    vkey = note.verifier_key(manifest["key_name"], key)
    manifest["verifier_key"] = vkey
    step = rewrite(forged, tmp_path / "k2.zip", "verifier-key.txt", (vkey + "\n").encode())
    step = rewrite(step, tmp_path / "k3.zip", "manifest.json", b.canonical(manifest))
    report = verify_bundle(step)
    assert not report.ok and "signature" in (report.problem or "")
    other.close()


@pytest.mark.parametrize("prefix", ["events/", "proofs/", "checkpoint.txt", "key.pem",
                                    "verifier-key.txt", "manifest.json"])
def test_changing_any_byte_fails(bundle: Path, tmp_path: Path, prefix: str) -> None:
    content = members(bundle)
    name = next(n for n in sorted(content) if n.startswith(prefix))
    data = content[name]
    step = max(1, len(data) // 60)  # bounded time: about 60 positions per member
    for pos in range(0, len(data), step):
        changed = bytearray(data)
        changed[pos] ^= 0x01
        report = verify_bundle(rewrite(bundle, tmp_path / "t.zip", name, bytes(changed)))
        assert not report.ok, f"{name} byte {pos} changed but the bundle still verifies"


@pytest.mark.parametrize("name", ["checkpoint.txt", "key.pem", "manifest.json"])
def test_missing_member_fails(bundle: Path, tmp_path: Path, name: str) -> None:
    report = verify_bundle(rewrite(bundle, tmp_path / "m.zip", name, None))
    assert not report.ok and name in (report.problem or "")


def test_dropped_event_or_extra_member_fails(bundle: Path, tmp_path: Path) -> None:
    event = next(n for n in members(bundle) if n.startswith("events/"))
    assert not verify_bundle(rewrite(bundle, tmp_path / "d.zip", event, None)).ok
    extra = tmp_path / "x.zip"
    rewrite(bundle, extra, "", None)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("payload.py", b"print('hi')")
    report = verify_bundle(extra)
    assert not report.ok and "unexpected member" in (report.problem or "")


def test_corrupt_or_missing_bundle_is_a_clear_error(cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = cli("verify-bundle", str(junk))
    assert result.exit_code == 1 and "zip" in result.stderr
    missing = cli("verify-bundle", str(tmp_path / "nope.zip"))
    assert missing.exit_code == 2 and "no bundle" in missing.stderr


def test_unknown_subject_is_not_found(vault: Vault, cli, tmp_path: Path) -> None:
    append(vault, 1)
    result = cli("evidence", "no-such-thing", "-o", str(tmp_path / "e.zip"))
    assert result.exit_code == 2 and "no asset or log subject" in result.stderr
    assert not (tmp_path / "e.zip").exists()


def test_raw_subject_with_events_gets_a_bundle(vault: Vault, cli, tmp_path: Path) -> None:
    append(vault, 3, subject="share-0001")
    out = tmp_path / "s.zip"
    assert cli("evidence", "share-0001", "-o", str(out)).exit_code == 0
    report = verify_bundle(out)
    assert report.ok and len(report.events) == 3


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_bundles_never_crash(bundle: Path, tmp_path: Path, data: st.DataObject) -> None:
    raw = bytearray(bundle.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    path = tmp_path / "fuzz.zip"
    path.write_bytes(bytes(raw[:cut]))
    report = verify_bundle(path)
    assert report.ok in (True, False)
    assert report.ok or report.problem


@pytest.mark.parametrize("edit", ["extra", "missing", "index"])
def test_every_member_of_an_inclusion_proof_is_checked(bundle: Path, tmp_path: Path,
                                                       edit: str) -> None:
    from hallmark.ledger.bundle import canonical

    name = next(n for n in sorted(members(bundle)) if n.startswith("proofs/"))
    proof = json.loads(members(bundle)[name])
    if edit == "extra":
        proof["comment"] = "unchecked bytes"
    elif edit == "missing":
        del proof["leaf_hash"]
    else:
        proof["index"] += 1
    report = verify_bundle(rewrite(bundle, tmp_path / "p.zip", name, canonical(proof)))
    assert not report.ok and name.split("/")[-1][:12] in (report.problem or ""), report.problem
