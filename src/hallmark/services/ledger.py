"""The ledger service: the vault's append-only Merkle log, its entries and proofs, full
verification, witnessing (with a cosigning second vault) and RFC 3161 time-stamps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hallmark.errors import HallmarkError, InputError, IntegrityError, NotFound
from hallmark.schemas.ledger import (
    ConsistencyProof,
    InclusionProof,
    LedgerStatus,
    LedgerTimestamp,
    LogEntry,
    LogVerification,
    PublicKey,
    SignedCheckpoint,
    StatusTimestamp,
    WitnessResult,
)
from hallmark.services._args import integer, sequence
from hallmark.services._args import path as _path
from hallmark.services._args import renamed as _renamed

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["checkpoint", "consistency", "entries", "entry", "prove", "public_key", "status",
           "timestamp", "verify", "witness"]

KeyKind = Literal["verifier-key", "pem", "oms"]


def _key(vault: Vault) -> tuple[str, Any]:
    return vault.key_name, vault.signing_key.public_key()


def _seq(n: object, field: str = "n") -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise InputError(f"must be an entry number (an integer), not {n!r}", field=field)
    return integer(n, field, least=-(2**62))  # a negative number is refused where it is used


def status(vault: Vault) -> LedgerStatus:
    """Size, root and newest checkpoint (and time-stamp) of the log."""
    from hallmark.ledger import log, note
    from hallmark.ledger.timestamp import latest_timestamp

    with vault.read() as conn:
        size, root = log.head(conn)
        text = log.latest_checkpoint(conn)
        stamp = latest_timestamp(conn)
    return LedgerStatus(
        origin=vault.origin, size=size, root=root.hex(),
        checkpoint_size=note.open_checkpoint(text, *_key(vault)).size if text else None,
        verifier_key=note.verifier_key(*_key(vault)),
        timestamp=None if stamp is None else StatusTimestamp(
            checkpoint_size=stamp.checkpoint_size, gen_time=stamp.gen_time, tsa=stamp.tsa_url))


def _entry(found: dict[str, Any]) -> LogEntry:
    from pydantic import ValidationError

    from hallmark.ledger import merkle

    try:
        return LogEntry(seq=found["seq"], leaf_hash=merkle.leaf_hash(found["entry"]).hex(),
                        **found["parsed"])
    except (ValidationError, InputError, TypeError) as exc:  # schemas raise InputError
        raise IntegrityError(f"log entry {found['seq']} is not a well-formed entry: it was "
                             "tampered with (run `hallmark ledger verify`)") from exc


def entry(vault: Vault, n: int) -> LogEntry:
    """Entry `n` (0-based) of the log: who did what, when, about which subjects."""
    from hallmark.ledger import log

    seq = _seq(n)
    with vault.read() as conn:
        try:
            return _entry(log.event(conn, seq))
        except NotFound as exc:
            raise _renamed(exc, "n") from exc


def entries(vault: Vault, subject: str) -> list[LogEntry]:
    """Every entry of the log that names `subject` (an asset id, a share id...), oldest first."""
    from hallmark.ledger import log

    if not isinstance(subject, str) or not subject.strip():
        raise InputError("must name a log subject", field="subject")
    with vault.read() as conn:
        return [_entry(log.event(conn, seq)) for seq in log.events_for(conn, subject.strip())]


def prove(vault: Vault, n: int) -> InclusionProof:
    """The inclusion proof of entry `n` in the newest signed checkpoint."""
    from hallmark.ledger import verify

    seq = _seq(n)
    with vault.read() as conn:
        cp = verify.latest(conn, *_key(vault))
        try:
            proof = verify.inclusion(conn, seq, cp)
        except NotFound as exc:
            raise _renamed(exc, "n") from exc
    return InclusionProof(**proof, checkpoint=cp.note, root=cp.root.hex())


def consistency(vault: Vault, old: Path | str) -> ConsistencyProof:
    """Prove that the log today extends the checkpoint saved in the file `old`; IntegrityError
    when history was rewritten or cut back."""
    from hallmark.files import read_small
    from hallmark.ledger import note, verify

    path = _path(old, "old")
    try:
        text = read_small(path, "checkpoint", field="old").decode()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not a text checkpoint", field="old") from exc
    old_cp = note.open_checkpoint(text, *_key(vault))
    with vault.read() as conn:
        new_cp = verify.latest(conn, *_key(vault))
        proof = verify.consistency(conn, old_cp, new_cp)
    return ConsistencyProof(consistent=True, **proof)


def checkpoint(vault: Vault, output: Path | str | None = None) -> SignedCheckpoint:
    """The newest signed checkpoint note; also written to `output` when given."""
    from hallmark.files import write_atomically
    from hallmark.ledger import verify

    target = None if output is None else _path(output, "output")
    with vault.read() as conn:
        cp = verify.latest(conn, *_key(vault))
    if target is not None:
        write_atomically(target, cp.note, field="output")
    return SignedCheckpoint(size=cp.size, root=cp.root.hex(), note=cp.note,
                            file=None if target is None else str(target))


def _cosigner_vkey(cosigner_key: str | None) -> str | None:
    from hallmark.ledger import witness as witnessing

    if cosigner_key is None:
        return None
    if not isinstance(cosigner_key, str):
        raise InputError("must be a cosigner verifier key", field="cosigner_key")
    try:
        witnessing.parse_cosigner_vkey(cosigner_key)
    except InputError as exc:
        raise _renamed(exc, "cosigner_key") from exc
    return cosigner_key


def verify(vault: Vault, *, witness_files: Sequence[Path | str] = (),
           cosigner_key: str | None = None, tsa_root: Path | str | None = None,
           ) -> LogVerification:
    """Recompute the whole tree and check every node, the subject index, every checkpoint (one
    must sign the head) and every record of the witness files; `ok` says whether all held.
    `cosigner_key` and `tsa_root` require every witnessed checkpoint to be cosigned by that
    cosigner and time-stamped by a TSA under those roots."""
    from hallmark.ledger import timestamp as stamping
    from hallmark.ledger import verify as verifying
    from hallmark.ledger import witness as witnessing

    if isinstance(witness_files, str | Path):
        witness_files = [witness_files]
    files = [_path(f, "witness_files") for f in sequence(witness_files, "witness_files")]
    pinned = _cosigner_vkey(cosigner_key)  # a bad key is about the key, files or no files
    if (cosigner_key or tsa_root) and not files:
        raise InputError("a cosigner key and TSA roots pin what a witness file holds: name one",
                         field="witness_files")
    roots = stamping.read_roots(None if tsa_root is None else _path(tsa_root, "tsa_root"))
    name, key = _key(vault)
    witnessed = witnessing.expect(files, vault.origin, name, key, pinned, roots,
                                  field="witness_files")
    with vault.read() as conn:
        report = verifying.verify_log(conn, vault.origin, name, key, witnessed=witnessed)
    return LogVerification(
        ok=report.ok, size=report.size, root=report.root.hex(), nodes_checked=report.nodes,
        checkpoints_checked=report.checkpoints, witnessed_checked=report.witnessed,
        subjects_checked=report.subjects, seconds=round(report.seconds, 3),
        problem=report.problem, bad_entry=report.bad_entry)


def _cosign(cosigner: Vault, vault: Vault, cp: Any, actor: str) -> str:
    """A cosignature/v1 by the second vault, which first checks the log against the largest
    checkpoint of it that it cosigned before (kept in its own log) and then records this one."""
    from hallmark.ledger import witness as witnessing

    if cosigner.origin == vault.origin:
        raise InputError("a vault cannot cosign its own log: name a second vault",
                         field="cosigner")
    with cosigner.read() as conn:
        last = witnessing.last_cosigned(conn, cp.origin,
                                        f"the checkpoint cosigned by {cosigner.origin}")
    if last is not None:
        with vault.read() as conn:
            witnessing.consistent(conn, last, cp)
    with cosigner.transaction(actor) as txn:
        return witnessing.cosign_into(txn, cp, cosigner.key_name, cosigner.signing_key)


def witness(vault: Vault, to: Path | str, *, actor: str, cosigner: Path | str | None = None,
            tsa: str | None = None, tsa_root: Path | str | None = None) -> WitnessResult:
    """Append the current signed checkpoint to the witness file `to` (kept outside the vault),
    after checking that the log is consistent with everything witnessed there before;
    optionally cosigned by the `cosigner` vault (its event attributed to `actor`) and
    time-stamped by the TSA at `tsa` (default: `[timestamp] tsa` in hallmark.toml)."""
    from hallmark.ledger import timestamp as stamping
    from hallmark.ledger import witness as witnessing
    from hallmark.vault import Vault

    target = _path(to, "to")
    second = None
    if cosigner is not None:
        try:
            second = Vault.find(_path(cosigner, "cosigner"), use_env_db=False)
        except HallmarkError as exc:
            raise _renamed(exc, "cosigner") from exc
    if tsa is not None and not isinstance(tsa, str):
        raise InputError("must be a TSA URL", field="tsa")
    url = tsa or vault.config.get("timestamp", {}).get("tsa") or None
    roots = stamping.read_roots(None if tsa_root is None else _path(tsa_root, "tsa_root"))
    name, key = _key(vault)
    records = witnessing.load(target, field="to") if target.exists() else []
    earlier = witnessing.of_this_log(vault.origin, records)
    seen = witnessing.check(earlier, vault.origin, name, key) if earlier else []
    with vault.read() as conn:
        cp = witnessing.current(conn, name, key, seen)
    note_text, vkey = cp.note, None
    if second is not None:
        note_text = _cosign(second, vault, cp, actor)
        vkey = witnessing.cosigner_vkey(second.key_name, second.signing_key.public_key())
    stamp = stamping.token_for(note_text.encode(), url, roots) if url else None
    witnessing.append_record(target, cp, note_text, vkey, stamp)
    return WitnessResult(witness=str(target), origin=cp.origin, size=cp.size,
                         root=cp.root.hex(), cosigner=vkey, timestamped=bool(url),
                         previously_witnessed=len(seen))


def timestamp(vault: Vault, tsa: str, *, actor: str,
              tsa_root: Path | str | None = None) -> LedgerTimestamp:
    """Get an RFC 3161 time-stamp over the newest checkpoint from the TSA at `tsa` (checked
    against the PEM roots in `tsa_root`, else the TSA's own certificates) and record it."""
    from hallmark.ledger import log, note
    from hallmark.ledger import timestamp as stamping

    if not isinstance(tsa, str) or not tsa.strip():
        raise InputError("must be a TSA URL", field="tsa")
    roots = stamping.read_roots(None if tsa_root is None else _path(tsa_root, "tsa_root"))
    with vault.read() as conn:
        text = log.latest_checkpoint(conn)
    if text is None:
        raise NotFound("the log is empty: nothing to time-stamp")
    cp = note.open_checkpoint(text, *_key(vault))
    stamp = stamping.stamp_checkpoint(text, tsa, roots)
    with vault.transaction(actor) as txn:
        stamping.store(txn, cp, tsa, stamp)
    return LedgerTimestamp(checkpoint_size=cp.size, tsa=tsa, gen_time=stamp.gen_time,
                           pinned=bool(roots), token_sha256=stamping.sha256(stamp.token))


def public_key(vault: Vault, kind: KeyKind = "verifier-key",
               output: Path | str | None = None) -> PublicKey:
    """One of the vault's public keys as text: the log's C2SP verifier key, the log key as PEM,
    or the OMS (model signing) P-256 key as PEM; also written to `output` when given."""
    from hallmark.files import write_atomically
    from hallmark.ledger import bundle, model_sign, note

    if kind == "oms":
        text = model_sign.public_pem(vault.dir / "keys").decode()
    elif kind == "pem":
        text = bundle.public_pem(vault.signing_key.public_key()).decode()
    elif kind == "verifier-key":
        text = note.verifier_key(*_key(vault)) + "\n"
    else:
        raise InputError(f"must be one of verifier-key, pem, oms, not {kind!r}", field="kind")
    target = None if output is None else _path(output, "output")
    if target is not None:
        write_atomically(target, text, field="output")
    return PublicKey(kind=kind, text=text, file=None if target is None else str(target))
