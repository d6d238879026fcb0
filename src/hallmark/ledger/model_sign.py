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

OMS_KEY = "oms-signing.pem"


def key_path(keys: Path) -> Path:
    """The OMS signing key in the vault's `keys` folder, created (P-256, mode 0600) if it does
    not exist yet."""
    path = keys / OMS_KEY
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


def public_pem(keys: Path) -> bytes:
    """The OMS public key (PEM SubjectPublicKeyInfo) of the key in the `keys` folder."""
    key = serialization.load_pem_private_key(key_path(keys).read_bytes(), password=None)
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


def model_assets(conn: Connection, key: str, is_file: bool) -> list[str]:
    """The registered assets a signature over a model covers (`key`: its stored path): the asset
    at that file, or the model assets inside that folder (every asset inside it when none is a
    model)."""
    if is_file:
        query = select(assets.c.id, assets.c.kind).where(assets.c.path == key)
    else:
        prefix = "" if key == "." else key.rstrip("/") + "/"
        # LIKE would treat _ and % in folder names as wildcards; compare the prefix itself.
        query = select(assets.c.id, assets.c.kind).where(
            func.substr(assets.c.path, 1, len(prefix)) == prefix)
    rows = conn.execute(query.order_by(assets.c.id)).all()
    models = [r.id for r in rows if r.kind == "model"]
    return models if models or is_file else [r.id for r in rows]


def sign(model: Path, signature: Path, keys: Path) -> bytes:
    """An OMS signature over a model file or folder, as the bytes to write to `signature` (the
    path only decides what the signature ignores: itself, when it lies inside the model)."""
    model, signature = Path(model).expanduser(), Path(signature).expanduser()
    if not model.exists():
        raise NotFound(f"no model at {model}", field="model")
    if signature.is_dir():
        raise InputError(f"{signature} is a folder; name the signature file", field="output")
    if not signature.parent.is_dir():  # found out before the model is hashed, not after
        raise InputError(f"cannot write {signature}: folder {signature.parent} does not exist",
                         field="output")
    # Signed into a folder of its own (outside the model), then written where it belongs with
    # files.write_atomically by the caller, inside the transaction that logs it.
    with tempfile.TemporaryDirectory(prefix="hallmark-oms-") as tmp:
        out = Path(tmp) / "model.sig"
        try:
            (model_signing.signing.Config()
             .use_elliptic_key_signer(private_key=key_path(keys))
             .set_hashing_config(model_signing.hashing.Config().set_ignored_paths(
                 paths=_ignored(model, signature)))
             .sign(model, out))
            return out.read_bytes()
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot sign {model}: {exc}", field="model") from exc


def digest(data: bytes) -> str:
    """SHA-256 hex, as `model.signed` records the signature and the key."""
    return hashlib.sha256(data).hexdigest()


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
            raise NotFound(f"no {what} at {path}", field=what)
    if not signature.is_file():
        raise InputError(f"the signature {signature} is not a file", field="signature")
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
