"""De-identification of table columns: keyed pseudonyms for direct identifiers, and the
generalisation ladders of quasi-identifiers. Pure: pyarrow arrays in, arrays out; no I/O.

A pseudonym is HMAC-SHA256 under a per-share key of the value's normalised text, truncated to
48 bits and written in a shape that fits its kind (`person-3f9a1c2b4d5e`,
`u-3f9a1c2b4d5e@example.invalid`): the same value gets the same pseudonym within one share and,
under another share's key, a different one. A quasi-identifier climbs a ladder of
generalisation levels, level 0 being the value as it is and the top level `*` for every row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hallmark.inventory.pii import name_kinds

# PII kinds the sampler reports that are quasi-identifiers (generalised, not pseudonymised)
QUASI_KINDS = {"date_of_birth": "date", "postcode": "postcode"}
PSEUDONYM_HEX = 12  # 48 bits: collisions only become likely near 16 million distinct values
SHAPES = {"name": "person-{}", "email": "u-{}@example.invalid", "phone": "tel-{}",
          "ssn": "id-{}", "national_id": "id-{}", "passport": "id-{}", "address": "addr-{}",
          "ip_address": "ip-{}", "credit_card": "card-{}", "iban": "iban-{}"}
SUPPRESSED = "*"

# Quasi-identifiers recognised by a column's name (snake-cased tokens, as pii.name_kinds reads)
_QUASI_NAMES: list[tuple[str, re.Pattern[str]]] = [
    ("year", re.compile(r"_(birth_?year|year_?of_?birth|yob)_")),
    ("age", re.compile(r"_age(_?years?|_?at_?\w+)?_")),
    ("category", re.compile(r"_(gender|sex)_")),
]
# The generalisation ladder of each rule: one description per level above 0
LADDERS: dict[str, list[str]] = {
    "age": ["5-year bands", "10-year bands", "20-year bands", SUPPRESSED],
    "year": ["5-year bands", "10-year bands", "20-year bands", SUPPRESSED],
    "date": ["year", "5-year bands", "10-year bands", SUPPRESSED],
    "postcode": ["first 3 characters", "first 2 characters", "first character", SUPPRESSED],
    "number": ["bands of 10", "bands of 100", "bands of 1000", SUPPRESSED],
    "category": [SUPPRESSED],
}
_WIDTHS = {"age": [5, 10, 20], "year": [5, 10, 20], "date": [1, 5, 10],
           "number": [10, 100, 1000]}
_KEEP = [3, 2, 1]  # postcode characters kept per level


@dataclass(frozen=True)
class Quasi:
    """One quasi-identifier column and its generalisation rule (a key of LADDERS)."""

    column: str
    rule: str

    @property
    def top(self) -> int:
        """The highest level: every value suppressed."""
        return len(LADDERS[self.rule])

    def describe(self, level: int) -> str:
        """The level in words ("kept" at 0)."""
        return "kept" if level == 0 else LADDERS[self.rule][level - 1]


def quasi_rule(column: str, kinds: list[str], dtype: pa.DataType) -> str | None:
    """The rule a column is generalised by when its name (or its PII kinds) make it a default
    quasi-identifier; None otherwise."""
    for kind in kinds:
        if kind in QUASI_KINDS:
            return QUASI_KINDS[kind]
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column)
    padded = "_" + "_".join(t for t in re.split(r"[^a-z0-9]+", snake.lower()) if t) + "_"
    for rule, pattern in _QUASI_NAMES:
        if pattern.search(padded):
            if rule in ("year", "age") and not _numeric(dtype):
                return "category"
            return rule
    if "date_of_birth" in name_kinds(column):
        return "date"
    return None


def rule_for_type(dtype: pa.DataType) -> str:
    """The rule of a quasi-identifier named by the user: by its type."""
    if pa.types.is_date(dtype) or pa.types.is_timestamp(dtype):
        return "date"
    return "number" if _numeric(dtype) else "category"


def _numeric(dtype: pa.DataType) -> bool:
    return bool(pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
                or pa.types.is_decimal(dtype))


def generalise(values: pa.Array, quasi: Quasi, level: int) -> pa.Array:
    """The column at `level` of its ladder: level 0 is the column unchanged; above it, text."""
    if level <= 0:
        return values
    if level >= quasi.top:
        return pa.array([SUPPRESSED] * len(values), pa.string())
    rule = quasi.rule
    if rule == "postcode":
        text = pc.utf8_upper(pc.replace_substring(_as_text(values), " ", ""))
        return _star(pc.utf8_slice_codeunits(text, 0, _KEEP[level - 1]))
    if rule == "date":
        years = _years(values)
        width = _WIDTHS["date"][level - 1]
        return years.cast(pa.string()) if width == 1 else _bands(years, width)
    return _bands(_as_number(values), _WIDTHS[rule][level - 1])


def _star(prefix: pa.Array) -> pa.Array:
    """A truncated value marked as truncated (`SW1*`); nulls stay null."""
    return pc.binary_join_element_wise(prefix, pa.scalar(SUPPRESSED), "")


def _as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


def _as_number(values: pa.Array) -> pa.Array:
    """Numbers as float64 (text that is no number becomes null, then `*`)."""
    if _numeric(values.type):
        return values.cast(pa.float64())
    text = pc.utf8_trim_whitespace(_as_text(values))
    ok = pc.match_substring_regex(text, r"^-?\d{1,15}(\.\d+)?$")
    return pc.if_else(ok, text, pa.scalar(None, pa.string())).cast(pa.float64())


def _years(values: pa.Array) -> pa.Array:
    """The year of a date, a timestamp, or text starting with one (YYYY...); else null."""
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        return pc.year(values).cast(pa.float64())
    text = pc.utf8_trim_whitespace(_as_text(values))
    found = pc.extract_regex(text, r"^(?P<y>\d{4})")
    return pc.struct_field(found, [0]).cast(pa.float64())


def _bands(numbers: pa.Array, width: int) -> pa.Array:
    """`30-34` for 32 in bands of 5 (whole numbers); a value that is no finite number is `*`."""
    finite = pc.is_finite(numbers)
    low = pc.multiply(pc.floor(pc.divide(numbers, float(width))), float(width))
    low_text = pc.if_else(finite, low, 0.0).cast(pa.int64()).cast(pa.string())
    high_text = pc.if_else(finite, pc.add(low, float(width - 1)), 0.0).cast(
        pa.int64()).cast(pa.string())
    banded = pc.binary_join_element_wise(low_text, high_text, "-")
    out = pc.if_else(finite, banded, pa.scalar(SUPPRESSED))
    return pc.if_else(pc.is_null(numbers), pa.scalar(None, pa.string()), out) \
        if numbers.null_count else out


def pseudonym_key(share_key: bytes) -> bytes:
    """The key pseudonyms are made with (the caller derives `share_key` per share)."""
    return hmac.new(share_key, b"hallmark/pseudonym", hashlib.sha256).digest()


def normalise(kind: str, value: str) -> str:
    """The text a person's value is keyed by: e-mails in lower case, phones and cards as their
    digits, anything else trimmed, case-folded and with runs of spaces as one."""
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind in ("phone", "credit_card", "ssn", "iban"):
        kept = re.sub(r"[^0-9A-Za-z+]", "", value).upper()
        return kept or value
    return " ".join(value.casefold().split())


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """The pseudonym of one value of `kind` under `key`."""
    family = "id" if kind in ("ssn", "national_id", "passport") else kind
    digest = hmac.new(key, f"{family}\x00{normalise(kind, value)}".encode("utf-8", "replace"),
                      hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
    return SHAPES.get(kind, "pii-{}").format(digest)


def pseudonymise(values: pa.Array, key: bytes, kind: str) -> pa.Array:
    """Every value replaced by its pseudonym (nulls and empty text stay as they are); each
    distinct value of the batch is keyed once."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = _as_text(values.dictionary_decode() if pa.types.is_dictionary(values.type)
                    else values)
    encoded = pc.dictionary_encode(text)
    names = [None if v is None or not v.strip() else pseudonym(key, kind, v)
             for v in encoded.dictionary.to_pylist()]
    mapped = pa.array(names, pa.string())
    out = mapped.take(encoded.indices)
    # empty text stays empty (not null): a CSV's empty cell then reads back as it did
    return pc.if_else(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), text, out) \
        if len(text) else out
