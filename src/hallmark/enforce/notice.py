"""Breach notices drafted from editable Markdown templates (`${placeholder}`s, nothing
executable), written as Markdown, DOCX or PDF."""

from __future__ import annotations

import io
import math
import re
import string
from pathlib import Path
from typing import Any

from hallmark.errors import InputError

__all__ = ["FORMATS", "KINDS", "PLACEHOLDERS", "load_template", "plain_p_value", "render",
           "to_format"]

DATA = Path(__file__).parent / "data"
KINDS = ("breach-notice", "cease-and-desist")
FORMATS = ("md", "docx", "pdf")
MAX_TEMPLATE = 256 << 10
PLACEHOLDERS = ("date", "sender", "party_name", "incident", "agreements", "found_on",
                "asset_name", "asset_kind", "asset_sha256", "shares", "p_value_words", "clauses",
                "cure_period", "cure_due", "remedies", "evidence_files", "evidence_sha256",
                "evidence_first", "checkpoint_size", "checkpoint_root", "verifier_key")


def load_template(kind: str, override: Path | None) -> tuple[str, str]:
    """The template text and its name: the file given, else `<kind>.md` shipped as data."""
    from hallmark.files import read_small  # regular files only: a FIFO or /dev/zero is refused

    path = override or DATA / f"{kind}.md"
    data = read_small(path, "template", field="template", limit=MAX_TEMPLATE)
    try:
        return data.decode("utf-8"), path.name
    except UnicodeDecodeError as exc:
        raise InputError(f"template {path.name} is not UTF-8: {exc}", field="template") from None


def render(template: str, name: str, values: dict[str, str]) -> str:
    """Fill a template; an unknown or malformed placeholder is an error naming it and its line."""
    tpl = string.Template(template)
    for match in tpl.pattern.finditer(template):
        key = match.group("named") or match.group("braced")
        line = template.count("\n", 0, match.start()) + 1
        if match.group("invalid") is not None:
            bad = template[match.start():match.start() + 12].split("\n")[0]
            raise InputError(f"template {name}, line {line}: malformed placeholder {bad!r} "
                             "(write ${name}, or $$ for a dollar sign)", field="template")
        if key is not None and key not in values:
            raise InputError(f"template {name}, line {line}: unknown placeholder ${{{key}}} "
                             f"(known: {', '.join(sorted(values))})", field="template")
    return tpl.substitute(values)


def plain_p_value(p: float, recipients: int) -> str:
    """A corrected p-value in words a reader without statistics can weigh."""
    if p <= 0 or not math.isfinite(p):
        odds = "smaller than 1 in 10^300"
    else:
        mantissa, exponent = f"{p:.1e}".split("e")
        odds = f"about {mantissa} in 10^{-int(exponent)}" if p < 1e-3 else f"{p:.2g}"
    compared = "the one recipient" if recipients == 1 else f"all {recipients} recipients"
    return (f"If this recipient were not the source of the copy, the chance of its fingerprint "
            f"showing this strongly would be {odds} (p-value {p:.3g}, already corrected for "
            f"comparing {compared} of the material).")


def to_format(markdown: str, fmt: str) -> bytes:
    """The notice as bytes of `fmt`: the Markdown itself, a DOCX, or a PDF."""
    if fmt == "md":
        return markdown.encode("utf-8")
    if fmt == "docx":
        return _docx(markdown)
    if fmt == "pdf":
        from hallmark.reports.textpdf import render as text_pdf

        styles = {"heading1": "title", "heading2": "heading"}
        return text_pdf([(styles.get(style, "body"),
                          ("- " if style == "bullet" else "") + _plain(text))
                         for style, text in _blocks(markdown)], title="Notice")
    raise InputError(f"write a notice as .md, .docx or .pdf, not .{fmt}", field="output")


def _plain(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*|\*(.+?)\*|`(.+?)`",
                  lambda m: next(g for g in m.groups() if g is not None), text)


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """(style, text) per block: heading1/heading2, bullet, code, or paragraph (joined lines)."""
    out: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("paragraph", " ".join(para)))
            para.clear()

    for line in markdown.splitlines():
        if line.startswith("    ") and line.strip():
            flush()
            out.append(("code", line.strip()))
        elif line.startswith("## "):
            flush()
            out.append(("heading2", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            out.append(("heading1", line[2:].strip()))
        elif line.lstrip().startswith("- "):
            flush()
            out.append(("bullet", line.lstrip()[2:].strip()))
        elif not line.strip():
            flush()
        elif line.startswith("**") and para:  # a "**Field:** value" line stays its own line
            flush()
            para.append(line.strip())
        else:
            para.append(line.strip())
    flush()
    return out


def _docx(markdown: str) -> bytes:
    from docx import Document  # python-docx, only for this format

    doc = Document()
    for style, text in _blocks(markdown):
        if style.startswith("heading"):
            doc.add_heading(_plain(text), level=int(style[-1]))
            continue
        paragraph = doc.add_paragraph(style="List Bullet" if style == "bullet" else None)
        # **bold** spans keep their weight; other inline marks are dropped
        for n, piece in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
            run = paragraph.add_run(_plain(piece))
            run.bold = n % 2 == 1
            if style == "code":
                run.font.name = "Courier New"
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def bullets(items: list[Any]) -> str:
    """Markdown bullets, one per item (an item's own newlines folded)."""
    return "\n".join(f"- {' '.join(str(i).split())}" for i in items) or "- (none recorded)"
