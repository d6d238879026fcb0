"""Defensive publications: a dated disclosure of an invention (title, abstract, claims-like
summary, the assets it concerns by digest, inventors, conception date), written as Markdown or
as a text PDF, kept as a blob, and logged so that the log (and a time-stamp over it) proves
what was disclosed and when. One publication per invention: a second would make the first's
date ambiguous as prior art."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, update

from hallmark.agreements.inventions import get_invention
from hallmark.agreements.parties import load_parties
from hallmark.errors import InputError
from hallmark.files import write_atomically
from hallmark.inventory.assets import resolve
from hallmark.reports import textpdf
from hallmark.schemas.inventions import Invention, Publication
from hallmark.store.clock import utcnow
from hallmark.store.tables import publications

if TYPE_CHECKING:
    from hallmark.schemas.inventory import Asset
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

__all__ = ["FORMATS", "publish", "record_timestamp", "render"]

FORMATS = ("md", "pdf")
STATEMENT = ("This document discloses the invention described above to the public as of the "
             "publication date, so that it forms part of the state of the art (prior art) from "
             "that date. The digests identify the exact files the disclosure concerns.")


def _facts(inv: Invention, inventors: list[str], published: date,
           url: str | None) -> list[tuple[str, str]]:
    facts = [("Invention", inv.id), ("Publication date", published.isoformat()),
             ("Conception date", inv.conceived), ("Inventors", ", ".join(inventors))]
    return facts + ([("Public URL", url)] if url else [])


def _markdown(inv: Invention, inventors: list[str], assets: list[Asset], published: date,
              url: str | None, abstract: str, claims: list[str]) -> bytes:
    # A table cell or a list item must not be broken by the user's own `|` or line breaks.
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = [f"# Defensive publication: {cell(inv.title)}", ""]
    lines += [f"- **{k}:** {cell(v)}" for k, v in _facts(inv, inventors, published, url)]
    lines += ["", "## Abstract", "", abstract.strip(), "", "## Summary of what is disclosed", ""]
    lines += [f"{i}. {cell(c)}" for i, c in enumerate(claims, start=1)]
    lines += ["", "## Assets concerned", ""]
    if assets:
        lines += ["| asset | kind | path | SHA-256 | BLAKE3 |", "|---|---|---|---|---|"]
        lines += [f"| {cell(a.name)} | {a.kind} | {cell(a.path)} | `{a.sha256}` | `{a.blake3}` |"
                  for a in assets]
    else:
        lines.append("None recorded.")
    lines += ["", "## Statement", "", STATEMENT, ""]
    return "\n".join(lines).encode()


def _pdf(inv: Invention, inventors: list[str], assets: list[Asset], published: date,
         url: str | None, abstract: str, claims: list[str]) -> bytes:
    blocks: list[textpdf.Block] = [("title", f"Defensive publication: {inv.title}")]
    blocks += [("body", f"{k}: {v}") for k, v in _facts(inv, inventors, published, url)]
    blocks += [("heading", "Abstract"), ("body", abstract.strip()),
               ("heading", "Summary of what is disclosed")]
    blocks += [("body", f"{i}. {c}") for i, c in enumerate(claims, start=1)]
    blocks.append(("heading", "Assets concerned"))
    blocks += [("body", f"{a.name} ({a.kind}, {a.path})\nSHA-256: {a.sha256}\n"
                        f"BLAKE3: {a.blake3}") for a in assets] or [("body", "None recorded.")]
    blocks += [("heading", "Statement"), ("body", STATEMENT)]
    return textpdf.render(blocks, title=f"Defensive publication: {inv.title}")


def render(fmt: str, inv: Invention, inventors: list[str], assets: list[Asset],
           published: date, url: str | None, abstract: str, claims: list[str]) -> bytes:
    """The disclosure document's bytes (`fmt`: md or pdf); the same inputs give the same
    bytes, so its digest can be checked against a copy found later."""
    make = _pdf if fmt == "pdf" else _markdown
    return make(inv, inventors, assets, published, url, abstract, claims)


def publish(txn: Txn, blobs: BlobStore, invention_id: str, output: Path, fmt: str,
            published: date, url: str | None, abstract: str, claims: list[str]) -> Publication:
    """Write the disclosure to `output` and the blob store, its row and its event, together:
    a failure anywhere leaves no row (the transaction rolls back) and no file."""
    inv = get_invention(txn.conn, invention_id)
    if inv.publication is not None:
        raise InputError(f"{inv.id} was already published on {inv.publication.published} "
                         "(one publication per invention)", field="invention")
    if published < date.fromisoformat(inv.conceived):
        raise InputError(f"{published} is before the invention was conceived "
                         f"({inv.conceived})", field="published")
    index = load_parties(txn.conn)
    inventors = [index[p].name if p in index else p for p in inv.inventors]
    assets = [resolve(txn.conn, a) for a in inv.assets]
    data = render(fmt, inv, inventors, assets, published, url, abstract, claims)
    digest = hashlib.sha256(data).hexdigest()
    seq = txn.log.append("invention.published", {
        "invention": inv.id, "disclosure_sha256": digest, "format": fmt,
        "published": published.isoformat(), "url": url}, [inv.id, *inv.assets])
    pub = Publication(invention=inv.id, published=published.isoformat(), url=url,
                      disclosure_sha256=digest, format=fmt, timestamped=None, seq=seq,
                      created=utcnow())
    txn.conn.execute(insert(publications).values(**pub.model_dump()))
    blobs.put(data)  # content-addressed: a copy left by a failure below is harmless
    write_atomically(output, data, field="output")  # last: its failure rolls the rows back
    return pub


def record_timestamp(txn: Txn, pub: Publication, gen_time: str, checkpoint_size: int,
                     token_sha256: str) -> Publication:
    """Note on the publication the RFC 3161 time of the stamp over a checkpoint covering its
    event, and log that."""
    txn.conn.execute(update(publications).where(publications.c.invention == pub.invention)
                     .values(timestamped=gen_time))
    txn.log.append("invention.publication-timestamped", {
        "invention": pub.invention, "gen_time": gen_time, "checkpoint_size": checkpoint_size,
        "token_sha256": token_sha256}, [pub.invention])
    return pub.model_copy(update={"timestamped": gen_time})
