"""C2SP signed notes (https://c2sp.org/signed-note) and tlog checkpoints, Ed25519 only.

A checkpoint body is "<origin>\\n<size>\\n<base64 root>\\n"; the note is the body, a blank line,
then one line per signature: "\\u2014 <key name> <base64(4-byte key id || signature)>".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hallmark.errors import InputError, IntegrityError

ED25519_ALG = b"\x01"
COSIGNATURE_ALG = b"\x04"  # an Ed25519 key used for C2SP tlog-cosignature/v1
SIG_PREFIX = "\u2014 "


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey, alg: bytes = ED25519_ALG) -> bytes:
    """The 4-byte key hash: SHA-256(name || 0x0A || alg || public key)[:4] (alg 0x01 for a
    note signer, 0x04 for a cosigner)."""
    return hashlib.sha256(name.encode() + b"\n" + alg + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, alg: bytes = ED25519_ALG) -> str:
    """The vkey string `<name>+<hex key id>+<base64(alg || key)>` that verifiers configure."""
    kid = key_id(name, public_key, alg).hex()
    return f"{name}+{kid}+{base64.b64encode(alg + _raw(public_key)).decode()}"


def parse_verifier_key(vkey: str, alg: bytes = ED25519_ALG) -> tuple[str, Ed25519PublicKey]:
    """Inverse of `verifier_key`; checks the signature type and that the key id matches."""
    what = "cosigner key" if alg == COSIGNATURE_ALG else "verifier key"
    try:
        name, kid, b64 = vkey.strip().split("+", 2)  # base64 may itself contain "+"
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InputError(f"malformed {what}") from exc
    if len(raw) != 33 or raw[:1] != alg:
        raise InputError(f"{what} is not an Ed25519 key of signature type 0x{alg.hex()}")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key, alg).hex() != kid:
        raise InputError(f"{what} id does not match its key")
    return name, public_key


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The text a checkpoint signs."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Body, blank line, one signature line."""
    if not body.endswith("\n"):
        raise ValueError("note body must end with a newline")
    sig = private_key.sign(body.encode())
    kid = key_id(name, private_key.public_key())
    return f"{body}\n{SIG_PREFIX}{name} {base64.b64encode(kid + sig).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint."""

    origin: str
    size: int
    root: bytes
    note: str


def open_checkpoint(note: str, name: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """Verify a signed checkpoint note by `name`'s key and parse it; IntegrityError if it fails."""
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise IntegrityError("checkpoint is truncated or malformed (no signature block)")
    body += "\n"
    want = key_id(name, public_key)
    verified = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise IntegrityError("checkpoint has a malformed signature line")
        try:
            signer, b64 = line[len(SIG_PREFIX):].split(" ")
            blob = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise IntegrityError("checkpoint has a malformed signature line") from exc
        if base64.b64encode(blob).decode() != b64:  # stray padding bits would make notes malleable
            raise IntegrityError("checkpoint has a non-canonical signature encoding")
        if signer == name and blob[:4] == want:
            try:
                public_key.verify(blob[4:], body.encode())
                verified = True
            except InvalidSignature as exc:
                raise IntegrityError("checkpoint signature does not verify") from exc
    if not verified:
        raise IntegrityError(f"checkpoint carries no signature by key {name!r}")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise IntegrityError("checkpoint body is truncated")
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise IntegrityError("checkpoint body is malformed") from exc
    if size < 0 or len(root) != 32 or str(size) != lines[1]:
        raise IntegrityError("checkpoint body is malformed")
    return Checkpoint(origin=lines[0], size=size, root=root, note=note)
