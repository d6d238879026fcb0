"""CUAD's evaluation metric, reimplemented, and document-level presence scores. Pure functions.

A predicted span matches a labelled one when their word sets have Jaccard >= 0.5; precision and
recall are pooled over every (contract, clause type) question at each confidence threshold of
CUAD's sweep (0.99 down to 0.01 by 0.01, then 0.001 and 0); the precision curve is made
monotone from the right; AUPR is the trapezoid area under it from the anchor (recall 0,
precision 1). Thresholds where nothing is predicted add no point (CUAD's script would add NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

IOU_THRESHOLD = 0.5
CUAD_THRESHOLDS: tuple[float, ...] = tuple(round(0.99 - 0.01 * i, 2) for i in range(99)) + (
    0.001,
    0.0,
)

Question = tuple[str, str]  # (contract, clause type)
Prediction = tuple[str, float]  # (text, confidence)


def cuad_jaccard(label: str, prediction: str) -> float:
    """CUAD's word-set Jaccard: drop . , ; : then lower-case, '/' to space, split on spaces."""
    for token in (".", ",", ";", ":"):
        label = label.replace(token, "")
        prediction = prediction.replace(token, "")
    label_words = set(label.lower().replace("/", " ").split(" "))
    prediction_words = set(prediction.lower().replace("/", " ").split(" "))
    union = label_words | prediction_words
    return len(label_words & prediction_words) / len(union) if union else 0.0


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives at one threshold."""

    tp: int
    fp: int
    fn: int


def match_matrix(
    labels: Mapping[Question, Sequence[str]], predictions: Mapping[Question, Sequence[Prediction]]
) -> dict[Question, list[list[bool]]]:
    """For each question, which prediction matches which label (computed once for the sweep)."""
    matrix = {}
    for question, answers in labels.items():
        preds = predictions.get(question, ())
        matrix[question] = [
            [cuad_jaccard(answer, text) >= IOU_THRESHOLD for answer in answers]
            for text, _ in preds
        ]
    return matrix


def counts_at(
    labels: Mapping[Question, Sequence[str]],
    predictions: Mapping[Question, Sequence[Prediction]],
    matches: Mapping[Question, list[list[bool]]],
    threshold: float,
) -> Counts:
    """CUAD's counting at one threshold: each label matched or missed; unmatched predictions FP."""
    tp = fp = fn = 0
    for question, answers in labels.items():
        kept = [i for i, (_, conf) in enumerate(predictions.get(question, ())) if conf > threshold]
        rows = matches[question]
        for a in range(len(answers)):
            if any(rows[i][a] for i in kept):
                tp += 1
            else:
                fn += 1
        fp += sum(1 for i in kept if not any(rows[i]))
    return Counts(tp, fp, fn)


def monotone(precisions: Sequence[float]) -> list[float]:
    """CUAD's smoothing: each precision becomes the best precision at any higher recall."""
    out = list(precisions)
    for i in range(len(out) - 2, -1, -1):
        out[i] = max(out[i], out[i + 1])
    return out


def precision_recall_curve(
    labels: Mapping[Question, Sequence[str]], predictions: Mapping[Question, Sequence[Prediction]]
) -> tuple[list[float], list[float]]:
    """Precisions and recalls over CUAD's threshold sweep, starting at the anchor (R=0, P=1)."""
    matches = match_matrix(labels, predictions)
    precisions, recalls = [1.0], [0.0]
    for threshold in CUAD_THRESHOLDS:
        c = counts_at(labels, predictions, matches, threshold)
        if c.tp + c.fp == 0 or c.tp + c.fn == 0:
            continue
        precisions.append(c.tp / (c.tp + c.fp))
        recalls.append(c.tp / (c.tp + c.fn))
    return precisions, recalls


def aupr(precisions: Sequence[float], recalls: Sequence[float]) -> float:
    """Area under the smoothed precision-recall curve (trapezoids over recall)."""
    smoothed = monotone(precisions)
    area = 0.0
    for i in range(1, len(recalls)):
        area += (recalls[i] - recalls[i - 1]) * (smoothed[i] + smoothed[i - 1]) / 2.0
    return area


def precision_at_recall(
    precisions: Sequence[float], recalls: Sequence[float], recall: float
) -> float:
    """Smoothed precision at the first threshold reaching the recall (0 if never reached)."""
    for p, r in zip(monotone(precisions), recalls, strict=True):
        if r >= recall:
            return p
    return 0.0


@dataclass(frozen=True)
class PresenceScore:
    """Document-level presence of one clause type: precision, recall, F1 and the counts."""

    precision: float
    recall: float
    f1: float
    support: int


def presence_score(truth: Sequence[bool], predicted: Sequence[bool]) -> PresenceScore:
    """Precision, recall and F1 of document-level presence (1.0 where nothing to find/flag)."""
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t and p)
    fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p and not t)
    fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t and not p)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return PresenceScore(precision, recall, f1, tp + fn)
