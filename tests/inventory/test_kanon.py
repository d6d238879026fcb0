"""The de-identification maths: generalisation ladders, keyed pseudonyms, and k-anonymity as
measured (against a brute-force count) and searched for (on random small tables)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.inventory import kanon
from hallmark.inventory.deid import (
    SUPPRESSED,
    Quasi,
    generalise,
    pseudonym,
    pseudonym_key,
    pseudonymise,
    quasi_rule,
)

QUASI = [Quasi("age", "age"), Quasi("zip", "postcode"), Quasi("sex", "category")]
# values chosen to collide if keys were joined naively: separators, escapes, NULs, nulls
TEXT = st.sampled_from(["021", "02139", "SW1A 1AA", "a\x1fb", "a", "b\x1f", "\\", "\\s",
                        "\x00", "", "x\\0"]) | st.none()
ROWS = st.lists(st.tuples(st.integers(0, 99) | st.none(), TEXT,
                          st.sampled_from(["F", "M", "X"]) | st.none()), min_size=1,
                max_size=60)


def _table(rows: list[tuple]) -> pa.Table:
    ages, zips, sexes = zip(*rows, strict=True)
    return pa.table({"age": pa.array(ages, pa.int64()), "zip": pa.array(zips, pa.string()),
                     "sex": pa.array(sexes, pa.string())})


def _brute(table: pa.Table, levels: list[int]) -> Counter:
    columns = [generalise(table.column(q.column).combine_chunks(), q, lv).to_pylist()
               for q, lv in zip(QUASI, levels, strict=True)]
    return Counter(zip(*columns, strict=True))


@settings(max_examples=150, deadline=None)
@given(ROWS, st.tuples(*(st.integers(0, q.top) for q in QUASI)))
def test_measured_k_equals_a_brute_force_count(rows, levels) -> None:
    table = _table(rows)
    tuples = kanon.tuple_counts(table.to_batches(max_chunksize=7), [q.column for q in QUASI])
    found = kanon.classes(tuples, QUASI, list(levels))
    brute = _brute(table, list(levels))
    assert len(found) == len(brute)
    assert kanon.smallest_class(found) == min(brute.values())
    assert sorted(found.column("n").to_pylist()) == sorted(brute.values())
    # the streamed counter over the same keys agrees
    counter = kanon.ClassCounter()
    for batch in table.to_batches(max_chunksize=5):
        cols = [generalise(batch.column(q.column), q, lv) for q, lv in zip(QUASI, levels,
                                                                          strict=True)]
        counter.add(kanon.class_keys(cols, batch.num_rows))
    assert kanon.smallest_class(counter.counts()) == min(brute.values())


@settings(max_examples=100, deadline=None)
@given(ROWS, st.integers(2, 8), st.sampled_from([0.0, 0.05, 0.2]))
def test_search_reaches_k_within_the_suppression_budget(rows, k, budget) -> None:
    table = _table(rows)
    if len(table) < k:
        return
    tuples = kanon.tuple_counts(table.to_batches(), [q.column for q in QUASI])
    found = kanon.search(tuples, QUASI, k, budget)
    brute = _brute(table, found.levels)
    small = sum(n for n in brute.values() if n < k)
    assert found.suppressed_rows == small <= int(budget * len(table))
    kept = [n for n in brute.values() if n >= k]
    assert found.k == min(kept) >= k
    assert len(found.small) == sum(1 for n in brute.values() if n < k)


def test_ladders_read_as_documented() -> None:
    ages = pa.array([23, 34, None, 71])
    assert generalise(ages, QUASI[0], 0) is ages
    assert generalise(ages, QUASI[0], 1).to_pylist() == ["20-24", "30-34", None, "70-74"]
    assert generalise(ages, QUASI[0], 2).to_pylist() == ["20-29", "30-39", None, "70-79"]
    assert generalise(ages, QUASI[0], 4).to_pylist() == [SUPPRESSED] * 4
    zips = pa.array(["02139", "sw1a 1aa", None])
    assert generalise(zips, QUASI[1], 1).to_pylist() == ["021*", "SW1*", None]
    dob = Quasi("dob", "date")
    days = pa.array(["1984-03-02", "not a date", "2001-01-01"])
    assert generalise(days, dob, 1).to_pylist() == ["1984", None, "2001"]
    assert generalise(days, dob, 3).to_pylist() == ["1980-1989", None, "2000-2009"]
    assert quasi_rule("Age", [], pa.int64()) == "age"
    assert quasi_rule("page", [], pa.int64()) is None
    assert quasi_rule("birthYear", [], pa.int64()) == "year"
    assert quasi_rule("gender", [], pa.string()) == "category"
    assert quasi_rule("zip", ["postcode"], pa.string()) == "postcode"


def test_pseudonyms_are_keyed_consistent_and_shaped() -> None:
    one, two = pseudonym_key(b"a" * 32), pseudonym_key(b"b" * 32)
    assert pseudonym(one, "email", "Jo@Mail.example ") == pseudonym(one, "email",
                                                                     "jo@mail.example")
    assert pseudonym(one, "email", "jo@mail.example") != pseudonym(two, "email",
                                                                    "jo@mail.example")
    assert pseudonym(one, "phone", "+44 20 7946 0958") == pseudonym(one, "phone",
                                                                     "+442079460958")
    assert pseudonym(one, "email", "jo@x.example").endswith("@example.invalid")
    assert pseudonym(one, "name", "Jo Bloggs").startswith("person-")
    out = pseudonymise(pa.array(["Jo", "jo ", None, "", "Al"]), one, "name").to_pylist()
    assert out[0] == out[1] != out[4] and out[2] is None and out[3] == ""
    assert len({pseudonym(one, "name", f"p{i}") for i in range(20000)}) == 20000


@pytest.mark.parametrize("kind", ["name", "email", "phone", "ssn", "iban", "other"])
def test_a_pseudonym_never_holds_its_value(kind: str) -> None:
    key = pseudonym_key(b"k" * 32)
    assert "secret-value" not in pseudonym(key, kind, "secret-value")
