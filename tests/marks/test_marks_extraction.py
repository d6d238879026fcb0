"""The suspect's extraction is a bottom-k sketch: constant memory, and exactly what one pass
over everything would keep, whatever the order or split of the parts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.marks.tabular import Extraction

chunks = st.lists(
    st.lists(st.tuples(st.integers(0, 60), st.floats(-1, 1)), max_size=40), max_size=12)


def exact(all_pairs: list[tuple[int, float]], limit: int) -> tuple[np.ndarray, np.ndarray]:
    sums: dict[int, float] = {}
    for p, s in all_pairs:
        sums[p] = sums.get(p, 0.0) + s
    keys = sorted(sums)[:limit]
    return np.array(keys, dtype=np.uint64), np.array([sums[k] for k in keys])


def part(pairs: list[tuple[int, float]], limit: int) -> Extraction:
    e = Extraction(limit=limit)
    e._push(np.array([p for p, _ in pairs], dtype=np.uint64), np.array([s for _, s in pairs]))
    return e


@settings(max_examples=200, deadline=None)
@given(chunks, st.integers(1, 10), st.randoms(use_true_random=False))
def test_streaming_equals_one_pass_in_any_order(data, limit, rnd) -> None:
    flat = [pair for chunk in data for pair in chunk]
    want_pos, want_sig = exact(flat, limit)
    streamed = Extraction(limit=limit)
    for chunk in data:
        streamed._push(np.array([p for p, _ in chunk], dtype=np.uint64),
                       np.array([s for _, s in chunk]))
    pos, sig = streamed.finish()
    assert pos.tolist() == want_pos.tolist()
    assert np.allclose(sig, want_sig)
    order = list(range(len(data)))
    rnd.shuffle(order)
    merged = Extraction(limit=limit)
    for i in order:
        merged.merge(part(data[i], limit))
    mpos, msig = merged.finish()
    assert mpos.tolist() == want_pos.tolist()
    assert np.allclose(msig, want_sig)
    distinct = len({p for p, _ in flat})
    if distinct < limit:
        assert merged.distinct == distinct


def test_memory_stays_bounded_and_distinct_is_estimated() -> None:
    rng = np.random.default_rng(5)
    e = Extraction(limit=1000)
    total = 0
    for _ in range(200):
        pos = rng.integers(0, 2**63, 5000, dtype=np.uint64) * np.uint64(2)
        e._push(pos, rng.uniform(-1, 1, pos.size))
        total += pos.size
        assert e._pending_size <= 4 * e.limit + 5000 and e._pos.size <= e.limit
    assert abs(e.distinct - total) / total < 0.1  # the k-minimum-values estimate
