"""The agreement YAML: the issue's example validates; every kind of bad input gives one error
naming the field and its line; hostile or random text never gets past the parser unchecked."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.agreements.schema import add_duration, validate_terms
from hallmark.agreements.yamlsrc import load_text
from hallmark.errors import InputError

from .conftest import DUA


def test_the_issue_example_validates() -> None:
    terms = validate_terms(load_text(DUA, "dua.yaml"))
    assert terms.type == "data-use" and terms.parties == ["Acme AI", "CloudCo"]
    assert terms.end_date == date(2027, 12, 31)
    assert terms.permitted[0].teams == ["CloudCo/research"]
    assert terms.renewal is not None and terms.renewal.notice == "60d"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("expires: 2027-12-31", "expires: 2025-12-31", "dua.yaml line 6: expires: expires 2025-12-31 "
                                                   "is before effective 2026-01-01"),
    ("effective: 2026-01-01", "effective: 2026-02-30", "dua.yaml line 5: effective: '2026-02-30' "
                                                       "is not a date"),
    ("governing_law:", "governing_lawyer:", "dua.yaml line 18: governing_lawyer: unknown key"),
    ("actions: [share, download, train]", "actions: [share, dance]",
     "dua.yaml line 12: permitted[0].actions[1]: Input should be"),
    ("title: Data-use agreement with CloudCo", "title: 42", "dua.yaml line 3: title: Input "
                                                            "should be a valid string"),
    ("owner: Acme AI ", "joint: {Acme AI: 60, CloudCo: 30} ",
     "dua.yaml line 16: ownership[0]: joint shares must add up to 100"),
    ("owner: Acme AI ", "joint: {Acme AI: 60.5, CloudCo: 39.5} ",
     "dua.yaml line 17: ownership[0].joint.Acme AI: a share must be an integer"),
    ("renewal: {auto: false", "renewal: {auto: perhaps", "dua.yaml line 19: renewal.auto"),
    ("confidentiality_survives: 3y", "confidentiality_survives: forever",
     "dua.yaml line 7: confidentiality_survives: expected a duration"),
    ("type: data-use ", "type: lease ", "dua.yaml line 2: type: Input should be 'nda'"),
    ("effective: 2026-01-01\nexpires: 2027-12-31", "effective: 9999-12-31\nterm: 2y",
     "dua.yaml line 6: term: "),
])
def test_bad_input_names_field_and_line(old: str, new: str, expected: str) -> None:
    assert old in DUA
    with pytest.raises(InputError) as err:
        validate_terms(load_text(DUA.replace(old, new), "dua.yaml"))
    assert str(err.value).startswith(expected), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("a: &x [1]\nb: *x\n", "anchors and aliases"),
    ("a: 1\na: 2\n", "line 2: a: duplicate key"),
    ("a: !!python/object/apply:os.system [ls]\n", "unsupported YAML tag"),
    ("a: [1, 2\n", "not valid YAML"),
    ("- " * 40 + "x\n", "nested deeper"),
])
def test_hostile_yaml_is_refused(text: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_text(text, "x.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_gives_terms_or_one_input_error(text: str) -> None:
    try:
        validate_terms(load_text(text, "f.yaml"))
    except InputError as exc:
        assert str(exc).startswith("f.yaml") and "\n" not in str(exc).strip()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(DUA.splitlines())), st.text(max_size=30))
def test_mutated_example_gives_terms_or_one_input_error(line: str, junk: str) -> None:
    text = DUA.replace(line, line[: len(line) // 2] + junk, 1)
    try:
        validate_terms(load_text(text, "f.yaml"))
    except InputError as exc:
        assert str(exc).startswith("f.yaml")


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(1, 120), st.sampled_from("dwmy"))
def test_durations_move_forward_and_back(start: date, n: int, unit: str) -> None:
    later = add_duration(start, f"{n}{unit}")
    assert later > start
    assert add_duration(later, f"{n}{unit}", back=True) <= start
    if unit in "dw":
        assert add_duration(later, f"{n}{unit}", back=True) == start
