"""The evidence service: proof about the vault's records that a third party checks without the
vault: evidence bundles (a subject's events with inclusion proofs), in-toto attestations about
an asset, and OpenSSF model signatures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.schemas.evidence import (
    Attestation,
    AttestationCheck,
    BundleCheck,
    EvidenceBundle,
    ModelCheck,
    ModelSignature,
)
from hallmark.services._args import path as _path
from hallmark.services._args import renamed as _renamed

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hallmark.vault import Vault

__all__ = ["attest", "sign_model", "verify_attestation", "verify_bundle", "verify_model",
           "write_bundle"]


def _ref(value: object, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"must name {what}", field=field)
    return value.strip()


def _pinned_key(key: Path | str, field: str = "key") -> bytes:
    """The bytes of a key file the user pins (verifier-key line or PEM), checked to parse."""
    from hallmark.files import read_small
    from hallmark.ledger.bundle import load_public_key

    data = read_small(_path(key, field), "key", field=field)
    try:
        load_public_key(data)
    except InputError as exc:
        raise _renamed(exc, field) from exc
    return data


def _subject(conn: Connection, ref: str) -> str:
    """An asset id (by id, prefix, name or path), else any raw subject that has events."""
    from hallmark.inventory.assets import resolve
    from hallmark.ledger import log

    try:
        return resolve(conn, ref).id
    except NotFound:
        if log.events_for(conn, ref):
            return ref
    raise NotFound(f"no asset or log subject matches {ref!r}", field="subject")


def write_bundle(vault: Vault, subject: str, output: Path | str) -> EvidenceBundle:
    """Write `subject`'s events (an asset by id, prefix or name, or any log subject), their
    inclusion proofs, the checkpoint, the key and any time-stamp into the zip `output`."""
    from hallmark.ledger import bundle

    ref = _ref(subject, "subject", "an asset or a log subject")
    target = _path(output, "output")
    name, key = vault.key_name, vault.signing_key.public_key()
    with vault.read() as conn:
        manifest, members = bundle.build(conn, _subject(conn, ref), name, key)
    bundle.write_zip(target, members, field="output")
    return EvidenceBundle(file=str(output), **manifest)


def verify_bundle(file: Path | str, *, key: Path | str | None = None,
                  tsa_root: Path | str | None = None) -> BundleCheck:
    """Check an evidence bundle with no vault: its key (pinned to the key file `key` when
    given), checkpoint, every entry and proof, and its time-stamp (against the PEM roots in
    `tsa_root` when given); `ok` and `problem` say how it went."""
    from hallmark.ledger import bundle, timestamp

    path = _path(file, "file")
    pinned = None if key is None else _pinned_key(key)
    roots = timestamp.read_roots(None if tsa_root is None else _path(tsa_root, "tsa_root"))
    if not path.is_file():
        raise NotFound(f"no bundle at {path}", field="file")
    return bundle.verify_bundle(path, pinned, roots)


def attest(vault: Vault, asset: str, output: Path | str, *, actor: str) -> Attestation:
    """Write a signed in-toto Statement (DSSE envelope) about `asset` to `output`; logs
    `asset.attested`, attributed to `actor`."""
    from hallmark.files import write_atomically
    from hallmark.inventory.assets import resolve
    from hallmark.ledger import attest as attestation

    ref = _ref(asset, "asset", "an asset")
    target = _path(output, "output")
    with vault.read() as conn:
        try:
            found = resolve(conn, ref)
        except HallmarkError as exc:
            raise _renamed(exc, "asset") from exc
        document = attestation.statement(conn, found, vault.origin,
                                         vault.signing_key.public_key())
    data, payload = attestation.envelope(document, vault.signing_key)
    digest = attestation.statement_sha256(payload)
    with vault.transaction(actor) as txn:
        txn.log.append("asset.attested", {
            "asset": found.id, "predicate_type": attestation.PREDICATE_TYPE,
            "statement_sha256": digest}, [found.id])
        write_atomically(target, data, field="output")
    return Attestation(asset=found.id, subject=document["subject"], file=str(output),
                       statement_sha256=digest)


def verify_attestation(vault: Vault | None, file: Path | str, *,
                       key: Path | str | None = None) -> AttestationCheck:
    """Check an attestation's signature (by the key file `key`, else by `vault`'s key) and its
    in-toto Statement v1; IntegrityError when it does not verify."""
    from hallmark.ledger import attest as attestation
    from hallmark.ledger.bundle import load_public_key

    path = _path(file, "file")
    public_key: Any
    if key is not None:
        public_key = load_public_key(_pinned_key(key))[1]
    elif vault is not None:
        public_key = vault.signing_key.public_key()
    else:
        raise InputError("name the signer's key, or a vault whose key signed it", field="key")
    if not path.is_file():
        raise NotFound(f"no attestation at {path}", field="file")
    return AttestationCheck(**attestation.verify_attestation(path, public_key))


def sign_model(vault: Vault, model: Path | str, output: Path | str, *,
               actor: str) -> ModelSignature:
    """Sign a model file or folder in the OpenSSF Model Signing format with the vault's P-256
    key into `output`; logs `model.signed` (attributed to `actor`) with the model's registered
    assets as its subjects, so their evidence bundles carry it."""
    from hallmark.files import write_atomically
    from hallmark.inventory.scan import path_key
    from hallmark.ledger import model_sign

    source, target = _path(model, "model"), _path(output, "output")
    if not source.exists():
        raise NotFound(f"no model at {source}", field="model")
    keys = vault.dir / "keys"
    data = model_sign.sign(source, target, keys)
    key_sha = model_sign.digest(model_sign.public_pem(keys))
    with vault.transaction(actor) as txn:
        covered = model_sign.model_assets(txn.conn, path_key(vault, source), source.is_file())
        txn.log.append("model.signed", {
            "model": source.name, "assets": covered, "format": "oms/sigstore-bundle",
            "signature_sha256": model_sign.digest(data), "key_sha256": key_sha,
        }, covered)
        write_atomically(target, data, field="output")
    return ModelSignature(model=str(source), signature=str(target), assets=covered,
                          signature_sha256=model_sign.digest(data))


def verify_model(vault: Vault | None, model: Path | str, signature: Path | str, *,
                 key: Path | str | None = None) -> ModelCheck:
    """Check a model against an OMS signature, with the PEM key file `key` or else `vault`'s
    OMS key; IntegrityError when it does not verify."""
    from hallmark.files import read_small
    from hallmark.ledger import model_sign

    source, sig = _path(model, "model"), _path(signature, "signature")
    if key is not None:
        pem = read_small(_path(key, "key"), "key", field="key")
    elif vault is not None:
        pem = model_sign.public_pem(vault.dir / "keys")
    else:
        raise InputError("name the signer's key, or a vault whose key signed it", field="key")
    return ModelCheck(**model_sign.verify_model(source, sig, pem))
