"""The incidents service: a breach from the trace that found it to notice, cure (or escalation
and termination) and the case file counsel takes away; every step is logged."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import InputError
from hallmark.schemas.incidents import CaseFile, Incident, IncidentList, IncidentStep, Notice
from hallmark.services import _args
from hallmark.services._args import path as _path
from hallmark.services._args import text as _text
from hallmark.store.clock import today

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["DEFAULT_CURE_PERIOD", "DEFAULT_REMEDIES", "UPDATE_STATUSES", "auto_open",
           "export_case", "list_incidents", "notice", "open_incident", "show", "update"]

DEFAULT_CURE_PERIOD = "30d"
DEFAULT_REMEDIES = ("injunctive relief to stop further use or disclosure",
                    "damages, including for any profit made from the material",
                    "termination of the agreement",
                    "return or certified destruction of every copy")
UPDATE_STATUSES = ("cured", "escalated", "terminated", "settled")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_NOTES = 5000


def _id(value: object, field: str, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value.strip()):
        raise InputError(f"name {what} by its id", field=field)
    return value.strip()


def _settings(vault: Vault) -> dict[str, Any]:
    """The user's defaults, `[enforcement]` in hallmark.toml: cure_period, remedies, sender."""
    from hallmark.agreements.schema import parse_duration

    found = vault.config.get("enforcement", {})
    settings = found if isinstance(found, dict) else {}
    cure = settings.get("cure_period", DEFAULT_CURE_PERIOD)
    try:
        cure = parse_duration(cure)
    except ValueError as exc:
        raise InputError(f"hallmark.toml [enforcement] cure_period: {exc}",
                         field="cure_period") from None
    remedies = settings.get("remedies", list(DEFAULT_REMEDIES))
    if not isinstance(remedies, list) or not all(isinstance(r, str) for r in remedies):
        raise InputError("hallmark.toml [enforcement] remedies must be a list of text",
                         field="remedies")
    sender = settings.get("sender")
    return {"cure_period": cure, "remedies": remedies,
            "sender": sender if isinstance(sender, str) else None}


def open_incident(vault: Vault, source: str, *, actor: str, title: str | None = None,
                  party: str | None = None) -> Incident:
    """Open an incident from a recorded trace (or alert) that accuses someone; with several
    accused parties, `party` says which one this incident is against."""
    from hallmark.agreements.parties import resolve_party
    from hallmark.enforce import incidents as rows

    _text(actor, "actor")
    ref = _id(source, "source", "the trace or alert")
    title = _args.optional_text(title, "title", most=300)
    if party is not None:
        _text(party, "party")
    settings = _settings(vault)
    with vault.transaction(actor) as txn:
        trace_row, grouped = rows.trace_parties(txn.conn, ref)
        if not grouped:
            raise InputError(f"trace {ref} accuses nobody: there is nothing to enforce",
                             field="source")
        if party is not None:
            chosen = resolve_party(txn.conn, party, field="party").id
            if chosen not in grouped:
                raise InputError(f"trace {ref} does not accuse {party!r} (it accuses "
                                 f"{', '.join(sorted(grouped))})", field="party")
        elif len(grouped) > 1:
            raise InputError(f"trace {ref} accuses {len(grouped)} parties "
                             f"({', '.join(sorted(grouped))}); name one", field="party")
        else:
            chosen = next(iter(grouped))
        opened = rows.open_from_trace(txn, vault.blobs, trace_row, chosen, grouped[chosen],
                                      title.strip() if title else None, today(),
                                      settings["cure_period"])
        assert opened is not None  # only an automatic opening can decline
        return opened


def auto_open(vault: Vault, trace: str, *, actor: str) -> list[str]:
    """Open an incident for every party a trace accuses whose agreement asks for one
    (`breach: {incident_on_trace: true}`); their ids."""
    from hallmark.enforce import incidents as rows

    _text(actor, "actor")
    ref = _id(trace, "trace", "the trace")
    opened = []
    settings = _settings(vault)
    with vault.transaction(actor) as txn:
        trace_row, grouped = rows.trace_parties(txn.conn, ref)
        for party, accused in sorted(grouped.items()):
            found = rows.open_from_trace(txn, vault.blobs, trace_row, party, accused, None,
                                         today(), settings["cure_period"], automatic=True)
            if found is not None:
                opened.append(found.incident)
    return opened


def list_incidents(vault: Vault) -> IncidentList:
    """Every incident, newest first."""
    from hallmark.enforce import incidents as rows

    with vault.read() as conn:
        return IncidentList(incidents=rows.load_incidents(conn))


def show(vault: Vault, incident: str) -> Incident:
    """One incident with the files logged with it and its timeline (every logged step)."""
    from hallmark.enforce import incidents as rows
    from hallmark.ledger import casefile, log

    ref = _id(incident, "incident", "the incident")
    with vault.read() as conn:
        found = rows.get_incident(conn, ref)
        for seq in log.events_for(conn, ref):
            entry = log.event(conn, seq)["parsed"]
            found.timeline.append(IncidentStep(seq=seq, time=entry["time"], type=entry["type"],
                                               actor=entry["actor"],
                                               summary=casefile.summarise(entry)))
    return found


def notice(vault: Vault, incident: str, output: Path | str, *, actor: str,
           template: Path | str | None = None) -> Notice:
    """Draft the notice to the incident's party (a breach notice under the agreement in force,
    else a cease-and-desist form, labelled so) as .md, .docx or .pdf; writes the evidence
    bundle beside it; logs both digests together and starts the cure period."""
    from hallmark.enforce import notice as drafting
    from hallmark.enforce import notice_context
    from hallmark.enforce.incidents import get_incident, record_file, set_status
    from hallmark.files import write_atomically

    _text(actor, "actor")
    ref = _id(incident, "incident", "the incident")
    target = _path(output, "output")
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in drafting.FORMATS:
        raise InputError(f"write a notice as .md, .docx or .pdf, not {target.name!r}",
                         field="output")
    if not target.parent.is_dir() or target.is_dir():
        raise InputError(f"name a file in an existing folder, not {target}", field="output")
    override = _path(template, "template") if template is not None else None
    settings = _settings(vault)
    with vault.read() as conn:
        found = get_incident(conn, ref)
        if found.status not in ("open", "noticed", "escalated"):
            raise InputError(f"incident {ref} is {found.status}: no notice to send",
                             field="incident")
        drafted = notice_context.prepare(conn, vault, found, settings, target)
    taken = [p for p, _, _ in drafted.bundles if p.is_dir()]
    if taken:  # checked before anything is written, so a refusal leaves no file behind
        raise InputError(f"{taken[0]} is a folder: name the notice elsewhere", field="output")
    text, name = drafting.load_template(drafted.kind, override)
    body = drafting.to_format(drafting.render(text, name, drafted.values), fmt)
    with vault.transaction(actor) as txn:
        current = get_incident(txn.conn, ref)  # a concurrent update wins: check again
        if current.status != found.status:
            raise InputError(f"incident {ref} changed while the notice was drafted",
                             field="incident")
        notice_sha = vault.blobs.put(body)
        extra = {"kind": drafted.kind, "notice_sha256": notice_sha, "format": fmt,
                 "evidence_sha256": drafted.bundle_digests,
                 "checkpoint_size": drafted.checkpoint_size,
                 "checkpoint_root": drafted.checkpoint_root, "cure_period": drafted.cure_period,
                 "cure_due": drafted.cure_due}
        status = "noticed" if current.status == "open" else current.status
        seq = set_status(txn, current, status, None, drafted.cure_due, extra, notice=True)
        record_file(txn, ref, notice_sha, "notice", target.name, seq)
        for path, data, digest in drafted.bundles:
            vault.blobs.put(data)  # the case file carries the very bundle that was sent
            record_file(txn, ref, digest, "evidence", path.name, seq)
            write_atomically(path, data, field="output")
        write_atomically(target, body, field="output")
    return Notice(incident=ref, kind=drafted.kind, file=str(target), format=fmt,
                  sha256=notice_sha, evidence=[str(p) for p, _, _ in drafted.bundles],
                  evidence_sha256=drafted.bundle_digests,
                  checkpoint_size=drafted.checkpoint_size, cure_due=drafted.cure_due, seq=seq)


def update(vault: Vault, incident: str, status: str, *, actor: str,
           notes: str | None = None) -> Incident:
    """Move an incident on: cured, escalated, settled, or terminated (which also terminates
    today the incident's agreements still in force with the party, each logged)."""
    from hallmark.agreements import agreements as _agreements
    from hallmark.enforce.incidents import get_incident, set_status

    _text(actor, "actor")
    ref = _id(incident, "incident", "the incident")
    if status not in UPDATE_STATUSES:
        raise InputError(f"must be one of {', '.join(UPDATE_STATUSES)} (got {status!r})",
                         field="status")
    notes = _args.optional_text(notes, "notes", empty=True, most=MAX_NOTES)
    day = today()
    with vault.transaction(actor) as txn:
        found = get_incident(txn.conn, ref)
        ended = []
        if status == "terminated":
            for agreement_id in found.agreements:
                ag = _agreements.get_agreement(txn.conn, agreement_id)
                if ag.state_on(day) in ("active", "pending") and \
                        found.party in ag.terms["parties"]:
                    _agreements.terminate(txn, agreement_id, max(
                        day, date.fromisoformat(ag.effective)))
                    ended.append(agreement_id)
        set_status(txn, found, status, notes, None, {"terminated_agreements": ended})
        return get_incident(txn.conn, ref)


def export_case(vault: Vault, incident: str, output: Path | str, *, actor: str) -> CaseFile:
    """Write the incident's case file (hallmark-case/1: its timeline, the evidence bundles,
    the agreement versions and documents, the notices, the access decisions and usage records
    involving the party), checkable with `verify-bundle`; logs `incident.exported`."""
    import hashlib

    from hallmark.enforce import case
    from hallmark.enforce.incidents import get_incident
    from hallmark.files import write_atomically
    from hallmark.ledger import bundle

    _text(actor, "actor")
    ref = _id(incident, "incident", "the incident")
    target = _path(output, "output")
    if target.is_dir() or not target.parent.is_dir():
        raise InputError(f"name a .zip file in an existing folder, not {target}",
                         field="output")
    with vault.read() as conn:
        found = get_incident(conn, ref)
        manifest, members = case.build(conn, vault.blobs, found, vault.key_name,
                                       vault.signing_key.public_key())
    data = bundle.zip_bytes(members)
    digest = hashlib.sha256(data).hexdigest()
    with vault.transaction(actor) as txn:
        txn.log.append("incident.exported", {"incident": ref, "case_sha256": digest,
                                             "tree_size": manifest["tree_size"],
                                             "format": manifest["format"]}, [ref])
        write_atomically(target, data, field="output")
    return CaseFile(incident=ref, file=str(target), format=manifest["format"],
                    tree_size=manifest["tree_size"], events=len(manifest["events"]),
                    files=[f["path"] for f in manifest["files"]], sha256=digest)

