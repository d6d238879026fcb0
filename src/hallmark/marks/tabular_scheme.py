"""The tabular mark scheme: keyed row identity, keyed cell selection and dithered QIM in numeric
columns, substitution marks in categorical ones (tabular.py, plan.py, categorical.py), over the
streamed table formats of tabular_io.py. A suspect is recognised by column content."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hallmark.errors import InputError, NotFound
from hallmark.marks import tabular_io
from hallmark.marks.categorical import cat_readable
from hallmark.marks.categorical import survival as categorical_survival
from hallmark.marks.codes import TardosParams, derive_key
from hallmark.marks.columns import SUSPECT_TOP_VALUES, Profile, profile_batches
from hallmark.marks.engines import Engine
from hallmark.marks.layout import locate, readable_groups, survival, unreadable
from hallmark.marks.plan import SCHEME, make_plan
from hallmark.marks.scheme import INCONCLUSIVE, Identified, Marked, Planned, Shared, Symbols
from hallmark.marks.stats import needed_positions
from hallmark.marks.tabular import Extraction, KeyMaterial, extract_task, mark_task


@dataclass
class _Suspect:
    source: tabular_io.Source
    profiles: list[Profile] | None = None


class TabularScheme:
    """Marks in flat tables (CSV, TSV, Parquet, JSON Lines)."""

    name = SCHEME

    def accepts(self, kind: str, path: Path) -> bool:
        """Datasets; `copy_format` says which of their files it can read."""
        return kind == "dataset"

    def reads_suspect(self, path: Path) -> bool:
        """Files named as one of the table formats."""
        return path.suffix.lower() in tabular_io.FORMATS

    def copy_format(self, source: Path, out: Path) -> str:
        """The source's own format; the copy must be named for it."""
        fmt = tabular_io.format_of(source)
        if tabular_io.FORMATS.get(out.suffix.lower(), fmt) != fmt:
            raise InputError(f"the copy is written as {fmt.upper()} like its source; name it "
                             f"{out.stem}{source.suffix}", field="out")
        return fmt

    def plan(self, source: Path, fmt: str, options: Mapping[str, Any], marking_key: bytes,
             asset_id: str, known: dict[str, Any] | None = None) -> Planned:
        """Profile the columns (skipped when `known`) and choose carriers and keys."""
        table = tabular_io.open_table(source, fmt)
        replay = tabular_io.TwoPasses(table)
        if known is not None:
            return Planned(known, fmt, (table, replay))
        profiles = profile_batches(table.schema, replay.first_pass(),
                                   derive_key(marking_key, "hallmark/fingerprint"))
        if not profiles or profiles[0].rows == 0:
            raise InputError(f"{source.name} has no rows to mark", field="asset")
        ranges = {k: (float(v[0]), float(v[1])) for k, v in (options.get("ranges") or {}).items()}
        plan = make_plan(profiles, TardosParams(options["recipients"], options["colluders"],
                                                options["epsilon"]),
                         options["budget"], options.get("budgets") or None, ranges or None,
                         pair_key=derive_key(marking_key, "hallmark/catpairs", asset_id),
                         categorical_marks=options["categorical"],
                         frozen=list(options.get("frozen") or []))
        plan["options"] = dict(options)
        return Planned(plan, fmt, (table, replay))

    @contextmanager
    def embed(self, planned: Planned, out: Path, marking_key: bytes, asset_id: str,
              share_id: str, engine: Engine) -> Iterator[Marked]:
        """Mark the batches of the second pass on `engine`, in order, into an atomic writer."""
        table, replay = planned.state
        material = KeyMaterial(marking_key, asset_id, planned.plan)
        rows = cells = 0
        with tabular_io.atomic_writer(out, planned.format, table.schema) as writer:
            for marked, count in _mark_in_slices(engine, replay.second_pass(), table.schema,
                                                 planned.plan, material, share_id):
                writer.write(marked)
                rows += marked.num_rows
                cells += count
            yield Marked(rows, cells, writer.finish())

    def open_suspect(self, path: Path) -> _Suspect:
        """Open the suspect table (schema read, formats bounded)."""
        return _Suspect(tabular_io.open_table(path))

    def identify(self, suspect: Any, marking_key: bytes, candidates: list[Shared]
                 ) -> Identified:
        """Compare column content with every plan; drop columns rounded beyond reading."""
        assert isinstance(suspect, _Suspect)
        digest_key = derive_key(marking_key, "hallmark/fingerprint")
        suspect.profiles = profile_batches(suspect.source.schema, suspect.source.batches(),
                                           digest_key, SUSPECT_TOP_VALUES)
        matches = _identify(candidates, [p.fingerprint() for p in suspect.profiles])
        why: list[str] = []
        doubts: list[str] = []
        decimals = [p.decimals for p in suspect.profiles]
        matches = [[g for g in chosen if _readable(g, decimals, why, doubts)]
                   for chosen in matches]
        if not any(matches):
            raise InputError(f"{INCONCLUSIVE} ({why[0]})", field="suspect")
        return Identified([chosen for chosen in matches if chosen], why + doubts, suspect)

    def extract(self, identified: Identified, shared: Shared, marking_key: bytes,
                engine: Engine) -> Symbols:
        """Soft signs per code position, gathered batch by batch on `engine`."""
        source = identified.suspect.source
        material = KeyMaterial(marking_key, shared.asset, shared.plan)
        extraction = Extraction()
        for part in engine.map_batches(extract_task, source.batches(), shared.plan,
                                       shared.mapping, material):
            extraction.merge(part)
        pos, sigma = extraction.finish()
        plan = shared.plan
        per_row = extraction.distinct / extraction.rows if extraction.rows else \
            sum(spec.get("fraction", plan["fraction"])
                for j, spec in enumerate(plan["mark_columns"]) if f"m{j}" in shared.mapping)
        return Symbols(pos, sigma, extraction.rows, per_row)

    def public_parameters(self, plan: dict[str, Any]) -> dict[str, Any]:
        """The marked and categorical columns and the code's parameters."""
        return {"marked_columns": [m["name"] for m in plan["mark_columns"]],
                "categorical_columns": [c["name"] for c in plan.get("cat_columns") or []],
                "tardos": plan["tardos"]}

    def survives(self, plan: dict[str, Any], rows: int, cells: int) -> dict[str, Any]:
        """Rounding per column, droppable key columns, rows needed (and the categories')."""
        params = TardosParams.from_json(plan["tardos"])
        need = needed_positions(params.recipients, params.epsilon, params.cutoff)
        expected = survival(plan, rows, cells, need)
        if plan.get("cat_columns"):
            expected["categorical"] = categorical_survival(plan, rows, need)
        return expected


SLICE_ROWS = 16_384  # rows of a batch marked as one engine task


def _mark_in_slices(engine: Engine, batches: Iterator[pa.RecordBatch], schema: pa.Schema,
                    plan: dict[str, Any], material: KeyMaterial, share_id: str
                    ) -> Iterator[tuple[pa.RecordBatch, int]]:
    """`mark_task` over the batches, a batch of 2 * SLICE_ROWS rows or more cut into
    near-equal slices of at most SLICE_ROWS rows so that every worker has work (a Parquet file
    comes in batches of 65,536 rows), the marked slices of a batch joined again before they are
    written: the copy is the batch-wise one byte for byte (a row's mark depends on its own
    content only, and the writer sees the same batches). One worker, a Dask cluster (slices
    would travel with their whole buffers), plans with categorical marks (their substitutions
    are balanced per batch) and tables with dictionary columns mark batch by batch as before."""
    if engine.name != "local" or engine.workers < 2 or plan.get("cat_columns") \
            or any(pa.types.is_dictionary(f.type) for f in schema):
        yield from engine.map_batches(mark_task, batches, plan, material, share_id)
        return
    parts: deque[int] = deque()  # slices per batch, in order; filled ahead of the results
    floats = [spec["index"] for spec in plan["mark_columns"]
              if pa.types.is_floating(schema.field(spec["index"]).type)]

    def sliced() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            # CSV's blocks are mostly this small already; and a marked column holding both
            # nulls and NaNs is written with its NaNs as nulls only where the batch has a null
            if batch.num_rows < 2 * SLICE_ROWS or any(
                    batch.column(i).null_count and pc.any(pc.is_nan(batch.column(i))).as_py()
                    for i in floats):
                parts.append(1)
                yield batch
                continue
            size = -(-batch.num_rows // -(-batch.num_rows // SLICE_ROWS))
            starts = range(0, batch.num_rows, size)
            parts.append(len(starts))
            for start in starts:
                yield batch.slice(start, size)

    done: list[pa.RecordBatch] = []
    count = 0
    for marked, cells in engine.map_batches(mark_task, sliced(), plan, material, share_id):
        done.append(marked)
        count += cells
        if len(done) == parts[0]:
            parts.popleft()
            yield (done[0] if len(done) == 1 else pa.concat_batches(done)), count
            done, count = [], 0


def _identify(groups: list[Shared], seen: list[dict[str, Any]]) -> list[list[Shared]]:
    """The groups of every asset whose marks the suspect can carry, best match first, with
    their column mappings (lookalike datasets, such as two extracts of one table, all match)."""
    fractions: dict[str, float] = {}
    partial: list[str] = []
    for group in groups:
        keys, marks = group.plan["key_columns"], group.plan["mark_columns"]
        group.mapping = locate(group.plan, seen)
        nk = len(keys)
        keyed = _keyed(group.plan, group.mapping)
        carried = any(k[0] in "mc" for k in group.mapping)
        fraction = len(group.mapping) / (nk + len(marks) + len(group.plan.get("cat_columns")
                                                               or []))
        if keyed and carried:
            fractions[group.asset] = max(fraction, fractions.get(group.asset, 0.0))
        elif fraction >= 0.5:
            lost = sorted({keys[i]["name"].strip() for i in range(nk)
                           if f"k{i}" not in group.mapping})
            what = ("the column(s) its mark is keyed on: " + ", ".join(lost)) if lost else \
                "every marked column"
            gone = sorted({m["name"].strip() for j, m in enumerate(marks)
                           if f"m{j}" not in group.mapping})
            if gone:  # its values no longer look like the marked column's: rounded or altered
                what = f"{INCONCLUSIVE} (the suspect resembles asset {group.asset}, but no " \
                    f"column looks like its marked column(s) {', '.join(gone)} any more)"
            partial.append(what if gone else
                           f"the suspect resembles asset {group.asset} but lacks {what}")
    if not fractions:
        if partial:
            raise InputError(partial[0] if partial[0].startswith(INCONCLUSIVE)
                             else partial[0] + "; its marks cannot be located", field="suspect")
        raise NotFound("the suspect matches no shared dataset (compared by column content)",
                       field="suspect")
    ranked = sorted(fractions, key=lambda asset: -fractions[asset])  # stable: oldest first
    return [[g for g in groups if g.asset == asset and _keyed(g.plan, g.mapping)]
            for asset in ranked]


def _readable(group: Shared, decimals: list[int | None], why: list[str],
              doubts: list[str]) -> bool:
    """Leave out of the mapping the marked columns the suspect rounded beyond reading (and the
    coarse keys read from them), note those it perturbed; whether any readable mark is left."""
    for j, spec in enumerate(group.plan["mark_columns"]):
        where = group.mapping.get(f"m{j}")
        found = None if where is None else unreadable(spec, decimals[where])
        if found is None:
            continue
        if found[0] == "perturbed":  # read anyway: noise below the step leaves the signs
            doubts.append(found[1])
            continue
        why.append(found[1])
        del group.mapping[f"m{j}"]
        for i, key in enumerate(group.plan["key_columns"]):
            if key.get("kind") == "coarse" and key["of"] == j:
                group.mapping.pop(f"k{i}", None)
    return _keyed(group.plan, group.mapping)


def _keyed(plan: dict[str, Any], mapping: dict[str, int]) -> bool:
    """Whether some mark of the plan can be read: a numeric one with a whole key group, or a
    categorical one with a whole group of its own."""
    return (any(k.startswith("m") for k in mapping) and bool(readable_groups(plan, mapping))) \
        or cat_readable(plan, mapping)
