"""Agreements: add from YAML (terms validated strictly, signed document kept by digest), amend
(a new version, history kept), terminate. Every change logs an Event in the same transaction."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hallmark.agreements.parties import Party, load_parties, organisation_of, resolve_party
from hallmark.agreements.review_link import prepare_review, record_review
from hallmark.agreements.schema import FUTURE_SUBJECTS, AgreementTerms, parse_date, validate_terms
from hallmark.agreements.yamlsrc import Source, load_file
from hallmark.errors import InputError, NotFound
from hallmark.inventory.assets import resolve
from hallmark.store.clock import utcnow
from hallmark.store.tables import agreement_versions, agreements
from hallmark.vault import Txn, Vault

MAX_DOCUMENT = 50 << 20
MAX_DOCX_MEMBERS = 2000
DOCUMENT_TYPES = (".pdf", ".docx", ".txt")


@dataclass
class Agreement:
    """One agreement at its current version; `terms` hold resolved party and asset ids."""

    id: str
    type: str
    title: str
    status: str
    version: int
    effective: str
    expires: str | None
    terminated_on: str | None
    terms: dict[str, Any]
    document_sha256: str | None
    document_name: str | None
    created: str
    updated: str

    def state_on(self, day: date) -> str:
        """pending, active, expired or terminated on `day`."""
        if self.terminated_on and day >= date.fromisoformat(self.terminated_on):
            return "terminated"
        if day < date.fromisoformat(self.effective):
            return "pending"
        if self.expires and day > date.fromisoformat(self.expires):
            return "expired"
        return "active"

    @property
    def parties(self) -> list[str]:
        """The ids of its parties."""
        return list(self.terms["parties"])

    def to_json(self) -> dict[str, Any]:
        """The JSON form commands print."""
        return asdict(self)


def _from_row(row: Any) -> Agreement:
    return Agreement(row.id, row.type, row.title, row.status, row.version, row.effective,
                     row.expires, row.terminated_on, json.loads(row.terms), row.document_sha256,
                     row.document_name, row.created, row.updated)


def load_agreements(conn: Connection) -> list[Agreement]:
    """Every agreement at its current version, by id."""
    return [_from_row(r) for r in conn.execute(select(agreements).order_by(agreements.c.id))]


def get_agreement(conn: Connection, agreement_id: str) -> Agreement:
    """One agreement by id."""
    row = conn.execute(select(agreements).where(agreements.c.id == agreement_id.strip())).first()
    if row is None:
        raise NotFound(f"unknown agreement {agreement_id!r}")
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
        raise InputError(f"--document must be PDF, DOCX or TXT (got {path.name})")
    try:
        if path.stat().st_size > MAX_DOCUMENT:
            raise InputError(f"--document {path.name} is larger than {MAX_DOCUMENT >> 20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if suffix == ".pdf" and not data.startswith(b"%PDF-"):
        raise InputError(f"--document {path.name} is not a PDF (no %PDF- header)")
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError):
            raise InputError(f"--document {path.name} is not a DOCX (not a zip)") from None
        if len(names) > MAX_DOCX_MEMBERS or "word/document.xml" not in names:
            raise InputError(f"--document {path.name} is not a DOCX (no word/document.xml)")
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"--document {path.name} is not UTF-8 text") from None
    return data, path.name


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
    }


def _read(path: Path | str) -> tuple[Source, AgreementTerms, bytes]:
    source = load_file(path)
    return source, validate_terms(source), source.raw


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


def add_agreement(vault: Vault, path: Path | str, document: Path | str | None = None) -> Agreement:
    """Store an agreement from its YAML file (and its signed document) as version 1."""
    source, terms, raw = _read(path)
    doc = read_document(document) if document is not None else None
    review = prepare_review(terms.type, *doc) if doc is not None else None
    with vault.transaction(vault.actor) as txn:
        normal = _normalise(txn.conn, terms, source)
        agreement_id = terms.id or _new_id(txn.conn, normal)
        if txn.conn.execute(select(agreements.c.id).where(agreements.c.id == agreement_id)).first():
            raise source.error(("id",), f"agreement {agreement_id!r} already exists (use "
                                        "`hallmark agreement amend`)")
        now = utcnow()
        ag = Agreement(agreement_id, terms.type, terms.title, "active", 1, normal["effective"],
                       normal["expires"], None, normal, None, None, now, now)
        if doc is not None:
            ag.document_sha256, ag.document_name = vault.blobs.put(doc[0]), doc[1]
        source_sha = vault.blobs.put(raw)
        txn.conn.execute(insert(agreements).values(**{k: v for k, v in ag.to_json().items()
                                                      if k != "terms"},
                                                   terms=json.dumps(normal)))
        _write_version(txn, ag, "added", source_sha)
        _event(txn, "agreement.added", ag, source_sha)
        if review is not None and ag.document_sha256 is not None:
            record_review(txn, vault, ag.id, ag.version, ag.document_sha256, review)
    return ag


def amend_agreement(vault: Vault, agreement_id: str, path: Path | str,
                    document: Path | str | None = None) -> Agreement:
    """Replace an agreement's terms with a new version; the old ones stay in its history."""
    source, terms, raw = _read(path)
    doc = read_document(document) if document is not None else None
    review = prepare_review(terms.type, *doc) if doc is not None else None
    with vault.transaction(vault.actor) as txn:
        ag = get_agreement(txn.conn, agreement_id)
        if terms.id is not None and terms.id != ag.id:
            raise source.error(("id",), f"this file is for {terms.id!r}, not {ag.id!r}")
        if ag.status == "terminated":
            raise InputError(f"agreement {ag.id} was terminated on {ag.terminated_on}")
        normal = _normalise(txn.conn, terms, source)
        ag.type, ag.title, ag.terms = terms.type, terms.title, normal
        ag.effective, ag.expires = normal["effective"], normal["expires"]
        ag.version += 1
        ag.updated = utcnow()
        if doc is not None:
            ag.document_sha256, ag.document_name = vault.blobs.put(doc[0]), doc[1]
        source_sha = vault.blobs.put(raw)
        txn.conn.execute(update(agreements).where(agreements.c.id == ag.id).values(
            type=ag.type, title=ag.title, version=ag.version, effective=ag.effective,
            expires=ag.expires, terms=json.dumps(normal), document_sha256=ag.document_sha256,
            document_name=ag.document_name, updated=ag.updated))
        _write_version(txn, ag, "amended", source_sha)
        _event(txn, "agreement.amended", ag, source_sha)
        if review is not None and ag.document_sha256 is not None:
            record_review(txn, vault, ag.id, ag.version, ag.document_sha256, review)
    return ag


def terminate_agreement(vault: Vault, agreement_id: str, on: str) -> Agreement:
    """End an agreement on a date: nothing it permits holds from that day."""
    try:
        day = parse_date(on)
    except ValueError as exc:
        raise InputError(f"--on: {exc}") from None
    with vault.transaction(vault.actor) as txn:
        ag = get_agreement(txn.conn, agreement_id)
        if ag.status == "terminated":
            raise InputError(f"agreement {ag.id} was already terminated on {ag.terminated_on}")
        if day < date.fromisoformat(ag.effective):
            raise InputError(f"--on {day} is before the agreement's effective date "
                             f"{ag.effective}")
        ag.status, ag.terminated_on = "terminated", day.isoformat()
        ag.version += 1
        ag.updated = utcnow()
        txn.conn.execute(update(agreements).where(agreements.c.id == ag.id).values(
            status=ag.status, terminated_on=ag.terminated_on, version=ag.version,
            updated=ag.updated))
        _write_version(txn, ag, "terminated", None)
        _event(txn, "agreement.terminated", ag, None)
    return ag


def list_agreements(vault: Vault) -> list[Agreement]:
    """Every agreement at its current version."""
    with vault.read() as conn:
        return load_agreements(conn)


def show_agreement(vault: Vault, agreement_id: str) -> tuple[Agreement, list[dict[str, Any]]]:
    """One agreement and its version history."""
    with vault.read() as conn:
        ag = get_agreement(conn, agreement_id)
        return ag, history(conn, ag.id)
