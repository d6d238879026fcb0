"""Fixtures of the review tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .factories import docx_bytes, text_pdf


@pytest.fixture
def make_pdf() -> Callable[[list[list[str]]], bytes]:
    """`make_pdf(pages)` returns the bytes of a PDF with those lines of text on each page."""
    return text_pdf


@pytest.fixture
def make_docx() -> Callable[[list[str]], bytes]:
    """`make_docx(paragraphs)` returns the bytes of a DOCX with those paragraphs."""
    return docx_bytes
