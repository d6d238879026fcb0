"""Agreements: add from YAML (terms validated strictly, signed document kept by digest), amend
(a new version, history kept), terminate. Every change logs an Event in the same transaction."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from hallmark.agreements.parties import Party, load_parties, organisation_of, resolve_party
from hallmark.agreements.schema import FUTURE_SUBJECTS, AgreementTerms, validate_terms
from hallmark.agreements.yamlsrc import Source
from hallmark.errors import InputError, NotFound
from hallmark.inventory.assets import resolve
from hallmark.schemas.agreements import Agreement as Agreement  # re-exported
from hallmark.store.clock import utcnow
from hallmark.store.tables import agreement_versions, agreements

if TYPE_CHECKING:
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

MAX_DOCUMENT = 50 << 20
MAX_DOCX_MEMBERS = 2000
DOCUMENT_TYPES = (".pdf", ".docx", ".txt")


def _from_row(row: Any) -> Agreement:
    return Agreement(id=row.id, type=row.type, title=row.title, status=row.status,
                     version=row.version, effective=row.effective, expires=row.expires,
                     terminated_on=row.terminated_on, terms=json.loads(row.terms),
                     document_sha256=row.document_sha256, document_name=row.document_name,
                     created=row.created, updated=row.updated)


def load_agreements(conn: Connection) -> list[Agreement]:
    """Every agreement at its current version, by id."""
    return [_from_row(r) for r in conn.execute(select(agreements).order_by(agreements.c.id))]


def get_agreement(conn: Connection, agreement_id: str, *, field: str | None = None,
                  ) -> Agreement:
    """One agreement by id; NotFound names `field` (the parameter the id came in)."""
    row = conn.execute(select(agreements).where(agreements.c.id == agreement_id.strip())).first()
    if row is None:
        raise NotFound(f"unknown agreement {agreement_id!r}", field=field)
    return _from_row(row)


def history(conn: Connection, agreement_id: str) -> list[dict[str, Any]]:
    """Every version of an agreement, oldest first."""
    rows = conn.execute(select(agreement_versions)
                        .where(agreement_versions.c.agreement == agreement_id)
                        .order_by(agreement_versions.c.version))
    return [{"version": r.version, "change": r.change, "recorded": r.recorded,
             "source_sha256": r.source_sha256, "document_sha256": r.document_sha256,
             "terms": json.loads(r.terms)} for r in rows]


def read_document(path: Path | str) -> tuple[bytes, str]:
    """A signed document's bytes and file name, after checking it is the PDF, DOCX or TXT it
    claims to be (bounded: size, zip members)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise InputError(f"must be PDF, DOCX or TXT (got {path.name})", field="document")
    try:
        if path.stat().st_size > MAX_DOCUMENT:
            raise InputError(f"{path.name} is larger than {MAX_DOCUMENT >> 20} MiB",
                             field="document")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field="document") from None
    return check_document(data, path.name)


def check_document(data: bytes, name: str) -> tuple[bytes, str]:
    """The document's bytes and name after checking they are the PDF, DOCX or TXT the name
    says (bounded: size, zip members)."""
    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise InputError(f"must be PDF, DOCX or TXT (got {name})", field="document")
    if len(data) > MAX_DOCUMENT:
        raise InputError(f"{name} is larger than {MAX_DOCUMENT >> 20} MiB", field="document")
    if suffix == ".pdf" and not data.startswith(b"%PDF-"):
        raise InputError(f"{name} is not a PDF (no %PDF- header)", field="document")
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError):
            raise InputError(f"{name} is not a DOCX (not a zip)", field="document") from None
        if len(names) > MAX_DOCX_MEMBERS or "word/document.xml" not in names:
            raise InputError(f"{name} is not a DOCX (no word/document.xml)", field="document")
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name} is not UTF-8 text", field="document") from None
    return data, name


def _normalise(conn: Connection, terms: AgreementTerms, source: Source) -> dict[str, Any]:
    """Resolve every party and asset reference, naming the line of the first bad one."""
    index = load_parties(conn)

    def party(ref: str, loc: tuple[str | int, ...]) -> Party:
        try:
            return resolve_party(conn, ref)
        except NotFound as exc:
            raise source.error(loc, str(exc)) from None

    parties = [party(p, ("parties", i)) for i, p in enumerate(terms.parties)]
    ids = [p.id for p in parties]
    if len(set(ids)) != len(ids):
        raise source.error(("parties",), "a party is listed twice")
    if any(p.kind == "team" for p in parties):
        raise source.error(("parties",), "parties are organisations or persons; name teams "
                                         "under permitted[].teams")
    discloser = party(terms.discloser, ("discloser",)).id if terms.discloser else ids[0]
    if discloser not in ids:
        raise source.error(("discloser",), "the discloser must be one of the parties")
    covers = []
    for i, ref in enumerate(terms.covers):
        try:
            covers.append(resolve(conn, ref).id)
        except InputError as exc:
            raise source.error(("covers", i), str(exc)) from None
    permitted = []
    for i, term in enumerate(terms.permitted):
        who = party(term.party, ("permitted", i, "party"))
        if who.id not in ids:
            raise source.error(("permitted", i, "party"), f"{who.name!r} is not a party")
        teams = None
        if term.teams is not None:
            teams = []
            for j, ref in enumerate(term.teams):
                team = party(ref, ("permitted", i, "teams", j))
                if team.kind == "team" and organisation_of(index, team.id).id == who.id:
                    teams.append(team.id)
                else:
                    raise source.error(("permitted", i, "teams", j),
                                       f"{team.name!r} is not a team of {who.name!r}")
        permitted.append({"party": who.id, "teams": teams, "actions": list(term.actions),
                          "purposes": list(term.purposes) if term.purposes else None})
    ownership = []
    for i, own in enumerate(terms.ownership):
        subject = own.subject
        if subject not in FUTURE_SUBJECTS:
            try:
                subject = resolve(conn, subject).id
            except InputError as exc:
                raise source.error(("ownership", i, "subject"),
                                   f"{exc} (or one of {', '.join(FUTURE_SUBJECTS)})") from None
        owner, joint = None, None
        if own.owner is not None:
            owner = party(own.owner, ("ownership", i, "owner")).id
            if owner not in ids:
                raise source.error(("ownership", i, "owner"), f"{own.owner!r} is not a party")
        else:
            joint = {}
            for name, share in (own.joint or {}).items():
                pid = party(name, ("ownership", i, "joint", name)).id
                if pid not in ids:
                    raise source.error(("ownership", i, "joint", name), "not a party")
                joint[pid] = str(share)
        ownership.append({"subject": subject, "owner": owner, "joint": joint})
    end = terms.end_date
    return {
        "type": terms.type, "title": terms.title, "parties": ids, "discloser": discloser,
        "effective": terms.effective.isoformat(), "expires": end.isoformat() if end else None,
        "term": terms.term, "confidentiality_survives": terms.confidentiality_survives,
        "covers": covers, "permitted": permitted, "prohibited": list(terms.prohibited),
        "ownership": ownership, "governing_law": terms.governing_law,
        "renewal": terms.renewal.model_dump() if terms.renewal else None,
        "limits": terms.limits, "exit_strategy": terms.exit_strategy, "notes": terms.notes,
        **({"breach": terms.breach.model_dump()} if terms.breach else {}),
        # Added with issue 15: absent from the terms of versions recorded before, so readers
        # use .get(); written only when set, so older terms keep their digests.
        **({"jurisdiction": terms.jurisdiction} if terms.jurisdiction else {}),
        **({"export_licence": {
            "number": terms.export_licence.number, "authority": terms.export_licence.authority,
            "expires": terms.export_licence.expires.isoformat()
            if terms.export_licence.expires else None}} if terms.export_licence else {}),
        **({"require_acknowledgement": True} if terms.require_acknowledgement else {}),
    }


def _new_id(conn: Connection, terms: dict[str, Any]) -> str:
    other = next((p for p in terms["parties"] if p != terms["discloser"]), terms["parties"][0])
    base = f"{terms['type']}-{other.replace('/', '-')}"[:56]
    candidate, n = base, 1
    while conn.execute(select(agreements.c.id).where(agreements.c.id == candidate)).first():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _event(txn: Txn, kind: str, ag: Agreement, source_sha: str | None) -> None:
    subjects = {ag.id, *ag.terms["parties"], *ag.terms["covers"]}
    subjects |= {o["subject"] for o in ag.terms["ownership"] if o["subject"] not in
                 FUTURE_SUBJECTS}
    txn.log.append(kind, {"id": ag.id, "version": ag.version, "type": ag.type,
                          "status": ag.status, "parties": ag.terms["parties"],
                          "covers": ag.terms["covers"], "effective": ag.effective,
                          "expires": ag.expires, "terminated_on": ag.terminated_on,
                          "source_sha256": source_sha, "document_sha256": ag.document_sha256},
                   sorted(subjects))


def _write_version(txn: Txn, ag: Agreement, change: str, source_sha: str | None) -> None:
    txn.conn.execute(insert(agreement_versions).values(
        agreement=ag.id, version=ag.version, change=change, terms=json.dumps(ag.terms),
        source_sha256=source_sha, document_sha256=ag.document_sha256, recorded=ag.updated))


def insert_agreement(txn: Txn, blobs: BlobStore, source: Source,
                     document: tuple[bytes, str] | None = None) -> Agreement:
    """Store an agreement from its parsed YAML (and its checked signed document) as version 1."""
    terms = validate_terms(source)
    normal = _normalise(txn.conn, terms, source)
    agreement_id = terms.id or _new_id(txn.conn, normal)
    if txn.conn.execute(select(agreements.c.id).where(agreements.c.id == agreement_id)).first():
        raise source.error(("id",), f"agreement {agreement_id!r} already exists (use "
                                    "`hallmark agreement amend`)")
    now = utcnow()
    ag = Agreement(id=agreement_id, type=terms.type, title=terms.title, status="active",
                   version=1, effective=normal["effective"], expires=normal["expires"],
                   terminated_on=None, terms=normal, document_sha256=None, document_name=None,
                   created=now, updated=now)
    if document is not None:
        ag.document_sha256, ag.document_name = blobs.put(document[0]), document[1]
    source_sha = blobs.put(source.raw)
    txn.conn.execute(insert(agreements).values(**{k: v for k, v in ag.model_dump().items()
                                                  if k != "terms"}, terms=json.dumps(normal)))
    _write_version(txn, ag, "added", source_sha)
    _event(txn, "agreement.added", ag, source_sha)
    return ag


def amend(txn: Txn, blobs: BlobStore, agreement_id: str, source: Source,
          document: tuple[bytes, str] | None = None) -> Agreement:
    """Replace an agreement's terms with a new version; the old ones stay in its history."""
    terms = validate_terms(source)
    ag = get_agreement(txn.conn, agreement_id, field="agreement_id")
    if terms.id is not None and terms.id != ag.id:
        raise source.error(("id",), f"this file is for {terms.id!r}, not {ag.id!r}")
    if ag.status == "terminated":
        raise InputError(f"agreement {ag.id} was terminated on {ag.terminated_on}",
                         field="agreement_id")
    normal = _normalise(txn.conn, terms, source)
    ag.type, ag.title, ag.terms = terms.type, terms.title, normal
    ag.effective, ag.expires = normal["effective"], normal["expires"]
    ag.version += 1
    ag.updated = utcnow()
    if document is not None:
        ag.document_sha256, ag.document_name = blobs.put(document[0]), document[1]
    source_sha = blobs.put(source.raw)
    txn.conn.execute(update(agreements).where(agreements.c.id == ag.id).values(
        type=ag.type, title=ag.title, version=ag.version, effective=ag.effective,
        expires=ag.expires, terms=json.dumps(normal), document_sha256=ag.document_sha256,
        document_name=ag.document_name, updated=ag.updated))
    _write_version(txn, ag, "amended", source_sha)
    _event(txn, "agreement.amended", ag, source_sha)
    return ag


def terminate(txn: Txn, agreement_id: str, day: date) -> Agreement:
    """End an agreement on a date: nothing it permits holds from that day."""
    ag = get_agreement(txn.conn, agreement_id, field="agreement_id")
    if ag.status == "terminated":
        raise InputError(f"agreement {ag.id} was already terminated on {ag.terminated_on}",
                         field="agreement_id")
    if day < date.fromisoformat(ag.effective):
        raise InputError(f"{day} is before the agreement's effective date {ag.effective}",
                         field="on")
    ag.status, ag.terminated_on = "terminated", day.isoformat()
    ag.version += 1
    ag.updated = utcnow()
    txn.conn.execute(update(agreements).where(agreements.c.id == ag.id).values(
        status=ag.status, terminated_on=ag.terminated_on, version=ag.version,
        updated=ag.updated))
    _write_version(txn, ag, "terminated", None)
    _event(txn, "agreement.terminated", ag, None)
    return ag
