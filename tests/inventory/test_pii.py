"""PII detection: column names, value patterns with their checksums, and the match threshold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallmark.inventory.pii import VALUE_FRACTION, detect_pii, luhn_valid


def kinds_of_values(values: list[str], column: str = "c") -> list[str]:
    found = detect_pii([column], {column: values})
    return found[0]["kinds"] if found else []


@pytest.mark.parametrize(("column", "kinds"), [
    ("email", ["email"]), ("E-Mail", ["email"]), ("customerEmail", ["email"]),
    ("email_address", ["email"]), ("phone", ["phone"]), ("mobile_number", ["phone"]),
    ("Telephone", ["phone"]), ("dob", ["date_of_birth"]), ("date_of_birth", ["date_of_birth"]),
    ("birth_date", ["date_of_birth"]), ("SSN", ["ssn"]), ("social_security_number", ["ssn"]),
    ("national_id", ["national_id"]), ("passport_no", ["passport"]),
    ("first_name", ["name"]), ("lastName", ["name"]), ("FullName", ["name"]),
    ("surname", ["name"]), ("address", ["address"]), ("street_address", ["address"]),
    ("zip", ["postcode"]), ("postcode", ["postcode"]), ("postal_code", ["postcode"]),
    ("ip", ["ip_address"]), ("ip_address", ["ip_address"]), ("client_ip", ["ip_address"]),
    ("credit_card", ["credit_card"]), ("card_number", ["credit_card"]), ("IBAN", ["iban"]),
    # not personal
    ("zipfile", []), ("shipping_method", []), ("mac_address", []), ("name_of_model", []),
    ("description", []), ("tip", []), ("cardinality", []), ("ship", []), ("id", []),
])
def test_column_names(column: str, kinds: list[str]) -> None:
    found = detect_pii([column], {})
    assert (found[0]["kinds"] if found else []) == kinds
    if found:
        assert found[0] == {"column": column, "kinds": kinds, "evidence": "name",
                            "matches": 0, "sampled": 0}


@pytest.mark.parametrize(("value", "kind"), [
    ("jane.doe@example.com", "email"), ("write to <a.b+c@mail.example.co.uk>.", "email"),
    ("+442079460958", "phone"), ("+1 (555) 123-4567", "phone"), ("(555) 123-4567", "phone"),
    ("555-123-4567", "phone"), ("020 7946 0958", "phone"), ("07700 900123", "phone"),
    ("078-05-1120", "ssn"), ("4111 1111 1111 1111", "credit_card"),
    ("378282246310005", "credit_card"), ("6011-1111-1111-1117", "credit_card"),
    ("192.168.0.17", "ip_address"), ("2001:db8::8a2e:370:7334", "ip_address"),
    ("GB82 WEST 1234 5698 7654 32", "iban"), ("DE89370400440532013000", "iban"),
])
def test_values_that_are_pii(value: str, kind: str) -> None:
    assert kinds_of_values([value]) == [kind]


@pytest.mark.parametrize("value", [
    "jane.doe at example.com", "a@b", "@example.com",  # not e-mail
    "1234567890", "2021-01-05", "12:30:00", "+0 12",  # IDs, dates, times are not phones
    "000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000",  # not issuable
    "4111 1111 1111 1112", "0000 0000 0000 0000",  # Luhn fails / degenerate
    "256.1.1.1", "1.2.3", "GB82 WEST 1234 5698 7654 33", "GB82WEST123456987654",  # bad check
    "hello world", "3.14159", "",
])
def test_values_that_are_not_pii(value: str) -> None:
    assert kinds_of_values([value]) == []


def test_threshold_fraction() -> None:
    assert VALUE_FRACTION == 0.3
    base = ["a lovely day"] * 10
    assert kinds_of_values(["x@y.io"] * 2 + base[2:]) == []  # 20 %
    found = detect_pii(["c"], {"c": ["x@y.io"] * 3 + base[3:]})  # 30 %
    assert found == [{"column": "c", "kinds": ["email"], "evidence": "values", "matches": 3,
                      "sampled": 10}]


def test_empty_values_are_not_counted() -> None:
    found = detect_pii(["c"], {"c": ["", "  ", "a@b.io"]})
    assert found[0]["sampled"] == 1 and found[0]["matches"] == 1


def test_name_and_values_together_keep_column_order() -> None:
    found = detect_pii(["note", "phone", "contact"], {
        "note": ["fine"], "phone": ["+33 1 23 45 67 89"], "contact": ["a@b.io", "c@d.fr"]})
    assert [(f["column"], f["evidence"]) for f in found] == [("phone", "name+values"),
                                                           ("contact", "values")]


def test_hostile_long_values_are_cheap() -> None:
    values = ["a@" + "a." * 499, "a" * 64 + "@" + "a-" * 400, "1 " * 500] * 300
    assert detect_pii(["c"], {"c": values}) == []


# ---------- properties ----------


def _with_check_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_valid(body + d):
            return body + d
    raise AssertionError("some check digit always exists")


def _group(digits: str, sep: str) -> str:
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


card_bodies = st.text("0123456789", min_size=12, max_size=18).filter(lambda s: len(set(s)) > 1)


@given(body=card_bodies, sep=st.sampled_from(["", " ", "-"]))
def test_luhn_valid_numbers_are_cards(body: str, sep: str) -> None:
    number = _with_check_digit(body)
    assert "credit_card" in kinds_of_values([_group(number, sep)])


@given(body=card_bodies, data=st.data())
def test_one_changed_digit_breaks_luhn(body: str, data: st.DataObject) -> None:
    number = _with_check_digit(body)
    at = data.draw(st.integers(0, len(number) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != number[at]]))
    changed = number[:at] + new + number[at + 1:]
    assert not luhn_valid(changed)
    assert "credit_card" not in kinds_of_values([changed])


@given(words=st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
                      min_size=1, max_size=30))
def test_random_words_are_not_pii(words: list[str]) -> None:
    assert detect_pii(["comment"], {"comment": words}) == []
    assert detect_pii(["comment"], {"comment": [" ".join(words)]}) == []


def test_addresses_under_the_reserved_invalid_domain_reach_nobody() -> None:
    # what `share --deidentify` writes for e-mail pseudonyms (RFC 2606 reserves .invalid)
    pseudonyms = [f"u-{i:012x}@example.invalid" for i in range(50)]
    assert kinds_of_values(pseudonyms) == []
    assert kinds_of_values([f"user{i}@example.org" for i in range(50)]) == ["email"]
