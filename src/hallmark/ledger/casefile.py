"""Case files (`hallmark-case/1`): everything about one incident that counsel needs, provable
with only the zip. Like an evidence bundle (same key, checkpoint, entries and proofs, time-stamp)
but about several subjects at once, with the files the log recorded by digest (agreement
documents, notices, the evidence bundles sent with them, each checked again inside) and a
timeline rebuilt from the entries."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hallmark.errors import IntegrityError
from hallmark.schemas.evidence import BundleCheck, BundleCheckFile

__all__ = ["FORMAT", "FILE_KINDS", "README", "check", "file_member", "recorded", "summarise",
           "timeline"]

FORMAT = "hallmark-case/1"
FILE_KINDS = ("document", "notice", "evidence")
README = """Hallmark case file for incident {incident}
==================================================

Everything the vault recorded about incident {incident} (party {party}, asset {asset}), in a form
anyone can check without the vault: `hallmark verify-bundle THIS.zip --key KEYFILE`.

- manifest.json: format hallmark-case/1; the incident, party and asset; the subjects the entries
  are about; the entries and the files, each named by its SHA-256.
- checkpoint.txt, key.pem, verifier-key.txt, events/, proofs/, timestamp/: exactly as in an
  evidence bundle (see the README of any bundle in files/): each entry is a log entry that
  proves into the signed checkpoint; a time-stamp, when present, dates the log up to its size.
  Obtain the vault owner's key through a channel you trust and pin it with --key.
- timeline.md: the entries in order, one line each; the verifier rebuilds it from the entries,
  so it says nothing the signed entries do not.
- files/<sha256>/<name>: the agreement documents (their digest is in an agreement.added or
  agreement.amended entry), the notices sent (incident.noticed) and the evidence bundles sent
  with them (incident.noticed; each is itself a hallmark-evidence/1 bundle, checked again).

Which entries: every entry about the incident, the party (and its teams), the trace that found
the leak, the accused shares and the agreements (every version, the access decisions and usage
records naming them), and the asset's registration. The case file shows that these entries are
in the log; it cannot show that no other entries about them exist.
"""
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_member(sha256: str, name: str) -> str:
    """The member path of a file: its digest, then its name made safe for any file system."""
    safe = SAFE_NAME.sub("-", name).strip(".-")[:100] or "file"
    if not safe[0].isalnum():
        safe = "f" + safe[:99]
    return f"files/{sha256}/{safe}"


def summarise(entry: dict[str, Any]) -> str:
    """One line saying what an entry recorded: its payload's short scalar fields."""
    payload = entry.get("payload")
    if not isinstance(payload, dict):
        return ""
    parts = []
    for key in sorted(payload):
        value = payload[key]
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (str, int, float)):
            text = str(value)
            parts.append(f"{key}={text[:16] + '…' if len(text) > 64 else text}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{key}={','.join(value[:5])}{',…' if len(value) > 5 else ''}")
    return "; ".join(parts)[:300]


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def timeline(incident: str, entries: list[tuple[int, dict[str, Any]]]) -> bytes:
    """The case's timeline as Markdown, rebuilt the same way by anyone from the entries."""
    lines = [f"# Timeline of incident {_cell(incident)}", "",
             "| entry | time (UTC) | event | actor | what |", "|---|---|---|---|---|"]
    for seq, entry in entries:
        lines.append(f"| {seq} | {_cell(str(entry.get('time')))} | "
                     f"{_cell(str(entry.get('type')))} | {_cell(str(entry.get('actor')))} | "
                     f"{_cell(summarise(entry))} |")
    return ("\n".join(lines) + "\n").encode()


def check(members: dict[str, bytes], manifest: Any, report: BundleCheck,
          pinned: tuple[str | None, Ed25519PublicKey] | None,
          tsa_roots: list[x509.Certificate] | None) -> None:
    """Check a case file's members (IntegrityError on the first problem)."""
    from hallmark.ledger import bundle

    if not isinstance(manifest, dict):
        raise IntegrityError("manifest.json is not a JSON object")
    incident, subjects = manifest.get("incident"), manifest.get("subjects")
    if not isinstance(incident, str) or not isinstance(subjects, list) or incident not in \
            subjects or not all(isinstance(s, str) for s in subjects):
        raise IntegrityError("manifest.json: subjects must be a list naming the incident")
    report.subject = incident
    name, key, cp, expected = bundle.check_signed(members, manifest, report, pinned,
                                                  tsa_roots, set(subjects))
    entries = [(e.seq, bundle.json_member(members, f"events/{e.seq:012d}.json"))
               for e in report.events]
    by_seq = dict(entries)
    opened = [p for _, e in entries if e.get("type") == "incident.opened"
              and isinstance(p := e.get("payload"), dict) and p.get("incident") == incident]
    if not opened:
        raise IntegrityError(f"the case holds no incident.opened entry for {incident!r}")
    first = opened[0]
    if (first.get("party"), first.get("asset")) != (manifest.get("party"),
                                                     manifest.get("asset")):
        raise IntegrityError("manifest.json: party or asset is not the opened incident's")
    # The case is about what the incident was opened on, and the party's own teams: a wider
    # list of subjects would let another partner's entries in.
    allowed = {incident, first.get("party"), first.get("asset"), first.get("source")}
    for listed in ("shares", "agreements"):
        if isinstance(first.get(listed), list):
            allowed |= {v for v in first[listed] if isinstance(v, str)}
    team = f"{first.get('party')}/"
    stray = sorted(s for s in subjects if s not in allowed and not s.startswith(team))
    if stray:
        raise IntegrityError(f"manifest.json: subject {stray[0]!r} is not part of the incident")
    files = manifest.get("files")
    if not isinstance(files, list):
        raise IntegrityError("manifest.json: files must be a list")
    for item in files:
        report.files.append(_check_file(members, item, by_seq, (name, key), incident))
        expected.add(item["path"])
    order = [(f.seq, f.kind, f.path) for f in report.files]
    if order != sorted(set(order)) or len({f.path for f in report.files}) != len(order):
        raise IntegrityError("manifest.json: files must be listed once each, by entry, kind "
                             "and path")
    if members.get("timeline.md") != timeline(incident, entries):
        raise IntegrityError("timeline.md is not the timeline of the entries: it was edited")
    expected.add("timeline.md")
    extra = sorted(set(members) - expected)
    if extra:
        raise IntegrityError(f"case file holds members its manifest does not list: {extra[0]}")
    rebuilt = {"format": FORMAT, "incident": incident, "party": manifest.get("party"),
               "asset": manifest.get("asset"), "subjects": sorted(set(subjects)),
               "origin": cp.origin, "key_name": name, "verifier_key": report.verifier_key,
               "tree_size": cp.size, "timestamp": bool(report.timestamp),
               "events": [{"seq": e.seq, "type": e.type, "time": e.time}
                          for e in report.events],
               "files": [f.model_dump() for f in report.files]}
    if bundle.canonical(rebuilt) != members["manifest.json"]:
        raise IntegrityError("manifest.json disagrees with the entries and files it lists")


def recorded(kind: str, entry: Any, digest: str, incident: str) -> bool:
    """Whether `entry` is the one that logs a file of `kind` with this digest: an agreement
    version's document, or a notice and the bundles sent with it for this incident."""
    payload = entry.get("payload") if isinstance(entry, dict) else None
    if not isinstance(payload, dict):
        return False
    if kind == "document":
        return entry.get("type") in ("agreement.added", "agreement.amended") and \
            payload.get("document_sha256") == digest
    if entry.get("type") != "incident.noticed" or payload.get("incident") != incident:
        return False
    if kind == "notice":
        return payload.get("notice_sha256") == digest
    listed = payload.get("evidence_sha256")
    return isinstance(listed, list) and digest in listed


def _check_file(members: dict[str, bytes], item: Any, by_seq: dict[int, Any],
                key: tuple[str, Ed25519PublicKey], incident: str) -> BundleCheckFile:
    """A listed file: named by its digest, recorded by a listed entry, a nested bundle valid."""
    from hallmark.ledger import bundle

    if not isinstance(item, dict) or set(item) != {"path", "kind", "sha256", "seq"}:
        raise IntegrityError("manifest.json: a file is {path, kind, sha256, seq}")
    path, kind, digest, seq = item["path"], item["kind"], item["sha256"], item["seq"]
    if not isinstance(path, str) or not isinstance(digest, str) or type(seq) is not int \
            or kind not in FILE_KINDS or not path.startswith(f"files/{digest}/"):
        raise IntegrityError(f"manifest.json: file {path!r} is not named by its digest")
    data = members.get(path)
    if data is None:
        raise IntegrityError(f"case file lacks {path}")
    if hashlib.sha256(data).hexdigest() != digest:
        raise IntegrityError(f"{path}: its SHA-256 is not the one in its name (it was changed)")
    if not recorded(kind, by_seq.get(seq), digest, incident):
        raise IntegrityError(f"{path}: entry {seq} does not record it as a {kind}")
    if kind == "evidence":
        nested = BundleCheck(key_pinned=True)
        try:
            members_inside = bundle.read_members(data)
            manifest = bundle.json_member(members_inside, "manifest.json")
            if not isinstance(manifest, dict) or manifest.get("format") != bundle.FORMAT:
                raise IntegrityError("not an evidence bundle")
            bundle.check_members(members_inside, nested, key, None)
        except (IntegrityError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IntegrityError(f"{path}: the evidence bundle inside is invalid: {exc}") from exc
    return BundleCheckFile(path=path, kind=kind, sha256=digest, seq=seq)
