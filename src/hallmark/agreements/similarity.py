"""Name similarity for restricted-party screening: a normalised, token-based score in 0..100.

Names are normalised first: accents transliterated (NFKD, combining marks dropped), case folded,
dots and apostrophes removed inside words ("S.A." is "sa", "O'Neil" is "oneil"), every other
punctuation mark a word break, "&" read as "and", and legal-form words (Ltd, LLC, GmbH, Co, Inc,
S.A., ...) and the filler words "the", "and", "of" dropped (unless nothing else is left).

The score of two normalised names is the best of three views, each in 0..1, times 100, rounded:
- `sorted`: difflib's SequenceMatcher ratio of the two names with their words sorted (word order
  does not matter; a typo costs a little);
- `overlap`: the words both names share, weighted by their length (2 * shared / total, a Dice
  coefficient), so a name that lost or gained a short word still scores high;
- `contained`: when every word of one name is a word of the other (a short form of a longer
  name), 0.85 + 0.15 * overlap: the short form passes the default threshold of 85, but only
  just, and a longer shared part scores higher.
Names that differ only in word order or in the spaces between words ("Zhong Guo" and
"Zhongguo") score 100. Each view is symmetric (the pair is put in a fixed order before
SequenceMatcher, which is not symmetric by itself), equal normalised names score 100, and
names with no letters or digits score 0. This module is pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

# Legal forms and company-type words that say nothing about who an entity is.
LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "asa", "bhd", "bv", "bvba", "cia", "co", "company", "corp", "corporation",
    "cv", "eg", "ev", "gmbh", "inc", "incorporated", "jsc", "kft", "kg", "kk", "limited", "llc",
    "llp", "lp", "ltd", "ltda", "mbh", "nv", "oao", "ojsc", "ooo", "oy", "oyj", "pao", "pc",
    "pjsc", "plc", "pte", "pty", "pvt", "sa", "sab", "sae", "sal", "sarl", "sas", "sdn",
    "spa", "sl", "sp", "srl", "zao",
})
FILLER = frozenset({"the", "and", "of"})
MAX_NAME = 1000  # characters looked at; a longer "name" is cut there
_INNER = re.compile(r"(?<=\w)[.'\u2019](?=\w)|(?<=\w)\.(?=\s|$)")  # S.A. / O'Neil / Co.
_BREAK = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def tokens(name: str) -> tuple[str, ...]:
    """The words a name is compared by, after normalisation (see the module's docstring)."""
    text = unicodedata.normalize("NFKD", name[:MAX_NAME])
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = _INNER.sub("", text)
    words = [w for w in _BREAK.split(text) if w]
    kept = [w for w in words if w not in LEGAL_FORMS and w not in FILLER]
    if not kept:  # "The Company Ltd": keep what there is rather than nothing
        kept = [w for w in words if w not in FILLER] or words
    return tuple(kept)


def normalise(name: str) -> str:
    """The normalised name: its words, in order, joined by single spaces."""
    return " ".join(tokens(name))


def _weight(words: set[str] | tuple[str, ...]) -> int:
    return sum(len(w) for w in words)


def token_score(a: tuple[str, ...], b: tuple[str, ...], floor: float = 0.0) -> int:
    """The score (0..100) of two names already split by `tokens`; a pair that cannot reach
    `floor` (0..100) may be cut short and scored below it."""
    if not a or not b:
        return 0
    if a == b:
        return 100
    left, right = " ".join(sorted(a)), " ".join(sorted(b))
    shared = set(a) & set(b)
    overlap = 2 * _weight(shared) / (_weight(set(a)) + _weight(set(b)))
    contained = 0.0
    if shared and (shared == set(a) or shared == set(b)):
        contained = 0.85 + 0.15 * overlap
    best = max(overlap, contained)
    if left == right or "".join(a) == "".join(b):
        return 100
    # SequenceMatcher is the slow part: skip it where even its upper bounds cannot win.
    first, second = sorted((left, right))
    pair = SequenceMatcher(None, first, second, autojunk=False)
    for bound in (pair.real_quick_ratio, pair.quick_ratio):
        if bound() <= best or bound() * 100 < floor:
            break
    else:
        best = max(best, pair.ratio())
    return round(100 * min(best, 1.0))


def score(a: str, b: str) -> int:
    """How alike two names are, 0 (nothing alike) to 100 (the same after normalisation)."""
    return token_score(tokens(a), tokens(b))
