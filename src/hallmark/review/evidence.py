"""Which sentences are a clause's evidence, and which part of a long one to show.

Pattern scores tie often: a copyright licence that says "keep confidential" scores what the
confidentiality clause scores, and the first in reading order used to win. The clause-level rank
breaks such ties with what a reader uses: a heading that names the clause ("7. CONFIDENTIALITY.")
and how many of the type's clause patterns the sentence matches. Model types rank by the model's
probability. A segment longer than the excerpt is cut around the part that carries the clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from hallmark.review import patterns
from hallmark.review.classifier import ClauseModel

MAX_EXCERPT_CHARS = 400
HEADING_BONUS = 0.5  # a heading naming the clause outranks any pattern weight difference
PER_EXTRA_PATTERN = 0.03  # each further clause pattern matched, up to MAX_EXTRA_PATTERNS
MAX_EXTRA_PATTERNS = 3
WINDOW_WORDS = 50  # model types: the part of a long segment shown is the best-scoring window
WINDOW_STEP = 20
LEAD_IN_CHARS = 200  # an excerpt starts at a clause boundary at most this far before its focus

# Words a heading uses for each clause type (matched case-insensitively inside the heading).
HEADING_WORDS: dict[str, str] = {
    "confidentiality": r"confidential\w*|non-?disclosure|secrecy|proprietary information",
    "dispute-resolution": r"disputes?|arbitration|jurisdiction|venue|mediation|litigation",
    "indemnification": r"indemn\w*",
    "survival": r"surviv\w*",
    "return-or-destruction": r"return|destruction",
    "data-use-restrictions": r"data|privacy",
    "export-control": r"exports?|sanctions",
    "residuals": r"residuals?",
    "work-for-hire": r"works? (made )?for hire|work product|ownership",
    "improvements-and-derivatives": r"improvements?|derivatives?|modifications?",
}
# Sentences about the clause rather than of it (the exclusions from confidential information, a
# cross-reference to the confidentiality section) rank below the clause itself.
SIDE_REMARK_PENALTY = 0.3
_SIDE_REMARKS: dict[str, re.Pattern[str]] = {
    "confidentiality": re.compile(
        r"\b(does|shall|will) not (include|apply to)\b|\bno (obligation|duty) (of|to)\b|"
        r"\bconfidential\w* obligations? (pursuant to|under|set (forth|out) in|in accordance "
        r"with) (section|article|clause)\b", re.IGNORECASE),
}
_HEADING = {k: re.compile(rf"\b({v})\b", re.IGNORECASE) for k, v in HEADING_WORDS.items()}
# A heading: optional numbering ("7.", "11.1", "Section 4", "(b)"), then up to 80 characters that
# end at a full stop, colon or dash followed by a space.
_LEAD = re.compile(
    r"^\W{0,3}(?:(?:section|article|clause)\s+)?(?:[0-9IVXLivxl]{1,6}(?:\.[0-9]{1,3})*\.?\s*|"
    r"\([a-z0-9]{1,4}\)\s*)?(?P<head>.{1,80}?)(?:[.:]|\s[-\u2013\u2014])(?=\s)",
    re.IGNORECASE,
)
_SENTENCE_WORDS = re.compile(r"\b(shall|will|must|may|agrees?|is|are)\b")
_CLAUSE_BOUNDARY = re.compile(r"[;:.]\s+|,\s+(?=(and|or|but|provided|except)\b)")
_WORD = re.compile(r"\S+")


def has_heading(clause_type: str, text: str) -> bool:
    """Whether the segment opens with a heading that names the clause type."""
    words = _HEADING.get(clause_type)
    lead = _LEAD.match(text)
    if words is None or lead is None:
        return False
    head = lead.group("head")
    return len(head.split()) <= 10 and not _SENTENCE_WORDS.search(head) and bool(
        words.search(head))


def pattern_ranks(clause_type: str, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray,
                                                                   list[int]]:
    """Per segment: its pattern score, its clause-level rank, and where its best match starts."""
    scores = np.zeros(len(texts))
    ranks = np.zeros(len(texts))
    focus = [0] * len(texts)
    for i, text in enumerate(texts):
        score, start, strong = patterns.pattern_match(clause_type, text)
        scores[i], focus[i] = score, start
        if score <= 0.0:
            continue
        extra = min(max(strong - 1, 0), MAX_EXTRA_PATTERNS)
        ranks[i] = score + PER_EXTRA_PATTERN * extra + (
            HEADING_BONUS if has_heading(clause_type, text) else 0.0)
        side_remark = _SIDE_REMARKS.get(clause_type)
        if side_remark is not None and side_remark.search(text):
            ranks[i] -= SIDE_REMARK_PENALTY
    return scores, ranks, focus


def model_focus(model: ClauseModel, clause_type: str, text: str) -> int:
    """Where the best-scoring window of a long segment starts (0 when the segment fits)."""
    if len(text) <= MAX_EXCERPT_CHARS:
        return 0
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if len(spans) <= WINDOW_WORDS:
        starts = [0]
    else:
        starts = list(range(0, len(spans) - WINDOW_WORDS + WINDOW_STEP, WINDOW_STEP))
    windows = [text[spans[s][0] : spans[min(s + WINDOW_WORDS, len(spans)) - 1][1]]
               for s in starts]
    column = model.types.index(clause_type)
    best = int(np.argmax(model.probabilities(windows)[:, column]))
    return spans[starts[best]][0]


def excerpt_bounds(text: str, focus: int = 0) -> tuple[int, int]:
    """Where the excerpt of a long text starts and ends: from the clause boundary before `focus`
    (at most LEAD_IN_CHARS before it), as much as fits with the ellipses, cut at a space."""
    if len(text) <= MAX_EXCERPT_CHARS:
        return 0, len(text)
    focus = max(0, min(focus, len(text) - 1))
    begin = 0
    if focus > LEAD_IN_CHARS // 2:
        window = _CLAUSE_BOUNDARY.finditer(text, max(0, focus - LEAD_IN_CHARS), focus)
        boundaries = [m.end() for m in window]
        if boundaries:
            begin = boundaries[-1]
        else:
            space = text.find(" ", max(0, focus - LEAD_IN_CHARS // 4), focus)
            begin = space + 1 if space >= 0 else focus
    room = MAX_EXCERPT_CHARS - (1 if begin else 0)
    if len(text) - begin <= room:
        return begin, len(text)
    room -= 1  # the closing ellipsis
    cut = text.rfind(" ", begin + room // 2, begin + room)
    end = cut if cut > focus else begin + room
    return begin, end


def excerpt(text: str, focus: int = 0) -> str:
    """At most MAX_EXCERPT_CHARS of the text around `focus`, with "…" where text was left out."""
    begin, end = excerpt_bounds(text, focus)
    return ("\u2026" if begin else "") + text[begin:end] + ("\u2026" if end < len(text) else "")
