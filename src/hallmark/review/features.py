"""Text features shared by training and inference: words and word pairs, TF-IDF, L2-normalised.

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


def tokens(text: str) -> list[str]:
    """Lower-cased words; every number becomes one token so that dates and amounts generalise."""
    return [_NUMBER if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


def terms(text: str) -> Counter[str]:
    """Counts of the words and adjacent word pairs of a text."""
    words = tokens(text)
    counts: Counter[str] = Counter(words)
    counts.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
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
