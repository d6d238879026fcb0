"""RFC 3161 time-stamps over signed checkpoints (rfc3161-client), stored in `timestamps`.

The token's message imprint is SHA-256 over the exact checkpoint note (UTF-8), so a token proves
that the log had at least that size, with that root, at the TSA's time. Tokens made before
Hallmark asked for SHA-256 carry a SHA-512 imprint; verification uses whichever hash the token
names.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    TimeStampRequest,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from sqlalchemy import Connection, insert, select

from hallmark.errors import InputError, IntegrityError
from hallmark.files import read_small
from hallmark.ledger import note
from hallmark.store.clock import utcnow
from hallmark.store.tables import timestamps

if TYPE_CHECKING:
    from hallmark.vault import Txn

MAX_RESPONSE = 1 << 20
MAX_CERTS = 16


def parse_certificates(pem: bytes, field: str | None = None) -> list[x509.Certificate]:
    """PEM certificates (bounded count); InputError (naming `field`) when there are none or
    they do not parse."""
    if len(pem) > MAX_RESPONSE:
        raise InputError("certificate file is too large", field=field)
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InputError(f"not PEM certificates: {exc}", field=field) from exc
    if not 0 < len(certs) <= MAX_CERTS:
        raise InputError(f"expected 1..{MAX_CERTS} PEM certificates, found {len(certs)}",
                         field=field)
    return certs


def read_roots(path: Path | str | None,
               field: str | None = "tsa_root") -> list[x509.Certificate] | None:
    """The trusted TSA roots in the PEM file at `path`, or None when no file is named."""
    if path is None:
        return None
    return parse_certificates(read_small(path, "certificate", field=field), field)


def chain_pem(certs: list[x509.Certificate]) -> str:
    """Certificates as one PEM text, in a canonical order."""
    pems = sorted({c.public_bytes(Encoding.PEM).decode() for c in certs})
    return "".join(pems)


def decode(token: bytes) -> TimeStampResponse:
    """Parse a DER TimeStampResp; IntegrityError when it does not parse."""
    if len(token) > MAX_RESPONSE:
        raise IntegrityError("time-stamp token is too large")
    try:
        return decode_timestamp_response(token)
    except (ValueError, TypeError) as exc:
        raise IntegrityError(f"time-stamp token does not parse: {exc}") from exc


def embedded_certificates(response: TimeStampResponse) -> list[x509.Certificate]:
    """The certificates the TSA put in its SignedData."""
    return [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]


def verify_token(token: bytes, message: bytes, roots: list[x509.Certificate],
                 nonce: int | None = None) -> datetime:
    """Check a token over `message` against trusted roots; returns the TSA's time."""
    response = decode(token)
    if not roots:
        raise IntegrityError("no TSA certificate to check the time-stamp against")
    builder = VerifierBuilder(nonce=nonce)
    for cert in roots:
        builder = builder.add_root_certificate(cert)
    try:
        builder.build().verify_message(response, message)
    except (VerificationError, ValueError) as exc:
        raise IntegrityError(f"time-stamp does not verify: {exc}") from exc
    return response.tst_info.gen_time


def _request(message: bytes) -> TimeStampRequest:
    """A TimeStampReq over SHA-256(message), with a nonce, asking for the TSA's certificate.
    SHA-256 is what `openssl ts` and most TSAs use by default (the library's default is
    SHA-512)."""
    return (TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True).cert_request(cert_request=True).build())


def _post(url: str, body: bytes, timeout: float) -> bytes:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"TSA URL must be http(s)://HOST/...: {url!r}", field="tsa")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/timestamp-query",
                 "Accept": "application/timestamp-reply"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - checked
            data: bytes = reply.read(MAX_RESPONSE + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"cannot reach the TSA at {url}: {exc}", field="tsa") from exc
    if len(data) > MAX_RESPONSE:
        raise IntegrityError("the TSA's reply is too large")
    return data


@dataclass(frozen=True)
class Stamp:
    """A TSA's checked token over a checkpoint note, with the certificates that check it."""

    token: bytes
    chain: str
    gen_time: str


def stamp_checkpoint(checkpoint: str, url: str, roots: list[x509.Certificate] | None = None,
                     timeout: float = 30.0) -> Stamp:
    """Get an RFC 3161 token over the signed `checkpoint` note from the TSA at `url`, checked
    against `roots` (or, unpinned, against the certificates the TSA sent)."""
    message = checkpoint.encode()
    request = _request(message)
    token = _post(url, request.as_bytes(), timeout)
    embedded = embedded_certificates(decode(token))
    # Unpinned, the token can only be checked against what the TSA sent; say so in the output.
    trust = list(roots or []) or embedded
    try:
        gen_time = verify_token(token, message, trust, nonce=request.nonce)
    except IntegrityError as exc:
        hint = "" if roots else " (the TSA sent no usable root; pin a trusted one)"
        raise IntegrityError(f"{exc}{hint}", field=None if roots else "tsa_root") from exc
    return Stamp(token, chain_pem(embedded + list(roots or [])),
                 gen_time.strftime("%Y-%m-%dT%H:%M:%SZ"))


def store(txn: Txn, cp: note.Checkpoint, url: str, stamp: Stamp) -> int:
    """Record the stamp over `cp` (its `ledger.timestamped` event and its row); returns the
    event's sequence number."""
    # The entry binds the token's and chain's exact bytes to the signed log.
    seq = txn.log.append("ledger.timestamped", {
        "checkpoint_size": cp.size, "checkpoint_root": cp.root.hex(), "tsa": url,
        "gen_time": stamp.gen_time, "token_sha256": _sha256(stamp.token),
        "chain_sha256": _sha256(stamp.chain.encode()),
    })
    txn.conn.execute(insert(timestamps).values(
        checkpoint_size=cp.size, checkpoint=cp.note, tsa_url=url, token=stamp.token,
        chain=stamp.chain, gen_time=stamp.gen_time, event_seq=seq, created=utcnow(),
    ))
    return seq


def sha256(data: bytes) -> str:
    """SHA-256 hex of a token (what a time-stamp's output shows)."""
    return _sha256(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def latest_timestamp(conn: Connection, max_size: int | None = None) -> Any:
    """The stored timestamp over the largest checkpoint (at most `max_size`), or None."""
    query = select(timestamps).order_by(timestamps.c.checkpoint_size.desc(), timestamps.c.id.desc())
    if max_size is not None:
        query = query.where(timestamps.c.checkpoint_size <= max_size)
    return conn.execute(query.limit(1)).first()


def token_for(message: bytes, url: str, roots: list[x509.Certificate] | None = None,
              timeout: float = 30.0) -> dict[str, Any]:
    """An RFC 3161 token over `message` from the TSA at `url`, checked, as a JSON-ready record
    (`witness` keeps it beside the checkpoint it stamps)."""
    request = _request(message)
    token = _post(url, request.as_bytes(), timeout)
    embedded = embedded_certificates(decode(token))
    gen_time = verify_token(token, message, list(roots or []) or embedded, nonce=request.nonce)
    return {"tsa": url, "gen_time": gen_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pinned": bool(roots), "token": base64.b64encode(token).decode(),
            "chain": chain_pem(embedded + list(roots or []))}
