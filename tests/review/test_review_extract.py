"""Text extraction: real PDF, DOCX, HTML, Markdown and text; every bad input a clear InputError."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.errors import InputError
from hallmark.review.extract import extract, extract_bytes

from .factories import docx_bytes, text_pdf

GOVERNING = "This Agreement is governed by the laws of the State of New York."
RESIDUALS = "Either party may use residuals retained in the unaided memory of its staff."


def test_pdf_text_and_pages(tmp_path: Path, make_pdf) -> None:
    path = tmp_path / "contract.pdf"
    path.write_bytes(make_pdf([["1. Parties.", "Acme and Beta agree as follows."], [GOVERNING]]))
    document = extract(path)
    assert document.format == "pdf" and document.pages == 2
    assert [b.location for b in document.blocks] == ["page 1", "page 2"]
    assert "governed by the laws of the State of New York" in document.blocks[1].text


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("MASTER SERVICES AGREEMENT")
    document.add_paragraph(GOVERNING)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Term"
    table.rows[0].cells[1].text = "Two years from the Effective Date"
    path = tmp_path / "msa.docx"
    document.save(str(path))
    extracted = extract(path)
    assert extracted.format == "docx"
    assert extracted.blocks[1].text == GOVERNING and extracted.blocks[1].location == "paragraph 2"
    assert "Two years from the Effective Date" in extracted.text


def test_html_skips_scripts_and_keeps_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "terms.html"
    path.write_text(
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Developer Terms</h1>"
        f"<script>alert('x')</script><p>{GOVERNING}</p><p>Fees &amp; payment.</p></body></html>",
        encoding="utf-8",
    )
    document = extract(path)
    texts = [b.text.strip() for b in document.blocks]
    assert texts == ["Developer Terms", GOVERNING, "Fees & payment."]
    assert "alert" not in document.text


def test_markdown_syntax_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "nda.md"
    path.write_text(f"# NDA\n\n**Residuals.** {RESIDUALS}\n\n- [Schedule](http://x) A\n",
                    encoding="utf-8")
    document = extract(path)
    assert [b.text.strip() for b in document.blocks] == ["NDA", f"Residuals. {RESIDUALS}",
                                                         "Schedule A"]


def test_text_with_windows_encoding(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Licensee’s rights — limited.\r\n\r\nSecond paragraph.".encode("cp1252"))
    document = extract(path)
    assert document.blocks[0].text.strip() == "Licensee’s rights — limited."
    assert document.blocks[1].location == "paragraph 2"


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(text_pdf([[GOVERNING]]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (20 * 1024 * 1024))
    return buffer.getvalue()


def _corrupt_docx() -> bytes:
    data = bytearray(docx_bytes([GOVERNING]))
    middle = len(data) // 2
    data[middle : middle + 400] = b"\x00" * 400
    return bytes(data)


BAD_INPUTS = {
    "empty.pdf": (b"", "empty"),
    "blank.txt": (b"  \n\n  ", "empty"),
    "locked.pdf": (_encrypted_pdf, "encrypted"),
    "scan.pdf": (lambda: text_pdf([[], []]), "OCR is needed"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
    "corrupt.docx": (_corrupt_docx, "corrupt DOCX"),
    "notzip.docx": (b"this is not a zip file at all", "corrupt DOCX"),
    "bomb.docx": (_zip_bomb_docx, "zip bomb"),
    "binary.txt": (b"\x00\x01\x02binary\x00", "binary"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_inputs_give_one_clear_error(tmp_path: Path, name: str, cli) -> None:
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content() if callable(content) else content)
    with pytest.raises(InputError, match=message):
        extract(path)
    html_out = tmp_path / "report.html"
    result = cli("review", str(path), "--json", "--html", str(html_out))
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""
    assert not html_out.exists()


def test_missing_file_is_an_input_error(tmp_path: Path, cli) -> None:
    result = cli("review", str(tmp_path / "nowhere.pdf"))
    assert result.exit_code == 2 and "nowhere.pdf" in result.stderr


SEEDS = {
    "pdf": text_pdf([[GOVERNING, RESIDUALS]]),
    "docx": docx_bytes([GOVERNING, RESIDUALS]),
    "html": f"<html><body><p>{GOVERNING}</p></body></html>".encode(),
    "markdown": f"# Terms\n\n{GOVERNING}\n".encode(),
    "text": GOVERNING.encode(),
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[fmt])
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        if not data:
            break
    return fmt, bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzzed_documents_give_text_or_input_error(case: tuple[str, bytes]) -> None:
    fmt, data = case
    try:
        document = extract_bytes(data, f"fuzz.{fmt}", fmt)
    except InputError as exc:
        assert str(exc)
    else:
        assert document.blocks and all(b.text.strip() for b in document.blocks)
