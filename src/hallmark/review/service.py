"""Review an agreement: which clauses it has, which its type requires and lacks, which are risky.

`review_document(path, agreement_type)` is what the CLI (and later `agreement add`) calls.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hallmark.errors import InputError
from hallmark.review import patterns
from hallmark.review.classifier import shipped_model
from hallmark.review.evidence import MAX_EXCERPT_CHARS as MAX_EXCERPT_CHARS  # re-exported
from hallmark.review.evidence import excerpt, model_focus, pattern_ranks
from hallmark.review.extract import extract
from hallmark.review.segment import Block, Segment, paragraphs, segment_blocks
from hallmark.schemas.review import (
    ClauseEvidence,
    ClauseResult,
    MissingClause,
    ReviewReport,
    ReviewRisk,
)

MAX_EVIDENCE = 3
TYPE_ALIASES = {"license": "licence", "data-sharing": "data-use", "assignment": "work-for-hire"}
MIN_CONFIDENTIALITY_MONTHS = 24


# The results are the review schemas; the old names stay importable for callers and benchmarks.
Evidence = ClauseEvidence
Risk = ReviewRisk


def _load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("hallmark.review").joinpath(name).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise InputError(f"{name} is malformed")
    return document


@functools.lru_cache(maxsize=1)
def clause_catalogue() -> dict[str, dict[str, Any]]:
    """Every clause type id with its title, detector and what a good clause covers."""
    return _load_yaml("clause_types.yaml")


@functools.lru_cache(maxsize=1)
def requirements() -> dict[str, dict[str, Any]]:
    """Per agreement type: its title and the clauses it requires, each with a reason."""
    return _load_yaml("requirements.yaml")


def agreement_types() -> list[str]:
    """The agreement types `--type` accepts."""
    return list(requirements())


def normalise_type(agreement_type: str | None) -> str | None:
    """The canonical agreement type name, or InputError naming the valid ones."""
    if agreement_type is None:
        return None
    name = TYPE_ALIASES.get(agreement_type.strip().lower(), agreement_type.strip().lower())
    if name not in requirements():
        raise InputError(
            f"unknown agreement type {agreement_type!r}; use one of: {', '.join(agreement_types())}"
        )
    return name


def _evidence(
    segments: list[Segment], indices: list[int], focus: dict[int, int] | None = None
) -> list[ClauseEvidence]:
    """Excerpts of the segments, each cut around its focus (where its clause starts)."""
    focus = focus or {}
    return [ClauseEvidence(text=excerpt(segments[i].text, focus.get(i, 0)),
                           location=segments[i].location, segment=i) for i in indices]


@dataclass
class _Scores:
    """Per clause type: every segment's score and clause-level rank, the presence threshold, and
    (pattern types) where each segment's strongest match starts."""

    score: dict[str, np.ndarray] = field(default_factory=dict)
    rank: dict[str, np.ndarray] = field(default_factory=dict)
    threshold: dict[str, float] = field(default_factory=dict)
    focus: dict[str, list[int]] = field(default_factory=dict)


def _scores(segments: list[Segment]) -> _Scores:
    """Score every segment for every clause type, by the model or by the patterns."""
    model = shipped_model()
    texts = [s.text for s in segments]
    probabilities = model.probabilities(texts) if texts else np.zeros((0, len(model.types)))
    out = _Scores()
    for clause_type, entry in clause_catalogue().items():
        if entry.get("detector") == "model":
            j = model.types.index(clause_type)
            out.score[clause_type] = out.rank[clause_type] = probabilities[:, j]
            out.threshold[clause_type] = model.threshold(clause_type)
        else:
            score, rank, focus = pattern_ranks(clause_type, texts)
            out.score[clause_type], out.rank[clause_type] = score, rank
            out.focus[clause_type] = focus
            out.threshold[clause_type] = patterns.PRESENT_AT
    return out


def _clause_results(segments: list[Segment], scored: _Scores) -> list[ClauseResult]:
    results = []
    for clause_type in clause_catalogue():
        column, threshold = scored.score[clause_type], scored.threshold[clause_type]
        best = float(column.max()) if len(column) else 0.0
        # Evidence: the segments that pass the threshold, best clause-level rank first.
        passing = np.flatnonzero(column >= threshold)
        order = passing[np.argsort(-scored.rank[clause_type][passing], kind="stable")]
        supporting = [int(i) for i in order[:MAX_EVIDENCE]]
        if clause_type in scored.focus:
            focus = {i: scored.focus[clause_type][i] for i in supporting}
        else:
            focus = {i: model_focus(shipped_model(), clause_type, segments[i].text)
                     for i in supporting}
        results.append(ClauseResult(type=clause_type, present=best >= threshold,
                                    score=round(best, 3),
                                    evidence=_evidence(segments, supporting, focus)))
    return results


def _risk(risk_id: str, severity: str, message: str,
          evidence: list[ClauseEvidence]) -> ReviewRisk:
    return ReviewRisk(id=risk_id, severity=severity, message=message, evidence=evidence)


def _risks(segments: list[Segment], scored: _Scores) -> list[ReviewRisk]:
    risks = []
    scores, thresholds = scored.score, scored.threshold

    def above(clause_type: str) -> list[int]:
        column = scores[clause_type]
        return [i for i in range(len(segments)) if column[i] >= thresholds[clause_type]]

    residuals = above("residuals")
    if residuals:
        risks.append(_risk("residuals", "high", "A residuals clause lets the recipient use what "
                          "its people remember of your confidential information, models and data.",
                          _evidence(segments, residuals[:MAX_EVIDENCE],
                                    dict(enumerate(scored.focus["residuals"])))))
    for risk_id, severity, message in (
        ("improvements-to-other-party", "high", "Improvements or derivatives are assigned or "
         "licensed back; make sure improvements to your IP do not go to the other party."),
        ("perpetual-or-irrevocable-licence", "medium", "A perpetual or irrevocable licence: "
         "make sure it is not a licence to your IP."),
        ("unlimited-sublicensing", "high", "Sublicensing without limits or consent lets your IP "
         "reach parties you never agreed to."),
    ):
        found = {i: m.start() for i, s in enumerate(segments)
                 if (m := patterns.RISK_PATTERNS[risk_id].search(s.text)) is not None}
        hits = sorted(found)
        if risk_id == "perpetual-or-irrevocable-licence":
            hits = sorted(set(hits) | set(above("irrevocable-or-perpetual-license")))
        if hits:
            risks.append(_risk(risk_id, severity, message,
                              _evidence(segments, hits[:MAX_EVIDENCE], found)))
    conf_rank = scored.rank["confidentiality"]
    confidential = sorted(above("confidentiality"), key=lambda i: -conf_rank[i])
    confidential_focus = dict(enumerate(scored.focus["confidentiality"]))
    if confidential:
        lasting = sorted(set(confidential) | set(above("survival")))
        months = [m for i in lasting for m in patterns.durations_in_months(segments[i].text)]
        short = [i for i in lasting if any(m < MIN_CONFIDENTIALITY_MONTHS
                                           for m in patterns.durations_in_months(segments[i].text))]
        if short and max(months) < MIN_CONFIDENTIALITY_MONTHS:
            risks.append(_risk("confidentiality-shorter-than-2-years", "high",
                              f"Confidentiality lasts {max(months)} months; keep it at least 2 "
                              "years, and for trade secrets as long as they stay secret.",
                              _evidence(segments, short[:MAX_EVIDENCE])))
        if not any(patterns.LASTING.search(segments[i].text) for i in lasting):
            risks.append(_risk("confidentiality-not-surviving", "high",
                              "Nothing says confidentiality survives termination or expiry: once "
                              "the agreement ends, so does the protection.",
                              _evidence(segments, confidential[:MAX_EVIDENCE], confidential_focus)))
    return risks


def review_blocks(blocks: list[Block], agreement_type: str | None = None) -> ReviewReport:
    """Review located blocks of text (pages or paragraphs)."""
    kind = normalise_type(agreement_type)
    segments = segment_blocks(blocks)
    if not segments:
        raise InputError("no text to review")
    scored = _scores(segments)
    clauses = _clause_results(segments, scored)
    present = {c.type for c in clauses if c.present}
    missing = []
    if kind is not None:
        catalogue = clause_catalogue()
        for clause_type, reason in requirements()[kind]["requires"].items():
            if clause_type not in present:
                missing.append(MissingClause(type=clause_type, reason=str(reason),
                                             covers=str(catalogue[clause_type]["covers"])))
    return ReviewReport(clauses=clauses, missing=missing, risks=_risks(segments, scored),
                        agreement_type=kind, segments=len(segments))


def review_text(text: str, agreement_type: str | None = None) -> ReviewReport:
    """Review plain text whose paragraphs are separated by blank lines."""
    return review_blocks(paragraphs(text), agreement_type)


def review_document(path: Path, agreement_type: str | None = None) -> ReviewReport:
    """Extract a PDF, DOCX, HTML, Markdown or text file and review it."""
    kind = normalise_type(agreement_type)  # a bad --type fails before any parsing
    return review_blocks(extract(path).blocks, kind)


def sample_path(name: str = "nda_residuals.txt") -> Path:
    """The path of a sample agreement shipped with the package (used by the demo)."""
    return Path(str(resources.files("hallmark.review").joinpath("samples", name)))
