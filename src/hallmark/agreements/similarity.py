"""Name similarity for restricted-party screening: a normalised, token-based score in 0..100.

Names are normalised first: accents transliterated (NFKD, combining marks dropped), invisible
format characters dropped, Cyrillic or Greek look-alike letters inside a Latin word read as Latin,
words in Cyrillic only transliterated, case folded,
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
names with no letters or digits score 0. `NameIndex` screens one name against many quickly and
finds exactly the hits that scoring every pair would. This module is pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

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
_BREAK = re.compile(r"[\W_]+")


# Cyrillic and Greek letters that look like Latin ones: inside a word that also has Latin
# letters they are an imitation ("Rоstес" with Cyrillic о, е, с), read as the Latin letter.
_CONFUSABLE = str.maketrans(
    "АВЕКМНОРСТХУІЈЅаеорсухіјѕԁһԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιανρυχ",
    "ABEKMHOPCTXYIJSaeopcyxijsdhqwABEZHIKMNOPTYXoiavpux")
# A word written in Cyrillic only is read as Russian (BGN/PCGN-like transliteration), so
# "Сбербанк" meets "Sberbank" on a list written in Latin letters.
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i",
    "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j"})
_LETTERS = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u052f]")
_GREEK = re.compile(r"[\u0370-\u03ff]")


def _one_script(match: re.Match[str]) -> str:
    word = match.group()
    cyrillic, greek = _CYRILLIC.search(word), _GREEK.search(word)
    if not (cyrillic or greek):
        return word
    if _LATIN.search(word):
        return word.translate(_CONFUSABLE)
    return word.lower().translate(_TRANSLIT) if not greek else word


@lru_cache(maxsize=65536)
def tokens(name: str) -> tuple[str, ...]:
    """The words a name is compared by, after normalisation (see the module's docstring)."""
    text = unicodedata.normalize("NFKD", name[:MAX_NAME])
    # combining marks (accents) and invisible format characters (zero-width space and joiner,
    # soft hyphen, bidi controls) are dropped: a reader does not see them either
    text = "".join(c for c in text if not unicodedata.combining(c)
                   and unicodedata.category(c) != "Cf")
    text = _LETTERS.sub(_one_script, text).casefold()
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


_SLOTS = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz0123456789 ")}
_OTHER = len(_SLOTS)  # every other character shares one slot: the bound stays a bound


@lru_cache(maxsize=1 << 17)
def _prepared(words: tuple[str, ...]) -> tuple[frozenset[str], int, str, str, tuple[int, ...]]:
    """A name's word set, its weight, its word-sorted and compact forms, and the character
    counts of the sorted form (for the cheap upper bound of SequenceMatcher's ratio)."""
    unique = frozenset(words)
    ordered = " ".join(sorted(words))
    counts = [0] * (_OTHER + 1)
    for char in ordered:
        counts[_SLOTS.get(char, _OTHER)] += 1
    return unique, sum(len(w) for w in unique), ordered, "".join(words), tuple(counts)


def token_score(a: tuple[str, ...], b: tuple[str, ...], floor: float = 0.0) -> int:
    """The score (0..100) of two names already split by `tokens`; a pair that cannot reach
    `floor` (0..100) may be cut short and scored below it."""
    if not a or not b:
        return 0
    if a == b:
        return 100
    set_a, weight_a, left, compact_a, counts_a = _prepared(a)
    set_b, weight_b, right, compact_b, counts_b = _prepared(b)
    if left == right or compact_a == compact_b:
        return 100
    best = 0.0
    shared = set_a & set_b
    if shared:
        best = 2 * sum(len(w) for w in shared) / (weight_a + weight_b)
        if shared in (set_a, set_b):  # a short form of the other name
            best = 0.85 + 0.15 * best
    # SequenceMatcher is the slow part: skip it where its upper bounds cannot win (the shorter
    # length, then the characters in common, bound the matching characters).
    total = len(left) + len(right)
    for step in (0, 1):
        most = 2 * (min(len(left), len(right)) if step == 0 else
                    sum(map(min, counts_a, counts_b))) / total
        if most <= best or most * 100 < floor - 0.5:  # (a score is rounded)
            return round(100 * best)
    first, second = sorted((left, right))
    ratio = SequenceMatcher(None, first, second, autojunk=False).ratio()
    return round(100 * min(max(best, ratio), 1.0))


def score(a: str, b: str) -> int:
    """How alike two names are, 0 (nothing alike) to 100 (the same after normalisation)."""
    return token_score(tokens(a), tokens(b))


class NameIndex:
    """Many names (split by `tokens`) ready to be screened: `matches` scores only the names that
    can reach the floor (those sharing a word or the compact form with the query, and those whose
    characters in common bound the ratio above it), and gives the same hits as scoring them
    all."""

    def __init__(self, names: Sequence[tuple[str, ...]]) -> None:
        self.names = list(names)
        self._by_word: dict[str, list[int]] = {}
        self._lengths = np.zeros(len(self.names), dtype=np.int32)
        self._counts = np.zeros((len(self.names), _OTHER + 1), dtype=np.int16)
        for i, words in enumerate(self.names):
            if not words:
                continue
            unique, _, ordered, compact, counts = _prepared(words)
            for key in {*unique, " " + compact}:  # a compact form cannot clash with a word
                self._by_word.setdefault(key, []).append(i)
            self._lengths[i] = len(ordered)
            self._counts[i] = counts

    def matches(self, words: tuple[str, ...], floor: int) -> list[tuple[int, int]]:
        """(position, score) of every indexed name scoring at least `floor` against `words`."""
        if not words or not self.names:
            return []
        unique, _, ordered, compact, counts = _prepared(words)
        found: set[int] = set()
        for key in {*unique, " " + compact}:
            found.update(self._by_word.get(key, ()))
        common = np.minimum(self._counts, np.asarray(counts, dtype=np.int16)).sum(axis=1)
        bound = 200.0 * common / (self._lengths + len(ordered))
        found.update(np.nonzero((bound >= floor - 0.5) & (self._lengths > 0))[0].tolist())
        out = []
        for i in sorted(found):
            got = token_score(words, self.names[i], floor)
            if got >= floor:
                out.append((i, got))
        return out
