"""Text features shared by training and inference: words and word pairs, TF-IDF, L2-normalised.

Besides words, a few marker terms ("<nc0>", ...) say that a sentence has the shape of a clause type
whose words alone mislead a bag of words ("exclusive" is also in "exclusive jurisdiction"; a
non-compete often never says "compete"). Markers cannot collide with words (tokens have no "<").

Pure numpy, so that the shipped model loads without scikit-learn and without unpickling.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_NUMBER = "<n>"
_W = r"[^.;]{0,160}"  # within one clause
_MARKER_PATTERNS: dict[str, list[str]] = {
    "nc": [
        r"\bnon-?compet\w*",
        rf"\b(shall|will|agrees? (not )?to|may|covenants?)\b{_W}\bnot\b{_W}\b(compet\w*|engage|"
        r"competitive|competing|rival)\b",
        rf"\b(compet(e|es|ing|itive)|competitor'?s?)\b{_W}\b(products?|business|services?|"
        r"activit\w+)\b",
        rf"\bdirectly or indirectly\b{_W}\b(engage|own|manage|operate|participate|develop|market|"
        r"sell)\b",
        rf"\bnot\b{_W}\b(develop|market|sell|distribute|manufacture|promote|commerciali[sz]e)\w*"
        rf"{_W}\b(similar|competing|competitive|substitut\w*)\b",
    ],
    "ex": [
        r"\bexclusive (rights?|distributor\w*|agen\w+|licen[cs]\w*|suppl\w+|basis|provider|"
        r"reseller|representative|partner|dealer|manufacturer|marketing|territory)\b",
        r"\bsole and exclusive\b(?! (remedy|property|jurisdiction|liability))",
        r"\bexclusivity\b",
        r"\bexclusively (from|to|through|with|for)\b",
        rf"\b(shall|will) not\b{_W}\b(appoint|purchase|buy|procure|obtain|source|sell|engage|"
        rf"grant)\b{_W}\b(any other|other|third part\w+|anyone|any person)\b",
        rf"\b(all|one hundred percent|100%) of\b{_W}\b(requirements|needs)\b",
    ],
    "exneg": [r"\bexclusive (jurisdiction|remedy|remedies|of|venue|forum)\b",
              r"\bnon-?exclusive\b"],
    "ip": [
        r"\bhereby (irrevocably )?(assigns?|transfers?|conveys?)\b",
        r"\b(shall|will) (be |become )?(the )?(sole |exclusive )?(and exclusive )?(own|owner|"
        r"property)\w*\b",
        r"\ball (right|rights), title,? and interest\b",
        r"\bworks? made for hire\b|\bwork[- ]for[- ]hire\b",
        r"\b(shall|will) vest\b",
        rf"\b(intellectual property|inventions?|improvements?|patents?|copyrights?|deliverables|"
        rf"work product|results|developments?)\b{_W}\b(own|owned|property|assign\w*|vest\w*|"
        r"belong\w*)\b",
    ],
}
_MARKERS = [
    (f"<{group}{i}>", f"<{group}>", re.compile(pattern, re.IGNORECASE))
    for group, patterns in _MARKER_PATTERNS.items()
    for i, pattern in enumerate(patterns)
]


def tokens(text: str) -> list[str]:
    """Lower-cased words; every number becomes one token so that dates and amounts generalise."""
    return [_NUMBER if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


def terms(text: str) -> Counter[str]:
    """Counts of the words and adjacent word pairs of a text."""
    words = tokens(text)
    counts: Counter[str] = Counter(words)
    counts.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    for marker, group, pattern in _MARKERS:
        if pattern.search(text):
            counts[marker] = 1
            counts[group] = 1
    return counts


def tfidf_rows(
    texts: Sequence[str], vocabulary: Mapping[str, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse TF-IDF rows as (row index, column, value) arrays; sublinear tf, each row L2 = 1."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, text in enumerate(texts):
        entries = [
            (vocabulary[t], 1.0 + math.log(c)) for t, c in terms(text).items() if t in vocabulary
        ]
        if not entries:
            continue
        weights = [tf * float(idf[col]) for col, tf in entries]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        for (col, _), w in zip(entries, weights, strict=True):
            rows.append(r)
            cols.append(col)
            vals.append(w / norm)
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(vals, dtype=np.float64),
    )


def sparse_dot(
    n_rows: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The product of the sparse rows with a dense (vocabulary x outputs) weight matrix."""
    out = np.zeros((n_rows, weights.shape[1]), dtype=np.float64)
    if len(rows):
        np.add.at(out, rows, weights[cols] * vals[:, None])
    return out
