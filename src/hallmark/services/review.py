"""The review service: which clauses an agreement's document has, which its type requires and
lacks, and which are risky; the clause catalogue; the report as an HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import InputError
from hallmark.schemas.agreements import MissingRequired
from hallmark.schemas.review import ClauseType, ReviewReport
from hallmark.services._args import path as checked_path
from hallmark.services._args import text

if TYPE_CHECKING:
    from hallmark.agreements.review_link import PreparedReview

__all__ = ["review", "review_bytes", "review_text", "catalogue", "clause_titles",
           "agreement_types", "render_html", "write_html", "sample_path"]


def _check_type(agreement_type: object) -> None:
    if agreement_type is not None and not isinstance(agreement_type, str):
        raise InputError(f"expected text, got {type(agreement_type).__name__}",
                         field="agreement_type")


def _normalised(agreement_type: str | None) -> str | None:
    from hallmark.review.service import normalise_type

    _check_type(agreement_type)
    try:
        return normalise_type(agreement_type)
    except InputError as exc:
        raise InputError(exc.message, field="agreement_type") from None


def review(file: Path | str, agreement_type: str | None = None) -> ReviewReport:
    """Review a PDF, DOCX, HTML, Markdown or text file (against a type's required clauses)."""
    from hallmark.review.extract import extract
    from hallmark.review.service import review_blocks

    file = checked_path(file, "file")
    kind = _normalised(agreement_type)  # a bad type fails before any parsing
    return review_blocks(extract(Path(file), field="file").blocks, kind)


def review_bytes(data: bytes, name: str, agreement_type: str | None = None) -> ReviewReport:
    """Review a document's bytes; `name` (its file name) tells its format."""
    from hallmark.review.extract import detect_format, extract_bytes
    from hallmark.review.service import review_blocks

    if not isinstance(data, bytes):
        raise InputError(f"expected bytes, got {type(data).__name__}", field="data")
    if not isinstance(name, str) or not name.strip():
        raise InputError("a document needs a file name", field="name")
    kind = _normalised(agreement_type)
    document = extract_bytes(data, name, detect_format(Path(name), data[:1024]))
    return review_blocks(document.blocks, kind)


def review_text(text: str, agreement_type: str | None = None) -> ReviewReport:
    """Review plain text whose paragraphs are separated by blank lines."""
    from hallmark.review.service import review_text as review_plain

    if not isinstance(text, str):
        raise InputError(f"expected text, got {type(text).__name__}", field="text")
    return review_plain(text, _normalised(agreement_type))


def catalogue() -> list[ClauseType]:
    """Every clause type the review knows, with its title and what a good clause covers."""
    from hallmark.review.service import clause_catalogue

    return [ClauseType(id=k, title=str(v.get("title", k)), covers=str(v.get("covers", "")))
            for k, v in clause_catalogue().items()]


def clause_titles() -> dict[str, str]:
    """Clause type id -> its title."""
    return {c.id: c.title for c in catalogue()}


def agreement_types() -> list[str]:
    """The agreement types a review can check required clauses for."""
    from hallmark.review.service import agreement_types as types

    return types()


def render_html(report: ReviewReport, source: str) -> str:
    """The report as one self-contained HTML page (every text escaped; no scripts)."""
    from hallmark.review.html import render_html as render

    if not isinstance(report, ReviewReport):
        raise InputError(f"expected a ReviewReport, got {type(report).__name__}",
                         field="report")
    return render(report, text(source, "source", empty=True))


def write_html(report: ReviewReport, source: str, path: Path | str) -> None:
    """Write the report's HTML page to `path` atomically (a reader never sees half of it)."""
    from hallmark.files import write_atomically

    path = checked_path(path, "html")
    write_atomically(Path(path), render_html(report, source), field="html")


def _missing_required(review_type: str, missing: list[str]) -> list[MissingRequired]:
    # For services.agreements, from what it stored with the agreement.
    """Missing clause types with the reason the review type requires each and what it covers."""
    from hallmark.review.service import clause_catalogue, requirements

    required = requirements().get(review_type, {}).get("requires", {})
    known = clause_catalogue()
    return [MissingRequired(type=t, reason=str(required.get(t, "")),
                            covers=str(known.get(t, {}).get("covers", ""))) for t in missing]


def _prepare(agreement_type: str, data: bytes, name: str) -> PreparedReview:
    """Review a checked document's bytes for an agreement type, ready to store with it;
    InputError (scanned, encrypted, corrupt, empty) when it cannot be reviewed."""
    from hallmark.agreements.review_link import PreparedReview, review_type_for
    from hallmark.review.extract import detect_format, extract_bytes
    from hallmark.review.service import review_blocks

    kind = review_type_for(agreement_type)
    # The bytes that are stored are the bytes that are reviewed: no second read of the path.
    document = extract_bytes(data, name, detect_format(Path(name), data[:1024]))
    report: dict[str, Any] = review_blocks(document.blocks, kind).to_json()
    return PreparedReview(kind, report)


def sample_path(name: str = "nda_residuals.txt") -> Path:
    """The path of a sample agreement shipped with the package."""
    from hallmark.review.service import sample_path as path

    return path(text(name, "name"))
