"""Train the clause classifier on the CUAD training split: `python -m hallmark.review.train`.

Deterministic: the split is a hash of file names, the solver is liblinear with a fixed seed.
Fits weights on our 'train' part, tunes per-type presence thresholds on 'validation', and never
reads the 'test' part (that is bench/review_cuad.py's).
"""

from __future__ import annotations

import argparse
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
C = 16.0
SEED = 20240601
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


def train(data_dir: Path, out: Path, log=print) -> ClauseModel:  # type: ignore[no-untyped-def]
    """Fit, tune and write the model; returns it."""
    from sklearn.feature_selection import chi2
    from sklearn.linear_model import LogisticRegression

    started = time.time()
    contracts = load_contracts(data_dir)
    parts: dict[str, list] = {"train": [], "validation": []}
    for contract in contracts:
        part = split_of(contract.name)
        if part in parts:
            segments, targets = segment_targets(contract)
            parts[part].append((contract.name, [s.text for s in segments], targets))
    log(f"contracts: train {len(parts['train'])}, validation {len(parts['validation'])}")
    types = sorted(CUAD_MAP)
    texts = [t for _, seg_texts, _ in parts["train"] for t in seg_texts]
    y = {k: np.concatenate([tg[k] for _, _, tg in parts["train"]]) for k in types}

    df: Counter[str] = Counter()
    for text in texts:
        df.update(terms(text).keys())
    names = sorted(t for t, c in df.items() if c >= MIN_DF)
    full_vocab = {t: i for i, t in enumerate(names)}
    n = len(texts)
    full_idf = np.asarray([math.log((1 + n) / (1 + df[t])) + 1.0 for t in names])
    x_full = _matrix(texts, full_vocab, full_idf)
    log(f"segments: {n}, candidate terms: {len(full_vocab)}")
    chosen: dict[str, np.ndarray] = {}
    for k in types:
        scores, _ = chi2(x_full, y[k])
        scores = np.nan_to_num(scores)
        chosen[k] = np.argsort(-scores, kind="stable")[:FEATURES_PER_TYPE]
    kept = sorted(set(np.concatenate(list(chosen.values())).tolist()))
    vocabulary = {names[i]: j for j, i in enumerate(kept)}
    idf = full_idf[kept]
    remap = {old: new for new, old in enumerate(kept)}
    x = _matrix(texts, vocabulary, idf)

    weights = np.zeros((len(vocabulary), len(types)))
    bias = np.zeros(len(types))
    for j, k in enumerate(types):
        columns = np.asarray(sorted(remap[i] for i in chosen[k].tolist()))
        if not y[k].any():
            bias[j] = -20.0
            continue
        model = LogisticRegression(C=C, solver="liblinear", random_state=SEED, max_iter=2000)
        model.fit(x[:, columns], y[k])
        weights[columns, j] = np.round(model.coef_[0], 4)
        bias[j] = float(model.intercept_[0])
    log(f"fitted {len(types)} types over {len(vocabulary)} terms in {time.time() - started:.0f}s")

    clause_model = ClauseModel(vocabulary, np.round(idf, 5), tuple(types), weights, bias,
                               np.full(len(types), 0.5))
    thresholds = np.zeros(len(types))
    val = parts["validation"]
    doc_max = np.asarray([clause_model.probabilities(seg).max(axis=0) for _, seg, _ in val])
    for j, k in enumerate(types):
        truth = np.asarray([bool(tg[k].any()) for _, _, tg in val])
        thresholds[j] = best_threshold(doc_max[:, j], truth)
    meta = {
        "attribution": ATTRIBUTION,
        "trained_on": "CUAD v1 training split, our 'train' part (hash of file name)",
        "contracts": {"train": len(parts["train"]), "validation": len(val)},
        "features_per_type": FEATURES_PER_TYPE,
        "min_df": MIN_DF,
        "C": C,
        "cuad_map": CUAD_MAP,
    }
    final = ClauseModel(vocabulary, clause_model.idf, tuple(types), weights, bias, thresholds, meta)
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
