"""in-toto Statement v1 about an asset, in a DSSE envelope signed with the vault's Ed25519 key.

Statement: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
DSSE:      https://github.com/secure-systems-lab/dsse/blob/master/envelope.md (PAE signing)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import STATEMENT_TYPE_URI, Statement
from sqlalchemy import Connection, select

from hallmark.errors import IntegrityError, NotFound
from hallmark.ledger.bundle import fingerprint
from hallmark.store.tables import assets

if TYPE_CHECKING:
    from hallmark.inventory.assets import Asset

PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://hallmark.dev/attestation/asset-record/v1"
MAX_ENVELOPE = 4 << 20
SHA256 = re.compile(r"[0-9a-f]{64}")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(conn: Connection, asset: Asset, origin: str,
              public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The in-toto Statement v1 for an asset: subject = name + sha256, predicate = its record
    (with its parents, read through `conn`) and the vault that signs it."""
    lineage = []
    for parent in asset.parents:
        row = conn.execute(select(assets.c.name, assets.c.sha256)
                           .where(assets.c.id == parent["id"])).first()
        lineage.append({"relation": parent["relation"], "id": parent["id"],
                        "name": row.name if row else None,
                        "digest": {"sha256": row.sha256} if row else {}})
    return {
        "_type": STATEMENT_TYPE_URI,
        "subject": [{"name": asset.name, "digest": {"sha256": asset.sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "asset": {"id": asset.id, "kind": asset.kind, "path": asset.path, "size": asset.size,
                      "digest": {"sha256": asset.sha256, "blake3": asset.blake3}},
            "owner": asset.owner, "status": asset.status,
            "classification": asset.classification, "protection": asset.protection,
            "license": asset.effective_license, "lineage": lineage,
            "vault": {"origin": origin, "key": fingerprint(public_key)},
        },
    }


def envelope(document: dict[str, Any], key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    """(the DSSE envelope file's bytes, the signed payload) for a Statement."""
    payload = rfc8785.dumps(document)
    signed = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": fingerprint(key.public_key()),
                        "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode()}],
    }
    return (json.dumps(signed, indent=2) + "\n").encode(), payload


def statement_sha256(payload: bytes) -> str:
    """The digest the `asset.attested` event records."""
    return hashlib.sha256(payload).hexdigest()


def verify_attestation(path: Path, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a DSSE envelope's signature by `public_key` and its in-toto Statement v1."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFound(f"no attestation at {path}")
    if path.stat().st_size > MAX_ENVELOPE:
        raise IntegrityError("attestation file is too large")
    try:
        envelope = json.loads(path.read_bytes())
        payload_type = envelope["payloadType"]
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = envelope["signatures"]
        if not isinstance(signatures, list) or not 0 < len(signatures) <= 16:
            raise ValueError("need 1..16 signatures")
        sigs = [base64.b64decode(s["sig"], validate=True) for s in signatures]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise IntegrityError(f"not a DSSE envelope: {exc}") from exc
    if payload_type != PAYLOAD_TYPE:
        raise IntegrityError(f"payloadType is {payload_type!r}, not {PAYLOAD_TYPE!r}")
    signed = pae(payload_type, payload)
    if not any(_verifies(public_key, sig, signed) for sig in sigs):
        raise IntegrityError("no signature in the envelope verifies with the vault's key")
    try:
        document = json.loads(payload)
        pb = json_format.ParseDict(document, statement_pb2.Statement())  # type: ignore[attr-defined]
        Statement.copy_from_pb(pb).validate()
    except (ValueError, json_format.ParseError) as exc:
        raise IntegrityError(f"the payload is not an in-toto Statement v1: {exc}") from exc
    for subject in document["subject"]:
        if not SHA256.fullmatch(str(subject.get("digest", {}).get("sha256", ""))):
            raise IntegrityError("a subject lacks a sha256 digest")
    return {"ok": True, "predicate_type": document["predicateType"],
            "subjects": document["subject"], "predicate": document["predicate"],
            "key_fingerprint": fingerprint(public_key)}


def _verifies(key: Ed25519PublicKey, sig: bytes, message: bytes) -> bool:
    try:
        key.verify(sig, message)
    except InvalidSignature:
        return False
    return True
