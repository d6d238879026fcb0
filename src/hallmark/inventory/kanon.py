"""k-anonymity over quasi-identifier columns: the equivalence classes of a table (rows with the
same generalised quasi-identifiers), the smallest one's size (k), and the search for the least
generalisation that reaches a target k. Pure: pyarrow in, numbers out; no I/O.

Counting needs the whole quasi-identifier projection, but only its distinct value tuples with
their counts are held: memory grows with the number of distinct tuples (at most the rows), not
with the file, and every generalisation the search tries is computed on those tuples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from hallmark.inventory.deid import Quasi, generalise

NULL = "\x00"  # a null value's place in a class key (real NULs are escaped)
SEP = "\x1f"
MERGE_ROWS = 1 << 20  # partial counts are merged when they hold this many rows


def class_keys(columns: list[pa.Array], rows: int) -> pa.Array:
    """One text key per row naming its equivalence class: the values as text, escaped, joined
    (a null is a value of its own; no two different tuples share a key)."""
    if not columns:
        return pa.array([""] * rows, pa.string())
    texts = []
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        text = column if pa.types.is_string(column.type) else column.cast(pa.string())
        for raw, escaped in (("\\", "\\\\"), (SEP, "\\s"), (NULL, "\\0")):
            text = pc.replace_substring(text, raw, escaped)
        texts.append(text)
    return pc.binary_join_element_wise(*texts, SEP, null_handling="replace",
                                       null_replacement=NULL)


def count_keys(keys: pa.Array) -> pa.Table:
    """(key, n) for each distinct key."""
    return pa.table({"key": keys}).group_by("key").aggregate([([], "count_all")]) \
        .rename_columns(["key", "n"])


class ClassCounter:
    """Class sizes over a stream of key arrays, merged as they grow."""

    def __init__(self) -> None:
        self.parts: list[pa.Table] = []
        self.held = 0

    def add(self, keys: pa.Array) -> None:
        """Count one batch's keys."""
        part = count_keys(keys)
        self.parts.append(part)
        self.held += len(part)
        if self.held > MERGE_ROWS and len(self.parts) > 1:
            self.parts = [self.counts()]
            self.held = len(self.parts[0])

    def counts(self) -> pa.Table:
        """(key, n) over everything added."""
        if not self.parts:
            return pa.table({"key": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
        joined = pa.concat_tables(self.parts)
        return joined.group_by("key").aggregate([("n", "sum")]).rename_columns(["key", "n"])


def smallest_class(counts: pa.Table) -> int | None:
    """k: the size of the smallest equivalence class (None for an empty table)."""
    if len(counts) == 0:
        return None
    return int(pc.min(counts.column("n")).as_py())


def tuple_counts(batches: Iterable[pa.RecordBatch], columns: list[str]) -> pa.Table:
    """The distinct value tuples of `columns` with their counts (columns q0..qn, then n)."""
    names = [f"q{i}" for i in range(len(columns))]
    parts: list[pa.Table] = []
    held = 0
    for batch in batches:
        table = pa.Table.from_arrays([_plain(batch.column(c)) for c in columns], names=names)
        part = table.group_by(names, use_threads=False).aggregate([([], "count_all")]) \
            .rename_columns([*names, "n"])
        parts.append(part)
        held += len(part)
        if held > MERGE_ROWS and len(parts) > 1:
            parts = [_merge(parts, names)]
            held = len(parts[0])
    if not parts:
        raise ValueError("no batches")
    return _merge(parts, names) if len(parts) > 1 else parts[0]


def _plain(column: pa.Array) -> pa.Array:
    """A dictionary-encoded column as its values (what the ladders and keys read)."""
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def _merge(parts: list[pa.Table], names: list[str]) -> pa.Table:
    joined = pa.concat_tables(parts, promote_options="permissive")
    return joined.group_by(names, use_threads=False).aggregate([("n", "sum")]) \
        .rename_columns([*names, "n"])


def classes(tuples: pa.Table, quasi: list[Quasi], levels: list[int]) -> pa.Table:
    """(key, n) of the equivalence classes at `levels` of the quasi-identifiers' ladders."""
    columns = [generalise(tuples.column(i).combine_chunks(), q, level)
               for i, (q, level) in enumerate(zip(quasi, levels, strict=True))]
    keys = class_keys(columns, len(tuples))
    return pa.table({"key": keys, "n": tuples.column("n")}).group_by("key") \
        .aggregate([("n", "sum")]).rename_columns(["key", "n"])


@dataclass
class Generalisation:
    """The levels chosen, the classes still smaller than k (their rows are suppressed), and k
    over the rows kept."""

    levels: list[int]
    small: pa.Array = field(repr=False)  # keys of the classes to suppress
    suppressed_rows: int
    k: int | None
    rows: int


def search(tuples: pa.Table, quasi: list[Quasi], k: int, max_suppress: float
           ) -> Generalisation:
    """A small generalisation at which the rows in classes smaller than `k` are at most
    `max_suppress` of all rows; those rows are then suppressed. The climb is Datafly's
    (Sweeney, 1998): each step raises the quasi-identifier with the most distinct values at its
    current level (ties: the earlier column); then each is stepped back down while the
    suppression budget still holds. Full generalisation puts every row in one class, so a table
    of at least k rows always gets there. A heuristic: not the least-loss generalisation."""
    rows = int(pc.sum(tuples.column("n")).as_py() or 0)
    allowed = int(max_suppress * rows)
    levels = [0] * len(quasi)

    def cost(at: list[int]) -> tuple[int, pa.Table]:
        found = classes(tuples, quasi, at)
        small = pc.less(found.column("n"), k)
        return int(pc.sum(pc.if_else(small, found.column("n"), 0)).as_py() or 0), found

    def distinct(i: int) -> int:
        column = generalise(tuples.column(i).combine_chunks(), quasi[i], levels[i])
        return int(pc.count_distinct(column, mode="all").as_py())

    spent, found = cost(levels)
    while spent > allowed:
        options = [(-distinct(i), i) for i, q in enumerate(quasi) if levels[i] < q.top]
        if not options:
            break
        i = min(options)[1]
        levels = [*levels[:i], levels[i] + 1, *levels[i + 1:]]
        spent, found = cost(levels)
    for i in range(len(quasi)):  # the greedy climb may overshoot: step back where it can
        while levels[i] > 0:
            trial = [*levels[:i], levels[i] - 1, *levels[i + 1:]]
            cheaper, tried = cost(trial)
            if cheaper > allowed:
                break
            levels, spent, found = trial, cheaper, tried
    small = pc.less(found.column("n"), k)
    kept = found.filter(pc.invert(small))
    return Generalisation(levels, found.filter(small).column("key").combine_chunks(), spent,
                          smallest_class(kept), rows)
