"""A first share's profile pass and marking pass (issue 16): the copy made with batches cut into
slices for the engine's workers is byte-identical to the batch-by-batch one, in every format
and for tables larger than TwoPasses keeps in memory; a parallel profile describes the columns
exactly as a sequential one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from hallmark.marks import columns, tabular_io, tabular_scheme
from hallmark.marks.codes import TardosParams, derive_key
from hallmark.marks.engines import LocalEngine
from hallmark.marks.plan import make_plan
from hallmark.marks.tabular import KeyMaterial, mark_task

from .conftest import make_table

KEY = bytes(range(32))
OPTIONS = {"recipients": 100, "colluders": 3, "epsilon": 1e-6, "budget": 0.05,
           "categorical": "never"}


def _write(table: pa.Table, path: Path) -> Path:
    fmt = tabular_io.format_of(path)
    if fmt == "parquet":
        pq.write_table(table, path, row_group_size=20_000)
    elif fmt in ("csv", "tsv"):
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(
            delimiter="\t" if fmt == "tsv" else ","))
    else:
        writer = tabular_io.Writer(path.open("wb"), fmt, table.schema, path)
        writer.write(table.combine_chunks().to_batches()[0])
        writer.finish()
    return path


def _copy(src: Path, out: Path, workers: int, known: dict | None = None,
          categorical: str = "never") -> tuple[str, dict]:
    scheme = tabular_scheme.TabularScheme()
    fmt = tabular_io.format_of(src)
    planned = scheme.plan(src, fmt, {**OPTIONS, "categorical": categorical}, KEY, "asset-1",
                          known)
    with LocalEngine(workers) as engine, \
            scheme.embed(planned, out, KEY, "asset-1", "sh-0123456789abcdef", engine) as done:
        rows = done.rows
    assert rows == pa.Table.from_batches(list(tabular_io.open_table(src).batches())).num_rows
    return hashlib.sha256(out.read_bytes()).hexdigest(), planned.plan


def _count_tasks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rows: list[int] = []
    task = tabular_scheme.mark_task

    def counted(batch: pa.RecordBatch, *args: object) -> tuple[pa.RecordBatch, int]:
        rows.append(batch.num_rows)
        return task(batch, *args)

    monkeypatch.setattr(tabular_scheme, "mark_task", counted)
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_sliced_marking_writes_the_batchwise_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  suffix: str) -> None:
    src = _write(make_table(30_000), tmp_path / f"data{suffix}")
    whole, plan = _copy(src, tmp_path / f"one{suffix}", workers=1)  # never sliced
    monkeypatch.setattr(tabular_scheme, "SLICE_ROWS", 1_000)  # every batch in many slices
    tasks = _count_tasks(monkeypatch)
    sliced, same_plan = _copy(src, tmp_path / f"two{suffix}", workers=2)
    assert sliced == whole and same_plan == plan
    assert sum(tasks) == 30_000 and max(tasks) <= 1_000
    later, _ = _copy(src, tmp_path / f"later{suffix}", workers=2, known=plan)
    assert later == whole


def test_categorical_marks_are_balanced_per_batch_so_never_sliced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _write(make_table(30_000), tmp_path / "data.parquet")
    whole, plan = _copy(src, tmp_path / "one.parquet", workers=1, categorical="always")
    assert plan["cat_columns"]
    monkeypatch.setattr(tabular_scheme, "SLICE_ROWS", 1_000)
    tasks = _count_tasks(monkeypatch)
    two, _ = _copy(src, tmp_path / "two.parquet", workers=2, categorical="always")
    assert two == whole and tasks == [30_000]  # the file's one batch, whole


def test_a_marked_column_with_nulls_and_nans_is_marked_batchwise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table(8_000)
    score = table.column("score").to_numpy().copy()
    score[::50] = np.nan
    mask = np.zeros(len(score), dtype=bool)
    mask[1_234] = True  # one null, in the first batch only
    table = table.set_column(table.schema.get_field_index("score"), "score",
                             pa.array(score, mask=mask))
    batches = table.to_batches(max_chunksize=4_000)
    profiles = columns.profile_batches(table.schema, batches,
                                       derive_key(KEY, "hallmark/fingerprint"))
    plan = make_plan(profiles, TardosParams(100, 3, 1e-6), 0.05, categorical_marks="never")
    assert any(m["name"] == "score" for m in plan["mark_columns"])
    material = KeyMaterial(KEY, "asset-1", plan)
    with LocalEngine(1) as engine:
        whole = list(engine.map_batches(mark_task, batches, plan, material, "sh-0"))
    monkeypatch.setattr(tabular_scheme, "SLICE_ROWS", 1_000)
    tasks = _count_tasks(monkeypatch)
    with LocalEngine(2) as engine:
        two = list(tabular_scheme._mark_in_slices(engine, iter(batches), table.schema, plan,
                                                  material, "sh-0"))
    for (got, _), (want, _) in zip(two, whole, strict=True):
        for a, b in zip(got.columns, want.columns, strict=True):
            assert a.is_null().equals(b.is_null()) and a.type == b.type
            if pa.types.is_floating(a.type):  # NaN equals NaN here
                assert np.array_equal(a.fill_null(0.0).to_numpy(), b.fill_null(0.0).to_numpy(),
                                      equal_nan=True)
            else:
                assert a.equals(b)
    assert [n for _, n in two] == [n for _, n in whole]
    assert tasks == [4_000] + [1_000] * 4  # the batch with the null whole, the other sliced


def test_slices_of_a_batch_are_joined_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table(10_000)
    batches = table.to_batches(max_chunksize=4_000)  # 4000, 4000, 2000 rows
    monkeypatch.setattr(tabular_scheme, "SLICE_ROWS", 1_500)
    monkeypatch.setattr(tabular_scheme, "mark_task", lambda b, *args: (b, b.num_rows))
    with LocalEngine(2) as engine:
        out = list(tabular_scheme._mark_in_slices(engine, iter(batches), table.schema,
                                                  {"mark_columns": []}, None, "sh-0"))
    assert [b.num_rows for b, _ in out] == [4_000, 4_000, 2_000]
    assert [n for _, n in out] == [4_000, 4_000, 2_000]
    assert pa.Table.from_batches([b for b, _ in out]).equals(table)


def test_dictionary_columns_are_marked_batch_by_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table(10_000)
    table = table.set_column(1, "region", table.column("region").dictionary_encode())
    seen: list[int] = []

    def task(batch: pa.RecordBatch, *args: object) -> tuple[pa.RecordBatch, int]:
        seen.append(batch.num_rows)
        return batch, 0

    monkeypatch.setattr(tabular_scheme, "SLICE_ROWS", 1_000)
    monkeypatch.setattr(tabular_scheme, "mark_task", task)
    with LocalEngine(2) as engine:
        batches = iter(table.to_batches(max_chunksize=5_000))
        list(tabular_scheme._mark_in_slices(engine, batches, table.schema,
                                            {"mark_columns": []}, None, "sh-0"))
    assert sorted(seen) == [5_000, 5_000]


def test_parallel_profile_equals_the_sequential_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    table = make_table(50_000).append_column("noise", pa.array(rng.normal(size=50_000)))
    table = table.append_column("sparse", pa.array(
        [None if i % 5 else float(i % 13) for i in range(50_000)], pa.float64()))
    key = derive_key(KEY, "hallmark/fingerprint")
    batches = table.to_batches(max_chunksize=8_192)
    parallel = columns.profile_batches(table.schema, batches, key, columns.SUSPECT_TOP_VALUES)
    monkeypatch.setattr(columns, "_cores", lambda: 1)
    sequential = columns.profile_batches(table.schema, batches, key,
                                         columns.SUSPECT_TOP_VALUES)
    assert [vars(p) for p in parallel] == [vars(p) for p in sequential]
    for p in parallel:
        if p.kind in ("int", "float") and p.decimals is not None:
            values = columns.as_float(table.column(p.index))
            assert p.minimum == np.nanmin(values) and p.maximum == np.nanmax(values)


def _decimals_reference(values: np.ndarray) -> int | None:
    """The profile's resolution as it was computed before the short cut."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.abs(finite).max() > 2 ** 52:
        return None
    for decimals in range(-6, columns.MAX_DECIMALS + 1):
        scaled = finite * 10.0 ** decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return decimals
    return None


def test_resolution_short_cut_finds_what_the_full_search_finds() -> None:
    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(1, 3_000))
        d = int(rng.integers(-6, 8))
        values = np.round(rng.normal(0, 10 ** rng.uniform(-3, 8), n), d) if d <= 6 \
            else rng.normal(size=n)
        if trial % 3 == 0:  # one value off the grid, anywhere (often past the first 256)
            values[rng.integers(0, n)] = rng.normal() * 1e-9
        if trial % 5 == 0:
            values[: n // 2] = np.nan
        assert columns._decimals(values) == _decimals_reference(values), trial


def _classes_by_regex(text: pa.Array) -> tuple[int, int]:
    return (int(pc.sum(pc.count_substring_regex(text, r"\p{Nd}")).as_py() or 0),
            int(pc.sum(pc.count_substring_regex(text, r"\p{L}")).as_py() or 0))


def test_text_shape_counts_digits_and_letters_as_the_regular_expressions_do() -> None:
    rng = np.random.default_rng(9)
    ascii_chars = [chr(c) for c in range(1, 128)]
    wide = ascii_chars + list("éßЖ٣߀ªº²½Ⅻ中𝟘")
    for trial in range(200):
        chars = ascii_chars if trial % 2 else wide
        words = ["".join(rng.choice(chars, int(rng.integers(0, 12)))) for _ in range(50)]
        text = pa.array(words, pa.string())
        if trial % 3 == 0:  # an offset slice of a chunked array, as the sample gives it
            text = pa.chunked_array([text.slice(7, 30), text.slice(0, 5)])
        want = _classes_by_regex(text.combine_chunks() if isinstance(text, pa.ChunkedArray)
                                 else text)
        assert columns._digits_and_letters(text) == want, words
