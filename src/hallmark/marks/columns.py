"""Column profiles: content fingerprints (to recognise a column without its name or position),
the statistics behind marking budgets, and matching a suspect's columns to a stored plan.
Pure computation over pyarrow record batches; memory is bounded by the row sample.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE_ROWS = 20_000
TOP_VALUES = 32  # frequencies stored with a share's plan
# A suspect keeps many more, so that the stored top values can be looked up in it: a subset's own
# top 32 of a flat distribution (names, cities) shares too few members with the original's.
SUSPECT_TOP_VALUES = 4096
QUANTILES = tuple(round(0.05 * k, 2) for k in range(1, 20))
MAX_DECIMALS = 6
NUMERIC_MATCH = 0.12
CATEGORY_MATCH = 0.4
SHAPE_VALUES = 2_000
NAME_TIEBREAK = 0.1


def value_digest(key: bytes, text: str) -> str:
    """A keyed digest of one normalised value: fingerprints never hold the values themselves."""
    return hmac.new(key, text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def kind_of(t: pa.DataType) -> str:
    """int, float, string, bool or other."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_boolean(t):
        return "bool"
    return "other"


def as_float(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64 with NaN for nulls."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return np.asarray(pc.fill_null(pc.cast(column, pa.float64()), math.nan), dtype=np.float64)


@dataclass
class Profile:
    """What one column looks like; `fingerprint()` is what is stored and matched."""

    index: int
    name: str
    kind: str
    rows: int = 0
    nulls: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    quantiles: list[float] = field(default_factory=list)
    top: dict[str, float] = field(default_factory=dict)
    distinct: int = 0
    entropy: float = 0.0
    decimals: int | None = None  # values are multiples of 10**-decimals; None: continuous
    scale: float = 0.0  # robust spread: IQR / 1.349
    sampled: int = 0  # non-null values in the row sample
    # Text shape: length quantiles (10/50/90%) and the shares of digits, letters and other
    # characters. Survives subsets, shuffles and renames, and tells identifier columns apart
    # (an e-mail, a patient number and a phone number are all unique, but not alike).
    shape: list[float] = field(default_factory=list)
    # Text only: frequencies and entropy of the values trimmed and lower-cased (`fold`), which
    # categorical marks and their keys use, so that relabelling the case finds them still
    folded: dict[str, float] = field(default_factory=dict)
    folded_entropy: float = 0.0

    @property
    def identifier(self) -> bool:
        """Integers or text that are (nearly) all distinct: row identifiers, never marked."""
        return self.sampled >= 20 and self.distinct >= 0.99 * self.sampled \
            and (self.kind != "float" or self.decimals is not None and self.decimals <= 0)

    def fingerprint(self) -> dict[str, Any]:
        """The stored, content-only description of the column."""
        kind = "int" if self.kind == "float" and self.decimals is not None \
            and self.decimals <= 0 else self.kind
        return {"name": self.name, "kind": kind, "null_frac": round(self.nulls / max(self.rows, 1),
                                                                     6),
                "quantiles": [float(q) for q in self.quantiles], "top": self.top,
                "entropy": round(self.entropy, 4), "distinct": self.distinct,
                "unique": self.identifier, "sampled": self.sampled, "shape": self.shape,
                "range": [self.minimum, self.maximum] if self.kind in ("int", "float")
                and self.rows > self.nulls else None,
                **({"ftop": self.folded} if self.kind == "string" else {})}


class Profiler:
    """One streaming pass: exact counts and ranges, plus a uniform row sample (bottom-k by a
    fixed pseudo-random priority) for quantiles, frequencies and resolutions."""

    def __init__(self, schema: pa.Schema, digest_key: bytes, sample_rows: int = SAMPLE_ROWS,
                 top_values: int = TOP_VALUES):
        self.schema = schema
        self.top_values = top_values
        self.key = digest_key
        self.k = sample_rows
        self.rng = np.random.default_rng(0x6D61726B)
        self.profiles = [Profile(i, f.name, kind_of(f.type)) for i, f in enumerate(schema)]
        self._sample: pa.Table | None = None
        self._priority = np.empty(0)

    def update(self, batch: pa.RecordBatch) -> None:
        """Fold one batch in."""
        for prof, column in zip(self.profiles, batch.columns, strict=True):
            prof.rows += len(column)
            prof.nulls += column.null_count
            if prof.kind in ("int", "float") and len(column) > column.null_count:
                # numpy, not pc.min_max: that has no kernel for half floats, dictionaries or
                # small decimals, which a hostile suspect may use
                values = as_float(column)
                if not np.isnan(values).all():
                    prof.minimum = min(prof.minimum, float(np.nanmin(values)))
                    prof.maximum = max(prof.maximum, float(np.nanmax(values)))
        table = pa.Table.from_batches([batch])
        priority = self.rng.random(batch.num_rows)
        if self._sample is not None and len(self._priority) >= self.k:
            # only rows that would enter the bottom-k sample are kept from a full sample on
            wanted = np.flatnonzero(priority < self._priority.max())
            table, priority = table.take(pa.array(wanted)), priority[wanted]
        if self._sample is not None:
            table = pa.concat_tables([self._sample, table])
            priority = np.concatenate([self._priority, priority])
        if len(priority) > self.k:
            keep = np.sort(np.argpartition(priority, self.k)[: self.k])
            table, priority = table.take(pa.array(keep)), priority[keep]
        self._sample, self._priority = table, priority

    def finish(self) -> list[Profile]:
        """The profiles, with sample statistics filled in."""
        if self._sample is None:
            return self.profiles
        work = list(zip(self.profiles, self._sample.columns, strict=True))
        threads = min(len(work), _cores())
        if threads < 2:
            for prof, column in work:
                _describe(prof, column, self.key, self.top_values)
            return self.profiles
        # columns are described independently (each fills its own Profile), and numpy's sorts
        # and Arrow's kernels release the GIL: one column per core at a time, same results
        with ThreadPoolExecutor(threads, thread_name_prefix="hallmark-profile") as pool:
            for done in [pool.submit(_describe, prof, column, self.key, self.top_values)
                         for prof, column in work]:
                done.result()
        return self.profiles


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


def profile_batches(schema: pa.Schema, batches: Iterable[pa.RecordBatch],
                    digest_key: bytes, top_values: int = TOP_VALUES) -> list[Profile]:
    """Profile every column of a stream of batches, keeping `top_values` frequencies."""
    profiler = Profiler(schema, digest_key, top_values=top_values)
    for batch in batches:
        profiler.update(batch)
    return profiler.finish()


def _describe(prof: Profile, column: pa.ChunkedArray, key: bytes, top_values: int) -> None:
    if prof.kind in ("int", "float"):
        values = as_float(column)
        values = values[~np.isnan(values)]
        if values.size:
            # one selection for all of them (each quantile is computed on its own all the same)
            found = np.quantile(values, QUANTILES + (0.25, 0.75))
            prof.quantiles = found[:-2].tolist()
            q1, q3 = found[-2], found[-1]
            prof.scale = float(q3 - q1) / 1.349
            prof.decimals = _decimals(values)
    if prof.kind in ("int", "string", "bool") or prof.decimals is not None:
        texts, counts = _distinct_counts(column)
        if prof.kind == "string" and counts.size:
            prof.shape = _text_shape(column)
        prof.sampled = int(counts.sum())
        total = prof.sampled or 1
        prof.distinct = int(counts.size)
        freqs = counts / total
        prof.entropy = float(-(freqs * np.log2(freqs)).sum()) if freqs.size else 0.0
        top = np.argsort(-counts, kind="stable")[:top_values]
        prof.top = {value_digest(key, texts(int(i))): round(float(counts[i]) / total, 5)
                    for i in top}
        if prof.kind == "string":
            found = pc.value_counts(pc.drop_null(fold(column)))
            n = np.asarray(found.field("counts").to_numpy(zero_copy_only=False), dtype=float)
            folded = found.field("values").to_pylist()
            share = n / max(float(n.sum()), 1.0)
            prof.folded_entropy = float(-(share * np.log2(share)).sum()) if n.size else 0.0
            prof.folded = {value_digest(key, str(folded[i])): round(float(share[i]), 5)
                           for i in np.argsort(-n, kind="stable")[:top_values]}


def fold(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text trimmed and lower-cased: what a relabelling of case or surrounding spaces keeps."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))


def _distinct_counts(column: pa.ChunkedArray) -> tuple[Callable[[int], str], np.ndarray]:
    """Distinct values' counts, and a function giving the i-th one's canonical text (strings
    stripped, integral numbers without a fraction). Arrow and numpy count, and only the few
    values that are digested are turned into Python text."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = kind_of(column.type)
    if kind in ("int", "float"):
        values = as_float(column)
        distinct, n = np.unique(values[~np.isnan(values)], return_counts=True)

        def number(i: int) -> str:
            v = float(distinct[i])
            return str(int(v)) if v.is_integer() else repr(v)

        return number, n.astype(np.float64)
    if kind == "string":
        column = pc.utf8_trim_whitespace(column.cast(pa.string()))
    found = pc.value_counts(pc.drop_null(column))
    values = found.field("values")
    counts = np.asarray(found.field("counts").to_numpy(zero_copy_only=False), dtype=np.float64)

    def text(i: int) -> str:
        v = values[i].as_py()
        return str(v if kind == "string" else str(v).strip())

    return text, counts


def _text_shape(column: pa.ChunkedArray) -> list[float]:
    """Length quantiles and character-class shares of a text column, computed by Arrow on at
    most SHAPE_VALUES of its sampled values: shape statistics settle fast."""
    text = pc.drop_null(pc.utf8_trim_whitespace(column.cast(pa.string())))
    if len(text) > SHAPE_VALUES:  # evenly across the sample, which is in file order
        text = text.take(pa.array(np.linspace(0, len(text) - 1, SHAPE_VALUES).astype(np.int64)))
    lengths = np.asarray(pc.utf8_length(text).to_numpy(zero_copy_only=False), dtype=np.float64)
    if lengths.size == 0:
        return []
    total = max(float(lengths.sum()), 1.0)
    digits, letters = (float(n) / total for n in _digits_and_letters(text))
    p10, p50, p90 = np.quantile(lengths, [0.1, 0.5, 0.9])
    return [round(float(p10), 2), round(float(p50), 2), round(float(p90), 2),
            round(digits, 4), round(letters, 4), round(1.0 - digits - letters, 4)]


def _digits_and_letters(text: pa.Array | pa.ChunkedArray) -> tuple[int, int]:
    """How many characters of the (null-free) text are decimal digits (\\p{Nd}) and letters
    (\\p{L}). ASCII text is counted from its bytes, where those classes are exactly 0-9 and
    A-Z, a-z (RE2 compiles the Unicode letter class afresh on every call, which costs more than
    the count); other text by the regular expressions."""
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:
        whole = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        if len(whole) == 0:
            return 0, 0
        ends = np.frombuffer(whole.buffers()[1], dtype=np.int32)[
            whole.offset: whole.offset + len(whole) + 1]
        data = np.frombuffer(whole.buffers()[2], dtype=np.uint8)[int(ends[0]): int(ends[-1])]
        upper = data & np.uint8(0xDF)  # a-z onto A-Z
        return (int(np.count_nonzero((data >= 48) & (data <= 57))),
                int(np.count_nonzero((upper >= 65) & (upper <= 90))))
    return (int(pc.sum(pc.count_substring_regex(text, r"\p{Nd}")).as_py() or 0),
            int(pc.sum(pc.count_substring_regex(text, r"\p{L}")).as_py() or 0))


def _shape_distance(stored: dict[str, Any], seen: dict[str, Any]) -> float:
    """0 for alike text, about 1 or more for text of another shape; 0 when either lacks one."""
    a, b = stored.get("shape") or [], seen.get("shape") or []
    if len(a) != 6 or len(b) != 6:
        return 0.0
    scale = max(a[2], 1.0)
    lengths = sum(abs(x - y) for x, y in zip(a[:3], b[:3], strict=True)) / (3 * scale)
    chars = sum(abs(x - y) for x, y in zip(a[3:], b[3:], strict=True)) / 2
    return float(lengths + chars)


def _decimals(values: np.ndarray) -> int | None:
    """The coarsest power of ten all values are multiples of (-6..6), or None."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.abs(finite).max() > 2 ** 52:
        return None
    head = finite[:256]  # a power that fails on these fails on all: tried on them first
    for decimals in range(-6, MAX_DECIMALS + 1):
        if head.size < finite.size and not _multiples(head, decimals):
            continue
        if _multiples(finite, decimals):
            return decimals
    return None


def _multiples(finite: np.ndarray, decimals: int) -> bool:
    scaled = finite * 10.0 ** decimals
    return bool(np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0,
                                                                            np.abs(scaled))))


def distance(stored: dict[str, Any], seen: dict[str, Any]) -> float:
    """How unlike two fingerprints are (0 = identical); inf when the kinds cannot match."""
    numeric = {"int", "float"}
    if stored["kind"] != seen["kind"] and not {stored["kind"], seen["kind"]} <= numeric:
        return math.inf
    d = abs(float(stored["null_frac"]) - float(seen["null_frac"]))
    slack = 1.0 / math.sqrt(max(int(seen.get("sampled") or 1), 1))  # small samples wander
    if stored.get("unique"):
        # identifiers: a subset keeps neither quantiles nor frequencies, only uniqueness and range
        if seen.get("distinct", 0) < 0.99 * seen.get("sampled", 0) or seen.get("sampled", 0) < 2:
            return math.inf
        lo_hi = stored.get("range")
        if lo_hi is not None:
            if seen.get("range") is None:
                return math.inf
            pad = 0.01 * (lo_hi[1] - lo_hi[0])
            if seen["range"][0] < lo_hi[0] - pad or seen["range"][1] > lo_hi[1] + pad:
                return math.inf
        d += _shape_distance(stored, seen)
        return d + 0.05 if d <= CATEGORY_MATCH + slack else math.inf
    top, their = stored["top"], seen["top"]
    if stored.get("ftop") and seen.get("ftop"):  # plans since categorical marks: case-blind
        top, their = stored["ftop"], seen["ftop"]
    top_mass = sum(top.values())
    overlap = sum(min(f, their.get(k, 0.0)) for k, f in top.items())
    if stored["kind"] in numeric:
        qa, qb = np.array(stored["quantiles"]), np.array(seen["quantiles"])
        if qa.size != qb.size or qa.size == 0:
            return math.inf
        spread = float(qa[-1] - qa[0]) or max(abs(float(qa[-1])), 1.0)
        d += float(np.abs(qa - qb).mean()) / spread
        if stored["kind"] == "int" and top_mass >= 0.5:
            d += (top_mass - overlap) / top_mass * 0.5
        return d if d <= NUMERIC_MATCH + slack else math.inf
    if top_mass == 0:
        return math.inf
    d += (top_mass - overlap) / top_mass + _shape_distance(stored, seen)
    return d if d <= CATEGORY_MATCH + slack else math.inf


def match_columns(stored: list[dict[str, Any]], seen: list[dict[str, Any]]) -> dict[int, int]:
    """Stored column index -> suspect column index, greedily by fingerprint distance."""
    # columns alike in content (answers to several questions on one scale) are told apart by
    # name where the suspect kept the names; content alone decides otherwise
    pairs = sorted((distance(s, t) + (0.0 if _same_name(s, t) else NAME_TIEBREAK), i, j)
                   for i, s in enumerate(stored) for j, t in enumerate(seen))
    taken_s: set[int] = set()
    taken_t: set[int] = set()
    out: dict[int, int] = {}
    for d, i, j in pairs:
        if math.isinf(d) or i in taken_s or j in taken_t:
            continue
        out[i] = j
        taken_s.add(i)
        taken_t.add(j)
    return out


def _same_name(stored: dict[str, Any], seen: dict[str, Any]) -> bool:
    return str(stored.get("name", "")).strip().casefold() == \
        str(seen.get("name", "")).strip().casefold()
