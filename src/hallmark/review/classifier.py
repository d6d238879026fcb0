"""The shipped clause classifier: TF-IDF features and one logistic regression per CUAD-mapped type.

The model is plain JSON (vocabulary, idf weights, sparse coefficients, thresholds) loaded with
json + numpy: nothing is unpickled. `make train-review` rebuilds it from the CUAD training split.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hallmark.errors import InputError
from hallmark.review.features import sparse_dot, tfidf_rows

MODEL_FORMAT = "hallmark-clause-model/1"
MODEL_PATH = Path(__file__).parent / "model" / "clause_model.json"
MAX_MODEL_BYTES = 8 * 1024 * 1024
MAX_VOCABULARY = 200_000


@dataclass(frozen=True)
class ClauseModel:
    """Per-type linear scorers over a shared TF-IDF vocabulary."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    types: tuple[str, ...]
    weights: np.ndarray  # vocabulary x types
    bias: np.ndarray
    thresholds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(segment is a clause of the type), one row per text, one column per type."""
        rows, cols, vals = tfidf_rows(texts, self.vocabulary, self.idf)
        logits = sparse_dot(len(texts), rows, cols, vals, self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def threshold(self, clause_type: str) -> float:
        """The document-presence threshold tuned on the validation split."""
        return float(self.thresholds[self.types.index(clause_type)])

    def to_document(self) -> dict[str, Any]:
        """The JSON form: sparse coefficients, rounded so that the file stays small."""
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        types = {}
        for j, name in enumerate(self.types):
            column = self.weights[:, j]
            nonzero = np.flatnonzero(column)
            types[name] = {
                "features": [int(i) for i in nonzero],
                "weights": [round(float(w), 4) for w in column[nonzero]],
                "bias": round(float(self.bias[j]), 6),
                "threshold": round(float(self.thresholds[j]), 6),
            }
        return {
            "format": MODEL_FORMAT,
            "meta": self.meta,
            "vocabulary": vocabulary,
            "idf": [round(float(v), 5) for v in self.idf],
            "types": types,
        }


def _finite(value: Any, what: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InputError(f"clause model: {what} is not a finite number")
    return float(value)


def model_from_document(document: Any) -> ClauseModel:
    """Validate and build a model from its JSON form; malformed models raise InputError."""
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise InputError(f"clause model: not a {MODEL_FORMAT} document")
    vocabulary_list = document.get("vocabulary")
    idf_list = document.get("idf")
    types_doc = document.get("types")
    if not isinstance(vocabulary_list, list) or not isinstance(idf_list, list):
        raise InputError("clause model: vocabulary and idf must be lists")
    if len(vocabulary_list) != len(idf_list) or len(vocabulary_list) > MAX_VOCABULARY:
        raise InputError("clause model: vocabulary and idf differ in length or are too long")
    if not all(isinstance(t, str) for t in vocabulary_list) or not isinstance(types_doc, dict):
        raise InputError("clause model: malformed vocabulary or types")
    vocabulary = {term: i for i, term in enumerate(vocabulary_list)}
    idf = np.asarray([_finite(v, "idf") for v in idf_list], dtype=np.float64)
    names = tuple(sorted(types_doc))
    weights = np.zeros((len(vocabulary), len(names)), dtype=np.float64)
    bias = np.zeros(len(names))
    thresholds = np.zeros(len(names))
    for j, name in enumerate(names):
        entry = types_doc[name]
        if not isinstance(entry, dict):
            raise InputError(f"clause model: type {name!r} is malformed")
        features, values = entry.get("features"), entry.get("weights")
        if not isinstance(features, list) or not isinstance(values, list):
            raise InputError(f"clause model: type {name!r} lacks features or weights")
        if len(features) != len(values):
            raise InputError(f"clause model: type {name!r} features and weights differ")
        for index, value in zip(features, values, strict=True):
            if not isinstance(index, int) or not 0 <= index < len(vocabulary):
                raise InputError(f"clause model: type {name!r} has a bad feature index")
            weights[index, j] = _finite(value, "weight")
        bias[j] = _finite(entry.get("bias"), "bias")
        thresholds[j] = _finite(entry.get("threshold"), "threshold")
    meta_doc = document.get("meta")
    meta: dict[str, Any] = meta_doc if isinstance(meta_doc, dict) else {}
    return ClauseModel(vocabulary, idf, names, weights, bias, thresholds, meta)


def load_model_file(path: Path) -> ClauseModel:
    """Load a clause model from a JSON file (bounded in size)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"clause model not found: {path}") from exc
    if size > MAX_MODEL_BYTES:
        raise InputError(f"clause model too large: {size} bytes")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"clause model is not valid JSON: {exc}") from exc
    return model_from_document(document)


@functools.lru_cache(maxsize=1)
def shipped_model() -> ClauseModel:
    """The model shipped inside the package (loaded once)."""
    if not MODEL_PATH.is_file():
        raise InputError("the clause model is missing; run `make train-review`")
    return load_model_file(MODEL_PATH)
