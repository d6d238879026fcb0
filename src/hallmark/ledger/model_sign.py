"""OpenSSF Model Signing (OMS) with the model-signing library and a P-256 key kept in the vault.

The key lives in `.hallmark/keys/oms-signing.pem` (mode 0600), apart from the log key, and is
made on first use. Signatures are Sigstore bundles that `model_signing verify key` accepts
(`model_signing verify key MODEL --signature FILE --public_key oms.pem`; the model-signing CLI
needs pyopenssl installed beside it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import model_signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Connection, func, select

from hallmark.errors import InputError, IntegrityError, NotFound
from hallmark.store.tables import assets
from hallmark.vault import Vault

OMS_KEY = "oms-signing.pem"


def key_path(vault: Vault) -> Path:
    """The vault's OMS signing key, created (P-256, mode 0600) if it does not exist yet."""
    path = vault.dir / "keys" / OMS_KEY
    if path.exists():
        return path
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    # Written whole under a temporary name, then linked into place: a second process never sees
    # a half-written key, and if one links first, its key is the one both use.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".oms-")
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp files are mode 0600
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process linked first
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path


def public_pem(vault: Vault) -> bytes:
    """The OMS public key (PEM SubjectPublicKeyInfo)."""
    key = serialization.load_pem_private_key(key_path(vault).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InputError("the vault's OMS key is not an elliptic-curve key")
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _ignored(model: Path, signature: Path) -> list[Path]:
    # A signature written inside the model folder must not sign (or later fail) itself.
    try:
        return [signature.resolve().relative_to(model.resolve())]
    except ValueError:
        return []


def model_assets(conn: Connection, vault: Vault, model: Path) -> list[str]:
    """The registered assets a signature over `model` covers: the asset at that file, or the
    model assets inside that folder (every asset inside it when none is a model)."""
    from hallmark.inventory.scan import path_key

    key = path_key(vault, model)
    if model.is_file():
        query = select(assets.c.id, assets.c.kind).where(assets.c.path == key)
    else:
        prefix = "" if key == "." else key.rstrip("/") + "/"
        # LIKE would treat _ and % in folder names as wildcards; compare the prefix itself.
        query = select(assets.c.id, assets.c.kind).where(
            func.substr(assets.c.path, 1, len(prefix)) == prefix)
    rows = conn.execute(query.order_by(assets.c.id)).all()
    models = [r.id for r in rows if r.kind == "model"]
    return models if models or model.is_file() else [r.id for r in rows]


def sign_model(vault: Vault, model: Path, signature: Path) -> dict[str, Any]:
    """Sign a model file or folder into an OMS signature file; logs `model.signed` with the
    model's registered assets as its subjects (so their evidence bundles carry it)."""
    model, signature = Path(model).expanduser(), Path(signature).expanduser()
    if not model.exists():
        raise NotFound(f"no model at {model}")
    if signature.is_dir():
        raise InputError(f"{signature} is a folder; name the signature file")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".oms-", suffix=".sig", dir=signature.parent)
    except OSError as exc:
        raise InputError(f"cannot write {signature}: {exc.strerror or exc}") from exc
    os.close(fd)
    try:
        (model_signing.signing.Config()
         .use_elliptic_key_signer(private_key=key_path(vault))
         .set_hashing_config(model_signing.hashing.Config().set_ignored_paths(
             paths=_ignored(model, signature) + _ignored(model, Path(tmp))))
         .sign(model, tmp))
        data = Path(tmp).read_bytes()
        with vault.transaction(vault.actor) as txn:
            covered = model_assets(txn.conn, vault, model)
            txn.log.append("model.signed", {
                "model": model.name, "assets": covered, "format": "oms/sigstore-bundle",
                "signature_sha256": hashlib.sha256(data).hexdigest(),
                "key_sha256": hashlib.sha256(public_pem(vault)).hexdigest(),
            }, covered)
            os.replace(tmp, signature)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot sign {model}: {exc}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return {"model": str(model), "signature": str(signature), "assets": covered,
            "signature_sha256": hashlib.sha256(data).hexdigest()}


@contextlib.contextmanager
def _key_file(pem: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hallmark-oms-") as tmp:
        path = Path(tmp) / "key.pem"
        path.write_bytes(pem)
        yield path


def verify_model(model: Path, signature: Path, public_key_pem: bytes) -> dict[str, Any]:
    """Check a model against an OMS signature with the model-signing library's own verifier.

    The hashing settings (and paths ignored at signing) are read from the signed manifest."""
    model, signature = Path(model).expanduser(), Path(signature).expanduser()
    for path, what in ((model, "model"), (signature, "signature")):
        if not path.exists():
            raise NotFound(f"no {what} at {path}")
    if not signature.is_file():
        raise InputError(f"the signature {signature} is not a file")
    if signature.stat().st_size > 16 << 20:
        raise IntegrityError("signature file is too large")
    with _key_file(public_key_pem) as key_file:
        try:
            (model_signing.verifying.Config()
             .use_elliptic_key_verifier(public_key=key_file)
             .verify(model, signature))
        except Exception as exc:  # the library raises ValueError and protobuf/JSON errors alike
            raise IntegrityError(f"model signature does not verify: {exc}") from exc
    return {"ok": True, "model": str(model), "signature": str(signature)}
