"""Text extraction from PDF, DOCX, HTML, Markdown and plain text, bounded against hostile files.

Every failure a user can cause (empty, encrypted, scanned, corrupt, zip bomb, too big) becomes an
InputError with one clear line; nothing is executed, and every parser is bounded in size.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from hallmark.errors import InputError
from hallmark.review.segment import Block, paragraphs

# pypdf logs what it repairs in a malformed PDF to stderr; the review reports its own one-line
# error, so those repair notes would only be noise before it.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000
MAX_PDF_PAGES = 2_000
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_MEMBER_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ZIP_RATIO = 200  # deflate rarely beats 100:1 on real XML; bombs run to thousands
MIN_CHARS_PER_PAGE = 20  # below this on average, the PDF has no usable text layer
FORMATS = ("pdf", "docx", "html", "markdown", "text")


@dataclass(frozen=True)
class Document:
    """Extracted text as located blocks (pages for PDF, paragraphs otherwise)."""

    format: str
    blocks: list[Block]
    pages: int | None = None

    @property
    def text(self) -> str:
        """All the text, blocks separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)


def detect_format(path: Path, head: bytes) -> str:
    """The format by content first (PDF and zip magic), then by suffix."""
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF-") or suffix == ".pdf":
        return "pdf"
    if head.startswith(b"PK\x03\x04") or suffix in (".docx", ".docm"):
        return "docx"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    sniff = head[:512].lstrip().lower()
    if sniff.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def _decode(data: bytes, what: str) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(f"{what} is binary, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _limit(text: str, name: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{name}: more than {MAX_TEXT_CHARS} characters of text")
    return text


def _pdf(data: bytes, name: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InputError(f"{name}: the PDF is encrypted; decrypt it first")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise InputError(f"{name}: more than {MAX_PDF_PAGES} pages")
        blocks, total = [], 0
        for number in range(count):
            text = reader.pages[number].extract_text() or ""
            total += len(text)
            if total > MAX_TEXT_CHARS:
                raise InputError(f"{name}: more than {MAX_TEXT_CHARS} characters of text")
            if text.strip():
                blocks.append(Block(text, f"page {number + 1}"))
    except InputError:
        raise
    except PyPdfError as exc:
        raise InputError(f"{name}: not a readable PDF ({type(exc).__name__})") from exc
    except Exception as exc:  # pypdf raises many undocumented types on corrupt files
        raise InputError(f"{name}: not a readable PDF ({type(exc).__name__})") from exc
    if count == 0:
        raise InputError(f"{name}: the PDF has no pages")
    visible = sum(len(re.sub(r"\s", "", b.text)) for b in blocks)
    if visible < MIN_CHARS_PER_PAGE * count:
        raise InputError(f"{name}: the PDF has no text layer (scanned?); OCR is needed")
    return Document("pdf", blocks, count)


def _check_zip(archive: zipfile.ZipFile, name: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(f"{name}: too many parts in the DOCX ({len(members)})")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_ZIP_MEMBER_UNCOMPRESSED or total > MAX_ZIP_UNCOMPRESSED:
            raise InputError(f"{name}: the DOCX expands too much (zip bomb?)")
        if member.file_size > 1_000_000 and member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise InputError(f"{name}: the DOCX is compressed suspiciously well (zip bomb?)")
    if "word/document.xml" not in archive.namelist():
        raise InputError(f"{name}: not a DOCX (no word/document.xml)")


def _docx(data: bytes, name: str) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{name}: corrupt DOCX (not a zip archive)") from exc
    with archive:
        _check_zip(archive, name)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        texts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                texts.append(" | ".join(cell.text for cell in row.cells))
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        raise InputError(f"{name}: corrupt DOCX ({type(exc).__name__})") from exc
    except Exception as exc:  # zlib, lxml and python-docx raise many types on corrupt parts
        raise InputError(f"{name}: corrupt DOCX ({type(exc).__name__})") from exc
    blocks = [Block(t, f"paragraph {i + 1}") for i, t in enumerate(texts) if t.strip()]
    _limit("".join(b.text for b in blocks), name)
    return Document("docx", blocks)


class _TextOfHtml(HTMLParser):
    """Collects visible text; block-level tags end a paragraph; script and style are skipped."""

    BLOCKS = frozenset({
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
        "blockquote", "pre", "td", "th", "dd", "dt", "table", "ul", "ol", "header", "footer",
    })
    SKIP = frozenset({"script", "style", "head", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html(data: bytes, name: str) -> Document:
    parser = _TextOfHtml()
    try:
        parser.feed(_decode(data, name))
        parser.close()
    except (AssertionError, ValueError) as exc:
        raise InputError(f"{name}: unreadable HTML ({exc})") from exc
    text = "".join(parser.parts)
    return Document("html", paragraphs(_limit(text, name)))


_MD_SYNTAX = [
    (re.compile(r"^[ \t]{0,3}(#{1,6}|>+|[-*+]|\d+[.)])[ \t]+", re.MULTILINE), ""),
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|\*|_|`)(?=\S)([^\n]*?\S)\1"), r"\2"),
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.MULTILINE), ""),
]


def _markdown(data: bytes, name: str) -> Document:
    text = _limit(_decode(data, name), name)
    for pattern, replacement in _MD_SYNTAX:
        text = pattern.sub(replacement, text)
    return Document("markdown", paragraphs(text))


def extract_bytes(data: bytes, name: str, fmt: str) -> Document:
    """Extract located text blocks from the bytes of a document of the given format."""
    if fmt not in FORMATS:
        raise InputError(f"unknown document format {fmt!r}")
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if fmt == "pdf":
        document = _pdf(data, name)
    elif fmt == "docx":
        document = _docx(data, name)
    elif fmt == "html":
        document = _html(data, name)
    elif fmt == "markdown":
        document = _markdown(data, name)
    else:
        document = Document("text", paragraphs(_limit(_decode(data, name), name)))
    if not any(b.text.strip() for b in document.blocks):
        raise InputError(f"{name}: no text found in the document")
    return document


def extract(path: Path, *, field: str | None = None) -> Document:
    """Extract located text blocks from a PDF, DOCX, HTML, Markdown or text file; an error
    about reading the file names `field` (the parameter the path came in)."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{path}: not a regular file", field=field)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=field) from exc
    if size == 0:
        raise InputError(f"{path.name}: the file is empty", field=field)
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB",
                         field=field)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=field) from exc
    return extract_bytes(data, path.name, detect_format(path, data[:1024]))
