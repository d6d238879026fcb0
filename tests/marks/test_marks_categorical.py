"""Categorical substitution marks: tables whose markable content is categories (survey answers),
leaks with every numeric column dropped, relabelled categories, colluders; the stated bounds
(frequencies move at most MAX_SHIFT and MAX_RELATIVE, no new category, unselected cells never
change) and calibrated innocent p-values."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from .test_marks_survival import _accused, _share, _trace, _world, assert_calibrated

ANSWERS = ["strongly agree", "agree", "neutral", "disagree", "strongly disagree"]


def survey(rows: int = 5000, seed: int = 21) -> pa.Table:
    """Survey answers only: region, plan, device, age band and four answer codes; values carry
    a leading space, as Adult's do."""
    rng = np.random.default_rng(seed)

    def pick(values: list[str], p: list[float] | None = None) -> list[str]:
        return [" " + v for v in rng.choice(values, rows, p=p).tolist()]

    columns = {
        "region": pick(["North", "South", "East", "West", "Centre", "Islands"],
                       [0.22, 0.2, 0.18, 0.17, 0.13, 0.1]),
        "plan": pick(["Basic", "Plus", "Pro", "Team"], [0.35, 0.3, 0.2, 0.15]),
        "device": pick(["Phone", "Laptop", "Tablet"], [0.45, 0.35, 0.2]),
        "age_band": pick(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]),
    }
    for q in range(1, 5):
        columns[f"q{q}"] = pick(ANSWERS, [0.15, 0.3, 0.25, 0.18, 0.12])
    return pa.table(columns)


def mixed(rows: int = 5000, seed: int = 22) -> pa.Table:
    """The survey with numeric columns: age, income and a score."""
    rng = np.random.default_rng(seed)
    table = survey(rows, seed)
    return table.append_column("age", pa.array(rng.integers(18, 90, rows))) \
        .append_column("income", pa.array(np.round(rng.gamma(3.0, 15000.0, rows), 2))) \
        .append_column("score", pa.array(np.round(rng.normal(50.0, 10.0, rows), 1)))


@pytest.fixture
def survey_world(vault):
    return _world(vault, "survey.csv", survey())


@pytest.fixture
def mixed_world(vault):
    return _world(vault, "mixed.csv", mixed())


def _two(cli, world, *extra: str) -> dict:
    _share(cli, world, "CloudCo", world.root / "cloudco.csv", *extra)
    return _share(cli, world, "Beta Labs", world.root / "beta.csv", *extra)


def _digest_key(key: bytes) -> bytes:
    from hallmark.marks.codes import derive_key

    return derive_key(key, "hallmark/fingerprint")  # as share and trace digest values


def _subset(table: pa.Table, share: float, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    return table.take(pa.array(np.sort(rng.choice(len(table), int(share * len(table)),
                                                  replace=False))))


def test_an_all_categorical_table_is_shared_and_a_fifth_of_it_traces(cli, survey_world) -> None:
    doc = _two(cli, survey_world)
    assert doc["marked_cells"] > 0 and doc["categorical_columns"]
    leak = _subset(pacsv.read_csv(survey_world.root / "beta.csv"), 0.2)
    result = _trace(cli, survey_world, leak)
    assert _accused(result) == ["beta-labs"]
    assert json.loads(result.stdout)["accused"][0]["p_value"] < 1e-9


def test_numeric_marks_alone_by_default(cli, mixed_world) -> None:
    """Beside numeric marks, labels are substituted only when asked (`--categorical always`):
    by default the categories of a mixed table are left as they are."""
    doc = _share(cli, mixed_world, "CloudCo", mixed_world.root / "plain.csv")
    assert not doc["categorical_columns"]
    original, copy = mixed_world.table, pacsv.read_csv(mixed_world.root / "plain.csv")
    for name in ("region", "plan", "device", "q1"):
        assert copy.column(name).to_pylist() == [
            v.strip() for v in original.column(name).to_pylist()] or \
            copy.column(name).to_pylist() == original.column(name).to_pylist()
    never = cli("share", mixed_world.dataset, "--to", "CloudCo", "-o",
                str(mixed_world.root / "n.csv"), "--categorical", "sometimes")
    assert never.exit_code == 2 and "--categorical" in never.stderr


def test_a_leak_without_its_numeric_columns_still_traces(cli, mixed_world) -> None:
    doc = _two(cli, mixed_world, "--categorical", "always")
    assert doc["survives"]["categorical"]["without_numeric"] is True
    human = cli("share", mixed_world.dataset, "--to", "CloudCo", "-o",
                str(mixed_world.root / "c2.csv"), "--categorical", "always")
    assert human.exit_code == 0, human.stderr
    text = " ".join(human.stdout.split())
    assert "region (categories)" in text and "re-casing categories" in text
    assert "dropping every numeric column (the categories alone need about" in text
    leak = pacsv.read_csv(mixed_world.root / "beta.csv")
    leak = leak.select([c for c in leak.column_names if c not in ("age", "income", "score")])
    assert _accused(_trace(cli, mixed_world, _subset(leak, 0.5))) == ["beta-labs"]


@pytest.mark.parametrize("relabel", [pc.utf8_upper, pc.utf8_lower, pc.utf8_trim_whitespace])
def test_relabelled_categories_still_trace(cli, survey_world, relabel) -> None:
    _two(cli, survey_world)
    leak = pacsv.read_csv(survey_world.root / "beta.csv")
    leak = pa.table({name: relabel(leak.column(name)) for name in leak.column_names})
    assert _accused(_trace(cli, survey_world, _subset(leak, 0.5))) == ["beta-labs"]


def test_two_colluders_mixing_rows_accuses_one_of_them(cli, survey_world) -> None:
    _two(cli, survey_world)
    a = pacsv.read_csv(survey_world.root / "beta.csv")
    b = pacsv.read_csv(survey_world.root / "cloudco.csv")
    mine = np.random.default_rng(5).random(len(a)) < 0.5
    leak = pa.Table.from_arrays([pc.if_else(pa.array(mine), a.column(n), b.column(n))
                                 for n in a.column_names], names=a.column_names)
    accused = _accused(_trace(cli, survey_world, leak))
    assert accused and set(accused) <= {"beta-labs", "cloudco"}


def test_the_copy_stays_within_the_stated_bounds(cli, survey_world) -> None:
    """Per column: every category's share moves at most MAX_SHIFT (absolute) and MAX_RELATIVE
    (of itself), no category appears that the source lacks, and a cell moves only within its
    (secret) pair, only in the marked subset (at most a CAT_FRACTION share of the cells)."""
    from hallmark.marks.categorical import CAT_FRACTION, MAX_RELATIVE, MAX_SHIFT

    _share(cli, survey_world, "CloudCo", survey_world.root / "cloudco.csv")
    copy = pacsv.read_csv(survey_world.root / "cloudco.csv")
    source = survey_world.table
    moved_any = 0
    for name in source.column_names:
        before = np.array(source.column(name).to_pylist())
        after = np.array(copy.column(name).to_pylist())
        assert set(after) <= set(before)
        moved = before != after
        moved_any += int(moved.sum())
        assert moved.mean() <= CAT_FRACTION
        for value in set(before):
            f0, f1 = (before == value).mean(), (after == value).mean()
            assert abs(f1 - f0) <= MAX_SHIFT + 1e-12, (name, value)
            assert abs(f1 - f0) <= MAX_RELATIVE * f0 + 1e-12, (name, value)
    assert moved_any > 0


def test_only_selected_cells_change() -> None:
    from hallmark.marks.categorical import cat_rows, cat_selection
    from hallmark.marks.codes import TardosParams
    from hallmark.marks.columns import profile_batches
    from hallmark.marks.tabular import Keys, make_plan, mark_batch

    key = bytes(range(32))
    table = survey(2000)
    plan = make_plan(profile_batches(table.schema, table.to_batches(), _digest_key(key)),
                     TardosParams(), pair_key=key, categorical_marks="always")
    keys = Keys.derive(key, "asset", plan)
    batch = table.to_batches()[0]
    marked, _ = mark_batch(batch, plan, keys, "sh-1")
    rows = cat_rows(batch, plan, None, keys)
    for c, spec in enumerate(plan["cat_columns"]):
        selected = cat_selection(rows, c, plan, keys).selected
        changed = np.array(batch.column(spec["index"]).to_pylist()) != \
            np.array(marked.column(spec["index"]).to_pylist())
        assert not (changed & ~selected).any()


@pytest.mark.parametrize("make, dropped", [(survey, ()), (mixed, ("age", "income", "score")),
                                           (mixed, ("income",)), (mixed, ("q1",))])
def test_innocent_p_values_stay_calibrated_with_categorical_marks(make, dropped) -> None:
    from hallmark.marks.codes import TardosParams
    from hallmark.marks.columns import profile_batches
    from hallmark.marks.tabular import Keys, make_plan, mark_batch

    key = bytes(range(32))
    table = make(3000)
    plan = make_plan(profile_batches(table.schema, table.to_batches(), _digest_key(key)),
                     TardosParams(), pair_key=key, categorical_marks="always")
    keys = Keys.derive(key, "asset", plan)
    leak = pa.Table.from_batches([mark_batch(b, plan, keys, "sh-guilty")[0]
                                  for b in table.to_batches(max_chunksize=1000)])
    leak = leak.select([c for c in leak.column_names if c not in dropped])
    seen = [p.fingerprint() for p in profile_batches(leak.schema, leak.to_batches(),
                                                     _digest_key(key), 4096)]
    assert_calibrated(plan, keys, leak, seen, 1e-6)

