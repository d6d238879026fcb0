"""The shipped model (JSON, no pickle), segmentation, CUAD's metric maths, and the CUAD data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.errors import InputError
from hallmark.review import metrics
from hallmark.review.classifier import MODEL_PATH, load_model_file, shipped_model
from hallmark.review.cuad import CUAD_MAP, default_dir, load_contracts, split_of
from hallmark.review.segment import MAX_SEGMENT_CHARS, segment_text, split_sentences


def test_shipped_model_is_small_json_with_attribution() -> None:
    assert MODEL_PATH.stat().st_size < 2 * 1024 * 1024
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert "CC BY 4.0" in document["meta"]["attribution"]
    assert "CC BY 4.0" in (MODEL_PATH.parent / "NOTICE").read_text(encoding="utf-8")
    model = shipped_model()
    assert sorted(model.types) == sorted(CUAD_MAP)
    assert all(0.0 < model.threshold(t) < 1.0 for t in model.types)


def test_model_scores_the_right_type() -> None:
    model = shipped_model()
    texts = [
        "This Agreement shall be governed by the laws of the State of Delaware.",
        "Neither party may assign this Agreement without the prior written consent of the other.",
        "The Company shall pay the invoice within thirty days of receipt.",
    ]
    p = model.probabilities(texts)
    gov, assign = model.types.index("governing-law"), model.types.index("anti-assignment")
    assert p[0, gov] > 0.5 > p[2, gov]
    assert p[1, assign] > 0.5 > p[2, assign]


@pytest.mark.parametrize("damage", [
    lambda d: d.update(format="pickle"),
    lambda d: d["idf"].pop(),
    lambda d: d["types"]["governing-law"].update(bias=float("nan")),
    lambda d: d["types"]["governing-law"]["features"].__setitem__(0, 10**9),
    lambda d: d["types"].update({"x": "y"}),
])
def test_malformed_models_are_refused(tmp_path: Path, damage) -> None:
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    damage(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match="clause model"):
        load_model_file(path)


def test_sentences_respect_abbreviations_and_locations() -> None:
    text = ("Acme Inc. and Beta Corp. agree. See Sec. 4.2 of the U.S. filing for details here.\n\n"
            "12. GOVERNING LAW.\n\nThis Agreement is governed by the laws of New York state.")
    assert split_sentences(text.split("\n\n")[0]) == [
        "Acme Inc. and Beta Corp. agree.", "See Sec. 4.2 of the U.S. filing for details here."]
    segments = segment_text(text)
    assert segments[-1].text.startswith("12. GOVERNING LAW. This Agreement")
    assert segments[-1].location == "paragraph 2"


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=3000))
def test_segments_are_bounded_and_keep_every_word(text: str) -> None:
    segments = segment_text(text)
    assert all(len(s.text) <= MAX_SEGMENT_CHARS * 2 for s in segments)
    assert "".join("".join(s.text.split()) for s in segments) == "".join(text.split())


letters = ["a", "b", "c", "d", "e", "f", "g", "h"]
words = st.lists(st.sampled_from(letters), min_size=1, max_size=8).map(" ".join)


@settings(deadline=None)  # never timed: the machine is shared
@given(words, words)
def test_jaccard_is_symmetric_and_bounded(a: str, b: str) -> None:
    j = metrics.cuad_jaccard(a, b)
    assert 0.0 <= j <= 1.0 and math.isclose(j, metrics.cuad_jaccard(b, a))
    assert metrics.cuad_jaccard(a, a) == 1.0


@settings(deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 1.0)), min_size=1, max_size=40))
def test_aupr_is_one_for_perfect_rankings_and_bounded(items: list[tuple[bool, float]]) -> None:
    labels, predictions = {}, {}
    for i, (is_clause, confidence) in enumerate(items):
        question = (f"doc{i}", "governing-law")
        labels[question] = ["governed by the laws of new york"] if is_clause else []
        text = "governed by the laws of new york" if is_clause else "payment terms apply"
        predictions[question] = [(text, confidence if is_clause else 0.0)]
    precisions, recalls = metrics.precision_recall_curve(labels, predictions)
    area = metrics.aupr(precisions, recalls)
    assert 0.0 <= area <= 1.0
    if any(c > 0.0 for ok, c in items if ok) and all(c > 0.0 for ok, c in items if ok):
        assert math.isclose(area, 1.0)  # every wrong prediction has confidence 0: never kept
    assert metrics.monotone(precisions) == sorted(metrics.monotone(precisions), reverse=True)


def test_precision_at_recall_on_a_known_curve() -> None:
    precisions, recalls = [1.0, 1.0, 0.5, 0.6, 0.25], [0.0, 0.4, 0.6, 0.8, 1.0]
    assert metrics.precision_at_recall(precisions, recalls, 0.8) == 0.6
    assert metrics.precision_at_recall(precisions, recalls, 0.5) == 0.6
    assert metrics.precision_at_recall(precisions, recalls, 1.01) == 0.0
    assert math.isclose(metrics.aupr(precisions, recalls),
                        0.4 * 1.0 + 0.2 * 1.6 / 2 + 0.2 * 0.6 + 0.2 * 0.85 / 2)


def test_presence_score_counts() -> None:
    s = metrics.presence_score([True, True, False, False], [True, False, True, False])
    assert (s.precision, s.recall, s.f1, s.support) == (0.5, 0.5, 0.5, 2)


CUAD = default_dir()
needs_cuad = pytest.mark.skipif(not (CUAD / "labels.csv").is_file(),
                                reason=f"CUAD training split not found at {CUAD}")


@needs_cuad
def test_held_out_contracts_governing_law_presence() -> None:
    contracts = [c for c in load_contracts(CUAD) if split_of(c.name) == "test"][:15]
    model = shipped_model()
    j = model.types.index("governing-law")
    agree = 0
    for contract in contracts:
        segments = segment_text(contract.text)
        best = model.probabilities([s.text for s in segments])[:, j].max()
        agree += (best >= model.threshold("governing-law")) == bool(
            contract.labels["governing-law"])
    assert agree >= 13


@needs_cuad
def test_held_out_presence_of_the_hardest_types() -> None:
    # Document-level F1 on our held-out contracts (never read by training); the figures of
    # bench/review_cuad.py, with a small margin below them for the floor.
    contracts = [c for c in load_contracts(CUAD) if split_of(c.name) == "test"]
    model = shipped_model()
    floors = {"exclusivity": 0.85, "ip-ownership-assignment": 0.77, "non-compete": 0.75}
    truth: dict[str, list[bool]] = {t: [] for t in floors}
    predicted: dict[str, list[bool]] = {t: [] for t in floors}
    for contract in contracts:
        p = model.probabilities([s.text for s in segment_text(contract.text)])
        for t in floors:
            truth[t].append(bool(contract.labels[t]))
            predicted[t].append(bool(p[:, model.types.index(t)].max() >= model.threshold(t)))
    f1 = {t: metrics.presence_score(truth[t], predicted[t]).f1 for t in floors}
    assert all(f1[t] >= floors[t] for t in floors), f1


def test_training_never_reads_the_held_out_split() -> None:
    from hallmark.review.train import fold_of

    names = [f"contract-{i}.txt" for i in range(400)]
    held_out = [n for n in names if split_of(n) == "test"]
    assert 60 <= len(held_out) <= 100  # about 20 %
    assert [split_of(n) for n in names] == [split_of(n) for n in names]  # by name only
    assert {fold_of(n) for n in names} == {0, 1, 2, 3}
