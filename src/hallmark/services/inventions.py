"""The inventions service: record invention disclosures, the patent filings made for them, and
their defensive publication."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.agreements import inventions as _inventions
from hallmark.agreements import publications as _publications
from hallmark.errors import HallmarkError, InputError
from hallmark.schemas.inventions import Filing, Invention, InventionList, PublishedDisclosure
from hallmark.services._args import optional_text, past_day, path, refs, sequence, text
from hallmark.store.clock import today

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["FILING_KINDS", "add_filing", "add_invention", "get_invention", "list_inventions",
           "publish"]

FILING_KINDS = _inventions.FILING_KINDS
MAX_TITLE = 300
NUMBER_RE = re.compile(r"[A-Za-z0-9/ ,.-]{1,40}")
MAX_ABSTRACT = 10_000
MAX_CLAIM = 5_000
MAX_CLAIMS = 50
MAX_URL = 2_000
URL_RE = re.compile(r"https?://[^\s/?#]+[^\s]*")


def add_invention(vault: Vault, title: str, conceived: str | date, inventors: Sequence[str],
                  assets: Sequence[str] | None = None, *, actor: str) -> Invention:
    """Record an invention disclosure; inventors are registered persons, assets embody it."""
    if not isinstance(title, str):
        raise InputError("an invention title is 1 to 300 characters", field="title")
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise InputError(f"an invention title is 1 to {MAX_TITLE} characters", field="title")
    day = past_day(conceived, "conceived")
    people = refs(inventors, "inventors", "inventors", _inventions.MAX_INVENTORS)
    embodied = refs(assets if assets is not None else [], "assets", "assets")
    with vault.transaction(actor) as txn:
        return _inventions.record_invention(txn, title, day, people, embodied)


def add_filing(vault: Vault, invention: str, kind: str, office: str, filed: str | date,
               number: str | None = None, *, actor: str) -> Filing:
    """Record a patent application filed for an invention (a national phase needs a PCT)."""
    if not isinstance(invention, str) or not invention.strip():
        raise InputError("name the invention by its id (inv-0001)", field="invention")
    if kind not in FILING_KINDS:
        raise InputError(f"must be one of {', '.join(FILING_KINDS)} (got {kind!r})",
                         field="kind")
    if not isinstance(office, str):
        raise InputError(f"{office!r} is not a two-letter office code (US, EP, WO ...)",
                         field="office")
    code = _inventions.office_code(office)
    day = past_day(filed, "filed")
    if number is not None and (not isinstance(number, str) or not NUMBER_RE.fullmatch(number)):
        raise InputError(f"{number!r} is not an application number", field="number")
    with vault.transaction(actor) as txn:
        return _inventions.record_filing(txn, invention, kind, code, day, number)


def get_invention(vault: Vault, invention: str) -> Invention:
    """One invention with its filings (NotFound when there is no such id)."""
    if not isinstance(invention, str) or not invention.strip():
        raise InputError("name the invention by its id (inv-0001)", field="invention")
    with vault.read() as conn:
        return _inventions.get_invention(conn, invention)


def list_inventions(vault: Vault) -> InventionList:
    """Every invention with its filings, by id."""
    with vault.read() as conn:
        return InventionList(inventions=_inventions.load_inventions(conn))


def _statements(values: object, field: str) -> list[str]:
    items = sequence(values, field)
    if not 1 <= len(items) <= MAX_CLAIMS:
        raise InputError(f"give 1 to {MAX_CLAIMS} statements of what is disclosed", field=field)
    return [text(v, field, most=MAX_CLAIM).strip() for v in items]


def _from_file(source: Path) -> dict[str, Any]:
    """`abstract` and `claims` from a YAML file; any other key is refused (a typo would
    silently publish less than meant)."""
    from hallmark.agreements.yamlsrc import load_file

    doc = load_file(source, field="source")
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping with abstract and claims")
    for key in doc.data:
        if key not in ("abstract", "claims"):
            raise doc.error((key,), f"unknown key {str(key)[:40]!r}: expected abstract, claims")
    found: dict[str, Any] = {}
    try:
        if "abstract" in doc.data:
            found["abstract"] = text(doc.data["abstract"], "abstract", most=MAX_ABSTRACT)
        if "claims" in doc.data:
            found["claims"] = _statements(doc.data["claims"], "claims")
    except InputError as exc:
        raise doc.error((exc.field or "",), exc.message) from None
    return found


def _output(value: object) -> tuple[Path, str]:
    target = path(value, "output")
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in _publications.FORMATS:
        raise InputError(f"{target.name!r}: name a .md or .pdf file", field="output")
    if target.is_dir() or not target.parent.is_dir():
        raise InputError(f"cannot write {target}: name a file in an existing folder",
                         field="output")
    return target, fmt


def publish(vault: Vault, invention: str, output: Path | str, *, actor: str,
            abstract: str | None = None, summary: Sequence[str] | None = None,
            source: Path | str | None = None, published: str | date | None = None,
            url: str | None = None) -> PublishedDisclosure:
    """Publish an invention defensively: write its dated disclosure to `output` (.md or .pdf),
    keep it as a blob, record the publication and log `invention.published`; with a TSA in
    hallmark.toml (`[timestamp] tsa`), time-stamp the log over that event. `abstract` and
    `summary` (claims-like statements) override those of the YAML file `source`."""
    if not isinstance(invention, str) or not invention.strip():
        raise InputError("name the invention by its id (inv-0001)", field="invention")
    target, fmt = _output(output)
    given = _from_file(path(source, "source")) if source is not None else {}
    if abstract is not None:
        given["abstract"] = text(abstract, "abstract", most=MAX_ABSTRACT)
    if summary is not None:
        given["claims"] = _statements(summary, "summary")
    if not given.get("abstract", "").strip():
        raise InputError("a defensive publication needs an abstract", field="abstract")
    if not given.get("claims"):
        raise InputError("a defensive publication needs at least one statement of what is "
                         "disclosed", field="summary")
    day = today() if published is None else past_day(published, "published")
    link = optional_text(url, "url", most=MAX_URL)
    if link is not None and not URL_RE.fullmatch(link.strip()):
        raise InputError(f"{link[:60]!r} is not an http(s) URL", field="url")
    with vault.transaction(actor) as txn:
        pub = _publications.publish(txn, vault.blobs, invention.strip(), target, fmt, day,
                                    link.strip() if link else None, given["abstract"],
                                    given["claims"])
    warnings = []
    raw = vault.config.get("timestamp")
    config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    tsa = config.get("tsa")
    if tsa:
        from hallmark.services import ledger

        try:
            stamp = ledger.timestamp(vault, tsa, actor=actor, tsa_root=config.get("tsa_root"))
        except HallmarkError as exc:
            # The publication stands (the file is out, the event logged): say what is missing.
            warnings.append(f"published, but not time-stamped: {exc}; time-stamp the log "
                            "later with `hallmark ledger timestamp`")
        else:
            with vault.transaction(actor) as txn:
                pub = _publications.record_timestamp(txn, pub, stamp.gen_time,
                                                     stamp.checkpoint_size, stamp.token_sha256)
    return PublishedDisclosure(invention=pub.invention, file=str(target),
                               size=target.stat().st_size, publication=pub, warnings=warnings)
