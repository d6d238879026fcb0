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
MAX_FILE = 64 << 20  # a document or nested bundle inside a case file
MAX_MEMBERS = 200_000
MAX_TOTAL = 1 << 30
# Both formats' member names (a case file adds timeline.md and files/); each format's check then
# demands exactly the members its manifest implies.
MEMBER = re.compile(r"(README\.txt|manifest\.json|checkpoint\.txt|key\.pem|verifier-key\.txt"
                    r"|timeline\.md|files/[0-9a-f]{64}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
                    r"|events/\d{12}\.json|proofs/\d{12}\.json|timestamp/(token\.tsr|tsa-chain\.pem"
                    r"|checkpoint\.txt|consistency\.json|event\.json|event-proof\.json))")
# How a third party checks a bundle by hand; shipped as text beside this module.
README = (Path(__file__).parent / "bundle-README.txt").read_text(encoding="utf-8")


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


def prove(conn: Connection, seqs: list[int], name: str, public_key: Ed25519PublicKey
          ) -> tuple[note.Checkpoint, list[dict[str, Any]], dict[str, bytes], bool]:
    """The entries `seqs` with their inclusion proofs against the newest checkpoint signed by
    `name`'s `public_key`, that checkpoint, the key, and the latest time-stamp covering it:
    what every bundle format carries. Returns (checkpoint, listed entries, members, stamped)."""
    members: dict[str, bytes] = {}
    cp = verify.latest(conn, name, public_key)
    listed = []
    for seq in sorted(s for s in seqs if s < cp.size):
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
    members["checkpoint.txt"] = cp.note.encode()
    members["key.pem"] = public_pem(public_key)
    members["verifier-key.txt"] = (note.verifier_key(name, public_key) + "\n").encode()
    return cp, listed, members, stamp is not None


def build(conn: Connection, subject: str, name: str,
          public_key: Ed25519PublicKey) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every member of the bundle for `subject` (a log subject), proved
    against the newest checkpoint signed by `name`'s `public_key`."""
    cp, listed, members, stamped = prove(conn, log.events_for(conn, subject), name, public_key)
    if not listed:
        raise NotFound(f"subject {subject!r} has no events in the log", field="subject")
    manifest: dict[str, Any] = {
        "format": FORMAT, "subject": subject, "origin": cp.origin, "key_name": name,
        "verifier_key": note.verifier_key(name, public_key), "tree_size": cp.size,
        "events": listed, "timestamp": stamped,
    }
    members["manifest.json"] = canonical(manifest)
    members["README.txt"] = README.replace("{subject}", subject).encode()
    return manifest, members


def write_zip(out: Path, members: dict[str, bytes], field: str | None = None) -> None:
    """Write the members as a deterministic zip (README first, fixed times), atomically."""
    out = Path(out).expanduser()
    if out.is_dir():
        raise InputError(f"{out} is a folder; name the .zip file to write", field=field)
    write_atomically(out, zip_bytes(members), field=field)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """The members as a deterministic zip: README first, fixed times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in sorted(members, key=lambda n: (n != "README.txt", n)):
            zf.writestr(zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0)), members[member],
                        zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def read_members(source: Path | bytes) -> dict[str, bytes]:
    """Every member of a bundle (a file, or the bytes of one inside a case file), bounded."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > MAX_BUNDLE:
        raise IntegrityError(f"bundle is larger than {MAX_BUNDLE >> 20} MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
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
                if info.flag_bits & 0x1:
                    raise IntegrityError(f"member {info.filename!r} is encrypted")
                most = MAX_FILE if info.filename.startswith("files/") else MAX_MEMBER
                if info.file_size > most:
                    raise IntegrityError(f"member {info.filename!r} is too large")
                with zf.open(info) as fh:
                    data = fh.read(most + 1)
                total += len(data)
                if len(data) > most or total > MAX_TOTAL:
                    raise IntegrityError(f"member {info.filename!r} is too large")
                members[info.filename] = data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError,
            NotImplementedError, OSError, RuntimeError) as exc:
        raise IntegrityError(f"not a readable zip bundle: {exc}") from exc
    return members


def _need(members: dict[str, bytes], name: str) -> bytes:
    if name not in members:
        raise IntegrityError(f"bundle lacks {name}")
    return members[name]


def json_member(members: dict[str, bytes], name: str) -> Any:
    data = _need(members, name)
    try:
        document = json.loads(data)
        if canonical(document) != data:
            raise IntegrityError(f"{name} is not in canonical form (RFC 8785): it was edited")
    except (ValueError, UnicodeDecodeError, rfc8785.CanonicalizationError) as exc:
        raise IntegrityError(f"{name} is not valid JSON") from exc
    except RecursionError:
        raise IntegrityError(f"{name} is nested too deeply") from None
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
        check_members(read_members(path), report, pinned_key, tsa_roots)
        report.ok = True
    except IntegrityError as exc:
        report.problem = str(exc)
    except (HallmarkError, KeyError, TypeError, ValueError, AttributeError,
            RecursionError) as exc:
        report.problem = f"malformed bundle: {type(exc).__name__}: {exc}"[:500]
    return report


def check_members(members: dict[str, bytes], report: BundleCheck,
                  pinned: tuple[str | None, Ed25519PublicKey] | None,
                  tsa_roots: list[x509.Certificate] | None) -> None:
    """Check a bundle's members (IntegrityError on the first problem), by its manifest's format."""
    manifest = json_member(members, "manifest.json")
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt != FORMAT:
        from hallmark.ledger import casefile  # a case file nests bundles: checked recursively

        if fmt == casefile.FORMAT:
            report.format = fmt
            casefile.check(members, manifest, report, pinned, tsa_roots)
            return
        raise IntegrityError(f"manifest.json is not a {FORMAT} or {casefile.FORMAT} manifest")
    report.format = fmt
    report.subject = str(manifest["subject"])
    name, _, cp, expected = check_signed(members, manifest, report, pinned, tsa_roots,
                                         {report.subject})
    extra = sorted(set(members) - expected)
    if extra:
        raise IntegrityError(f"bundle holds members its manifest does not list: {extra[0]}")
    # Every manifest field is derived from checked content; rebuilding it catches any edit.
    rebuilt = {"format": FORMAT, "subject": report.subject, "origin": cp.origin, "key_name": name,
               "verifier_key": report.verifier_key, "tree_size": cp.size,
               "timestamp": bool(report.timestamp),
               "events": [{"seq": e.seq, "type": e.type, "time": e.time} for e in report.events]}
    # bytes, not values: in Python false == 0 and 1 == True would let a changed type through
    if canonical(rebuilt) != members["manifest.json"]:
        raise IntegrityError("manifest.json disagrees with the entries it lists")


def check_signed(members: dict[str, bytes], manifest: dict[str, Any], report: BundleCheck,
                 pinned: tuple[str | None, Ed25519PublicKey] | None,
                 tsa_roots: list[x509.Certificate] | None, subjects: set[str]
                 ) -> tuple[str, Ed25519PublicKey, note.Checkpoint, set[str]]:
    """What every format shares: the key (pinned or not), the signed checkpoint, each listed
    entry (naming one of `subjects`) with its proof, the time-stamp. Returns the key's name,
    the key, the checkpoint and the member names these account for."""
    report.origin = str(manifest["origin"])
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
    previous = -1
    for item in listed:
        seq = item.get("seq") if isinstance(item, dict) else None
        if type(seq) is not int or seq <= previous:
            raise IntegrityError("manifest.json: events must be listed once each, by "
                                 "increasing integer seq")
        previous = seq
        report.events.append(BundleCheckEvent(**_check_event(members, seq, item, cp, subjects)))
        expected |= {f"events/{seq:012d}.json", f"proofs/{seq:012d}.json"}
    if manifest["timestamp"]:
        expected |= {f"timestamp/{n}" for n in ("token.tsr", "tsa-chain.pem", "checkpoint.txt",
                                                 "consistency.json", "event.json",
                                                 "event-proof.json")}
        report.timestamp = BundleCheckTimestamp(**_check_timestamp(members, name, key, cp,
                                                                   tsa_roots))
    return name, key, cp, expected


def _check_event(members: dict[str, bytes], seq: int, item: dict[str, Any],
                 cp: note.Checkpoint, subjects: set[str]) -> dict[str, Any]:
    entry = _need(members, f"events/{seq:012d}.json")
    parsed = json_member(members, f"events/{seq:012d}.json")
    named = parsed.get("subjects") if isinstance(parsed, dict) else None
    if not isinstance(named, list) or not subjects & {s for s in named if isinstance(s, str)}:
        raise IntegrityError(f"entry {seq} does not name the subject "
                             f"{' or '.join(map(repr, sorted(subjects)))}")
    if (parsed.get("type"), parsed.get("time")) != (item.get("type"), item.get("time")):
        raise IntegrityError(f"entry {seq} disagrees with the manifest")
    leaf = merkle.leaf_hash(entry)
    name = f"proofs/{seq:012d}.json"
    hashes = _proof(json_member(members, name), name, seq, cp.size, leaf)
    if not merkle.verify_inclusion(seq, cp.size, leaf, hashes, cp.root):
        raise IntegrityError(f"entry {seq}: its inclusion proof does not verify against the "
                             "checkpoint (entry or proof was changed)")
    return {"seq": seq, "type": parsed["type"], "time": parsed["time"], "verified": True}


def _check_timestamp(members: dict[str, bytes], name: str, key: Ed25519PublicKey,
                     cp: note.Checkpoint, roots: list[x509.Certificate] | None) -> dict[str, Any]:
    stamped = members["timestamp/checkpoint.txt"]
    old = note.open_checkpoint(stamped.decode(), name, key)
    proof = json_member(members, "timestamp/consistency.json")
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
    parsed = json_member(members, "timestamp/event.json")
    proof = json_member(members, "timestamp/event-proof.json")
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
