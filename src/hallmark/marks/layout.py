"""Where a table's marks go: each marked column's lattice, the columns that key its rows and the
redundant key groups, and which of a suspect's columns can still be read. Pure; no I/O.

Marks sit on a decimal grid no finer than the lattice unit, so rounding a copy to that unit (or
finer) leaves every marked cell exactly where it was. A column whose per-cell budget is below
its resolution, or whose grid would be finer than 10**-PLAUSIBLE_DECIMALS, is marked sparsely:
a keyed SPARSE_FRACTION of its cells carries a bit on a two-unit lattice, so a cell moves at most
one unit (its resolution, or 10**-PLAUSIBLE_DECIMALS): every quantile moves at most one unit, the
mean at most SPARSE_FRACTION units and the standard deviation at most sqrt(SPARSE_FRACTION).

Row keys are built from KEY_BLOCKS disjoint blocks of key columns (fewer when the table has too
little entropy to give each block MIN_BLOCK_BITS); each marked cell belongs to one block (the
smallest keyed draw), so losing any two key columns (with three blocks) leaves at least one
block whole and its cells readable. A marked column keys rows too, by a coarse bin of its value that
its own marks never change (a move that would leave its bin is not made).
"""

from __future__ import annotations

import math
from typing import Any

from hallmark.marks.columns import Profile, match_columns

PLAUSIBLE_DECIMALS = 3
SPARSE_FRACTION = 0.2
SPARSE_MAX_SHARE = 0.1  # a sparse step is at most this share of the column's robust spread
BIN_MOVES = 10  # a coarse key bin is at least this many largest moves wide
KEY_BLOCKS = 3
MIN_BLOCK_BITS = 7.0  # about 128 distinct keys
FULL_KEY_SHARE = 0.75  # measured on Adult: 5 colluders by majority 7.6e-37, 2 keys dropped 4e-21
# Dense columns with several key groups mark this share of their cells, not all: a tracer that
# lacks some groups then reads mostly cells its own groups marked, far less noise
SHARED_FRACTION = 0.8
SURVIVAL_MARGIN = 3.0  # positions beyond a perfect read's need before a promise is made
MAX_STABLE_KEYS = 9
MAX_COARSE_KEYS = 3


def mark_spec(prof: Profile, budget: float, bounds: tuple[float, float],
              sparse_below_resolution: bool) -> dict[str, Any] | str:
    """The lattice of one column (or why it cannot carry a mark)."""
    if not budget > 0:
        return "its spread is 0 (set a budget for it to mark it)"
    res = prof.decimals
    if prof.kind == "int":
        res = min(res or 0, 0)
    lo, hi = float(bounds[0]), float(bounds[1])
    # the coarsest grid not wider than the budget, but never coarser than whole units unless
    # the column already is: a coarser grid resists no rounding a user would apply to a decimal
    decimals = max(-math.floor(math.log10(budget)), min(res, 0) if res is not None else 0)
    if res is not None:
        decimals = min(decimals, res)
    units = 2 * math.floor(budget / 10.0 ** -decimals + 1e-9)
    fraction = 1.0
    sparse_decimals = min(PLAUSIBLE_DECIMALS, res) if res is not None else PLAUSIBLE_DECIMALS
    sparse_fits = 10.0 ** -sparse_decimals <= SPARSE_MAX_SHARE * prof.scale
    if units < 2 or decimals > PLAUSIBLE_DECIMALS:
        if sparse_fits and (units >= 2 or sparse_below_resolution):
            decimals, units, fraction = sparse_decimals, 2, SPARSE_FRACTION
        elif units < 2:
            return f"budget {budget:.4g} is below its resolution {10.0 ** -decimals:g}"
    step = units * 10.0 ** -decimals
    if hi - lo < 2 * step:
        return f"declared range [{lo:g}, {hi:g}] is narrower than two bins of {step:g}"
    return {**prof.fingerprint(), "index": prof.index, "budget": budget, "step": step,
            "step_units": units, "decimals": decimals, "source_decimals": prof.decimals,
            "fraction": fraction, "min": lo, "max": hi,
            "pairs": units == 2 and res is not None and res <= decimals}


def _bin_units(spec: dict[str, Any], scale: float) -> tuple[int, float]:
    """Coarse key bins (in lattice units) at least BIN_MOVES moves wide, and their bits."""
    unit = 10.0 ** -int(spec["decimals"])
    units = int(spec["step_units"])
    # values on the unit grid and a two-unit lattice: a move only sets the parity in its pair
    least = 2 if spec.get("pairs") else 5 if units == 2 else BIN_MOVES * units // 2
    width = next(m * 10 ** e for e in range(19) for m in (1, 2, 5) if m * 10 ** e >= least)
    spread = 4.0 * scale / (width * unit)  # about the central 95%
    return width, math.log2(spread) if spread > 1 else 0.0


def key_layout(stable: list[Profile], marks: list[dict[str, Any]], scales: dict[int, float],
               rows: int, overrides: dict[int, dict[str, Any]] | None = None
               ) -> tuple[list[dict[str, Any]], list[list[int]], list[float]]:
    """Key columns (stable ones by entropy, then coarse bins of marked columns), the key groups
    (the disjoint blocks, then every key column together when the blocks' keys repeat over the
    table's rows) and the share of cells each owns."""
    keys, blocks = _blocks(stable, marks, scales, overrides or {})
    distinct = sum(2.0 ** sum(float(keys[i]["bits"]) for i in b) for b in blocks)
    if len(blocks) == 1 or distinct >= rows:
        return keys, blocks, [1.0] * len(blocks)
    # the whole key tells rows apart best (most distinct positions) but is lost with any one
    # column; the blocks are what survives, and need fewer cells: their keys repeat
    share = (1.0 - FULL_KEY_SHARE) / len(blocks)
    return keys, blocks + [list(range(len(keys)))], [share] * len(blocks) + [FULL_KEY_SHARE]


def _blocks(stable: list[Profile], marks: list[dict[str, Any]], scales: dict[int, float],
            overrides: dict[int, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[int]]]:
    keys: list[dict[str, Any]] = [overrides.get(p.index) or {**p.fingerprint(), "index": p.index,
                                                             "bits": p.entropy}
                                  for p in stable[:MAX_STABLE_KEYS]]
    coarse = []
    for ordinal, spec in enumerate(marks):
        width, bits = _bin_units(spec, scales[spec["index"]])
        if bits >= 1.0:
            coarse.append((bits, ordinal, width))
    for bits, ordinal, width in sorted(coarse, key=lambda c: (-c[0], c[1]))[:MAX_COARSE_KEYS]:
        marks[ordinal]["bin_units"] = width
        keys.append({"name": marks[ordinal]["name"], "kind": "coarse", "of": ordinal,
                     "index": marks[ordinal]["index"], "bin_units": width,
                     "decimals": marks[ordinal]["decimals"], "bits": bits})
    for count in range(min(KEY_BLOCKS, len(keys)), 1, -1):
        blocks: list[list[int]] = [[] for _ in range(count)]
        weight = [0.0] * count
        for i in sorted(range(len(keys)), key=lambda i: -float(keys[i]["bits"])):
            b = min(range(count), key=lambda b: (weight[b], b))  # balance the blocks' entropy
            blocks[b].append(i)
            weight[b] += float(keys[i]["bits"])
        # a block of few distinct keys repeats a few code positions over many rows: useless
        if min(weight) >= MIN_BLOCK_BITS:
            return keys, [sorted(b) for b in blocks]
    return keys, [list(range(len(keys)))]


def key_groups(plan: dict[str, Any]) -> list[list[int]]:
    """The plan's key groups (one group of every key column for plans made before groups)."""
    groups: list[list[int]] = plan.get("key_groups") or [list(range(len(plan["key_columns"])))]
    return groups


def locate(plan: dict[str, Any], seen: list[dict[str, Any]]) -> dict[str, int]:
    """Plan column id (k<i>, m<j>) -> suspect column index, matched by content; a coarse key
    is read from wherever its marked column was found."""
    stable = [i for i, k in enumerate(plan["key_columns"])
              if k.get("kind") not in ("coarse", "cpair")]
    marks, carriers = list(plan["mark_columns"]), list(plan.get("cat_columns") or [])
    stored = [plan["key_columns"][i] for i in stable] + marks + carriers
    mapping: dict[str, int] = {}
    for i, j in match_columns(stored, seen).items():
        mapping[f"k{stable[i]}" if i < len(stable) else f"m{i - len(stable)}"
                if i < len(stable) + len(marks) else f"c{i - len(stable) - len(marks)}"] = j
    for i, k in enumerate(plan["key_columns"]):
        source = {"coarse": "m", "cpair": "c"}.get(k.get("kind", ""))
        if source and f"{source}{k['of']}" in mapping:
            mapping[f"k{i}"] = mapping[f"{source}{k['of']}"]
    return mapping


def readable_groups(plan: dict[str, Any], mapping: dict[str, int]) -> list[int]:
    """The key groups whose every column the suspect still has."""
    return [g for g, members in enumerate(key_groups(plan))
            if all(f"k{i}" in mapping for i in members)]


def survived_decimals(spec: dict[str, Any]) -> int:
    """The coarsest rounding (in decimals) the column's marks survive: exactly to their grid,
    and softly (each sign still read right) to any grid up to a quarter of the step."""
    quarter = -math.floor(math.log10(float(spec["step"]) / 4.0) + 1e-9)
    return min(int(spec["decimals"]), quarter)


def unreadable(spec: dict[str, Any], suspect_decimals: int | None) -> tuple[str, str] | None:
    """("rounded", why) when the suspect column is rounded beyond the marks (they cannot be
    read), ("perturbed", why) when it is off the source's own grid (they may still be), or
    None."""
    if spec.get("step_units") is None:
        return None
    name, mine = spec["name"].strip(), survived_decimals(spec)
    if suspect_decimals is not None and suspect_decimals < mine:
        return "rounded", f"{name} is rounded to 10^{-suspect_decimals:g}, its marks need " \
            f"10^{-mine:g}"
    source = spec.get("source_decimals")
    if source is not None and (suspect_decimals is None or suspect_decimals > max(
            source, int(spec["decimals"]))):
        return "perturbed", f"{name} is off its own grid of 10^{-source:g}"
    return None


def survival(plan: dict[str, Any], rows: int, cells: int, needed_positions: int
             ) -> dict[str, Any]:
    """What a copy is expected to survive: per column the coarsest rounding (to `decimals`, a
    grid of `step`), how many of its rows tracing needs, and how many key columns can be dropped."""
    rounding = {m["name"]: {"decimals": survived_decimals(m),
                            "step": float(10.0 ** -survived_decimals(m))}
                for m in plan["mark_columns"] if m.get("step_units") is not None}
    per_row = cells / rows if rows else 0.0
    needed = min(rows, math.ceil(needed_positions / per_row)) if per_row else rows
    groups = key_groups(plan)
    weights = plan.get("key_weights") or [1.0] * len(groups)
    blocks = [(g, w) for g, w in zip(groups, weights, strict=True)
              if len(groups) == 1 or len(g) < len(plan["key_columns"])]
    # distinct code positions each block can give: its share of the cells, but no more than
    # its distinct keys times the marked share of a row's cells (a key repeats its positions)
    share = sum(float(m.get("fraction", plan["fraction"])) for m in plan["mark_columns"]) + \
        sum(float(c["fraction"]) for c in plan.get("cat_columns") or [])
    capacity = sorted(min(cells * w / sum(weights), 2.0 ** sum(float(plan["key_columns"][i].get(
        "bits", 0.0)) for i in g) * share) for g, w in blocks)
    dropped = 0
    for lost in range(1, len(blocks)):  # losing any `lost` columns loses at most that many blocks
        if sum(capacity[: len(blocks) - lost]) < SURVIVAL_MARGIN * needed_positions:
            break
        dropped = lost
    return {"rounding": rounding, "rows_needed": needed,
            "fraction_of_rows": round(needed / rows, 4) if rows else 1.0,
            "dropped_columns": dropped}
