"""Text documents as PDF 1.4 with the standard fonts (no font files, no dependency): headings,
paragraphs, bullets and code lines, wrapped to A4 and paginated. Enough for notices and
disclosures; charts and layout belong to a real typesetter."""

from __future__ import annotations

import zlib

__all__ = ["text_pdf"]

PAGE_W, PAGE_H, MARGIN = 595, 842, 56
STYLES = {  # style -> (font resource, size, space before, indent)
    "heading1": ("F2", 16, 14, 0), "heading2": ("F2", 12, 10, 0), "paragraph": ("F1", 10, 6, 0),
    "bullet": ("F1", 10, 3, 14), "code": ("F3", 9, 4, 14),
}
FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "Courier"}


def _width(text: str, font: str, size: int) -> float:
    """Text width in points, erring wide so that a wrapped line never overruns the margin."""
    if font == "F3":
        return 0.6 * size * len(text)
    total = 0.0
    for ch in text:
        if ch in "ijl.,;:'|!Ift ":
            total += 0.30
        elif ch in "mwMW@%":
            total += 0.92
        elif ch.isupper():
            total += 0.74
        else:
            total += 0.58
    return total * size * (1.06 if font == "F2" else 1.0)


def _wrap(text: str, font: str, size: int, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        while _width(word, font, size) > width:  # a word longer than a line is cut
            cut = max(1, int(len(word) * width / _width(word, font, size)))
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if _width(candidate, font, size) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _literal(text: str) -> bytes:
    data = text.encode("cp1252", "replace")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _pages(blocks: list[tuple[str, str]]) -> list[bytes]:
    pages: list[bytes] = []
    ops: list[bytes] = []
    y = float(PAGE_H - MARGIN)
    for style, text in blocks:
        font, size, before, indent = STYLES.get(style, STYLES["paragraph"])
        lead = size * 1.3
        bullet = 10 if style == "bullet" else 0
        wrapped = _wrap(text, font, size, PAGE_W - 2 * MARGIN - indent - bullet)
        y -= before
        for n, line in enumerate(wrapped):
            if y - lead < MARGIN:
                pages.append(b"\n".join(ops))
                ops, y = [], float(PAGE_H - MARGIN)
            y -= lead
            x = MARGIN + indent
            if style == "bullet":
                if n == 0:
                    ops.append(b"BT /F1 10 Tf %d %.1f Td (-) Tj ET" % (x, y))
                x += 10
            ops.append(b"BT /%s %d Tf %d %.1f Td " % (font.encode(), size, x, y)
                       + _literal(line) + b" Tj ET")
    pages.append(b"\n".join(ops))
    return pages


def text_pdf(blocks: list[tuple[str, str]]) -> bytes:
    """A PDF of (style, text) blocks; styles: heading1, heading2, paragraph, bullet, code."""
    pages = _pages(blocks)
    objects: list[bytes] = [b"", b""]  # 1 catalog and 2 page tree, filled in below
    font_ids = {}
    for resource, base in FONTS.items():
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s "
                       b"/Encoding /WinAnsiEncoding >>" % base.encode())
        font_ids[resource] = len(objects)
    fonts = b" ".join(b"/%s %d 0 R" % (r.encode(), i) for r, i in font_ids.items())
    kids = []
    for content in pages:
        stream = zlib.compress(content)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
                       + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                       b"/Resources << /Font << %s >> >> /Contents %d 0 R >>"
                       % (PAGE_W, PAGE_H, fonts, len(objects)))
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
