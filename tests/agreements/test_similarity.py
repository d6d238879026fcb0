"""The name similarity behind screening: bounded, symmetric, 100 for names equal after
normalisation; real-looking variants of a listed name match, clearly different names do not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.agreements.similarity import NameIndex, normalise, score, token_score, tokens

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
words = st.lists(st.sampled_from(["acme", "huawei", "trading", "optics", "bank", "china",
                                  "ivanov", "nord", "Ltd", "GmbH", "S.A.", "&", "of"]),
                 max_size=6).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(names, words), st.one_of(names, words))
def test_bounded_and_symmetric(a: str, b: str) -> None:
    assert 0 <= score(a, b) <= 100
    assert score(a, b) == score(b, a)


@settings(max_examples=200, deadline=None)
@given(st.one_of(names, words))
def test_a_name_scores_100_against_itself_and_its_normal_form(a: str) -> None:
    if tokens(a):
        assert score(a, a) == 100 and score(a, normalise(a)) == 100
    else:  # nothing to compare: no letters or digits
        assert score(a, a) == 0


@settings(max_examples=200, deadline=None)
@given(st.one_of(names, words), st.one_of(names, words), st.integers(0, 100))
def test_the_floor_only_cuts_scores_below_it(a: str, b: str, floor: int) -> None:
    full = token_score(tokens(a), tokens(b))
    cut = token_score(tokens(a), tokens(b), floor)
    assert cut == full or (cut < floor and full < floor)


@pytest.mark.parametrize(("listed", "variant"), [
    ("Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD"),  # case, punctuation
    ("Huawei Technologies Co., Ltd.", "Technologies Huawei"),  # word order, legal form
    ("Parsian Trading LLC", "Parsian Trading"),  # legal suffix dropped
    ("Société Générale S.A.", "Societe Generale"),  # accents, S.A.
    ("Müller Präzisionstechnik GmbH", "Mueller Prazisionstechnik"),  # umlaut spelled out
    ("Rosoboronexport", "Rosoboroneksport"),  # transliteration
    ("Nordwind Optics GmbH", "Nordwind Optic"),  # one letter
    ("Beijing Zhongguancun Trading", "Beijing Zhongguancun Tradng"),  # a one-letter typo
    ("Zhong Guo Shipping Co.", "Zhongguo Shipping"),  # spaces between words
    ("Smith & Jones Ltd", "Smith and Jones Limited"),  # & and
    ("Huawei Technologies Co., Ltd.", "Huawei"),  # the short form of a listed name
])
def test_variants_of_a_listed_name_match(listed: str, variant: str) -> None:
    assert score(listed, variant) >= 85, (normalise(listed), normalise(variant))


@pytest.mark.parametrize(("listed", "other"), [
    ("Huawei Technologies Co., Ltd.", "Acme AI"),
    ("Rostec", "Rostelecom"),
    ("Bank Melli Iran", "Acme Bank"),
    ("Iran Air", "Air China"),
    ("Parsian Trading LLC", "Persian Rugs Trading LLC"),
    ("CloudCo", "Cloud Computing Ltd"),
    ("Beta Labs", "Alpha Labs"),
])
def test_clearly_different_names_do_not(listed: str, other: str) -> None:
    assert score(listed, other) < 85


def test_normalisation_drops_legal_forms_and_filler_but_never_everything() -> None:
    assert normalise("The Bank of China, Ltd.") == "bank china"
    assert normalise("O'Neil S.A.R.L.") == "oneil"
    assert normalise("The Company Ltd") == "company ltd"
    assert normalise("!!!") == "" and score("!!!", "!!!") == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(names, words), max_size=30), st.one_of(names, words),
       st.integers(1, 100))
def test_the_index_finds_exactly_what_scoring_every_name_finds(listed: list[str], query: str,
                                                               floor: int) -> None:
    index = NameIndex([tokens(n) for n in listed])
    every = [(i, score(n, query)) for i, n in enumerate(listed)]
    assert index.matches(tokens(query), floor) == [(i, s) for i, s in every if s >= floor]


def test_the_index_finds_names_that_differ_only_in_spaces() -> None:
    index = NameIndex([tokens("a b"), tokens("Zhong Guo Shipping"), tokens("")])
    assert index.matches(tokens("AB"), 100) == [(0, 100)]
    assert index.matches(tokens("Zhongguo Shipping"), 85) == [(1, 100)]
