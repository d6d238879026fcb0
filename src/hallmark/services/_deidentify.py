"""The de-identified copy a share marks: which columns are direct identifiers (pseudonymised),
quasi-identifiers (generalised to k-anonymity) or dropped, the staged copy written beside the
output (streamed, removed afterwards whatever happens), and k measured on the marked copy."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hallmark.errors import InputError
from hallmark.inventory import deid, kanon
from hallmark.inventory.pii import detect_pii
from hallmark.marks import tabular_io
from hallmark.marks.codes import derive_key
from hallmark.schemas.deidentify import (
    Deidentified,
    DeidentifyOptions,
    GeneralisedColumn,
    PseudonymisedColumn,
)
from hallmark.services._args import model

SAMPLE_ROWS = 1000  # as the inventory's sampler reads a table
OTHER = "other"  # the kind of a column the caller named for pseudonyms


@dataclass
class Spec:
    """What happens to each column of a table."""

    options: DeidentifyOptions
    pseudonymised: dict[str, str]  # column -> PII kind
    quasi: list[deid.Quasi]
    dropped: list[str]


@dataclass
class Staged:
    """A de-identified copy written and what it took."""

    path: Path
    levels: list[int]
    suppressed: int
    rows: int
    quasi: list[deid.Quasi] = field(default_factory=list)


def options(value: object) -> DeidentifyOptions | None:
    """The caller's de-identification request: options, a dict of them, True (the defaults),
    or None / False (none)."""
    if value is None or value is False:
        return None
    if value is True:
        return DeidentifyOptions()
    if not isinstance(value, (DeidentifyOptions, dict)):
        raise InputError("must be DeidentifyOptions, a dict of its fields, or true",
                         field="deidentify")
    return model(value, DeidentifyOptions, "deidentify")


def plan(src: Path, fmt: str, wanted: DeidentifyOptions, stored_pii: Any,
         rows: Any) -> Spec:
    """Which columns are what (checked before any decision is logged): the inventory's PII
    findings and a fresh sample of the same rows, the default quasi-identifiers and the
    columns the caller named."""
    source = tabular_io.open_table(src, fmt)
    names = source.schema.names
    for name, columns in (("quasi", wanted.quasi), ("drop", wanted.drop),
                          ("pseudonymise", wanted.pseudonymise)):
        missing = [c for c in columns if c not in names]
        if missing:
            raise InputError(f"no column named {missing[0]!r} in {src.name}", field=name)
    if isinstance(rows, int) and not isinstance(rows, bool) and 0 <= rows < wanted.k:
        raise InputError(f"{src.name} has {rows} rows: fewer than k={wanted.k}", field="k")
    kinds = _kinds(source, stored_pii)
    dropped = [c for c in names if c in wanted.drop]
    if len(dropped) == len(names):
        raise InputError("that would drop every column", field="drop")
    quasi = []
    for f in source.schema:
        if f.name in dropped:
            continue
        rule = deid.quasi_rule(f.name, kinds.get(f.name, []), f.type)
        if f.name in wanted.quasi:
            quasi.append(deid.Quasi(f.name, rule or deid.rule_for_type(f.type)))
        elif rule is not None:
            quasi.append(deid.Quasi(f.name, rule))
    named = {q.column for q in quasi} | set(dropped)
    pseudo = {}
    for name in names:
        direct = [k for k in kinds.get(name, []) if k not in deid.QUASI_KINDS]
        if name not in named and (direct or name in wanted.pseudonymise):
            pseudo[name] = direct[0] if direct else OTHER
    return Spec(wanted, pseudo, quasi, dropped)


def _kinds(source: tabular_io.Source, stored: Any) -> dict[str, list[str]]:
    """PII kinds per column: the register's, and the sampler's on the first rows now."""
    kinds: dict[str, set[str]] = {}
    for found in stored if isinstance(stored, list) else []:
        if isinstance(found, dict) and isinstance(found.get("column"), str):
            kinds.setdefault(found["column"], set()).update(
                k for k in found.get("kinds") or [] if isinstance(k, str))
    first = next(source.batches(), None)
    samples: dict[str, list[str]] = {}
    if first is not None:
        head = first.slice(0, SAMPLE_ROWS)
        for f, column in zip(head.schema, head.columns, strict=True):
            if pa.types.is_string(f.type) or pa.types.is_integer(f.type) or \
                    pa.types.is_large_string(f.type):
                samples[f.name] = [str(v)[:1000] for v in column.to_pylist() if v is not None]
    for found in detect_pii(source.schema.names, samples):
        kinds.setdefault(found["column"], set()).update(found["kinds"])
    return {name: sorted(k) for name, k in kinds.items()}


def share_key(marking_key: bytes, asset_id: str, share_id: str) -> bytes:
    """The per-share pseudonym key: derived, never stored, never logged."""
    return deid.pseudonym_key(derive_key(marking_key, "hallmark/deidentify", asset_id,
                                         share_id))


@contextmanager
def staged_copy(src: Path, fmt: str, spec: Spec, key: bytes, out: Path) -> Iterator[Staged]:
    """The de-identified copy, written beside `out` (a hidden name) and removed on exit."""
    source = tabular_io.open_table(src, fmt)
    columns = [q.column for q in spec.quasi]
    if columns:
        tuples = kanon.tuple_counts(source.batches(), columns)
        found = kanon.search(tuples, spec.quasi, spec.options.k, spec.options.max_suppress)
    else:
        rows = sum(b.num_rows for b in source.batches())
        found = kanon.Generalisation([], pa.array([], pa.string()), 0, rows or None, rows)
    if found.rows < spec.options.k:
        raise InputError(f"{src.name} has {found.rows} rows: fewer than k={spec.options.k}",
                         field="k")
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".deid", dir=out.parent)
    os.close(fd)
    path = Path(name)
    try:
        schema = _schema(source.schema, spec, found.levels)
        with tabular_io.atomic_writer(path, fmt, schema) as writer:
            for batch in source.batches():
                done = _transform(batch, schema, spec, found, key)
                if done.num_rows:
                    writer.write(done)
        yield Staged(path, found.levels, found.suppressed_rows, found.rows, spec.quasi)
    finally:
        path.unlink(missing_ok=True)


def _schema(schema: pa.Schema, spec: Spec, levels: list[int]) -> pa.Schema:
    level = {q.column: lv for q, lv in zip(spec.quasi, levels, strict=True)}
    fields = []
    for f in schema:
        if f.name in spec.dropped:
            continue
        text = f.name in spec.pseudonymised or level.get(f.name, 0) > 0
        fields.append(pa.field(f.name, pa.string()) if text else f)
    return pa.schema(fields)


def _transform(batch: pa.RecordBatch, schema: pa.Schema, spec: Spec,
               found: kanon.Generalisation, key: bytes) -> pa.RecordBatch:
    levels = {q.column: (q, lv) for q, lv in zip(spec.quasi, found.levels, strict=True)}
    out = []
    for f in schema:
        column = batch.column(f.name)
        if f.name in spec.pseudonymised:
            column = deid.pseudonymise(column, key, spec.pseudonymised[f.name])
        elif f.name in levels:
            column = deid.generalise(column, *levels[f.name])
        out.append(column)
    done = pa.RecordBatch.from_arrays(out, schema=schema)
    if len(found.small) == 0:
        return done
    keys = kanon.class_keys([done.column(q.column) for q in spec.quasi], done.num_rows)
    return done.filter(pc.invert(pc.is_in(keys, value_set=found.small)))


def measured_k(path: Path, fmt: str, quasi: list[deid.Quasi]) -> int | None:
    """k of a written copy: its smallest class over the quasi-identifier columns as they
    read back (None without quasi-identifiers or rows)."""
    if not quasi:
        return None
    counter = kanon.ClassCounter()
    for batch in tabular_io.open_table(path, fmt).batches():
        counter.add(kanon.class_keys([batch.column(q.column) for q in quasi], batch.num_rows))
    return kanon.smallest_class(counter.counts())


def record(spec: Spec, staged: Staged, k: int | None) -> Deidentified:
    """What the share removed, for its row and its event."""
    return Deidentified(
        pseudonymised=[PseudonymisedColumn(column=c, kind=kind)
                       for c, kind in spec.pseudonymised.items()],
        generalised=[GeneralisedColumn(column=q.column, rule=q.describe(lv))
                     for q, lv in zip(spec.quasi, staged.levels, strict=True) if lv > 0],
        dropped=list(spec.dropped), suppressed_rows=staged.suppressed,
        k_target=spec.options.k, k_achieved=k,
        quasi_identifiers=[q.column for q in spec.quasi],
        max_suppress=spec.options.max_suppress)
