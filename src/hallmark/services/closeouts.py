"""The close-out service: record what became of each shared copy (returned, or destroyed with a
certificate kept by digest), and close out an agreement that has ended with a post-partnership
report (JSON and HTML, both stored by digest) and one logged `agreement.closed_out`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import InputError
from hallmark.schemas.closeouts import CloseOut, CloseOutReport, Disposition, DispositionList
from hallmark.services import _args
from hallmark.store.clock import today

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["DISPOSITIONS", "MAX_CERTIFICATE", "close_out", "dispose", "list_dispositions"]

DISPOSITIONS = ("returned", "destroyed")
MAX_CERTIFICATE = 20 << 20  # a scanned PDF certificate; larger is not a certificate
MAX_LESSONS = 20_000
ALERTS_NOTE = "no alerts are recorded (no gateway): Hallmark has no serving gateway yet"
TOKENS_ELSEWHERE = ("revoke the partner's accounts and keys in the other systems that issued "
                    "them")


def _tokens_note(revoked: int, kept: int) -> str:
    """What the close-out did to the partner's Hallmark API tokens, and what is left to do."""
    if not revoked and not kept:
        return f"the partner held no Hallmark API token; {TOKENS_ELSEWHERE}"
    done = f"{revoked} Hallmark API token{'s' * (revoked != 1)} of the partner revoked"
    if kept:
        done += (f"; {kept} kept, {'its' if kept == 1 else 'their'} party still having "
                 "another agreement in force")
    return f"{done}; {TOKENS_ELSEWHERE}"


def _id(value: object, field: str, what: str) -> str:
    text = _args.text(value, field, most=128)
    if any(c.isspace() or not c.isprintable() for c in text.strip()):
        raise InputError(f"name {what} by its id", field=field)
    return text.strip()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _day(on: object) -> date:
    return today() if on is None else _args.past_day(on, "on")


def _certificate(vault: Vault, certificate: object) -> tuple[bytes, str] | None:
    """The certificate's bytes and file name, read bounded (a folder, a missing file, an empty
    or too large one, and the vault's own keys, however linked, refused)."""
    from hallmark.files import read_small

    if certificate is None:
        return None
    path = _args.path(certificate, "certificate")
    if path.is_dir():
        raise InputError(f"{path} is a folder; name the certificate file", field="certificate")
    # a certificate is stored as a blob and its digest logged: a secret must never be
    if path.resolve().is_relative_to((vault.dir / "keys").resolve()):
        raise InputError(f"{path.name} is one of the vault's keys, not a certificate",
                         field="certificate")
    data = read_small(path, "certificate", field="certificate", limit=MAX_CERTIFICATE)
    if not data:
        raise InputError(f"{path} is empty", field="certificate")
    return data, path.name


def dispose(vault: Vault, share: str, disposition: str, *, actor: str,
            certificate: Path | str | None = None, on: date | str | None = None,
            ) -> Disposition:
    """Record that a shared copy was returned or destroyed (on `on`, default today); a
    destruction needs its certificate, stored by digest. Logs `share.disposed`."""
    from hallmark.agreements.closeout import record_disposition, share_row

    _args.text(actor, "actor")
    share_id = _id(share, "share", "the share")
    if disposition not in DISPOSITIONS:
        raise InputError(f"must be one of {', '.join(DISPOSITIONS)} (got {disposition!r:.40})",
                         field="disposition")
    day = _day(on)
    cert = _certificate(vault, certificate)
    if disposition == "destroyed" and cert is None:
        raise InputError("a destruction is recorded with its certificate of destruction",
                         field="certificate")
    with vault.transaction(actor) as txn:
        row = share_row(txn.conn, share_id)
        found = record_disposition(txn, row, disposition, day,
                                   (_sha256(cert[0]), cert[1]) if cert is not None else None)
        if cert is not None:  # stored once the disposition is sure to be recorded
            vault.blobs.put(cert[0])
        return found


def list_dispositions(vault: Vault, agreement_id: str | None = None) -> DispositionList:
    """Every recorded disposition, or those of one agreement's shares."""
    from hallmark.agreements.agreements import get_agreement
    from hallmark.agreements.closeout import load_dispositions

    wanted = None if agreement_id is None else _id(agreement_id, "agreement_id",
                                                   "the agreement")
    with vault.read() as conn:
        if wanted is not None:
            wanted = get_agreement(conn, wanted, field="agreement_id").id
        return DispositionList(dispositions=load_dispositions(conn, wanted))


def _output(output: object, agreement_id: str) -> Path:
    target = Path.cwd() / f"closeout-{agreement_id}.html" if output is None else \
        _args.path(output, "output")
    if target.is_dir() or not target.parent.is_dir():
        raise InputError(f"name an .html file in an existing folder, not {target}",
                         field="output")
    return target


def close_out(vault: Vault, agreement_id: str, *, actor: str,
              certificate: Path | str | None = None, force: bool = False,
              on: date | str | None = None, output: Path | str | None = None,
              lessons: str | None = None) -> CloseOut:
    """Close out an agreement that has ended (in force: refused unless `force`, then logged as
    forced): the certificate accounts for every copy not yet returned or destroyed; the
    post-partnership report is written to `output` as HTML, stored with its JSON by digest,
    and logged once with `agreement.closed_out`. A close-out is final."""
    import rfc8785

    from hallmark.agreements import closeout as rows
    from hallmark.agreements.agreements import get_agreement
    from hallmark.files import write_atomically
    from hallmark.reports.closeout import derive_lessons, render_html
    from hallmark.services._tokens import close_out_tokens
    from hallmark.store.clock import utcnow

    _args.text(actor, "actor")
    ref = _id(agreement_id, "agreement_id", "the agreement")
    if not isinstance(force, bool):
        raise InputError(f"must be true or false (got {type(force).__name__})", field="force")
    day = _day(on)
    notes = _args.optional_text(lessons, "lessons", empty=True, most=MAX_LESSONS)
    cert = _certificate(vault, certificate)
    now_day = today()
    with vault.read() as conn:  # refuse early, before a report is drafted
        ag = get_agreement(conn, ref, field="agreement_id")
        _refuse(conn, ag, day, now_day, force, cert is not None)
    target = _output(output, ag.id)
    with vault.transaction(actor) as txn:
        ag = get_agreement(txn.conn, ref, field="agreement_id")  # as it stands now
        state = _refuse(txn.conn, ag, day, now_day, force, cert is not None)
        disposed: list[str] = []
        cert_sha = _sha256(cert[0]) if cert is not None else None
        if cert is not None and cert_sha is not None:
            for share_id in rows.unaccounted_shares(txn.conn, ag.id):
                rows.record_disposition(txn, rows.share_row(txn.conn, share_id), "destroyed",
                                        day, (cert_sha, cert[1]), field="certificate")
                disposed.append(share_id)
        facts = rows.gather(txn.conn, vault.blobs, ag, day, now_day)
        # the partners' API tokens end with the partnership (each logged `token.revoked`)
        revoked, kept = close_out_tokens(txn, ag, {p.id for p in facts["parties"]
                                                   if p.partner}, now_day)
        report = CloseOutReport(
            agreement=ag.id, title=ag.title, type=ag.type, status=ag.status, state=state,
            effective=ag.effective, expires=ag.expires, terminated_on=ag.terminated_on,
            closed=day.isoformat(), forced=state in ("active", "pending"),
            parties=facts["parties"], shares=facts["shares"], traces=facts["traces"],
            incidents=facts["incidents"], alerts=[], alerts_note=ALERTS_NOTE,
            obligations=facts["obligations"], tokens_revoked=revoked, tokens_kept=kept,
            tokens_note=_tokens_note(len(revoked), len(kept)),
            lessons=derive_lessons(facts, state in ("active", "pending")), notes=notes,
            checkpoint_size=txn.log.size, checkpoint_root=txn.log.root.hex(),
            generated=utcnow(), actor=actor)
        html = render_html(report)
        canonical = rfc8785.dumps(report.to_json())
        report_sha, html_sha = _sha256(canonical), _sha256(html)
        unaccounted = [s.share for s in report.shares if s.status == "unaccounted"]
        summary: dict[str, Any] = {
            "state": state, "file": target.name, "checkpoint_size": report.checkpoint_size,
            "checkpoint_root": report.checkpoint_root,
            "certificate_sha256": cert_sha, "disposed": disposed,
            "shares": len(report.shares), "unaccounted": unaccounted,
            "traces": [t.trace for t in report.traces],
            "tokens_revoked": [t.token for t in revoked],
            "tokens_kept": [t.token for t in kept],
            "open_incidents": [i.incident for i in report.incidents
                               if i.status not in rows.FINAL_INCIDENT]}
        seq = rows.record_closeout(txn, ag, day, report.forced, report_sha, html_sha, summary,
                                   sorted({ag.id, *ag.terms["parties"],
                                           *(s.share for s in report.shares),
                                           *(t.token for t in revoked)}))
        # written inside the transaction, before the blobs: a file that cannot be written
        # logs and stores nothing
        write_atomically(target, html, field="output")
        for data in (canonical, html, *([cert[0]] if cert is not None else [])):
            vault.blobs.put(data)
    return CloseOut(agreement=ag.id, closed=day.isoformat(), forced=report.forced,
                    file=str(target), report_sha256=report_sha, html_sha256=html_sha,
                    certificate_sha256=cert_sha, disposed=disposed,
                    unaccounted=unaccounted, seq=seq, report=report)


def _refuse(conn: Any, ag: Any, day: date, now_day: date, force: bool,
            with_certificate: bool) -> str:
    """The agreement's state today, after refusing what cannot be closed out: a second
    close-out, a day before it began, one in force (unless forced), a certificate that would
    account for no copy."""
    from hallmark.agreements import closeout as rows

    done = rows.closeout_row(conn, ag.id)
    if done is not None:
        raise InputError(f"agreement {ag.id} was already closed out on {done.closed} (a "
                         "close-out is final)", field="agreement_id")
    state = str(ag.state_on(now_day))
    if state == "pending" and not force:
        raise InputError(f"agreement {ag.id} has not begun (it takes effect on {ag.effective}): "
                         "force the close-out of a partnership that never started (logged)",
                         field="agreement_id")
    if state == "active" and not force:
        raise InputError(f"agreement {ag.id} is still in force (active"
                         + (f" until {ag.expires}" if ag.expires else "")
                         + "): terminate it first, or force the close-out (which is logged)",
                         field="agreement_id")
    if day < date.fromisoformat(ag.effective) and state != "pending":
        raise InputError(f"{day} is before the agreement's effective date {ag.effective}",
                         field="on")
    if with_certificate and not rows.unaccounted_shares(conn, ag.id):
        raise InputError(f"every copy shared under {ag.id} is already accounted for: the "
                         "certificate would cover none", field="certificate")
    return state
