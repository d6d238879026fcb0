"""The ledger and evidence services from Python: every bad argument is a typed error naming its
field (never a ValueError), every write records the actor it was told, and the JSON the CLI
prints is the schemas' form, field for field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hallmark import services
from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.vault import Vault

from .conftest import add_asset, append


def _a_cosigner_key() -> str:
    """A well-formed cosigner verifier key of a fresh key pair."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hallmark.ledger.witness import cosigner_vkey

    return cosigner_vkey("other", Ed25519PrivateKey.generate().public_key())


def _refused(call: Any, field: str, kind: type[HallmarkError] = InputError) -> HallmarkError:
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.field == field, (caught.value.field, caught.value.message)
    assert "--" not in caught.value.message  # a field, never a flag
    return caught.value


@pytest.fixture
def filled(vault: Vault) -> Vault:
    append(vault, 3)
    return vault


def test_ledger_refuses_bad_arguments_naming_the_field(filled: Vault, tmp_path: Path) -> None:
    v = filled
    ledger = services.ledger
    _refused(lambda: ledger.entry(v, "1"), "n")  # type: ignore[arg-type]
    _refused(lambda: ledger.entry(v, True), "n")
    _refused(lambda: ledger.entry(v, 99), "n", NotFound)
    _refused(lambda: ledger.prove(v, -1), "n", NotFound)
    _refused(lambda: ledger.prove(v, None), "n")  # type: ignore[arg-type]
    _refused(lambda: ledger.entries(v, ""), "subject")
    _refused(lambda: ledger.consistency(v, tmp_path / "none.txt"), "old", NotFound)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    _refused(lambda: ledger.consistency(v, binary), "old")
    _refused(lambda: ledger.consistency(v, 7), "old")  # type: ignore[arg-type]
    _refused(lambda: ledger.checkpoint(v, tmp_path / "no" / "cp.txt"), "output")
    _refused(lambda: ledger.checkpoint(v, tmp_path), "output")
    pinned = _refused(lambda: ledger.verify(v, cosigner_key=_a_cosigner_key()), "witness_files")
    assert "name one" in pinned.message
    _refused(lambda: ledger.verify(v, cosigner_key="x+1+AA=="), "cosigner_key")  # a bad key first
    _refused(lambda: ledger.verify(v, tsa_root=tmp_path / "roots.pem"), "witness_files")
    witness_file = tmp_path / "w.jsonl"
    ledger.witness(v, witness_file, actor="tester")
    _refused(lambda: ledger.verify(v, witness_files=[witness_file], cosigner_key="garbage"),
             "cosigner_key")
    _refused(lambda: ledger.verify(v, witness_files=[witness_file],
                                   tsa_root=tmp_path / "roots.pem"), "tsa_root", NotFound)
    not_pem = tmp_path / "roots.pem"
    not_pem.write_text("not a certificate")
    _refused(lambda: ledger.verify(v, witness_files=[witness_file], tsa_root=not_pem),
             "tsa_root")
    _refused(lambda: ledger.verify(v, witness_files=[tmp_path / "missing.jsonl"]),
             "witness_files")
    _refused(lambda: ledger.verify(v, witness_files=[None]), "witness_files")  # type: ignore[list-item]
    bad_line = tmp_path / "bad.jsonl"
    bad_line.write_text("{not json\n")
    assert "line 1" in _refused(lambda: ledger.verify(v, witness_files=[bad_line]),
                                "witness_files").message
    _refused(lambda: ledger.witness(v, tmp_path / "x.jsonl", actor="t",
                                    cosigner=tmp_path / "nowhere"), "cosigner", NotFound)
    _refused(lambda: ledger.witness(v, tmp_path / "x.jsonl", actor="t", cosigner=v.root),
             "cosigner")
    _refused(lambda: ledger.witness(v, tmp_path / "x.jsonl", actor="t", tsa=5),  # type: ignore[arg-type]
             "tsa")
    _refused(lambda: ledger.timestamp(v, "ftp://tsa.example", actor="t"), "tsa")
    _refused(lambda: ledger.timestamp(v, "", actor="t"), "tsa")
    _refused(lambda: ledger.public_key(v, "secret"), "kind")  # type: ignore[arg-type]
    _refused(lambda: ledger.public_key(v, "pem", tmp_path), "output")


def test_evidence_refuses_bad_arguments_naming_the_field(filled: Vault, tmp_path: Path) -> None:
    v, evidence = filled, services.evidence
    out = tmp_path / "e.zip"
    _refused(lambda: evidence.write_bundle(v, "nothing-by-that-name", out), "subject", NotFound)
    _refused(lambda: evidence.write_bundle(v, " ", out), "subject")
    _refused(lambda: evidence.write_bundle(v, "noise", tmp_path), "output")
    _refused(lambda: evidence.write_bundle(v, "noise", tmp_path / "no" / "e.zip"), "output")
    _refused(lambda: evidence.verify_bundle(tmp_path / "none.zip"), "file", NotFound)
    evidence.write_bundle(v, "noise", out)
    garbage = tmp_path / "key.txt"
    garbage.write_text("not a key")
    _refused(lambda: evidence.verify_bundle(out, key=garbage), "key")
    _refused(lambda: evidence.verify_bundle(out, key=tmp_path / "nokey"), "key", NotFound)
    _refused(lambda: evidence.attest(v, "no-such-asset", tmp_path / "a.json", actor="t"),
             "asset", NotFound)
    _refused(lambda: evidence.attest(v, "", tmp_path / "a.json", actor="t"), "asset")
    _refused(lambda: evidence.verify_attestation(None, tmp_path / "a.json"), "key")
    _refused(lambda: evidence.verify_attestation(v, tmp_path / "a.json"), "file", NotFound)
    _refused(lambda: evidence.sign_model(v, tmp_path / "nomodel", tmp_path / "m.sig",
                                         actor="t"), "model", NotFound)
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    _refused(lambda: evidence.sign_model(v, model, tmp_path, actor="t"), "output")
    _refused(lambda: evidence.sign_model(v, model, tmp_path / "no" / "m.sig", actor="t"),
             "output")
    assert services.ledger.status(v).size == 3  # nothing was logged by any refusal
    _refused(lambda: evidence.verify_model(v, model, tmp_path / "none.sig"), "signature",
             NotFound)
    _refused(lambda: evidence.verify_model(None, model, tmp_path / "none.sig"), "key")


def test_writes_record_the_actor_they_are_told(vault: Vault, tmp_path: Path) -> None:
    asset = add_asset(vault, "weights.bin", b"\x00" * 64)
    services.evidence.attest(vault, asset, tmp_path / "a.json", actor="carol")
    assert services.ledger.entries(vault, asset)[-1].actor == "carol"
    assert services.ledger.entries(vault, asset)[-1].type == "asset.attested"
    services.evidence.sign_model(vault, vault.root / "weights.bin", tmp_path / "w.sig",
                                 actor="dave")
    last = services.ledger.entries(vault, asset)[-1]
    assert (last.type, last.actor) == ("model.signed", "dave")
    _refused(lambda: services.evidence.attest(vault, asset, tmp_path / "b.json", actor=""),
             "actor")
    assert not (tmp_path / "b.json").exists()
    Vault.create(tmp_path / "cosigner", db_url=f"sqlite:///{tmp_path / 'c.db'}")
    cosigner = Vault.find(tmp_path / "cosigner", use_env_db=False)
    done = services.ledger.witness(vault, tmp_path / "w.jsonl", actor="erin",
                                   cosigner=cosigner.root)
    assert done.cosigner and done.cosigner.startswith(cosigner.key_name)
    cosigned = services.ledger.entries(cosigner, vault.origin)
    assert [(e.type, e.actor) for e in cosigned] == [("witness.cosigned", "erin")]
    cosigner.close()


def test_timestamp_records_the_actor(vault: Vault, tsa_url: str, tsa_root: Path) -> None:
    append(vault, 2)
    stamp = services.ledger.timestamp(vault, tsa_url, actor="frank", tsa_root=tsa_root)
    assert stamp.pinned and stamp.checkpoint_size == 2
    last = services.ledger.entry(vault, 2)
    assert (last.type, last.actor) == ("ledger.timestamped", "frank")


def _json(cli: Any, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_json_shapes_are_the_schemas(vault: Vault, cli: Any, tmp_path: Path) -> None:
    asset = add_asset(vault, "weights.bin", b"\x01" * 64)
    assert list(_json(cli, "ledger", "status")) == [
        "origin", "size", "root", "checkpoint_size", "verifier_key", "timestamp"]
    shown = _json(cli, "ledger", "show", "0")
    assert list(shown) == ["seq", "leaf_hash", "actor", "payload", "subjects", "time", "type"]
    assert shown == services.ledger.entry(vault, 0).to_json()
    assert list(_json(cli, "ledger", "prove", "0")) == [
        "index", "tree_size", "leaf_hash", "hashes", "checkpoint"]
    saved = tmp_path / "cp.txt"
    assert cli("ledger", "checkpoint", "-o", str(saved)).exit_code == 0
    assert list(_json(cli, "ledger", "consistency", str(saved))) == [
        "consistent", "old_size", "new_size", "old_root", "new_root", "hashes"]
    assert list(_json(cli, "ledger", "verify")) == [
        "ok", "size", "root", "nodes_checked", "checkpoints_checked", "witnessed_checked",
        "subjects_checked", "seconds", "problem", "bad_entry"]
    assert list(_json(cli, "ledger", "witness", "--to", str(tmp_path / "w.jsonl"))) == [
        "witness", "origin", "size", "root", "cosigner", "timestamped", "previously_witnessed"]
    bundle = _json(cli, "evidence", asset, "-o", str(tmp_path / "e.zip"))
    assert list(bundle) == ["file", "format", "subject", "origin", "key_name", "verifier_key",
                            "tree_size", "events", "timestamp"]
    assert list(bundle["events"][0]) == ["seq", "type", "time"]
    checked = _json(cli, "verify-bundle", str(tmp_path / "e.zip"))
    assert list(checked) == ["ok", "problem", "subject", "origin", "verifier_key",
                             "key_fingerprint", "key_pinned", "tree_size", "events", "timestamp",
                                 "format", "files"]
    assert list(checked["events"][0]) == ["seq", "type", "time", "verified"]
    assert list(_json(cli, "attest", asset, "-o", str(tmp_path / "a.json"))) == [
        "asset", "subject", "file", "statement_sha256"]
    assert list(_json(cli, "verify-attestation", str(tmp_path / "a.json"))) == [
        "ok", "predicate_type", "subjects", "predicate", "key_fingerprint"]


def test_the_cli_spells_a_service_field_as_its_flag(vault: Vault, cli: Any,
                                                    tmp_path: Path) -> None:
    result = cli("ledger", "verify", "--cosigner-key", _a_cosigner_key())
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --witness: ")
    result = cli("ledger", "verify", "--cosigner-key", "x+1+AA==")
    assert result.exit_code == 2 and result.stderr.startswith("error: --cosigner-key: ")
    result = cli("ledger", "witness", "--to", str(tmp_path / "w.jsonl"), "--cosigner",
                 str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "--cosigner: no Hallmark vault" in result.stderr
    result = cli("verify-bundle", str(tmp_path / "none.zip"))
    assert result.exit_code == 2 and "FILE: no bundle at" in result.stderr


def test_an_entry_of_the_wrong_shape_is_an_integrity_failure(filled: Vault) -> None:
    # Someone with write access to the database rewrites entry 1 with a well-formed JSON document
    # of the wrong shape: reading it is a verification failure (exit 1), not bad input (exit 2).
    from hallmark.errors import IntegrityError
    from hallmark.store.tables import events

    with filled.engine.begin() as conn:
        conn.execute(events.update().where(events.c.seq == 1).values(
            entry=json.dumps({"type": 5, "time": [], "actor": None, "subjects": "x",
                              "payload": 1}).encode()))
    with pytest.raises(IntegrityError):
        services.ledger.entry(filled, 1)
