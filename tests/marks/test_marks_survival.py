"""What leakers do to tables unlike Adult: rounding, dropping key columns, integer and
one-decimal measurements, a column of small spread; what `share` promises and `trace` says."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from hallmark.marks.layout import SPARSE_FRACTION

from .conftest import DUA, World, add_agreement, add_party, scan

INCONCLUSIVE = "inconclusive: the suspect's values look rounded or perturbed beyond the marks"


def _world(vault, name: str, table: pa.Table) -> World:
    data = vault.root / "data"
    data.mkdir()
    pacsv.write_csv(table, data / name)
    asset = next(a.id for a in scan(vault, [data]).assets if a.name == name)
    add_party(vault, "Acme AI", "organisation")
    for party in ("CloudCo", "Beta Labs", "Gamma"):
        add_party(vault, party, "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(DUA.format(name=name))
    add_agreement(vault, vault.root / "dua.yaml")
    return World(vault, vault.root, asset, table)


def cohort(rows: int = 3000, seed: int = 11) -> pa.Table:
    """A clinical cohort: id, sex, site, age (years), BMI to 0.1, glucose (mg/dL)."""
    rng = np.random.default_rng(seed)
    return pa.table({
        "patient": np.arange(50_000, 50_000 + rows, dtype=np.int64),
        "sex": rng.choice(["F", "M"], rows).tolist(),
        "site": rng.choice([f"site{i}" for i in range(6)], rows).tolist(),
        "age": rng.integers(18, 90, rows).astype(np.int64),
        "bmi": np.round(rng.normal(27.0, 4.5, rows), 1),
        "glucose": np.round(rng.normal(100.0, 18.0, rows)).astype(np.int64),
    })


def narrow(rows: int = 3000, seed: int = 12) -> pa.Table:
    """A table whose only float column has a small spread (a ratio near 1, five decimals)."""
    rng = np.random.default_rng(seed)
    return pa.table({
        "order": np.arange(10_000, 10_000 + rows, dtype=np.int64),
        "region": rng.choice(["north", "south", "east", "west"], rows).tolist(),
        "plan": rng.choice(["basic", "plus", "pro"], rows).tolist(),
        "ratio": np.round(1.0 + rng.normal(0.0, 0.02, rows), 5),
    })


@pytest.fixture
def cohort_world(vault) -> World:
    return _world(vault, "cohort.csv", cohort())


@pytest.fixture
def narrow_world(vault) -> World:
    return _world(vault, "ratios.csv", narrow())


def _share(cli, world: World, to: str, out: Path, *extra: str) -> dict:
    result = cli("share", world.dataset, "--to", to, "-o", str(out), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _trace(cli, world: World, table: pa.Table, name: str = "leak.csv"):
    pacsv.write_csv(table, world.root / name)
    return cli("trace", str(world.root / name), "--json")


def _accused(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [c["recipient"] for c in json.loads(result.stdout)["accused"]]


def _round(table: pa.Table, column: str, decimals: int) -> pa.Table:
    i = table.column_names.index(column)
    return table.set_column(i, column, pc.round(table.column(column), decimals))


def test_the_cohort_is_shareable_with_defaults_within_the_stated_bounds(cli,
                                                                        cohort_world) -> None:
    """Every cell moves at most one resolution step, so every quantile moves at most one step;
    at most SPARSE_FRACTION of the cells move, so the mean moves at most SPARSE_FRACTION steps
    and the standard deviation at most sqrt(SPARSE_FRACTION) steps."""
    doc = _share(cli, cohort_world, "CloudCo", cohort_world.root / "cloudco.csv")
    assert sorted(doc["marked_columns"]) == ["age", "bmi", "glucose"]
    copy = pacsv.read_csv(cohort_world.root / "cloudco.csv")
    for name, step in (("age", 1.0), ("bmi", 0.1), ("glucose", 1.0)):
        before = cohort_world.table.column(name).to_numpy().astype(float)
        after = copy.column(name).to_numpy().astype(float)
        moved = after != before
        assert np.abs(after - before).max() <= step + 1e-9
        assert 0 < moved.mean() <= SPARSE_FRACTION
        assert np.allclose(after / step, np.round(after / step))  # still on the column's grid
        qs = np.linspace(0.05, 0.95, 19)
        assert np.abs(np.quantile(after, qs) - np.quantile(before, qs)).max() <= step + 1e-9
        assert abs(after.mean() - before.mean()) <= SPARSE_FRACTION * step
        assert abs(after.std() - before.std()) <= np.sqrt(SPARSE_FRACTION) * step
    assert pa.types.is_integer(copy.schema.field("age").type)


@pytest.mark.parametrize("attack", ["none", "round-own", "round-3", "half"])
def test_a_rounded_cohort_leak_accuses_its_recipient(cli, cohort_world, attack: str) -> None:
    _share(cli, cohort_world, "CloudCo", cohort_world.root / "cloudco.csv")
    _share(cli, cohort_world, "Beta Labs", cohort_world.root / "beta.csv")
    leak = pacsv.read_csv(cohort_world.root / "beta.csv")
    if attack == "round-own":
        leak = _round(leak, "bmi", 1)
    elif attack == "round-3":
        for name in ("bmi", "age", "glucose"):
            leak = _round(leak, name, 3)
    elif attack == "half":
        leak = leak.take(pa.array(np.arange(0, len(leak), 2)))
    assert _accused(_trace(cli, cohort_world, leak)) == ["beta-labs"]


def test_a_small_spread_column_survives_rounding_to_three_decimals(cli, narrow_world) -> None:
    _share(cli, narrow_world, "CloudCo", narrow_world.root / "cloudco.csv")
    _share(cli, narrow_world, "Beta Labs", narrow_world.root / "beta.csv")
    leak = _round(pacsv.read_csv(narrow_world.root / "beta.csv"), "ratio", 3)
    assert _accused(_trace(cli, narrow_world, leak)) == ["beta-labs"]


@pytest.mark.parametrize("attack", ["round-1", "noise"])
def test_marks_destroyed_beyond_reading_are_inconclusive_not_innocent(cli, narrow_world,
                                                                      attack: str) -> None:
    _share(cli, narrow_world, "Beta Labs", narrow_world.root / "beta.csv")
    leak = pacsv.read_csv(narrow_world.root / "beta.csv")
    if attack == "round-1":
        leak = _round(leak, "ratio", 1)
    else:
        noise = np.random.default_rng(1).normal(0.0, 0.004, len(leak))
        leak = leak.set_column(3, "ratio", pc.add(leak.column("ratio"), pa.array(noise)))
    result = _trace(cli, narrow_world, leak)
    assert result.exit_code == 2
    assert INCONCLUSIVE in result.stderr and "\n" not in result.stderr.strip()
    assert "nobody" not in (result.stdout + result.stderr).lower()


def _droppable(world: World, plan_marks: list[str]) -> list[tuple[str, ...]]:
    names = world.table.column_names
    out = []
    for k in (1, 2):
        for dropped in itertools.combinations(names, k):
            if set(plan_marks) - set(dropped):  # a marked column must remain to be read
                out.append(dropped)
    return out


def test_dropping_any_one_or_two_columns_keeps_the_marks_locatable(cli, world: World) -> None:
    _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    doc = _share(cli, world, "Beta Labs", world.root / "beta.csv")
    leak = pacsv.read_csv(world.root / "beta.csv")
    for dropped in _droppable(world, doc["marked_columns"]):
        kept = [c for c in leak.column_names if c not in dropped]
        assert _accused(_trace(cli, world, leak.select(kept))) == ["beta-labs"], dropped


def test_dropping_cohort_columns_keeps_the_marks_locatable(cli, cohort_world) -> None:
    doc = _share(cli, cohort_world, "Beta Labs", cohort_world.root / "beta.csv")
    _share(cli, cohort_world, "CloudCo", cohort_world.root / "cloudco.csv")
    leak = pacsv.read_csv(cohort_world.root / "beta.csv")
    for dropped in _droppable(cohort_world, doc["marked_columns"]):
        kept = [c for c in leak.column_names if c not in dropped]
        result = _trace(cli, cohort_world, leak.select(kept))
        assert result.exit_code == 0, (dropped, result.stderr)
        assert _accused(result) == ["beta-labs"], dropped


def test_share_says_what_its_copy_is_expected_to_survive(cli, world: World) -> None:
    doc = _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    survives = doc["survives"]
    assert survives["rounding"] == {"spend": {"decimals": 0, "step": 1.0},
                                    "score": {"decimals": 1, "step": 0.1}}
    assert survives["dropped_columns"] == 2
    assert 0 < survives["fraction_of_rows"] < 0.2
    assert survives["rows_needed"] == pytest.approx(survives["fraction_of_rows"] * 4000, abs=1)
    human = cli("share", world.dataset, "--to", "Beta Labs", "-o", str(world.root / "b.csv"))
    assert human.exit_code == 0, human.stderr
    text = " ".join(human.stdout.split())
    assert "Expected to survive: rounding spend to whole numbers, score to 1 decimal" in text
    assert "dropping any 2 columns" in text and "rows (" in text


@pytest.mark.parametrize("make, dropped", [(cohort, ("patient", "bmi")), (narrow, ("plan",)),
                                           (cohort, ())])
def test_innocent_p_values_stay_calibrated_when_columns_are_dropped(make, dropped) -> None:
    """Shares that were never issued, scored against a leak with key columns gone (so some cells
    are read under the wrong block and are noise): P(p <= a) <= a at every level."""

    from hallmark.marks.codes import TardosParams
    from hallmark.marks.columns import profile_batches
    from hallmark.marks.tabular import Keys, make_plan, mark_batch

    key = bytes(range(32))
    table = make()
    plan = make_plan(profile_batches(table.schema, table.to_batches(), key), TardosParams())
    keys = Keys.derive(key, "asset", plan)
    leak = pa.Table.from_batches([mark_batch(b, plan, keys, "sh-guilty")[0]
                                  for b in table.to_batches(max_chunksize=1000)])
    leak = leak.select([c for c in leak.column_names if c not in dropped])
    seen = [p.fingerprint() for p in profile_batches(leak.schema, leak.to_batches(), key)]
    assert_calibrated(plan, keys, leak, seen, 1e-9)


def assert_calibrated(plan, keys, leak: pa.Table, seen: list, guilty_below: float) -> None:
    """Read `leak`'s marks; 400 innocents' p-values must be uniform (each level within three
    standard errors) and "sh-guilty" must score below `guilty_below`."""
    from hallmark.marks.layout import locate
    from hallmark.marks.stats import log_tail_bound
    from hallmark.marks.tabular import Extraction

    extraction = Extraction()
    for batch in leak.to_batches(max_chunksize=700):
        extraction.add(batch, plan, locate(plan, seen), keys)
    pos, sigma = extraction.finish()
    bias = keys.codebook.bias(pos)
    n = 400
    p = np.array([math.exp(log_tail_bound(keys.codebook.score(f"sh-innocent-{i}", pos, sigma,
                                                                bias), sigma, bias))
                  for i in range(n)])
    for level in (0.01, 0.05, 0.1, 0.25, 0.5):
        assert (p <= level).mean() <= level + 3 * math.sqrt(level * (1 - level) / n), level
    guilty = log_tail_bound(keys.codebook.score("sh-guilty", pos, sigma, bias), sigma, bias)
    assert guilty < math.log(guilty_below)
