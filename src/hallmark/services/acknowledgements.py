"""The acknowledgements service: record that a person has read (or was trained on) an
agreement's terms in force, and list who has (and who still must)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hallmark.errors import InputError
from hallmark.schemas.acknowledgements import AcknowledgementList, AcknowledgementResult
from hallmark.services import _args
from hallmark.store import clock

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["acknowledge", "list_acknowledgements"]

MAX_ID = 64


def acknowledge(vault: Vault, agreement_id: str, person: str, *, kind: str = "read",
                actor: str) -> AcknowledgementResult:
    """Record that `person` (a party of kind person) acknowledged the agreement's version in
    force, by reading it or by training; logs `terms.acknowledged`. The same version twice
    records nothing (`recorded` is false)."""
    from hallmark.agreements import acknowledgements as acks
    from hallmark.agreements.agreements import get_agreement
    from hallmark.agreements.parties import resolve_party

    _args.text(actor, "actor")
    ref = _args.text(agreement_id, "agreement_id", most=MAX_ID).strip()
    who = _args.text(person, "person", most=_args.MAX_REF)
    if not isinstance(kind, str) or kind not in acks.KINDS:
        raise InputError(f"must be one of {', '.join(acks.KINDS)} (got {kind!r:.40})",
                         field="kind")
    today = clock.today()
    with vault.transaction(actor) as txn:
        ag = get_agreement(txn.conn, ref, field="agreement_id")
        state = ag.state_on(today)
        if state not in ("active", "pending"):
            raise InputError(f"agreement {ag.id} is {state}: its terms are no longer in force",
                             field="agreement_id")
        party = resolve_party(txn.conn, who, field="person")
        if party.kind != "person":
            raise InputError(f"{party.name!r} is a {party.kind}: each person acknowledges "
                             "for themselves", field="person")
        found, recorded = acks.record(txn, ag, party, kind)
    return AcknowledgementResult(acknowledgement=found, recorded=recorded)


def list_acknowledgements(vault: Vault, agreement_id: str | None = None,
                          ) -> AcknowledgementList:
    """Every acknowledgement (of one agreement, when named), oldest first, each saying whether
    it is for the version in force; and who must still acknowledge an agreement in force that
    requires it."""
    from hallmark.agreements import acknowledgements as acks
    from hallmark.agreements.agreements import get_agreement, load_agreements

    ref = None
    if agreement_id is not None:
        ref = _args.text(agreement_id, "agreement_id", most=MAX_ID).strip()
    with vault.read() as conn:
        every = load_agreements(conn)
        named = every if ref is None else [get_agreement(conn, ref, field="agreement_id")]
        return AcknowledgementList(acknowledgements=acks.load(conn, every, ref),
                                   missing=acks.missing(conn, named, clock.today()))
