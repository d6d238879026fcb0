"""Property tests of the Tardos code and its p-values: innocents' empirical tail never exceeds
the stated bound, and real colluders are caught."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.marks.codes import Codebook, TardosParams, bias_from_unit, code_length, score_weights
from hallmark.marks.stats import corrected_p_value, log_tail_bound, needed_positions

KEY = bytes(range(32))


def test_code_length_is_the_stated_formula() -> None:
    assert code_length(1000, 5, 1e-6) == math.ceil(math.pi ** 2 * 25 * math.log(1000 / 1e-6))
    assert TardosParams().code_length == 5114
    assert code_length(1000, 3, 1e-6) < code_length(1000, 5, 1e-6) < code_length(1000, 5, 1e-9)


@given(st.integers(1, 20), st.lists(st.floats(0.0, 0.999999), min_size=1, max_size=50))
def test_biases_respect_the_cutoff(c: int, us: list[float]) -> None:
    t = TardosParams(colluders=c).cutoff
    p = bias_from_unit(np.array(us), t)
    assert np.all(p >= t * (1 - 1e-9)) and np.all(p <= 1 - t * (1 - 1e-9))


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
@settings(max_examples=30)
def test_codewords_are_keyed_and_deterministic(asset: str, share: str) -> None:
    pos = np.arange(2000, dtype=np.uint64) * np.uint64(2654435761)
    book = Codebook(KEY, asset, TardosParams())
    p = book.bias(pos)
    bits = book.bits(share, pos, p)
    assert np.array_equal(bits, Codebook(KEY, asset, TardosParams()).bits(share, pos))
    assert not np.array_equal(bits, book.bits(share + "x", pos, p))
    assert not np.array_equal(p, Codebook(bytes(32), asset, TardosParams()).bias(pos))
    assert abs(bits.mean() - p.mean()) < 0.06


def test_innocent_weights_have_mean_zero_and_unit_variance() -> None:
    rng = np.random.default_rng(1)
    p = bias_from_unit(rng.random(400_000), TardosParams().cutoff)
    v = score_weights(rng.random(p.size) < p, p)
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1.0) < 0.05


@given(st.integers(20, 400), st.sampled_from(["signs", "soft", "sparse"]), st.integers(0, 2 ** 32))
@settings(max_examples=25, deadline=None)
def test_innocent_tail_never_exceeds_the_bound(m: int, shape: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = bias_from_unit(rng.random(m), TardosParams(colluders=int(rng.integers(1, 8))).cutoff)
    sigma = {"signs": rng.choice([-1.0, 1.0], m), "soft": rng.uniform(-1, 1, m),
             "sparse": rng.choice([-2.0, 0.0, 0.3, 1.0], m)}[shape]
    trials = 4000
    scores = (score_weights(rng.random((trials, m)) < p, p) * sigma).sum(axis=1)
    for q in (0.5, 0.9, 0.99, 0.999):
        s = float(np.quantile(scores, q))
        bound = math.exp(log_tail_bound(s, sigma, p))
        seen = float((scores >= s).mean())
        # a binomial allowance of 5 standard deviations for the empirical frequency
        assert seen <= bound + 5 * math.sqrt(bound * (1 - bound) / trials) + 1 / trials


def test_colluders_are_caught_and_innocents_are_not() -> None:
    params = TardosParams(recipients=200, colluders=3, epsilon=1e-6)
    book = Codebook(KEY, "asset", params)
    pos = np.arange(params.code_length // 2, dtype=np.uint64)
    p = book.bias(pos)
    names = [f"share-{i}" for i in range(200)]
    coalition = names[:3]
    bits = np.array([book.bits(n, pos, p) for n in coalition])
    sigma = np.where(bits.sum(axis=0) >= 2, 1.0, -1.0)  # majority vote of the coalition
    p_values = {n: corrected_p_value(book.score(n, pos, sigma, p), sigma, p, len(names))
                for n in names}
    assert any(p_values[n] <= params.epsilon for n in coalition)
    assert all(p_values[n] > params.epsilon for n in names[3:])


def test_needed_positions_is_enough_for_a_typical_leaker() -> None:
    params = TardosParams()
    need = needed_positions(1000, params.epsilon, params.cutoff)
    caught = 0
    for trial in range(40):
        book = Codebook(KEY, f"a{trial}", params)
        pos = np.arange(2 * need, dtype=np.uint64)
        p = book.bias(pos)
        sigma = np.where(book.bits("leaker", pos, p), 1.0, -1.0)
        caught += corrected_p_value(book.score("leaker", pos, sigma, p), sigma, p, 1000) <= 1e-6
    assert caught >= 36
    assert needed_positions(1000, 1e-6, params.cutoff, 0.3) > 5 * need
