"""Train the clause classifier on the CUAD training split: `python -m hallmark.review.train`.

Deterministic: the split is a hash of file names, the solver is liblinear with a fixed seed.
Fits weights on every contract outside our held-out 'test' part, tunes each type's presence
threshold on out-of-fold document scores (4 folds, a hash of the file name), and never reads the
'test' part (that is bench/review_cuad.py's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hallmark.review.classifier import MODEL_PATH, ClauseModel
from hallmark.review.cuad import CUAD_MAP, default_dir, load_contracts, segment_targets, split_of
from hallmark.review.features import terms, tfidf_rows

MIN_DF = 3
FEATURES_PER_TYPE = 1500
# The types a bag of words confuses most (document-level F1 < 0.8 in cross-validation) get more
# terms and balanced class weights; chosen by cross-validation on the training contracts only.
HARD_TYPES = {"ip-ownership-assignment": 5000, "non-compete": 5000, "exclusivity": 5000}
C = 16.0
SEED = 20240601
FOLDS = 4  # thresholds: out-of-fold document scores over every training contract
ATTRIBUTION = (
    "Trained on the Contract Understanding Atticus Dataset (CUAD v1), The Atticus Project, "
    "https://www.atticusprojectai.org/cuad, CC BY 4.0 (Hendrycks, Burns, Chen, Ball, NeurIPS 2021)."
)


def _matrix(texts: list[str], vocabulary: dict[str, int], idf: np.ndarray):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols, vals = tfidf_rows(texts, vocabulary, idf)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocabulary)))


def best_threshold(doc_scores: np.ndarray, doc_truth: np.ndarray) -> float:
    """The presence threshold with the best F1 on the given documents (midpoint between scores)."""
    order = np.unique(doc_scores)
    midpoints = (order[:-1] + order[1:]) / 2.0 if len(order) > 1 else np.zeros(0)
    candidates = np.concatenate([[0.5], midpoints])
    best, best_f1 = 0.5, -1.0
    for t in candidates:
        predicted = doc_scores >= t
        tp = int(np.sum(predicted & doc_truth))
        fp = int(np.sum(predicted & ~doc_truth))
        fn = int(np.sum(~predicted & doc_truth))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def fold_of(name: str) -> int:
    """The cross-validation fold of a training contract (a hash of its file name)."""
    digest = hashlib.sha256(f"fold:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % FOLDS


def _fit(x_full, y: dict[str, np.ndarray], types: list[str], rows: np.ndarray):  # type: ignore[no-untyped-def]
    """Per type: chosen term columns, then a logistic regression over the union of them.

    Rows are re-normalised over the kept terms, exactly as inference computes them."""
    from sklearn.feature_selection import chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    x_rows = x_full[rows]
    chosen = {}
    for k in types:
        scores, _ = chi2(x_rows, y[k][rows])
        chosen[k] = np.argsort(-np.nan_to_num(scores), kind="stable")[
            : HARD_TYPES.get(k, FEATURES_PER_TYPE)]
    kept = np.asarray(sorted(set(np.concatenate(list(chosen.values())).tolist())))
    position = {old: new for new, old in enumerate(kept.tolist())}
    x = normalize(x_full[:, kept].tocsr(), norm="l2", copy=True)
    weights = np.zeros((len(kept), len(types)))
    bias = np.zeros(len(types))
    for j, k in enumerate(types):
        columns = np.asarray(sorted(position[i] for i in chosen[k].tolist()))
        target = y[k][rows]
        if not target.any():
            bias[j] = -20.0
            continue
        model = LogisticRegression(C=C, solver="liblinear", random_state=SEED, max_iter=2000,
                                   class_weight="balanced" if k in HARD_TYPES else None)
        model.fit(x[rows][:, columns], target)
        weights[columns, j] = np.round(model.coef_[0], 4)
        bias[j] = float(model.intercept_[0])
    return kept, x, weights, bias


def _doc_max(x, weights: np.ndarray, bias: np.ndarray, bounds: list[tuple[int, int]]) -> np.ndarray:  # type: ignore[no-untyped-def]
    logits = np.asarray(x @ weights) + bias
    p = 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))
    return np.asarray([p[a:b].max(axis=0) if b > a else np.zeros(len(bias)) for a, b in bounds])


def train(data_dir: Path, out: Path, log=print) -> ClauseModel:  # type: ignore[no-untyped-def]
    """Fit, tune and write the model; returns it. Never reads the held-out ('test') contracts."""
    started = time.time()
    contracts = [c for c in load_contracts(data_dir) if split_of(c.name) != "test"]
    docs = []
    for contract in contracts:
        segments, targets = segment_targets(contract)
        docs.append((contract.name, [s.text for s in segments], targets))
    log(f"training contracts: {len(docs)} (held-out contracts are never read)")
    types = sorted(CUAD_MAP)
    texts = [t for _, seg_texts, _ in docs for t in seg_texts]
    y = {k: np.concatenate([tg[k] for _, _, tg in docs]) for k in types}
    bounds, position = [], 0
    for _, seg_texts, _ in docs:
        bounds.append((position, position + len(seg_texts)))
        position += len(seg_texts)

    df: Counter[str] = Counter()
    for text in texts:
        df.update(terms(text).keys())
    names = sorted(t for t, c in df.items() if c >= MIN_DF)
    full_vocab = {t: i for i, t in enumerate(names)}
    n = len(texts)
    full_idf = np.round(np.asarray([math.log((1 + n) / (1 + df[t])) + 1.0 for t in names]), 5)
    x_full = _matrix(texts, full_vocab, full_idf)
    log(f"segments: {n}, candidate terms: {len(full_vocab)}")

    # Thresholds: each contract scored by a model that never saw it, then the best F1 per type.
    folds = np.asarray([fold_of(name) for name, _, _ in docs])
    doc_max = np.zeros((len(docs), len(types)))
    segment_fold = np.concatenate([[fold_of(name)] * len(s) for name, s, _ in docs])
    for f in range(FOLDS):
        rows = np.flatnonzero(segment_fold != f)
        kept, x, weights, bias = _fit(x_full, y, types, rows)
        held = np.flatnonzero(folds == f)
        doc_max[held] = _doc_max(x, weights, bias, [bounds[i] for i in held])
        log(f"fold {f + 1}/{FOLDS} in {time.time() - started:.0f}s")
    thresholds = np.zeros(len(types))
    for j, k in enumerate(types):
        truth = np.asarray([bool(tg[k].any()) for _, _, tg in docs])
        thresholds[j] = best_threshold(doc_max[:, j], truth)

    kept, _, weights, bias = _fit(x_full, y, types, np.arange(n))
    vocabulary = {names[i]: j for j, i in enumerate(kept.tolist())}
    log(f"fitted {len(types)} types over {len(vocabulary)} terms in {time.time() - started:.0f}s")
    meta = {
        "attribution": ATTRIBUTION,
        "trained_on": "CUAD v1 training split less our held-out 20% (hash of file name)",
        "contracts": {"train": len(docs), "threshold_folds": FOLDS},
        "features_per_type": FEATURES_PER_TYPE,
        "hard_types": HARD_TYPES,
        "min_df": MIN_DF,
        "C": C,
        "cuad_map": CUAD_MAP,
    }
    final = ClauseModel(vocabulary, full_idf[kept], tuple(types), weights, bias, thresholds, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(final.to_document(), separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(out)
    log(f"wrote {out} ({out.stat().st_size} bytes) in {time.time() - started:.0f}s")
    return final


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the training script."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="CUAD folder (default: shared)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    data = args.data or default_dir()
    if not (data / "labels.csv").is_file():
        print(f"CUAD data not found at {data}; set HALLMARK_CUAD_DIR", file=sys.stderr)
        return 2
    train(data, args.out, log=lambda m: print(m, file=sys.stderr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
