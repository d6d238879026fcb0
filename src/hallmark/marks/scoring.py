"""Scoring soft code symbols against every recipient's Tardos codeword: the same for every mark
scheme (a scheme reads symbols; this decides nothing but the ranking and p-values)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from hallmark.marks.codes import Codebook, TardosParams
from hallmark.marks.scheme import Symbols
from hallmark.marks.stats import corrected_p_value, needed_positions

TOP_CANDIDATES = 10


@dataclass
class Scored:
    """One recipient's score and Bonferroni-corrected p-value."""

    recipient: str
    share: str
    score: float
    p_value: float


def rows_needed(params: TardosParams, total: int, per_row: float) -> int:
    """Rows (units) a suspect needs for a decision among `total` shares."""
    need = needed_positions(max(total, 1), params.epsilon, params.cutoff)
    return math.ceil(need / max(per_row, 1e-9))


def score_shares(codebook: Codebook, symbols: Symbols, shares: list[tuple[str, str]],
                 total: int) -> list[Scored]:
    """The best TOP_CANDIDATES of `shares` (id, recipient), p-values corrected for `total`."""
    pos, sigma = symbols.positions, symbols.sigma
    if pos.size == 0:
        return []
    bias = codebook.bias(pos)
    scores = np.array([codebook.score(sid, pos, sigma, bias) for sid, _ in shares])
    order = np.argsort(-scores, kind="stable")[:TOP_CANDIDATES]
    return [Scored(shares[i][1], shares[i][0], float(scores[i]),
                   max(corrected_p_value(float(scores[i]), sigma, bias, total),
                       sys.float_info.min))
            for i in order]
