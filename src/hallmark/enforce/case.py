"""Assemble an incident's case file from the vault (the format and its check are in
`hallmark.ledger.casefile`)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from hallmark.agreements.parties import load_parties
from hallmark.errors import IntegrityError
from hallmark.ledger import bundle, casefile, log, note
from hallmark.schemas.incidents import Incident
from hallmark.store.tables import agreement_versions, incident_files

if TYPE_CHECKING:
    from hallmark.store.blobs import BlobStore

__all__ = ["build"]

# The asset's own history that proves it is ours; other partners' shares and traces of the same
# asset are not this case's business and stay out.
ASSET_EVENTS = ("asset.", "lineage.", "model.signed")


def _subjects(conn: Connection, incident: Incident) -> list[str]:
    teams = [p.id for p in load_parties(conn).values() if p.member_of == incident.party]
    return sorted({incident.incident, incident.party, incident.source, *teams,
                   *incident.shares, *incident.agreements, incident.asset})


def _seqs(conn: Connection, incident: Incident, subjects: list[str]) -> list[int]:
    """The entries about the incident, the party, its teams, the trace and the shares; of the
    asset's and the agreements' entries only their own history (what other partners did under
    the same agreement stays out, unless it names this party too)."""
    seqs: set[int] = set()
    own = {"asset": ASSET_EVENTS, "agreement": ("agreement.",)}
    for subject in subjects:
        found = log.events_for(conn, subject)
        kinds = own["asset"] if subject == incident.asset else \
            own["agreement"] if subject in incident.agreements else None
        if kinds is not None:
            found = [s for s in found
                     if str(log.event(conn, s)["parsed"]["type"]).startswith(kinds)]
        seqs.update(found)
    return sorted(seqs)


def _files(conn: Connection, incident: Incident, entries: dict[int, dict[str, Any]]
           ) -> list[tuple[str, str, str, int]]:
    """(kind, sha256, name, seq) of every file the case carries, each with the entry that
    logged its digest."""
    out = [(r.kind, r.sha256, r.name, r.seq) for r in conn.execute(
        select(incident_files).where(incident_files.c.incident == incident.incident)
        .order_by(incident_files.c.seq, incident_files.c.kind))]
    documents = {r.document_sha256 for r in conn.execute(
        select(agreement_versions.c.document_sha256)
        .where(agreement_versions.c.agreement.in_(incident.agreements)))} - {None}
    for digest in sorted(documents):
        seq = next((s for s, e in entries.items() if str(e["type"]).startswith("agreement.")
                    and e["payload"].get("document_sha256") == digest), None)
        if seq is not None:
            out.append(("document", digest, f"agreement-document-{digest[:12]}", seq))
    return out


def build(conn: Connection, blobs: BlobStore, incident: Incident, name: str,
          public_key: Ed25519PublicKey) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and members of `incident`'s case file, proved against the newest
    checkpoint."""
    subjects = _subjects(conn, incident)
    cp, listed, members, stamped = bundle.prove(conn, _seqs(conn, incident, subjects), name,
                                                public_key)
    entries = {item["seq"]: json.loads(members[f"events/{item['seq']:012d}.json"])
               for item in listed}
    files: list[dict[str, Any]] = []
    for kind, digest, file_name, seq in _files(conn, incident, entries):
        if seq not in entries or any(f["path"] == casefile.file_member(digest, file_name)
                                     for f in files):
            continue  # not provable yet (after the newest checkpoint), or already carried
        try:
            data = blobs.get(digest)
        except OSError:
            raise IntegrityError(f"the vault has lost the {kind} {file_name} ({digest[:12]}): "
                                 "its blob is missing") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise IntegrityError(f"the vault's copy of {file_name} no longer has its digest")
        path = casefile.file_member(digest, file_name)
        members[path] = data
        files.append({"path": path, "kind": kind, "sha256": digest, "seq": seq})
    files.sort(key=lambda f: (f["seq"], f["kind"], f["path"]))  # the order the check demands
    members["timeline.md"] = casefile.timeline(incident.incident, sorted(entries.items()))
    manifest: dict[str, Any] = {
        "format": casefile.FORMAT, "incident": incident.incident, "party": incident.party,
        "asset": incident.asset, "subjects": subjects, "origin": cp.origin, "key_name": name,
        "verifier_key": note.verifier_key(name, public_key), "tree_size": cp.size,
        "timestamp": stamped, "events": listed, "files": files}
    members["manifest.json"] = rfc8785.dumps(manifest)
    members["README.txt"] = casefile.README.format(incident=incident.incident,
                                                   party=incident.party,
                                                   asset=incident.asset).encode()
    return manifest, members
