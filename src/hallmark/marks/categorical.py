"""Categorical substitution marks: low-impact marks in text columns of categories. Pure; no I/O.

Categories of similar frequency (within PAIR_RATIO of each other, each at least MIN_SHARE of the
column) are paired, in an order jittered by the marking key, so the pairs are secret. A keyed
CAT_FRACTION of a carrier column's cells is selected (by the row's key, as numeric cells are); a
selected cell whose value lies in a pair is set to the member that encodes the recipient's Tardos
bit there (member index XOR a keyed flip); trace reads the bit back from which member is present,
and a cell outside every pair tells nothing (it is not read).

Bounds, per batch and so for the whole table (a sum of per-batch moves): a category's share moves
at most MAX_SHIFT of the rows and at most MAX_RELATIVE of its own count (excess substitutions in
the busier direction are not made); only labels already in the batch are written, so no category
appears; only selected cells change. Values are compared trimmed and lower-cased (`fold`), so a
leak that re-cases labels or strips their spaces reads the same.

A carrier that also keys rows keys them by its pair (or its own value when unpaired), which its
marks never change; the carriers' cells are drawn from the key groups free of numeric columns, so
they survive a leak that drops every numeric column.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hallmark.marks.columns import Profile, fold, value_digest

CAT_FRACTION = 0.1
MAX_SHIFT = 0.01
MAX_RELATIVE = 0.1
PAIR_RATIO = 1.5
MIN_SHARE = 0.01
CAT_ORDINAL = 1000  # cell-draw ordinals of carriers, apart from numeric columns'
CAT_DOMAIN = 64  # row-key MAC domains of the carriers' key groups
MAX_KEY_BITS_LOST = 1.0  # with numeric marks: the weakest key block's bits a carrier may cost
SURVIVAL_MARGIN = 3.0  # as layout's: positions beyond a perfect read's need


def pairs_of(prof: Profile, key: bytes) -> list[list[str]]:
    """Secret pairs of the column's folded value digests of similar frequency."""
    def jitter(digest: str) -> float:
        u = int.from_bytes(hmac.new(key, digest.encode(), hashlib.sha256).digest()[:8], "big")
        return u / 2.0 ** 64 * math.log(PAIR_RATIO) / 2

    freq = {d: f for d, f in prof.folded.items() if f >= MIN_SHARE}
    order = sorted(freq, key=lambda d: (-math.log(freq[d]) + jitter(d), d))
    pairs, i = [], 0
    while i + 1 < len(order):
        a, b = order[i], order[i + 1]
        if max(freq[a], freq[b]) <= PAIR_RATIO * min(freq[a], freq[b]):
            pairs.append([a, b])
            i += 2
        else:
            i += 1
    return pairs


def carrier_specs(profiles: list[Profile], key: bytes) -> list[dict[str, Any]]:
    """The text columns that can carry categorical marks, with their pairs."""
    out = []
    for prof in profiles:
        if prof.kind != "string" or prof.identifier or prof.nulls >= prof.rows / 2:
            continue
        pairs = pairs_of(prof, key)
        if pairs:
            out.append({**prof.fingerprint(), "index": prof.index, "pairs": pairs,
                        "fraction": CAT_FRACTION, "bits": class_bits(prof, pairs),
                        "paired": round(sum(prof.folded[d] for p in pairs for d in p), 5)})
    return out


def fit(carriers: list[dict[str, Any]], layout: Callable[[list[dict[str, Any]]], Any],
        numeric: bool) -> list[dict[str, Any]]:
    """The carriers to use. A carrier keying rows by its pair gives the row keys less entropy;
    with numeric marks, a carrier is kept only while the key layout keeps as many redundant key
    groups as without carriers (so numeric marks survive as much as before); carriers that are
    no key column cost nothing and come first, then those that lose the fewest key bits."""
    if not numeric:
        return carriers
    def strength(chosen: list[dict[str, Any]]) -> tuple[int, float]:
        keys, groups = layout(chosen)[:2]
        blocks = [g for g in groups if len(groups) == 1 or len(g) < len(keys)]
        return len(groups), min(sum(float(keys[i]["bits"]) for i in g) for g in blocks)

    base_groups, base_bits = strength([])
    keyed = {int(k["index"]) for k in layout([])[0] if k.get("kind") != "coarse"}
    order = sorted(carriers, key=lambda c: (int(c["index"]) in keyed, -float(c["bits"]),
                                            int(c["index"])))
    chosen: list[dict[str, Any]] = []
    for spec in order:
        groups, bits = strength([*chosen, spec])
        # as many blocks, and the weakest within one bit of before
        if groups >= base_groups and bits >= base_bits - MAX_KEY_BITS_LOST:
            chosen.append(spec)
    return sorted(chosen, key=lambda c: int(c["index"]))


def class_bits(prof: Profile, pairs: list[list[str]]) -> float:
    """Entropy of the column with each pair merged (grouping rule of entropy)."""
    bits = prof.folded_entropy
    for a, b in pairs:
        fa, fb = prof.folded.get(a, 0.0), prof.folded.get(b, 0.0)
        if fa > 0 and fb > 0:
            q = fa / (fa + fb)
            bits -= (fa + fb) * -(q * math.log2(q) + (1 - q) * math.log2(1 - q))
    return max(bits, 0.0)


def _encode(column: pa.Array, digest_key: bytes) -> tuple[np.ndarray, pa.Array, list[str]]:
    """Dictionary indices (-1: null), the raw dictionary and its folded values' digests."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column)
    digests = [value_digest(digest_key, str(v)) for v in fold(encoded.dictionary).to_pylist()]
    indices = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)
    return indices, encoded.dictionary, digests


def _members(spec: dict[str, Any], digests: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per dictionary entry its pair (-1: none) and member (0/1)."""
    where = {d: (p, m) for p, pair in enumerate(spec["pairs"]) for m, d in enumerate(pair)}
    pair = np.array([where.get(d, (-1, 0))[0] for d in digests] + [-1], dtype=np.int64)
    member = np.array([where.get(d, (-1, 0))[1] for d in digests] + [0], dtype=np.int64)
    return pair, member  # the extra last entry is what index -1 (null) reads


def class_blocks(column: pa.Array, spec: dict[str, Any], digest_key: bytes,
                 text_digest: Any) -> np.ndarray:
    """(n, 2) key blocks of a carrier keying rows: its pair, or its value when unpaired."""
    indices, _, digests = _encode(column, digest_key)
    where = {d: min(pair) for pair in spec["pairs"] for d in pair}
    texts = [("p" + where[d]) if d in where else ("v" + d) for d in digests]
    table = np.frombuffer(b"".join(text_digest(t) for t in texts) or b"", dtype="<u8")
    blocks = np.zeros((len(indices), 2), dtype=np.uint64)
    if table.size:
        blocks[:] = table.reshape(-1, 2).astype(np.uint64)[np.maximum(indices, 0)]
    blocks[indices < 0] = (0, 3)
    return blocks


def cat_groups(plan: dict[str, Any]) -> tuple[list[list[int]], list[float]]:
    """The carriers' key groups (stored with the plan) and their weights."""
    groups: list[list[int]] = plan.get("cat_groups") or []
    return groups, list(plan.get("cat_weights") or [1.0] * len(groups))


def cat_readable(plan: dict[str, Any], mapping: dict[str, int]) -> bool:
    """Whether the suspect has a carrier and every key column of one of its key groups."""
    return any(k.startswith("c") for k in mapping) and any(
        all(f"k{i}" in mapping for i in g) for g in cat_groups(plan)[0])


def cat_rows(batch: pa.RecordBatch, plan: dict[str, Any], mapping: dict[str, int] | None,
             keys: Any) -> list[np.ndarray | None]:
    """Row keys of the carriers' key groups (None for a group the batch lacks a column of)."""
    from hallmark.marks.tabular import row_keys

    specs = plan["key_columns"]
    out: list[np.ndarray | None] = []
    for g, members in enumerate(cat_groups(plan)[0]):
        where = [specs[i]["index"] if mapping is None else mapping.get(f"k{i}")
                 for i in members]
        out.append(None if any(w is None for w in where) else row_keys(
            [batch.column(w) for w in where], [specs[i] for i in members], keys,
            CAT_DOMAIN + g))
    return out


def cat_selection(rows: list[np.ndarray | None], c: int, plan: dict[str, Any], keys: Any) -> Any:
    """The draws (positions, flip from the dither, selection) of carrier `c`."""
    from hallmark.marks.tabular import cells

    spec = plan["cat_columns"][c]
    return cells(rows, CAT_ORDINAL + c, keys, float(spec["fraction"]), cat_groups(plan)[1])


def embed(column: pa.Array, spec: dict[str, Any], drawn: Any, keys: Any, share_id: str
          ) -> tuple[pa.Array, int]:
    """The column with the share's bits substituted in its selected paired cells."""
    indices, dictionary, digests = _encode(column, keys.fingerprint)
    pair_of, member_of = _members(spec, digests)
    # a folded value written several ways in this batch is left alone: the bounds hold per label
    seen: dict[str, int] = {}
    for d in digests:
        seen[d] = seen.get(d, 0) + 1
    label = {(int(pair_of[i]), int(member_of[i])): i for i, d in enumerate(digests)
             if pair_of[i] >= 0 and seen[d] == 1}
    pair, member = pair_of[indices], member_of[indices]
    target = drawn.selected & (pair >= 0)
    bits = keys.codebook.bits(share_id, drawn.positions[target]).astype(np.int64)
    want = np.zeros(len(indices), dtype=np.int64)
    want[target] = bits ^ (drawn.dither[target] >= 0.5)
    entry = [label.get((int(pair_of[i]), 1 - int(member_of[i])), -1)
             if label.get((int(pair_of[i]), int(member_of[i]))) == i else -1
             for i in range(len(digests))]
    partner = np.array(entry + [-1], dtype=np.int64)[indices]
    change = target & (member != want) & (partner >= 0)
    n = len(indices)
    for p in np.unique(pair[change]):
        count = [int(((pair == p) & (member == m)).sum()) for m in (0, 1)]
        cap = math.floor(min(MAX_SHIFT * n, MAX_RELATIVE * min(count)) + 1e-9)
        moves = [np.flatnonzero(change & (pair == p) & (member == m)) for m in (0, 1)]
        excess = len(moves[0]) - len(moves[1])
        if abs(excess) > cap:  # drop the surplus of the busier direction (keyed choice)
            busy = moves[0] if excess > 0 else moves[1]
            drop = busy[np.argsort(drawn.positions[busy], kind="stable")][: abs(excess) - cap]
            change[drop] = False
    out = indices.copy()
    out[change] = partner[change]
    values = dictionary.take(pa.array(np.where(out < 0, 0, out), mask=out < 0)) \
        if len(dictionary) else pa.nulls(n, dictionary.type)
    t = column.type
    if pa.types.is_dictionary(t):
        values = values.dictionary_encode().cast(t)
    elif values.type != t:
        values = values.cast(t)
    return values, int(change.sum())


def read(column: pa.Array, spec: dict[str, Any], drawn: Any, digest_key: bytes
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, sigma, read mask) of the selected cells showing a paired category."""
    indices, _, digests = _encode(column, digest_key)
    pair_of, member_of = _members(spec, digests)
    pair, member = pair_of[indices], member_of[indices]
    ok = drawn.selected & (pair >= 0)
    bit = member[ok] ^ (drawn.dither[ok] >= 0.5)
    return drawn.positions[ok], np.where(bit == 1, 1.0, -1.0), ok


def survival(plan: dict[str, Any], rows: int, needed_positions: int) -> dict[str, Any]:
    """What the categorical marks alone are expected to survive: their columns, the rows a
    trace of them alone needs, whether that holds with every numeric column dropped, and the
    relabellings they are blind to."""
    carriers = plan.get("cat_columns") or []
    per_row = sum(float(c["fraction"]) * float(c.get("paired", 0.0)) for c in carriers)
    keys = plan["key_columns"]
    distinct = sum(2.0 ** sum(float(keys[i].get("bits", 0.0)) for i in g)
                   for g in cat_groups(plan)[0])
    capacity = min(rows * per_row, distinct * per_row)
    needed = min(rows, math.ceil(needed_positions / per_row)) if per_row else rows
    return {"columns": [c["name"] for c in carriers], "rows_needed": needed,
            "without_numeric": capacity >= SURVIVAL_MARGIN * needed_positions,
            "relabelling": "case and surrounding spaces"}
