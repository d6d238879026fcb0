"""Evidence bundles: a subject's events with inclusion proofs, the checkpoint, the key, a README,
and (when the vault has one) an RFC 3161 time-stamp; checkable by anyone with only the zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from hallmark.errors import HallmarkError, InputError, IntegrityError, NotFound
from hallmark.files import write_atomically
from hallmark.ledger import log, merkle, note, timestamp, verify
from hallmark.schemas.evidence import BundleCheck, BundleCheckEvent, BundleCheckTimestamp

FORMAT = "hallmark-evidence/1"
MAX_BUNDLE = 512 << 20
MAX_MEMBER = 4 << 20
MAX_MEMBERS = 200_000
MAX_TOTAL = 1 << 30
MEMBER = re.compile(r"(README\.txt|manifest\.json|checkpoint\.txt|key\.pem|verifier-key\.txt"
                    r"|events/\d{12}\.json|proofs/\d{12}\.json|timestamp/(token\.tsr|tsa-chain\.pem"
                    r"|checkpoint\.txt|consistency\.json|event\.json|event-proof\.json))")
README = """Hallmark evidence bundle for subject {subject}
==========================================================

This zip proves that the events in events/ are entries of a Hallmark vault's append-only log,
as signed by the vault's key in checkpoint.txt. Check it with `hallmark verify-bundle THIS.zip
--key KEYFILE` (no vault needed), or by hand:

1. key.pem is the vault's Ed25519 public key; verifier-key.txt is the same key as a C2SP
   verifier key "<name>+<key id>+<base64(0x01 || key)>". Obtain the vault owner's key through a
   channel you trust and compare: the bundle alone cannot prove who holds the key.
2. checkpoint.txt is a C2SP signed note (https://c2sp.org/signed-note, tlog-checkpoint): lines
   origin, tree size, base64 root hash; a blank line; then "\u2014 <name> <base64(key id ||
   Ed25519 signature)>". Verify the signature over the text before the blank line (with its
   final newline) with key.pem.
3. Each events/NNNNNNNNNNNN.json is one log entry, canonical JSON (RFC 8785), with fields type,
   time (UTC), actor, subjects and payload. Its leaf hash is SHA-256(0x00 || entry bytes).
4. proofs/NNNNNNNNNNNN.json is its RFC 9162 inclusion proof (section 2.1.3): index, tree_size,
   leaf_hash and the audit path (hex), leaf side first. Folding the path with
   node = SHA-256(0x01 || left || right) per RFC 9162 section 2.1.3.2 must give the root in
   checkpoint.txt.
5. If timestamp/ is present: token.tsr is an RFC 3161 TimeStampResp over SHA-256 of
   timestamp/checkpoint.txt (an earlier checkpoint, signed as in 2); tsa-chain.pem holds the
   TSA's certificates (pin your own trusted TSA root with --tsa-root); consistency.json is the
   RFC 9162 consistency proof (section 2.1.4) from that checkpoint to checkpoint.txt, with
   old_size/old_root and new_size/new_root equal to those two checkpoints' sizes and roots;
   event.json is the log entry "ledger.timestamped" that records the time-stamped checkpoint's
   size and root, the token's time and the SHA-256 of token.tsr and of tsa-chain.pem, with its
   inclusion proof event-proof.json. Entries with an index below the time-stamped tree size
   existed no later than the token's time. (Tokens made by older versions use SHA-512.)
   e.g. openssl ts -verify -in timestamp/token.tsr -data timestamp/checkpoint.txt
        -CAfile ROOT.pem

The bundle shows that these entries are in the log; it cannot show that no other entries
about the subject exist.
"""


def canonical(document: Any) -> bytes:
    """RFC 8785 canonical JSON bytes."""
    return rfc8785.dumps(document)


def public_pem(key: Ed25519PublicKey) -> bytes:
    """The canonical PEM (SubjectPublicKeyInfo) of an Ed25519 public key."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 over the raw 32-byte public key, hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public_key(data: bytes) -> tuple[str | None, Ed25519PublicKey]:
    """A pinned key from a file: a C2SP verifier key string, or a PEM Ed25519 public key."""
    text = data[:65536].decode("utf-8", "replace").strip()
    if "BEGIN PUBLIC KEY" not in text:
        return note.parse_verifier_key(text)
    try:
        loaded = serialization.load_pem_public_key(text.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(f"not a PEM public key: {exc}") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise InputError("the pinned key is not an Ed25519 key")
    return None, loaded


def build(conn: Connection, subject: str, name: str,
          public_key: Ed25519PublicKey) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every member of the bundle for `subject` (a log subject), proved
    against the newest checkpoint signed by `name`'s `public_key`."""
    members: dict[str, bytes] = {}
    cp = verify.latest(conn, name, public_key)
    seqs = [s for s in log.events_for(conn, subject) if s < cp.size]
    if not seqs:
        raise NotFound(f"subject {subject!r} has no events in the log", field="subject")
    listed = []
    for seq in seqs:
        entry = log.event(conn, seq)
        members[f"events/{seq:012d}.json"] = entry["entry"]
        members[f"proofs/{seq:012d}.json"] = canonical(verify.inclusion(conn, seq, cp))
        listed.append({"seq": seq, "type": entry["parsed"]["type"],
                       "time": entry["parsed"]["time"]})
    stamp = timestamp.latest_timestamp(conn, cp.size)
    if stamp is not None:
        old = note.open_checkpoint(stamp.checkpoint, name, public_key)
        members["timestamp/token.tsr"] = stamp.token
        members["timestamp/tsa-chain.pem"] = stamp.chain.encode()
        members["timestamp/checkpoint.txt"] = stamp.checkpoint.encode()
        members["timestamp/consistency.json"] = canonical(verify.consistency(conn, old, cp))
        members["timestamp/event.json"] = log.event(conn, stamp.event_seq)["entry"]
        members["timestamp/event-proof.json"] = canonical(
            verify.inclusion(conn, stamp.event_seq, cp))
    vkey = note.verifier_key(name, public_key)
    manifest: dict[str, Any] = {
        "format": FORMAT, "subject": subject, "origin": cp.origin, "key_name": name,
        "verifier_key": vkey, "tree_size": cp.size,
        "events": listed, "timestamp": stamp is not None,
    }
    members["manifest.json"] = canonical(manifest)
    members["checkpoint.txt"] = cp.note.encode()
    members["key.pem"] = public_pem(public_key)
    members["verifier-key.txt"] = (vkey + "\n").encode()
    members["README.txt"] = README.replace("{subject}", subject).encode()
    return manifest, members


def write_zip(out: Path, members: dict[str, bytes], field: str | None = None) -> None:
    """Write the members as a deterministic zip (README first, fixed times), atomically."""
    out = Path(out).expanduser()
    if out.is_dir():
        raise InputError(f"{out} is a folder; name the .zip file to write", field=field)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in sorted(members, key=lambda n: (n != "README.txt", n)):
            zf.writestr(zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0)), members[member],
                        zipfile.ZIP_DEFLATED)
    write_atomically(out, buffer.getvalue(), field=field)


def _read_members(path: Path) -> dict[str, bytes]:
    if path.stat().st_size > MAX_BUNDLE:
        raise IntegrityError(f"bundle is larger than {MAX_BUNDLE >> 20} MiB")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise IntegrityError("bundle has too many members")
            members: dict[str, bytes] = {}
            total = 0
            for info in infos:
                if not MEMBER.fullmatch(info.filename):
                    raise IntegrityError(f"unexpected member {info.filename!r} in the bundle")
                if info.filename in members:
                    raise IntegrityError(f"member {info.filename!r} appears twice")
                if info.file_size > MAX_MEMBER:
                    raise IntegrityError(f"member {info.filename!r} is too large")
                with zf.open(info) as fh:
                    data = fh.read(MAX_MEMBER + 1)
                total += len(data)
                if len(data) > MAX_MEMBER or total > MAX_TOTAL:
                    raise IntegrityError(f"member {info.filename!r} is too large")
                members[info.filename] = data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError,
            NotImplementedError, OSError) as exc:
        raise IntegrityError(f"not a readable zip bundle: {exc}") from exc
    return members


def _need(members: dict[str, bytes], name: str) -> bytes:
    if name not in members:
        raise IntegrityError(f"bundle lacks {name}")
    return members[name]


def _json(members: dict[str, bytes], name: str) -> Any:
    data = _need(members, name)
    try:
        document = json.loads(data)
        if canonical(document) != data:
            raise IntegrityError(f"{name} is not in canonical form (RFC 8785): it was edited")
    except (ValueError, UnicodeDecodeError, rfc8785.CanonicalizationError) as exc:
        raise IntegrityError(f"{name} is not valid JSON") from exc
    return document


def _fields(document: Any, name: str, expected: dict[str, Any]) -> None:
    """`document` must hold exactly the keys of `expected`, each with the value it names: a
    verifier checks every byte a member carries, not only the bytes it happens to use."""
    if not isinstance(document, dict):
        raise IntegrityError(f"{name} is not a JSON object")
    missing = sorted(set(expected) - set(document))
    extra = sorted(set(document) - set(expected))
    if missing or extra:
        raise IntegrityError(f"{name}: field {(missing or extra)[0]!r} is "
                             f"{'missing' if missing else 'not part of the format'}")
    for key, value in expected.items():
        if document[key] != value:
            raise IntegrityError(f"{name}: {key} is {document[key]!r}, not {value!r}")


def _hashes(document: Any, name: str) -> list[str]:
    """A proof's `hashes`: a list of 32-byte hashes in lower-case hex."""
    hashes = document.get("hashes") if isinstance(document, dict) else None
    if not isinstance(hashes, list) or not all(
            isinstance(h, str) and re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes):
        raise IntegrityError(f"{name}: hashes must be a list of 32-byte hex hashes")
    return hashes


def _proof(document: Any, name: str, index: int, size: int, leaf: bytes) -> list[bytes]:
    """The audit path of an inclusion proof whose other fields are exactly as expected."""
    hashes = _hashes(document, name)
    _fields(document, name, {"index": index, "tree_size": size, "leaf_hash": leaf.hex(),
                             "hashes": hashes})
    return [bytes.fromhex(h) for h in hashes]


def verify_bundle(path: Path, pinned: bytes | None = None,
                  tsa_roots: list[x509.Certificate] | None = None) -> BundleCheck:
    """Check a bundle with no vault: key, checkpoint, every entry and proof, the time-stamp."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFound(f"no bundle at {path}")
    pinned_key = load_public_key(pinned) if pinned is not None else None
    report = BundleCheck(key_pinned=pinned_key is not None)
    try:
        _check(_read_members(path), report, pinned_key, tsa_roots)
        report.ok = True
    except IntegrityError as exc:
        report.problem = str(exc)
    except (HallmarkError, KeyError, TypeError, ValueError, AttributeError) as exc:
        report.problem = f"malformed bundle: {exc}"
    return report


def _check(members: dict[str, bytes], report: BundleCheck,
           pinned: tuple[str | None, Ed25519PublicKey] | None,
           tsa_roots: list[x509.Certificate] | None) -> None:
    manifest = _json(members, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IntegrityError(f"manifest.json is not a {FORMAT} manifest")
    report.subject, report.origin = str(manifest["subject"]), str(manifest["origin"])
    name = str(manifest["key_name"])
    try:
        key = serialization.load_pem_public_key(_need(members, "key.pem"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise IntegrityError("key.pem is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey) or public_pem(key) != members["key.pem"]:
        raise IntegrityError("key.pem is not a canonical Ed25519 public key")
    vkey = note.verifier_key(name, key)
    if manifest["verifier_key"] != vkey or _need(members, "verifier-key.txt") != (
            vkey + "\n").encode():
        raise IntegrityError("verifier-key.txt / the manifest disagree with key.pem")
    report.verifier_key, report.key_fingerprint = vkey, fingerprint(key)
    if pinned is not None:
        pin_name, pin_key = pinned
        if fingerprint(pin_key) != fingerprint(key) or pin_name not in (None, name):
            raise IntegrityError(f"bundle is signed by another key ({vkey}), not the pinned one")
    try:
        text = _need(members, "checkpoint.txt").decode()
    except UnicodeDecodeError as exc:
        raise IntegrityError("checkpoint.txt is not UTF-8") from exc
    cp = note.open_checkpoint(text, name, key)
    if cp.origin != report.origin or cp.size != manifest["tree_size"]:
        raise IntegrityError("checkpoint.txt disagrees with the manifest (origin or size)")
    report.tree_size = cp.size
    listed = manifest["events"]
    if not isinstance(listed, list) or not listed:
        raise IntegrityError("the manifest lists no events")
    expected = {"README.txt", "manifest.json", "checkpoint.txt", "key.pem", "verifier-key.txt"}
    for item in listed:
        seq = int(item["seq"])
        report.events.append(BundleCheckEvent(**_check_event(members, seq, item, cp,
                                                            report.subject)))
        expected |= {f"events/{seq:012d}.json", f"proofs/{seq:012d}.json"}
    if manifest["timestamp"]:
        expected |= {f"timestamp/{n}" for n in ("token.tsr", "tsa-chain.pem", "checkpoint.txt",
                                                 "consistency.json", "event.json",
                                                 "event-proof.json")}
        report.timestamp = BundleCheckTimestamp(**_check_timestamp(members, name, key, cp,
                                                                   tsa_roots))
    extra = sorted(set(members) - expected)
    if extra:
        raise IntegrityError(f"bundle holds members its manifest does not list: {extra[0]}")
    # Every manifest field is derived from checked content; rebuilding it catches any edit.
    rebuilt = {"format": FORMAT, "subject": report.subject, "origin": cp.origin, "key_name": name,
               "verifier_key": vkey, "tree_size": cp.size, "timestamp": bool(report.timestamp),
               "events": [{"seq": e.seq, "type": e.type, "time": e.time} for e in report.events]}
    if manifest != rebuilt:
        raise IntegrityError("manifest.json disagrees with the entries it lists")


def _check_event(members: dict[str, bytes], seq: int, item: dict[str, Any],
                 cp: note.Checkpoint, subject: str) -> dict[str, Any]:
    entry = _need(members, f"events/{seq:012d}.json")
    parsed = _json(members, f"events/{seq:012d}.json")
    if not isinstance(parsed, dict) or subject not in parsed.get("subjects", []):
        raise IntegrityError(f"entry {seq} does not name the subject {subject!r}")
    if (parsed.get("type"), parsed.get("time")) != (item.get("type"), item.get("time")):
        raise IntegrityError(f"entry {seq} disagrees with the manifest")
    leaf = merkle.leaf_hash(entry)
    hashes = _proof(_json(members, f"proofs/{seq:012d}.json"), f"proofs/{seq:012d}.json", seq,
                    cp.size, leaf)
    if not merkle.verify_inclusion(seq, cp.size, leaf, hashes, cp.root):
        raise IntegrityError(f"entry {seq}: its inclusion proof does not verify against the "
                             "checkpoint (entry or proof was changed)")
    return {"seq": seq, "type": parsed["type"], "time": parsed["time"], "verified": True}


def _check_timestamp(members: dict[str, bytes], name: str, key: Ed25519PublicKey,
                     cp: note.Checkpoint, roots: list[x509.Certificate] | None) -> dict[str, Any]:
    stamped = members["timestamp/checkpoint.txt"]
    old = note.open_checkpoint(stamped.decode(), name, key)
    proof = _json(members, "timestamp/consistency.json")
    hashes = _hashes(proof, "timestamp/consistency.json")
    # The sizes and roots it states must be those of the two signed checkpoints it joins.
    _fields(proof, "timestamp/consistency.json", {
        "old_size": old.size, "new_size": cp.size, "old_root": old.root.hex(),
        "new_root": cp.root.hex(), "hashes": hashes})
    if old.origin != cp.origin or old.size > cp.size or not (
        merkle.verify_consistency(old.size, cp.size, old.root, cp.root,
                                  [bytes.fromhex(h) for h in hashes])
        if old.size else old.root == merkle.EMPTY_ROOT and not hashes
    ):
        raise IntegrityError("the time-stamped checkpoint is not consistent with checkpoint.txt")
    chain, token = members["timestamp/tsa-chain.pem"], members["timestamp/token.tsr"]
    entry = _need(members, "timestamp/event.json")
    parsed = _json(members, "timestamp/event.json")
    proof = _json(members, "timestamp/event-proof.json")
    leaf = merkle.leaf_hash(entry)
    index = proof.get("index") if isinstance(proof, dict) else None
    if not isinstance(parsed, dict) or parsed.get("type") != "ledger.timestamped" \
            or not isinstance(index, int) or not 0 <= index < cp.size \
            or not merkle.verify_inclusion(
                index, cp.size, leaf, _proof(proof, "timestamp/event-proof.json", index,
                                             cp.size, leaf), cp.root):
        raise IntegrityError("the time-stamp's log entry does not prove into the checkpoint")
    payload = parsed.get("payload")
    if not isinstance(payload, dict):
        raise IntegrityError("timestamp/event.json has no payload")
    recorded = {"token_sha256": hashlib.sha256(token).hexdigest(),
                "chain_sha256": hashlib.sha256(chain).hexdigest(),
                "checkpoint_size": old.size, "checkpoint_root": old.root.hex()}
    for field_name, value in recorded.items():
        if payload.get(field_name) != value:
            raise IntegrityError(f"timestamp/event.json: {field_name} is not that of the "
                                 "time-stamped checkpoint, token or certificates")
    if chain.decode() != timestamp.chain_pem(timestamp.parse_certificates(chain)):
        raise IntegrityError("timestamp/tsa-chain.pem is not in canonical form: it was edited")
    trust = roots or timestamp.parse_certificates(chain)
    gen_time = timestamp.verify_token(token, stamped, trust).strftime("%Y-%m-%dT%H:%M:%SZ")
    if payload.get("gen_time") != gen_time:
        raise IntegrityError("timestamp/event.json: gen_time is not the token's time")
    return {"checkpoint_size": old.size, "gen_time": gen_time, "tsa_pinned": bool(roots)}
