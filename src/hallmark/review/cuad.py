"""Reading the CUAD training split (never shipped): contracts, their labels, our split of them.

CUAD v1, The Atticus Project, CC BY 4.0. Only the training script and the benchmark read it; the
data stays outside the repository, in ../shared/data/cuad-train or $HALLMARK_CUAD_DIR.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hallmark.errors import NotFound
from hallmark.review.metrics import cuad_jaccard
from hallmark.review.segment import Segment, segment_text

# Our clause type -> the CUAD category that labels it (the mapping is part of docs/review.md).
CUAD_MAP: dict[str, str] = {
    "ip-ownership-assignment": "Ip Ownership Assignment",
    "joint-ip-ownership": "Joint Ip Ownership",
    "license-grant": "License Grant",
    "non-transferable-license": "Non-Transferable License",
    "irrevocable-or-perpetual-license": "Irrevocable Or Perpetual License",
    "non-compete": "Non-Compete",
    "no-solicit-of-employees": "No-Solicit Of Employees",
    "no-solicit-of-customers": "No-Solicit Of Customers",
    "exclusivity": "Exclusivity",
    "cap-on-liability": "Cap On Liability",
    "uncapped-liability": "Uncapped Liability",
    "governing-law": "Governing Law",
    "expiration-date": "Expiration Date",
    "renewal-term": "Renewal Term",
    "termination-for-convenience": "Termination For Convenience",
    "audit-rights": "Audit Rights",
    "anti-assignment": "Anti-Assignment",
    "change-of-control": "Change Of Control",
    "covenant-not-to-sue": "Covenant Not To Sue",
    "source-code-escrow": "Source Code Escrow",
}

MAX_LABEL_FIELD = 10_000_000  # labels.csv holds whole excerpts in one field
SPLIT_TEST_PERCENT = 20  # held out for bench/review_cuad.py, never seen in training
SPLIT_VALIDATION_PERCENT = 15  # tunes thresholds; never used to fit weights


@dataclass
class Contract:
    """One CUAD contract: its text and, per clause type, the excerpts lawyers marked."""

    name: str
    text: str
    labels: dict[str, list[str]] = field(default_factory=dict)


def default_dir() -> Path:
    """Where the CUAD training split lives: $HALLMARK_CUAD_DIR or ../shared/data/cuad-train."""
    override = os.environ.get("HALLMARK_CUAD_DIR")
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "data" / "cuad-train"


def split_of(name: str) -> str:
    """The deterministic split of a contract, by a hash of its file name."""
    bucket = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big") % 100
    if bucket < SPLIT_TEST_PERCENT:
        return "test"
    if bucket < SPLIT_TEST_PERCENT + SPLIT_VALIDATION_PERCENT:
        return "validation"
    return "train"


def load_contracts(directory: Path | None = None) -> list[Contract]:
    """Every contract of the split with its labels for the CUAD-mapped types, sorted by name."""
    directory = directory or default_dir()
    labels_path = directory / "labels.csv"
    if not labels_path.is_file():
        raise NotFound(f"CUAD data not found at {directory} (set HALLMARK_CUAD_DIR)")
    csv.field_size_limit(min(sys.maxsize, MAX_LABEL_FIELD))
    contracts = []
    with labels_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["contract_txt"]
            text = (directory / "contracts" / name).read_text(encoding="utf-8", errors="replace")
            labels = {}
            for clause_type, category in CUAD_MAP.items():
                # Python-literal lists: literal_eval parses them, never executes them.
                excerpts = ast.literal_eval(row[category]) if row[category].strip() else []
                labels[clause_type] = [" ".join(str(e).split()) for e in excerpts if str(e).strip()]
            contracts.append(Contract(name, text, labels))
    contracts.sort(key=lambda c: c.name)
    return contracts


def segment_targets(contract: Contract) -> tuple[list[Segment], dict[str, np.ndarray]]:
    """The contract's segments and, per type, which of them carry a marked excerpt."""
    segments = segment_text(contract.text)
    return segments, marked_segments(contract, segments)


def marked_segments(
    contract: Contract, segments: list[Segment], any_overlap: bool = False
) -> dict[str, np.ndarray]:
    """Per type, the segments that carry a marked excerpt: half of the segment or of the excerpt
    in common (training targets), or with `any_overlap` any text in common (evidence precision)."""
    starts, position = [], 0
    for segment in segments:
        starts.append(position)
        position += len(segment.text) + 1
    joined = " ".join(s.text for s in segments)
    targets = {}
    for clause_type, excerpts in contract.labels.items():
        positive = np.zeros(len(segments), dtype=bool)
        for excerpt in excerpts:
            at = joined.find(excerpt)
            if at < 0:
                for i, segment in enumerate(segments):
                    if cuad_jaccard(excerpt, segment.text) >= 0.5:
                        positive[i] = True
                continue
            end = at + len(excerpt)
            for i, segment in enumerate(segments):
                seg_start, seg_end = starts[i], starts[i] + len(segment.text)
                overlap = min(end, seg_end) - max(at, seg_start)
                if overlap > 0 and (any_overlap or
                    overlap >= 0.5 * len(segment.text) or overlap >= 0.5 * len(excerpt)
                ):
                    positive[i] = True
        targets[clause_type] = positive
    return targets
