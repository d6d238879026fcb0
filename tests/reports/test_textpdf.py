"""The text PDF writer: valid PDF 1.4 that pypdf parses strictly, wrapped to the page, paged,
escaped, reproducible, with Helvetica's real metrics."""

from __future__ import annotations

import io

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS

from hallmark.reports import textpdf


def _read(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def test_widths_are_helveticas() -> None:
    widths = CORE_FONT_METRICS["Helvetica"].character_widths
    assert list(textpdf._ASCII) == [widths[chr(c)] for c in range(32, 127)]


def test_long_text_wraps_onto_pages_and_extracts() -> None:
    words = " ".join(f"word{i}" for i in range(3000))
    data = textpdf.render([("title", "A (title) with \\ and é"), ("body", words)], "T")
    reader = _read(data)
    assert len(reader.pages) > 3
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "A (title) with \\ and é" in text
    assert text.split()[-1] == "word2999" and "word1500" in text.split()
    usable = textpdf.PAGE_W - 2 * textpdf.MARGIN
    assert all(textpdf._width(line, textpdf.BODY) <= usable
               for line in textpdf.wrap(words, textpdf.BODY, usable))
    assert data == textpdf.render([("title", "A (title) with \\ and é"), ("body", words)], "T")


def test_a_word_wider_than_the_line_is_cut() -> None:
    digest = "f" * 300
    lines = textpdf.wrap(digest, 10, 200)
    assert "".join(lines) == digest and len(lines) > 1
    assert all(textpdf._width(line, 10) <= 200 for line in lines)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_pdf_that_parses(text: str) -> None:
    reader = _read(textpdf.render([("heading", text), ("body", text)], text))
    assert len(reader.pages) >= 1
    expected = text.encode("cp1252", "replace").decode("cp1252")
    for word in expected.split():
        if word.isalnum():
            assert word in reader.pages[0].extract_text() or len(reader.pages) > 1


def test_too_many_pages_is_refused() -> None:
    with pytest.raises(ValueError, match="more than"):
        textpdf.render([("body", "x\n" * 60 * (textpdf.MAX_PAGES + 1))])
