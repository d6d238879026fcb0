"""Evidence is the sentence that carries the clause, not the first sentence that mentions it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.review.cuad import default_dir
from hallmark.review.evidence import excerpt, excerpt_bounds
from hallmark.review.service import MAX_EXCERPT_CHARS, review_text

# Our own words, shaped like a development agreement whose early sentences mention the topics
# (a copyright licence that says "confidential", an administrator who helps with disputes)
# before the real clauses.
DEVELOPMENT_AGREEMENT = """\
DEVELOPMENT AND LICENCE AGREEMENT between Orchard Labs Inc. and Meadow Plants Ltd.

2.3 Copyright licence. Orchard grants Meadow a non-exclusive licence under its copyrights to \
reproduce and translate the protocol manuals, which Meadow shall keep confidential in its files.

3.1 Agreement Administrators. Each Party shall name an Agreement Administrator who shall \
schedule the progress meetings, keep the minutes, circulate the work plan and try to resolve any \
disagreement or dispute about the work plan informally before it is escalated to senior managers.

7. CONFIDENTIALITY. Each Party shall hold the Confidential Information of the other Party in \
strict confidence, shall use it only to perform this Agreement and shall not disclose it to any \
third party without the prior written consent of the disclosing Party.

7.2 The obligations of this Section 7 survive termination of this Agreement for five years.

14. DISPUTE RESOLUTION. Any dispute arising out of or relating to this Agreement shall be \
brought only in the courts of England and Wales, and each Party submits to their exclusive \
jurisdiction and waives any objection to that venue.

15. Severability. If any provision of this Agreement is held invalid by a court or arbitrator, \
the remaining provisions stay in full force.
"""


def _first_evidence(text: str, clause_type: str) -> str:
    clause = review_text(text).clause(clause_type)
    assert clause.present and clause.evidence, clause_type
    return clause.evidence[0].text


def test_confidentiality_evidence_is_the_confidentiality_clause() -> None:
    best = _first_evidence(DEVELOPMENT_AGREEMENT, "confidentiality")
    assert "confidential information" in best.lower()
    assert "copyright" not in best.lower()


def test_dispute_evidence_is_the_dispute_clause() -> None:
    best = _first_evidence(DEVELOPMENT_AGREEMENT, "dispute-resolution")
    assert "courts of England" in best
    assert "Administrator" not in best and "Severability" not in best


def test_a_severability_sentence_alone_is_no_dispute_clause() -> None:
    text = ("Severability. If any provision of this Agreement is held invalid by any competent "
            "court or arbitrator, the remaining provisions of this Agreement stay in full force.")
    assert not review_text(text).clause("dispute-resolution").present


def test_a_long_segment_shows_the_part_that_carries_the_clause() -> None:
    # One sentence of under 160 words (one segment) whose arbitration clause starts late.
    preamble = ", ".join(f"the supplier shall deliver the agreed batch number {i} of seedlings to "
                         "the regional depot on time" for i in range(7))
    text = (f"In this Agreement {preamble}, and any dispute arising under this Agreement shall be "
            "settled by arbitration in Geneva under the Swiss Rules of International Arbitration.")
    assert len(text) > 2 * MAX_EXCERPT_CHARS
    best = _first_evidence(text, "dispute-resolution")
    assert len(best) <= MAX_EXCERPT_CHARS
    assert "arbitration" in best.lower()


def _ibio_agreement() -> Path | None:
    contracts = default_dir() / "contracts"
    if not contracts.is_dir():
        return None
    for path in sorted(contracts.glob("*.txt")):
        if "CC-Pharming" in path.read_text(encoding="utf-8", errors="replace"):
            return path
    return None


IBIO = _ibio_agreement()


@pytest.mark.skipif(IBIO is None, reason=f"the iBio / CC-Pharming development agreement is not "
                    f"among the CUAD contracts at {default_dir()}")
def test_ibio_development_agreement_evidence() -> None:
    assert IBIO is not None
    text = IBIO.read_text(encoding="utf-8", errors="replace")
    confidentiality = _first_evidence(text, "confidentiality").lower()
    assert "confidential information" in confidentiality
    dispute = _first_evidence(text, "dispute-resolution").lower()
    assert any(word in dispute for word in ("arbitrat", "dispute", "court"))
    assert "agreement administrator" not in dispute


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["shall", "arbitration;", "the", "Party,", "and", "x" * 30, "."]),
                min_size=1, max_size=300).map(" ".join), st.integers(0, 3000))
def test_excerpts_are_bounded_pieces_that_hold_their_focus(text: str, focus: int) -> None:
    focus = min(focus, max(len(text) - 1, 0))
    begin, end = excerpt_bounds(text, focus)
    cut = excerpt(text, focus)
    assert len(cut) <= MAX_EXCERPT_CHARS
    assert cut == ("\u2026" if begin else "") + text[begin:end] + ("\u2026" if end < len(text)
                                                                  else "")
    assert begin <= focus < end or not text
    if len(text) <= MAX_EXCERPT_CHARS:
        assert cut == text
