"""Transparent patterns for the clause types CUAD does not label, and for the risk checks.

Each pattern is a regular expression with a weight: a segment's score for a type is the largest
weight among the type's patterns it matches. Weights >= 0.5 say "this is such a clause"; lower
weights only mention the topic and never make a clause present on their own. Sentences in
hand_labelled.yaml (our own words) test them; docs/review.md lists them.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
W = r"[^.;]{0,160}"  # within one clause: no sentence or list boundary in between

_RAW: dict[str, list[tuple[str, float]]] = {
    "confidentiality": [
        (rf"\b(hold|keep|maintain|treat|protect)\b{W}\b(in (strict |the strictest )?confidence|"
         rf"confidential|secret)\b", 0.9),
        (rf"\b(shall|will|must|agrees? to|may) not{W}\b(disclose|divulge|reveal)\b", 0.9),
        (r"\bnot to (disclose|divulge|reveal)\b", 0.9),
        # "Neither party shall disclose ...": the negation comes before the modal verb
        (rf"\b(neither|no)\b{W}\b(shall|will|may)\b{W}\b(disclose|divulge|reveal)\b", 0.9),
        (r"\bconfidential(ity)? (obligations?|undertakings?)\b", 0.9),
        (r"\b(obligations?|duty|duties) of (confidentiality|confidence|non-disclosure)\b", 0.9),
        (rf"\b(confidential|proprietary) information\b{W}\b(disclos|use|protect|safeguard)", 0.7),
        (r"\bnon-?disclosure\b", 0.6),
        (r"\bconfidential\b", 0.3),
    ],
    "work-for-hire": [
        (r"\bworks? made for hire\b", 0.95),
        (r"\bwork[- ]for[- ]hire\b", 0.95),
        (r"\bcommissioned works?\b", 0.5),
    ],
    "improvements-and-derivatives": [
        (rf"\b(improvements?|enhancements?|modifications?|derivative works?|derivatives)\b{W}"
         r"\b(own|owned|ownership|assign\w*|vest\w*|belong\w*|title|property|licen[cs]\w*)\b",
         0.85),
        (rf"\b(own|owns|assign\w*|vest\w*|title to|licen[cs]\w*)\b{W}\b(improvements?|"
         r"enhancements?|derivative works?|derivatives)\b", 0.8),
        (r"\b(improvements?|derivative works?)\b", 0.35),
    ],
    "indemnification": [
        (rf"\bindemnif(y|ies)\b{W}\b(defend|hold harmless|against)\b", 0.95),
        (rf"\b(defend|hold harmless)\b{W}\bindemnif", 0.95),
        (r"\bindemnif(y|ies|ied|ication)\b", 0.7),
        (r"\bhold\b[^.;]{0,40}\bharmless\b", 0.7),
    ],
    "dispute-resolution": [
        (r"\barbitrat(ion|or|ors|e|ed)\b", 0.9),
        (r"\b(mediation|mediator|conciliation)\b", 0.85),
        (rf"\bdisputes?\b{W}\b(resolv\w*|settle\w*|submit\w*|courts?|jurisdiction|venue|"
         r"escalat\w*|negotiat\w*)\b", 0.85),
        (r"\b(exclusive|non-exclusive) jurisdiction\b|\bsubmits? to the jurisdiction\b", 0.8),
        (r"\bvenue\b", 0.5),
    ],
    "survival": [
        (rf"\bsurviv(e|es|al|ing)\b{W}\b(termination|expiration|expiry|end)\b", 0.95),
        (rf"\b(termination|expiration|expiry)\b{W}\bsurviv(e|es|al|ing)\b", 0.95),
        (rf"\b(continue|remain)s? in (full )?(force|effect)\b{W}\b(after|following|notwithstanding)"
         r"\b[^.;]{0,40}\b(termination|expiration|expiry)\b", 0.85),
    ],
    "return-or-destruction": [
        (rf"\breturn\b{W}\b(destroy|destruction|delete|erase)\b", 0.95),
        (rf"\b(destroy|delete|erase)\b{W}\breturn\b", 0.95),
        (rf"\b(return|destroy|delete|erase)\b{W}\b(confidential information|materials|copies|"
         r"documents|data|datasets?|records)\b", 0.75),
    ],
    "data-use-restrictions": [
        (rf"\b(data|datasets?|personal information|personal data)\b{W}\b(solely|only|exclusively)"
         rf"\b{W}\b(purposes?|project|research|use)\b", 0.85),
        (rf"\b(shall|will|must|may) not\b{W}\b(use|re-?identify|sell|share|combine|link|train)\b"
         rf"{W}\b(data|datasets?|personal information)\b", 0.85),
        (rf"\b(data|datasets?)\b{W}\b(shall|will|must|may) not\b{W}\b(used|re-?identif\w*|sold|"
         r"shared|combined|linked|transferred)\b", 0.85),
        (rf"\b(train|training|fine-?tun\w*)\b{W}\b(machine learning|models?|"
         r"artificial intelligence|AI)\b", 0.4),
        (r"\bdata (use|protection|processing) (agreement|addendum|restrictions?)\b", 0.7),
    ],
    "export-control": [
        (r"\bexport (control|controls|administration|regulations?|laws?|licen[cs]es?)\b", 0.95),
        (r"\bre-?export\w*\b", 0.85),
        (r"\b(ITAR|OFAC|EAR)\b", 0.8),
        (r"\b(economic |trade )?sanctions? (laws?|regulations?|lists?)\b", 0.7),
    ],
    "residuals": [
        (rf"\bresiduals?\b{W}\b(information|knowledge|ideas|memory|know-how|concepts)\b", 0.95),
        (rf"\b(information|knowledge|ideas|know-how)\b{W}\bresiduals?\b", 0.9),
        (r"\bunaided memory\b|\bretained in (the |their |its )?(unaided )?memor(y|ies)\b", 0.9),
        (r"\bmental impressions\b", 0.6),
        # the defined term used on its own: "may use Residuals for any purpose"
        (r"\b(use|exploit|utili[sz]e|disclose)\b(\s+\w+){0,3}\s+Residuals\b", 0.9),
        (r"[\"\u201c]Residuals[\"\u201d]\s+(means|shall mean)\b", 0.95),
    ],
}
PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    clause_type: [(re.compile(p, _I), w) for p, w in entries]
    for clause_type, entries in _RAW.items()
}
PRESENT_AT = 0.5  # a pattern score at or above this makes the clause present
MENTION = 0.3  # the score of a sentence that only mentions the topic

# Sentences that name a topic without being its clause: a severability clause's "held invalid by a
# court or arbitrator" is no dispute-resolution clause. Such a sentence scores MENTION at most.
MENTION_ONLY: dict[str, re.Pattern[str]] = {
    "dispute-resolution": re.compile(
        r"\b(held|found|deemed|declared|determined|ruled)\b[^.;]{0,80}\b(invalid|unenforceable|"
        r"illegal|void)\b|\b(invalid|unenforceable|illegal|void)\b[^.;]{0,60}\b(by|in) (any|a) "
        r"(competent )?(court|arbitrat)", _I),
}

RISK_PATTERNS: dict[str, re.Pattern[str]] = {
    "improvements-to-other-party": re.compile(
        rf"\b(improvements?|enhancements?|modifications?|derivative works?|derivatives)\b{W}"
        r"(\bhereby assigns?\b|\bshall (promptly )?assign\b|\bagrees? to assign\b|\bassigns? to\b|"
        r"\bgrant[- ]?back\b|\blicen[cs]e[- ]?back\b|\bshall (be )?(vest|vested) in\b|"
        r"\bshall be (the )?(sole and )?(exclusive )?property of\b|"
        r"\bshall be owned (solely )?by\b)|"
        rf"(\bgrant[- ]?back\b|\blicen[cs]e[- ]?back\b|\bhereby assigns?\b|\bshall assign\b){W}"
        r"\b(improvements?|enhancements?|derivative works?|derivatives)\b",
        _I,
    ),
    "perpetual-or-irrevocable-licence": re.compile(
        rf"\b(perpetual|irrevocable)\b{W}\blicen[cs]e|\blicen[cs]e\b[^.;]{{0,80}}\b(perpetual|"
        r"irrevocable)\b|\bin perpetuity\b[^.;]{0,80}\blicen[cs]",
        _I,
    ),
    "unlimited-sublicensing": re.compile(
        r"\b(fully|freely) (sub-?licensable|sub-?licen[cs]eable)\b|"
        rf"\bsub-?licen[cs]\w*\b{W}\b(through (multiple|several|any number of) tiers|"
        r"multiple tiers|unlimited|unrestricted|"
        r"without (the )?(need for )?(any )?(further |prior )?(consent|approval|restriction|"
        r"limitation)|in its sole discretion|at its sole discretion)\b|"
        rf"\b(unlimited|unrestricted)\b[^.;]{{0,40}}\bsub-?licen[cs]",
        _I,
    ),
}

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
    "thirty-six": 36, "a": 1, "an": 1,
}
_DURATION = re.compile(
    r"\b(?:for|during|of)\s+(?:a\s+(?:period|term)\s+of\s+)?(?:(\d{1,3})|([a-z-]+))"
    r"(?:\s*\((\d{1,3})\))?\s+(years?|months?)\b",
    _I,
)
LASTING = re.compile(
    rf"\b(perpetual|perpetuity|indefinitely|indefinite|thereafter|survive\w*|after{W}"
    r"(termination|expiration|expiry)|following{W}(termination|expiration|expiry)|"
    r"notwithstanding{W}(termination|expiration))\b",
    _I,
)


def pattern_match(clause_type: str, text: str) -> tuple[float, int, int]:
    """The score of the text for the type, where its strongest match starts, and how many of
    the type's clause patterns (weight >= PRESENT_AT) it matches."""
    score, start, strong = 0.0, 0, 0
    for pattern, weight in PATTERNS[clause_type]:
        match = pattern.search(text)
        if match is None:
            continue
        strong += weight >= PRESENT_AT
        if weight > score:
            score, start = weight, match.start()
    mention_only = MENTION_ONLY.get(clause_type)
    if mention_only is not None and score > MENTION and mention_only.search(text):
        score, strong = MENTION, 0
    return score, start, strong


def pattern_score(clause_type: str, text: str) -> float:
    """The largest weight among the type's patterns that the text matches (0.0 if none)."""
    return pattern_match(clause_type, text)[0]


def durations_in_months(text: str) -> list[int]:
    """Every stated duration ('for a period of two (2) years', 'for 18 months') in months."""
    found = []
    for match in _DURATION.finditer(text):
        digits, word, bracketed, unit = match.groups()
        value = int(bracketed or digits) if (bracketed or digits) else _NUMBER_WORDS.get(
            (word or "").lower()
        )
        if value is None:
            continue
        found.append(value * 12 if unit.lower().startswith("year") else value)
    return found
