"""Per-recipient marks in tables: keyed row identity, keyed cell selection, dithered QIM.

Pure functions over pyarrow record batches (constant memory per batch; no I/O):
- the plan (`make_plan`, plan.py) chooses, from column content only, the columns that can carry
  a mark within their budget and the stable columns (categorical / integer) that key rows;
- text columns of categories carry substitution marks (categorical.py), applied here too;
- a row's virtual key is a CBC-MAC (AES-256) over its key columns' normalised values, so it is the
  same in any order, format or subset of rows;
- each cell (row key, marked column) gets, through AES again, a 64-bit code position, a dither and
  a selection draw; a selected cell carries the recipient's Tardos bit by quantisation-index
  modulation: it moves to the nearest point of the lattice step*Z + dither + bit*step/2, on the
  column's own decimal grid (integers stay integers), at most step/2 = budget away, never out of
  the declared [min, max];
- extraction reads each cell's soft sign sigma = -cos(2 pi (y - dither) / step) in [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hallmark.marks import categorical
from hallmark.marks.codes import aes_u64, floor_div_integral, keyed_race
from hallmark.marks.columns import as_float, fold
from hallmark.marks.keys import KeyMaterial, Keys
from hallmark.marks.layout import key_groups
from hallmark.marks.plan import DEFAULT_BUDGET, SCHEME, make_plan

# where callers have always found them
__all__ = ["DEFAULT_BUDGET", "SCHEME", "KeyMaterial", "Keys", "make_plan"]

_CELL_TAG = 0x6D61726B
# Scoring costs positions x recipients. Positions are keyed pseudo-random numbers, independent
# of every codeword, so keeping the numerically smallest ones is an unbiased subsample and the
# p-values stay valid; this many is far beyond what a decision needs.
MAX_POSITIONS = 65_536


def _aes_rows(key: bytes, blocks: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return aes_u64(key, blocks, out)


def _floats(column: pa.Array) -> np.ndarray:
    """`as_float`, without its copies where the column is float64 without nulls (the values
    themselves, read-only)."""
    if isinstance(column, pa.Array) and column.type == pa.float64() and not column.null_count:
        return np.asarray(column.to_numpy(zero_copy_only=True), dtype=np.float64)
    return as_float(column)


def _key_blocks(column: pa.Array, key: dict[str, Any], keys: Keys) -> np.ndarray:
    n = len(column)
    blocks = np.zeros((n, 2), dtype=np.uint64)
    kind = key["kind"]
    if kind == "coarse" and kind_numeric(column):
        # the marked column's bin, in exact lattice units: its own marks never change it
        with np.errstate(over="ignore", invalid="ignore"):  # a hostile cell near the limit
            values = _to_units(as_float(column), int(key["decimals"]))
        null = ~np.isfinite(values) | (np.abs(values) > 2.0 ** 62)
        bins = floor_div_integral(np.round(np.where(null, 0.0, values)), int(key["bin_units"]))
        blocks[:, 0] = bins.astype(np.int64).view(np.uint64)
        blocks[:, 1] = np.where(null, 5, 4).astype(np.uint64)
        return blocks
    if kind in ("int", "bool") and kind_numeric(column):
        values = as_float(column)
        null = np.isnan(values)
        blocks[:, 0] = np.where(null, 0, np.round(np.nan_to_num(values))).astype(np.int64).view(
            np.uint64)
        blocks[:, 1] = np.where(null, 2, 1).astype(np.uint64)
        return blocks
    if kind == "cpair":  # a categorical carrier keys rows by its pair, which its marks keep
        return categorical.class_blocks(column, key, keys.fingerprint, keys.text_digest)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column)
    dictionary = encoded.dictionary
    if key.get("fold"):  # plans since categorical marks: blind to case and spaces around
        # folded value by value, so the distinct values only (equal once folded, equal digests)
        dictionary = fold(dictionary)
    digests = np.frombuffer(b"".join(keys.text_digest(str(v).strip())
                                     for v in dictionary.to_pylist()) or b"",
                            dtype="<u8").reshape(-1, 2).astype(np.uint64)
    if digests.size and not encoded.indices.null_count:
        np.take(digests, np.asarray(encoded.indices), axis=0, out=blocks)
        return blocks
    indices = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)
    if digests.size:
        blocks[:] = digests[np.maximum(indices, 0)]
    blocks[indices < 0] = (0, 3)
    return blocks


def kind_numeric(column: pa.Array) -> bool:
    """Whether a column holds numbers (or booleans) rather than text."""
    t = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t))


def row_keys(columns: list[pa.Array], key_specs: list[dict[str, Any]], keys: Keys,
             group: int = 0) -> np.ndarray:
    """The (n, 2) uint64 virtual keys of a batch's rows (CBC-MAC over the key columns)."""
    n = len(columns[0])
    state = np.zeros((n, 2), dtype=np.uint64)
    state[:, 1] = np.uint64(group)  # each group its own MAC domain (group 0: the first plans')
    # two buffers for the whole chain (fresh arrays per step cost more than the AES itself)
    chained = np.empty((n, 2), dtype=np.uint64)
    out = np.empty(2 * n + 2, dtype=np.uint64)
    for column, spec in zip(columns, key_specs, strict=True):
        np.bitwise_xor(state, _key_blocks(column, spec, keys), out=chained)
        state = _aes_rows(keys.row, chained, out)
    return state


def group_rows(batch: pa.RecordBatch, plan: dict[str, Any], mapping: dict[str, int] | None,
               keys: Keys) -> list[np.ndarray | None]:
    """Each key group's row keys, None for a group the batch lacks a column of; `mapping` is
    plan column id -> batch column (None: the source's own layout)."""
    out: list[np.ndarray | None] = []
    specs = plan["key_columns"]
    for g, members in enumerate(key_groups(plan)):
        where = [specs[i]["index"] if mapping is None else mapping.get(f"k{i}")
                 for i in members]
        if any(w is None for w in where):
            out.append(None)
            continue
        out.append(row_keys([batch.column(w) for w in where], [specs[i] for i in members],
                            keys, g))
    return out


@dataclass
class Cells:
    """Per-cell pseudo-random draws for one marked column of a batch."""

    positions: np.ndarray
    dither: np.ndarray
    selected: np.ndarray


def cells(rows: list[np.ndarray | None], ordinal: int, keys: Keys, fraction: float,
          weights: list[float] | None = None) -> Cells:
    """Code positions, dithers and selection of the cells of marked column `ordinal`.

    Each key group draws for every cell; the cell belongs to the group that wins an exponential
    race (draw -ln(u) / weight: group g wins with probability weight_g / total), and is marked
    when the winning time is below the one that marks a `fraction` of cells. Groups the
    suspect lacks (None) are left out: their cells then read as noise, independent of every
    codeword, never as evidence."""
    n = next(len(r) for r in rows if r is not None)
    weights = weights or [1.0] * len(rows)
    drawers = [(row, np.array([(ordinal + 1) | (g << 32), _CELL_TAG], dtype=np.uint64),
                -float(weights[g])) for g, row in enumerate(rows) if row is not None]
    best, positions, dither = keyed_race(keys.cell, n, drawers, len(rows) == 1)
    if len(rows) == 1:
        return Cells(positions, dither, best < fraction)
    total = sum(weights)  # zero only in a plan read back altered: then no cell is marked
    limit = math.inf if fraction >= 1.0 else -math.log1p(-fraction) / total if total > 0 else 0.0
    return Cells(positions, dither, best < limit)


def _lattice(spec: dict[str, Any], dither: np.ndarray) -> tuple[float, np.ndarray]:
    if spec["step_units"] is None:
        return float(spec["step"]), dither * float(spec["step"])
    units, decimals = int(spec["step_units"]), int(spec["decimals"])
    return float(spec["step"]), _from_units(np.floor(dither * units), decimals)


def _from_units(values: np.ndarray, decimals: int) -> np.ndarray:
    # dividing exact integers by a power of ten gives the double nearest the decimal value
    return values / 10.0 ** decimals if decimals > 0 else values * 10.0 ** -decimals


def embed_column(column: pa.Array, spec: dict[str, Any], drawn: Cells, bits: np.ndarray
                 ) -> tuple[pa.Array, int]:
    """The column with the bits embedded in its selected cells; returns (array, cells marked)."""
    x = _floats(column)
    return _embed(column, x, drawn.selected & ~np.isnan(x), spec, drawn, bits)


def _embed(column: pa.Array, x: np.ndarray, target: np.ndarray, spec: dict[str, Any],
           drawn: Cells, bits: np.ndarray) -> tuple[pa.Array, int]:
    """`embed_column` given the column's floats and its target cells."""
    dither = drawn.dither[target]
    xt = x[target]
    if spec["step_units"] is not None:
        units, decimals = int(spec["step_units"]), int(spec["decimals"])
        xu = _to_units(xt, decimals)  # not rounded: x may be finer than the unit
        ou = np.floor(dither * units) + bits * (units // 2)
        if spec.get("pairs"):
            # a two-unit lattice only sets the parity of the value in units: the cell goes to
            # the point of its pair {2k, 2k+1}, so its pair (the bin it keys rows by) stays
            qu = 2.0 * np.floor_divide(np.round(xu), 2) + np.mod(ou, 2)
            qu = np.where(np.abs(qu - xu) <= 1.0 + 1e-9, qu, np.nan)  # never beyond a unit
        else:
            qu = units * np.round((xu - ou) / units) + ou
        q = _from_units(qu, decimals)
    else:
        step, offset = _lattice(spec, dither)
        off = offset + bits * (step / 2)
        q = step * np.round((xt - off) / step) + off
    inside = (q >= spec["min"]) & (q <= spec["max"])
    if spec.get("bin_units"):  # the column keys rows by its bin: a move never leaves it
        scale, width = 10.0 ** int(spec["decimals"]), int(spec["bin_units"])
        inside &= floor_div_integral(np.round(xt * scale), width) == \
            floor_div_integral(np.round(q * scale), width)
    out = x.copy()
    idx = np.flatnonzero(target)[inside]
    out[idx] = q[inside]
    mask = np.isnan(x) if column.null_count else None
    t = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    array = pa.array(out, type=pa.float64(), mask=mask)
    if pa.types.is_integer(t):
        array = pc.cast(pc.round(array), t)
    elif t != pa.float64():
        array = pc.cast(array, t)
    return array, int(idx.size)


def _to_units(values: np.ndarray, decimals: int) -> np.ndarray:
    return values * 10.0 ** decimals if decimals >= 0 else values / 10.0 ** -decimals


def soft_signs(column: pa.Array, spec: dict[str, Any], drawn: Cells) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """(positions, sigma) of the readable selected cells: sigma > 0 leans to bit 1."""
    y = _floats(column)
    ok = drawn.selected & np.isfinite(y)
    step, offset = _lattice(spec, drawn.dither[ok])
    # the phase is reduced modulo the step first: (y - offset) / step overflows to inf for a
    # finite y near the float limit, and one NaN sigma would void every recipient's score
    phase = np.mod(y[ok] - offset, step) / step
    sigma = -np.cos(2.0 * math.pi * phase)
    return drawn.positions[ok], sigma


def mark_batch(batch: pa.RecordBatch, plan: dict[str, Any], keys: Keys, share_id: str
               ) -> tuple[pa.RecordBatch, int]:
    """One batch of the source with the share's codeword embedded; returns (batch, cells)."""
    rows = group_rows(batch, plan, None, keys)
    columns = list(batch.columns)
    total = 0
    for ordinal, spec in enumerate(plan["mark_columns"]):
        drawn = cells(rows, ordinal, keys, spec.get("fraction", plan["fraction"]),
                      plan.get("key_weights"))
        column = columns[spec["index"]]
        x = _floats(column)
        target = drawn.selected & ~np.isnan(x)
        bits = keys.codebook.bits(share_id, drawn.positions[target]).astype(np.float64)
        columns[spec["index"]], marked = _embed(column, x, target, spec, drawn, bits)
        total += marked
    if plan.get("cat_columns"):
        rows = categorical.cat_rows(batch, plan, None, keys)
        for c, spec in enumerate(plan["cat_columns"]):
            drawn = categorical.cat_selection(rows, c, plan, keys)
            columns[spec["index"]], marked = categorical.embed(columns[spec["index"]], spec,
                                                               drawn, keys, share_id)
            total += marked
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), total


def mark_task(batch: pa.RecordBatch, plan: dict[str, Any], material: KeyMaterial,
              share_id: str) -> tuple[pa.RecordBatch, int]:
    """`mark_batch` as an engine runs it: keys derived from the material where it runs."""
    return mark_batch(batch, plan, material.keys(), share_id)


def extract_task(batch: pa.RecordBatch, plan: dict[str, Any], mapping: dict[str, int],
                 material: KeyMaterial) -> Extraction:
    """One batch's partial Extraction, to be merged in order with `Extraction.merge`."""
    part = Extraction()
    part.add(batch, plan, mapping, material.keys())
    return part


@dataclass
class Extraction:
    """Soft signs gathered from a suspect, aggregated per code position, in constant memory.

    Scoring uses the `limit` smallest (keyed, hence uniformly spread) positions, so only those
    are kept: a bottom-k sketch. A position once pushed above the running k-th smallest can never
    come back, so compacting early keeps exactly what one pass over everything would keep, and
    the parts of a suspect can be merged in any order.
    """

    limit: int = MAX_POSITIONS
    rows: int = 0
    rows_read: int = 0
    _pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    _sig: np.ndarray = field(default_factory=lambda: np.empty(0))
    _pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _pending_size: int = 0
    _saturated: bool = False

    def add(self, batch: pa.RecordBatch, plan: dict[str, Any], mapping: dict[str, int],
            keys: Keys) -> None:
        """Fold in one suspect batch; `mapping` is plan column id -> suspect column index."""
        self.rows_read += batch.num_rows
        if batch.num_rows == 0:
            return
        seen = np.zeros(batch.num_rows, dtype=bool)
        self._add_categorical(batch, plan, mapping, keys, seen)
        rows = group_rows(batch, plan, mapping, keys)
        if all(r is None for r in rows):
            self.rows += int(seen.sum())
            return
        for ordinal, spec in enumerate(plan["mark_columns"]):
            if f"m{ordinal}" not in mapping:
                continue
            drawn = cells(rows, ordinal, keys, spec.get("fraction", plan["fraction"]),
                      plan.get("key_weights"))
            column = batch.column(mapping[f"m{ordinal}"])
            y = as_float(column)
            seen |= drawn.selected & np.isfinite(y)
            self._push(*soft_signs(column, spec, drawn))
        self.rows += int(seen.sum())

    def _add_categorical(self, batch: pa.RecordBatch, plan: dict[str, Any],
                         mapping: dict[str, int], keys: Keys, seen: np.ndarray) -> None:
        carriers = [c for c in range(len(plan.get("cat_columns") or [])) if f"c{c}" in mapping]
        if not carriers:
            return
        rows = categorical.cat_rows(batch, plan, mapping, keys)
        if all(r is None for r in rows):
            return
        for c in carriers:
            drawn = categorical.cat_selection(rows, c, plan, keys)
            pos, sigma, read = categorical.read(batch.column(mapping[f"c{c}"]),
                                                plan["cat_columns"][c], drawn, keys.fingerprint)
            seen |= read
            self._push(pos, sigma)

    def _push(self, pos: np.ndarray, sigma: np.ndarray) -> None:
        if self._saturated and pos.size:  # nothing above the k-th smallest can enter any more
            keep = pos <= self._pos[-1]
            pos, sigma = pos[keep], sigma[keep]
        if pos.size:
            self._pending.append((pos, sigma))
            self._pending_size += pos.size
            if self._pending_size > 4 * self.limit:
                self._compact()

    def _compact(self) -> None:
        if not self._pending:
            return
        pos = np.concatenate([self._pos, *(p for p, _ in self._pending)])
        sig = np.concatenate([self._sig, *(s for _, s in self._pending)])
        self._pending, self._pending_size = [], 0
        unique, inverse = np.unique(pos, return_inverse=True)
        summed = np.bincount(inverse, weights=sig, minlength=unique.size)
        if unique.size >= self.limit:
            self._saturated = True
        self._pos, self._sig = unique[: self.limit], summed[: self.limit]

    def merge(self, other: Extraction) -> None:
        """Fold in another part of the same suspect (any order gives the same result)."""
        other._compact()
        self._push(other._pos, other._sig)
        self.rows += other.rows
        self.rows_read += other.rows_read

    @property
    def distinct(self) -> float:
        """Distinct positions seen: exact until the sketch fills, then the bottom-k estimate
        (k - 1) / (k-th smallest / 2**64)."""
        self._compact()
        if not self._saturated or self._pos.size < self.limit:
            return float(self._pos.size)
        return (self.limit - 1) * 2.0**64 / (float(self._pos[-1]) + 1.0)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` smallest distinct positions and the summed sign observed at each."""
        self._compact()
        return self._pos, self._sig
