"""Split extracted text into clause-sized segments (sentences), each with its location."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A sentence ends at . ! ? (maybe closed by a quote or bracket) before a capital, digit, bracket
# or quote; the look-behind list keeps "Inc." or "Sec. 4" from ending one.
_ABBREVIATIONS = frozenset({
    "inc", "co", "corp", "ltd", "llc", "lp", "no", "nos", "sec", "secs", "art", "arts", "para",
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "v", "etc", "e.g", "i.e", "u.s", "u.k",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "approx", "dept", "est", "fig", "cf", "al", "ch", "pp", "s.a", "n.v", "b.v", "gmbh", "plc",
    "pty", "cl", "sch", "min", "max",
})
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WS = re.compile(r"\s+")
_LAST_WORD = re.compile(r"(\S+)$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

MAX_SEGMENT_WORDS = 160  # longer sentences are cut at semicolons, then hard-wrapped
MAX_SEGMENT_CHARS = 2_000  # bounds pattern matching on hostile text with no spaces
MIN_SEGMENT_WORDS = 6  # shorter pieces (headings, "(a)") join the following sentence
MAX_SEGMENTS = 50_000  # bounds the work on a hostile or enormous document


@dataclass(frozen=True)
class Block:
    """A paragraph or page of extracted text and where it came from."""

    text: str
    location: str


@dataclass(frozen=True)
class Segment:
    """One clause-sized piece of text: a sentence, or a part of a very long one."""

    index: int
    text: str
    location: str


def _ends_with_abbreviation(piece: str) -> bool:
    match = _LAST_WORD.search(piece)
    if not match:
        return False
    word = match.group(1).rstrip(".!?\"')]").lower().lstrip("(\"'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, whitespace collapsed."""
    text = _WS.sub(" ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        piece = text[start : match.start()]
        if _ends_with_abbreviation(piece):
            continue
        sentences.append(text[start : match.start()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _cut_long(sentence: str) -> list[str]:
    words = sentence.split(" ")
    if len(words) <= MAX_SEGMENT_WORDS:
        return [sentence]
    pieces: list[str] = []
    current: list[str] = []
    for part in re.split(r"(?<=;)\s+", sentence):
        part_words = part.split(" ")
        if current and len(current) + len(part_words) > MAX_SEGMENT_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.extend(part_words)
        while len(current) > MAX_SEGMENT_WORDS:
            pieces.append(" ".join(current[:MAX_SEGMENT_WORDS]))
            current = current[MAX_SEGMENT_WORDS:]
    if current:
        pieces.append(" ".join(current))
    return pieces


def _cut(sentence: str) -> list[str]:
    pieces: list[str] = []
    for piece in _cut_long(sentence):
        step = MAX_SEGMENT_CHARS
        pieces.extend(piece[i : i + step] for i in range(0, len(piece), step))
    return pieces


def paragraphs(text: str, prefix: str = "paragraph") -> list[Block]:
    """Blank-line separated paragraphs of plain text, numbered from 1."""
    blocks = []
    for number, para in enumerate(p for p in _PARAGRAPH_BREAK.split(text) if p.strip()):
        blocks.append(Block(para, f"{prefix} {number + 1}"))
    return blocks


def segment_blocks(blocks: Iterable[Block]) -> list[Segment]:
    """Clause-sized segments of the blocks, in reading order."""
    raw: list[tuple[str, str]] = []
    for block in blocks:
        for sentence in split_sentences(block.text):
            raw.extend((piece, block.location) for piece in _cut(sentence))
        if len(raw) > MAX_SEGMENTS:
            break
    merged: list[tuple[str, str]] = []
    carry: tuple[str, str] | None = None
    for text, location in raw[:MAX_SEGMENTS]:
        if carry is not None:
            text, location = f"{carry[0]} {text}", carry[1]
            carry = None
        if len(text.split(" ")) < MIN_SEGMENT_WORDS:
            carry = (text, location)
            continue
        merged.append((text, location))
    if carry is not None:
        if merged:
            last_text, last_location = merged[-1]
            merged[-1] = (f"{last_text} {carry[0]}", last_location)
        else:
            merged.append(carry)
    return [Segment(i, text, location) for i, (text, location) in enumerate(merged)]


def segment_text(text: str) -> list[Segment]:
    """Segments of plain text whose paragraphs are separated by blank lines."""
    return segment_blocks(paragraphs(text))
