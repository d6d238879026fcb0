"""Personal data in tabular columns, from column names and from sampled values. Pure: no I/O.

A value kind is reported when at least VALUE_FRACTION of a column's non-empty sampled values
match it, so that one stray e-mail in a comments column does not mark the column, while a
column that is mostly phone numbers does. Values are matched whole (after trimming), except
e-mail addresses, which are also found inside free text because their pattern is precise.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from typing import TypedDict

VALUE_FRACTION = 0.3
MAX_VALUES = 1000  # sampled values looked at per column
MAX_VALUE_LEN = 1000


class PiiColumn(TypedDict):
    """One column that looks personal."""

    column: str
    kinds: list[str]
    evidence: str
    matches: int
    sampled: int


_N = r"(_?n(o|um|umber|r)?)?"  # an optional "_no" / "_num" / "_number" suffix
NAME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"_e_?mails?(_?addr(ess)?(es)?)?_")),
    ("phone", re.compile(rf"_(tele)?phone{_N}_|_mobile{_N}_|_cell_?phone{_N}_|_msisdn_")),
    ("date_of_birth", re.compile(r"_(dob|birth|birthday|birthdate|date_?of_?birth)_")),
    ("ssn", re.compile(rf"_ssn_|_social_?security{_N}_")),
    ("national_id", re.compile(r"_national_?(id|identifier|insurance)(_?n(o|um|umber))?_|_nino_")),
    ("passport", re.compile(rf"_passport{_N}_")),
    ("name", re.compile(r"_(first|last|full|given|family|middle|maiden|sur|fore)_?name_")),
    ("address", re.compile(r"_((street|home|postal|mailing|billing|shipping|residential)_?)?"
                           r"address(_?line)?(_?\d)?_|_street_")),
    ("postcode", re.compile(r"_zip(_?code)?_|_post(al)?_?code_")),
    ("ip_address", re.compile(r"_ip(v[46])?(_?addr(ess)?)?_|_remote_?addr_")),
    ("credit_card", re.compile(rf"_credit_?card{_N}_|_card_?n(o|um|umber)_|_cc_?n(o|um|umber)_")),
    ("iban", re.compile(r"_iban_")),
]
# "ip_address" or "email_address" are not postal addresses.
_NOT_POSTAL = re.compile(r"_(ip(v[46])?|mac|e_?mail|wallet|memory|url|web|server|host)_")

# Text is split into tokens, and each token holding an "@" is matched whole with possessive
# quantifiers: linear time, whatever the text.
_EMAIL_SPLIT = re.compile(r"[\s<>()\[\],;:\"']+")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]{1,64}+@(?:[A-Za-z0-9-]{1,63}+\.)++"
                    r"[A-Za-z]{2,63}+")  # possessive: linear time
_PHONE_CHARS = re.compile(r"\+?[\d\s().-]{7,30}")
_NATIONAL_PHONE = re.compile(r"(?:1[\s.-]?)?(?:\(\d{2,5}\)\s?|\d{2,5}[\s.-])\d{3,4}[\s.-]?\d{3,4}"
                             r"|0\d{9,10}")
_SSN = re.compile(r"(\d{3})([- ])(\d{2})\2(\d{4})")
_CARD = re.compile(r"\d(?:[ -]?\d){12,18}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "KW": 30, "KZ": 20, "LB": 28,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "ME": 22, "MK": 19, "MT": 31, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29,
}


def name_kinds(column: str) -> set[str]:
    """PII kinds a column's name suggests ("customerEmail" -> {"email"})."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column)
    padded = "_" + "_".join(t for t in re.split(r"[^a-z0-9]+", snake.lower()) if t) + "_"
    kinds = {kind for kind, pattern in NAME_RULES if pattern.search(padded)}
    if "address" in kinds and _NOT_POSTAL.search(padded):
        kinds.discard("address")
    return kinds


def luhn_valid(digits: str) -> bool:
    """Whether a string of decimal digits passes the Luhn (mod 10) check."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_email(value: str) -> bool:
    """An e-mail address, alone or inside text. Addresses under the reserved `.invalid` TLD
    (RFC 2606) reach nobody: they are what `share --deidentify` writes for pseudonyms, so a
    de-identified copy scanned back is not flagged for them."""
    if "@" not in value:
        return False
    tokens = (t.rstrip(".") for t in _EMAIL_SPLIT.split(value) if "@" in t)
    return any(_EMAIL.fullmatch(t) and not t.lower().endswith(".invalid")
               for t in itertools.islice(tokens, 20))


def is_ip(value: str) -> bool:
    """An IPv4 or IPv6 address."""
    if len(value) > 64:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_phone(value: str) -> bool:
    """A phone number: E.164 ("+44 20 7946 0958") or a common national layout."""
    if not _PHONE_CHARS.fullmatch(value) or is_ip(value):
        return False
    digits = re.sub(r"\D", "", value)
    if value.startswith("+"):
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    return 10 <= len(digits) <= 11 and _NATIONAL_PHONE.fullmatch(value) is not None


def is_ssn(value: str) -> bool:
    """A US social security number written AAA-GG-SSSS with an issuable area, group, serial."""
    m = _SSN.fullmatch(value)
    if m is None:
        return False
    area, group, serial = int(m.group(1)), int(m.group(3)), int(m.group(4))
    return 0 < area < 900 and area != 666 and group != 0 and serial != 0


def is_card(value: str) -> bool:
    """A payment card number: 13-19 digits (spaces or dashes allowed) passing Luhn."""
    if not _CARD.fullmatch(value):
        return False
    digits = re.sub(r"\D", "", value)
    return len(set(digits)) > 1 and luhn_valid(digits)


def is_iban(value: str) -> bool:
    """An IBAN with a valid mod-97 check (and the right length for known countries)."""
    compact = value.replace(" ", "").upper()
    if not _IBAN.fullmatch(compact):
        return False
    if IBAN_LENGTHS.get(compact[:2], len(compact)) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


VALUE_CHECKS = [("email", is_email), ("phone", is_phone), ("ssn", is_ssn),
                ("credit_card", is_card), ("ip_address", is_ip), ("iban", is_iban)]


def value_kinds(values: list[str]) -> tuple[set[str], int, int]:
    """(kinds matched by at least VALUE_FRACTION of values, values matching them, values seen)."""
    seen = [v.strip()[:MAX_VALUE_LEN] for v in values[:MAX_VALUES] if v and v.strip()]
    hits: dict[str, list[bool]] = {kind: [check(v) for v in seen] for kind, check in VALUE_CHECKS}
    kinds = {kind for kind, flags in hits.items()
             if seen and sum(flags) and sum(flags) >= VALUE_FRACTION * len(seen)}
    matches = sum(1 for i in range(len(seen)) if any(hits[k][i] for k in kinds))
    return kinds, matches, len(seen)


def detect_pii(columns: list[str], samples: dict[str, list[str]]) -> list[PiiColumn]:
    """Columns that look personal, by name and by sampled values, in column order."""
    found: list[PiiColumn] = []
    for column in dict.fromkeys(columns):
        by_name = name_kinds(column)
        by_value, matches, sampled = value_kinds(samples.get(column, []))
        if not by_name and not by_value:
            continue
        evidence = ("name+values" if by_name and by_value else "name" if by_name else "values")
        found.append(PiiColumn(column=column, kinds=sorted(by_name | by_value),
                               evidence=evidence, matches=matches, sampled=sampled))
    return found
