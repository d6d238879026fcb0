"""Tabular data: Parquet, Arrow IPC, Feather from their metadata; CSV, TSV and JSON Lines streamed.

Row counts come from file metadata where the format keeps one, else from a streaming pass in
constant memory. Only the first batch (at most SAMPLE_ROWS rows) is looked at for PII.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from hallmark.inventory.pii import detect_pii
from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import MAX_LISTED, clip, describe

SAMPLE_ROWS = 1000
MAX_SAMPLE_VALUE = 1000  # characters of one sampled value
MAX_JSON_LINE = 16 * 1024 * 1024
MAX_JSON_SAMPLE = 64 * 1024 * 1024  # bytes parsed for the sample; the rest is only counted
CSV_BLOCK = 1 << 20


def _sampleable(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
                or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t))
                or (pa.types.is_dictionary(t) and pa.types.is_string(t.value_type)))


def _samples(batch: pa.RecordBatch | None) -> dict[str, list[str]]:
    if batch is None:
        return {}
    batch = batch.slice(0, SAMPLE_ROWS)
    out: dict[str, list[str]] = {}
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if _sampleable(field.type):
            out[field.name] = [str(v)[:MAX_SAMPLE_VALUE] for v in column.to_pylist()
                               if v is not None]
    return out


def _result(fmt: str, schema: pa.Schema, rows: int, batch: pa.RecordBatch | None,
            **extra: Any) -> dict[str, Any]:
    names = [f.name for f in schema]
    out: dict[str, Any] = {
        "format": fmt,
        "columns": [{"name": clip(f.name, 500), "type": clip(str(f.type), 500)}
                    for f in list(schema)[:MAX_LISTED]],
        "column_count": len(names), "rows": rows,
        "pii": detect_pii(names[:MAX_LISTED], _samples(batch)),
    }
    out.update(extra)
    return out


def read_parquet(path: Path) -> dict[str, Any]:
    """Schema and row count from the Parquet footer; PII from the first batch."""
    with pa.OSFile(os.fsencode(path)) as raw, pq.ParquetFile(raw) as pf:
        schema = pf.schema_arrow
        wanted = [f.name for f in schema if _sampleable(f.type)][:MAX_LISTED]
        batch = None
        if pf.metadata.num_row_groups and wanted:
            batch = next(iter(pf.iter_batches(batch_size=SAMPLE_ROWS, row_groups=[0],
                                              columns=wanted)), None)
        return _result("parquet", schema, pf.metadata.num_rows, batch,
                       row_groups=pf.metadata.num_row_groups)


def _ipc(path: Path, fmt: str) -> dict[str, Any]:
    with pa.memory_map(os.fsencode(path)) as source:
        try:
            reader = ipc.open_file(source)
        except pa.ArrowInvalid:
            if fmt == "feather":
                source.seek(0)
                if source.read(4) == b"FEA1":
                    raise ReaderError("legacy Feather v1 file (not read)") from None
                raise
            source.seek(0)
            return _ipc_stream(source, fmt)
        rows, first = 0, None
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            rows += batch.num_rows
            if first is None:
                first = batch
        if first is not None:
            first.validate(full=True)  # never read values through untrusted offsets
        return _result(fmt, reader.schema, rows, first, batches=reader.num_record_batches)


def _ipc_stream(source: pa.MemoryMappedFile, fmt: str) -> dict[str, Any]:
    reader = ipc.open_stream(source)
    rows, first, count = 0, None, 0
    for batch in reader:
        rows += batch.num_rows
        count += 1
        if first is None:
            first = batch
    if first is not None:
        first.validate(full=True)
    return _result(fmt, reader.schema, rows, first, batches=count, ipc="stream")


def read_arrow(path: Path) -> dict[str, Any]:
    """Schema and row count of an Arrow IPC file or stream, memory-mapped."""
    return _ipc(path, "arrow")


def read_feather(path: Path) -> dict[str, Any]:
    """Schema and row count of a Feather (v2, i.e. Arrow IPC) file."""
    return _ipc(path, "feather")


def _header(path: Path, delimiter: str, encoding: str) -> list[str]:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        try:
            return next(csv.reader(io.StringIO(f.readline(CSV_BLOCK)), delimiter=delimiter))
        except (StopIteration, csv.Error):
            return []


def _csv_pass(path: Path, delimiter: str, encoding: str, as_text: bool
              ) -> tuple[pa.Schema, int, pa.RecordBatch | None]:
    types = {n: pa.string() for n in _header(path, delimiter, encoding)} if as_text else None
    with pa.OSFile(os.fsencode(path)) as raw:  # bytes: a name that is not UTF-8 opens too
        reader = pacsv.open_csv(
            raw,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
        rows, first = 0, None
        for batch in reader:
            rows += batch.num_rows
            if first is None:
                first = batch
        return reader.schema, rows, first


def _delimited(path: Path, delimiter: str, fmt: str) -> dict[str, Any]:
    if os.path.getsize(path) == 0:
        return {"format": fmt, "columns": [], "column_count": 0, "rows": 0, "pii": []}
    # Types are inferred from the first block; a later block can disagree (a zip code column
    # that turns into "N/A"), and legacy files are often Latin-1: fall back, don't give up.
    ladder = [("utf8", False), ("utf8", True), ("latin-1", True)]
    step = 0
    while True:
        encoding, as_text = ladder[step]
        try:
            schema, rows, first = _csv_pass(path, delimiter, encoding, as_text)
            if encoding == "utf8" and any(pa.types.is_binary(f.type) for f in schema):
                step = 2  # pyarrow types invalid UTF-8 as binary: read the text as Latin-1
                continue
            break
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "Empty CSV file" in message:
                return {"format": fmt, "columns": [], "column_count": 0, "rows": 0, "pii": []}
            if "UTF8" in message or "UTF-8" in message:
                step = 2 if step < 2 else 3
            elif "conversion error" in message.lower():
                step += 1
            else:
                raise ReaderError(describe(exc)) from None
            if step >= len(ladder):
                raise ReaderError(describe(exc)) from None
    extra: dict[str, Any] = {"encoding": "latin-1"} if encoding != "utf8" else {}
    return _result(fmt, schema, rows, first, **extra)


def read_csv(path: Path) -> dict[str, Any]:
    """Columns, types and row count of a comma-separated file, streamed."""
    return _delimited(path, ",", "csv")


def read_tsv(path: Path) -> dict[str, Any]:
    """Columns, types and row count of a tab-separated file, streamed."""
    return _delimited(path, "\t", "tsv")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return {int: "int64", float: "double", str: "string", list: "list", dict: "struct"}.get(
        type(value), "unknown")


def read_jsonl(path: Path) -> dict[str, Any]:
    """Keys, value types and line count of a JSON Lines file; the first lines sampled."""
    types: dict[str, set[str]] = {}
    samples: dict[str, list[str]] = {}
    rows = parsed = 0
    with open(path, "rb") as f:
        while rows < SAMPLE_ROWS and parsed < MAX_JSON_SAMPLE:
            line = f.readline(MAX_JSON_LINE + 1)
            if not line:
                break
            parsed += len(line)
            if len(line) > MAX_JSON_LINE:
                raise ReaderError(f"line {rows + 1} is longer than {MAX_JSON_LINE} bytes")
            if not line.strip():
                continue
            rows += 1
            try:
                obj = json.loads(line)
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
                raise ReaderError(f"line {rows}: {describe(exc)}") from None
            if not isinstance(obj, dict):
                continue
            for key, value in obj.items():
                if key not in types and len(types) >= MAX_LISTED:
                    continue
                types.setdefault(key, set()).add(_json_type(value))
                if isinstance(value, str | int) and not isinstance(value, bool):
                    samples.setdefault(key, []).append(str(value)[:MAX_SAMPLE_VALUE])
        rows += _count_lines(f)
    columns = [{"name": clip(k, 500), "type": _merge(t)} for k, t in types.items()]
    return {"format": "jsonl", "columns": columns, "column_count": len(types), "rows": rows,
            "pii": detect_pii(list(types), samples)}


def _merge(kinds: set[str]) -> str:
    kinds = kinds - {"null"} or {"null"}
    return next(iter(kinds)) if len(kinds) == 1 else "mixed(" + ",".join(sorted(kinds)) + ")"


def _count_lines(f: Any) -> int:
    """Non-blank lines from the current position, in fixed-size chunks."""
    count, tail = 0, b""
    while chunk := f.read(CSV_BLOCK):
        parts = (tail + chunk).split(b"\n")
        tail = parts.pop()
        count += sum(1 for p in parts if p.strip())
        if len(tail) > MAX_JSON_LINE:  # keep memory flat: a long line counts once
            count, tail = count + 1, b""
            while (chunk := f.read(CSV_BLOCK)) and b"\n" not in chunk:
                pass
            if chunk:
                tail = chunk[chunk.index(b"\n") + 1:]
    return count + sum(1 for p in tail.split(b"\n") if p.strip())
