"""Interoperable signatures: in-toto/DSSE attestations and OpenSSF Model Signing (OMS)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import model_signing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.errors import IntegrityError
from hallmark.ledger import attest
from hallmark.ledger.log import events_for
from hallmark.vault import Vault

from .conftest import add_asset


@pytest.fixture
def tuned(vault: Vault) -> str:
    base = add_asset(vault, "base.safetensors", b"base weights")
    return add_asset(vault, "tuned.safetensors", b"tuned weights", parent=base)


def test_attestation_is_an_intoto_statement_in_dsse(vault: Vault, tuned: str, cli,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "tuned.intoto.json"
    result = cli("attest", "tuned.safetensors", "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(out.read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"][0]["name"] == "tuned.safetensors"
    assert statement["subject"][0]["digest"]["sha256"].startswith(tuned)
    predicate = statement["predicate"]
    assert (predicate["owner"], predicate["status"], predicate["classification"],
            predicate["license"]) == ("Acme Research", "in-house", "confidential", "Apache-2.0")
    assert predicate["lineage"][0]["relation"] == "fine-tuned-from"
    assert len(predicate["lineage"][0]["digest"]["sha256"]) == 64
    # DSSE: the signature is over PAE(type, payload), checkable with the key alone.
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    vault.signing_key.public_key().verify(
        sig, attest.pae(envelope["payloadType"], base64.b64decode(envelope["payload"])))
    verified = cli("verify-attestation", str(out), "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"]
    with vault.read() as conn:
        assert len(events_for(conn, tuned)) == 3  # registered, lineage, attested


def test_changed_or_foreign_attestation_fails(vault: Vault, tuned: str, cli,
                                              tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    cli("attest", tuned, "-o", str(out))
    envelope = json.loads(out.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["owner"] = "Mallory Inc"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(envelope))
    result = cli("verify-attestation", str(forged))
    assert result.exit_code == 1 and "signature" in result.stderr
    other = Vault.create(tmp_path / "other")
    other_key = tmp_path / "other.pem"
    from hallmark.ledger.bundle import public_pem

    other_key.write_bytes(public_pem(other.signing_key.public_key()))
    assert cli("verify-attestation", str(out), "--key", str(other_key)).exit_code == 1
    other.close()


def test_attest_unknown_asset_is_not_found(vault: Vault, cli, tmp_path: Path) -> None:
    result = cli("attest", "nothing-here", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2 and not (tmp_path / "x.json").exists()


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.one_of(st.binary(max_size=300), st.builds(
    lambda d: json.dumps(d).encode(),
    st.dictionaries(st.sampled_from(["payloadType", "payload", "signatures"]),
                    st.one_of(st.text(max_size=20), st.lists(st.dictionaries(
                        st.sampled_from(["sig", "keyid"]), st.text(max_size=20)), max_size=3)))),
))
def test_fuzzed_envelopes_fail_cleanly(vault: Vault, tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(blob)
    with pytest.raises(IntegrityError):
        attest.verify_attestation(path, vault.signing_key.public_key())


def _model(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    (model / "weights.bin").write_bytes(os.urandom(4096))
    return model


def test_oms_signature_verifies_with_model_signing_itself(vault: Vault, cli,
                                                          tmp_path: Path) -> None:
    model = _model(tmp_path)
    sig = tmp_path / "model.sig"
    result = cli("sign", str(model), "-o", str(sig))
    assert result.exit_code == 0, result.stderr
    key = vault.dir / "keys" / "oms-signing.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pub = tmp_path / "oms.pem"
    assert cli("keys", "public", "--oms", "-o", str(pub)).exit_code == 0
    # The library's own verifier, not ours:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pub).verify(model, sig)
    assert cli("verify-model", str(model), "--signature", str(sig)).exit_code == 0
    (model / "weights.bin").write_bytes(os.urandom(4096))
    with pytest.raises(ValueError):
        model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pub).verify(
            model, sig)
    result = cli("verify-model", str(model), "--signature", str(sig))
    assert result.exit_code == 1 and "does not verify" in result.stderr


def test_signature_inside_model_folder_and_single_file(vault: Vault, cli,
                                                       tmp_path: Path) -> None:
    model = _model(tmp_path)
    sig = model / "model.sig"
    assert cli("sign", str(model), "-o", str(sig)).exit_code == 0
    assert cli("verify-model", str(model), "--signature", str(sig)).exit_code == 0
    single = model / "weights.bin"
    sig2 = tmp_path / "w.sig"
    assert cli("sign", str(single), "-o", str(sig2)).exit_code == 0
    assert cli("verify-model", str(single), "--signature", str(sig2)).exit_code == 0
    assert cli("verify-model", str(single), "--signature", str(sig)).exit_code == 1


def test_model_signed_by_another_key_fails(vault: Vault, cli, tmp_path: Path) -> None:
    model = _model(tmp_path)
    sig = tmp_path / "m.sig"
    cli("sign", str(model), "-o", str(sig))
    other = Vault.create(tmp_path / "other")
    from hallmark import services

    other_pub = tmp_path / "other.pem"
    services.ledger.public_key(other, "oms", other_pub)
    result = cli("verify-model", str(model), "--signature", str(sig), "--key", str(other_pub))
    assert result.exit_code == 1
    garbage = tmp_path / "garbage.sig"
    garbage.write_bytes(b"\x00not a bundle")
    assert cli("verify-model", str(model), "--signature", str(garbage)).exit_code == 1
    folder = cli("verify-model", str(model), "--signature", str(tmp_path))
    assert folder.exit_code == 2 and "not a file" in folder.stderr
    other.close()


def test_a_signed_model_is_in_its_asset_evidence(vault: Vault, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    from safetensors.numpy import save_file

    from hallmark import services

    model = vault.root / "models" / "tiny"
    model.mkdir(parents=True)
    save_file({"w": np.ones((2, 2), dtype=np.float32)}, str(model / "weights.safetensors"))
    (model / "config.json").write_text('{"layers": 2}')
    assert cli("scan", str(model)).exit_code == 0
    found = {a["name"]: a for a in json.loads(cli("assets", "--json").stdout)["assets"]}
    weights = found["weights.safetensors"]
    assert weights["kind"] == "model"
    for target in (model, model / "weights.safetensors"):
        result = cli("sign", str(target), "-o", str(tmp_path / "m.sig"), "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["assets"] == [weights["id"]]
    out = tmp_path / "e.zip"
    assert cli("evidence", weights["id"], "-o", str(out)).exit_code == 0
    report = services.evidence.verify_bundle(out)
    assert report.ok, report.problem
    assert [e.type for e in report.events].count("model.signed") == 2
