"""A small, valid, text-only PDF 1.4: Helvetica (a standard font every reader has, so nothing
is embedded), lines wrapped to the page, as many A4 pages as the text needs. The bytes depend
only on the input (no creation time, no random id), so a document's digest is reproducible.

Pure: no I/O. For a defensive publication or a notice, where a plain dated text is the point;
anything with layout or images belongs to a real renderer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Block", "render", "wrap"]

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 56
BODY, HEADING, TITLE = 10.0, 12.0, 16.0
LEADING = 1.4  # line height as a multiple of the font size
# Helvetica advance widths (1/1000 em) of WinAnsi 32..126, from Adobe's Helvetica.afm.
_ASCII = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
    722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
    500, 334, 260, 334, 584,
)
_DEFAULT_WIDTH = 556  # a Latin-1 letter outside ASCII: about an average glyph
MAX_PAGES = 500

Block = tuple[str, str]  # (style, text): style is "title", "heading" or "body"


def _width(text: str, size: float) -> float:
    units = sum(_ASCII[o - 32] if 32 <= (o := ord(c)) <= 126 else _DEFAULT_WIDTH for c in text)
    return units * size / 1000


def _fits(word: str, size: float, width: float) -> int:
    """How many leading characters of `word` fit in `width` (at least one)."""
    used = 0.0
    for i, c in enumerate(word):
        used += _width(c, size)
        if used > width:
            return max(i, 1)
    return len(word)


def wrap(text: str, size: float, width: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` points (a word longer than a
    line, a digest say, is cut); each newline starts a new line, a blank one an empty line."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if _width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                out.append(line)
            while _width(word, size) > width:  # a word wider than a line is cut
                cut = _fits(word, size, width)
                out.append(word[:cut])
                word = word[cut:]
            line = word
        out.append(line)
    return out


def _escape(line: str) -> bytes:
    # WinAnsi (cp1252) is the standard fonts' encoding; what it cannot show becomes "?".
    data = line.encode("cp1252", "replace")
    data = bytes(b if b >= 32 else 63 for b in data)
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _lines(blocks: Iterable[Block]) -> list[tuple[float, str]]:
    usable = PAGE_W - 2 * MARGIN
    out: list[tuple[float, str]] = []
    for style, text in blocks:
        size = {"title": TITLE, "heading": HEADING}.get(style, BODY)
        if style != "body" and out:
            out.append((BODY, ""))  # a gap above a heading
        out += [(size, line) for line in wrap(text, size, usable)]
    return out


def _pages(lines: list[tuple[float, str]]) -> list[bytes]:
    pages: list[bytes] = []
    ops: list[bytes] = []
    y: float = PAGE_H - MARGIN
    for size, line in lines:
        step = size * LEADING
        if y - step < MARGIN and ops:
            pages.append(b"\n".join(ops))
            ops, y = [], PAGE_H - MARGIN
        y -= step
        if line:
            ops.append(b"BT /F1 %s Tf %d %s Td (%s) Tj ET" % (
                _num(size), MARGIN, _num(y), _escape(line)))
    pages.append(b"\n".join(ops))
    return pages


def _num(value: float) -> bytes:
    return (f"{value:.2f}".rstrip("0").rstrip(".")).encode()


def render(blocks: Sequence[Block], title: str = "") -> bytes:
    """The PDF of `blocks`, in order, with `title` in its document information."""
    pages = _pages(_lines(blocks))
    if len(pages) > MAX_PAGES:
        raise ValueError(f"a text PDF of more than {MAX_PAGES} pages")
    # Objects: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content per page.
    kids = [5 + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /Producer (Hallmark) >>" % _escape(title),
    ]
    for i, content in enumerate(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                       % (PAGE_W, PAGE_H, kids[i] + 1))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the binary comment marks it binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
