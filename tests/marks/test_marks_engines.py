"""Engines: the local thread pool and a Dask cluster give exactly the sequential copy and trace."""

from __future__ import annotations

import json
import pickle
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from sqlalchemy import func, select

from hallmark.marks import tabular_io
from hallmark.marks.engines import LocalEngine
from hallmark.marks.tabular import KeyMaterial, Keys, mark_batch
from hallmark.services.shares import share
from hallmark.services.traces import trace
from hallmark.store.tables import events, shares

from .conftest import World


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read 16 KiB CSV blocks, so a 4,000-row table streams as several batches."""
    monkeypatch.setattr(tabular_io, "BLOCK", 1 << 14)


def _sequential_copy(world: World, share_id: str, path: Path) -> bytes:
    """The copy a plain batch-by-batch loop writes for this share."""
    with world.vault.read() as conn:
        plan = json.loads(conn.execute(select(shares.c.params).where(
            shares.c.id == share_id)).scalar_one())
    source = tabular_io.open_table(world.root / "data" / "customers.csv")
    keys = Keys.derive(world.vault.marking_key, world.dataset, plan)
    batches = 0
    with tabular_io.atomic_writer(path, "csv", source.schema) as writer:
        for batch in source.batches():
            writer.write(mark_batch(batch, plan, keys, share_id)[0])
            batches += 1
    assert batches >= 4, "the table should stream as several batches"
    return path.read_bytes()


def _leak(world: World, copy: Path) -> Path:
    """Every third row of a copy, columns reordered and renamed."""
    leaked = pacsv.read_csv(copy)
    sample = leaked.take(pa.array(list(range(0, leaked.num_rows, 3)))).select(
        ["spend", "plan", "customer", "score", "region"]).rename_columns(["a", "b", "c", "d", "e"])
    path = world.root / f"found-{copy.stem}.csv"
    pacsv.write_csv(sample, path)
    return path


def _count(world: World, table) -> int:
    with world.vault.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_local_engine_yields_in_order_with_bounded_work_in_flight() -> None:
    pulled = 0
    in_flight: list[int] = []

    def source() -> Iterator[int]:
        nonlocal pulled
        for i in range(60):
            pulled += 1
            yield i

    def slow_square(x: int, offset: int) -> int:
        time.sleep(random.random() / 500)
        return x * x + offset

    out = []
    for y in LocalEngine(3).map_batches(slow_square, source(), 1):
        in_flight.append(pulled - len(out))
        out.append(y)
    assert out == [i * i + 1 for i in range(60)]
    assert max(in_flight) <= 2 * 3 + 1


def test_local_engine_stops_cleanly_when_a_batch_fails() -> None:
    def boom(x: int) -> int:
        if x == 5:
            raise ValueError("bad batch 5")
        return x

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad batch 5"):
        list(LocalEngine(4).map_batches(boom, iter(range(50))))
    assert threading.active_count() == before


def test_key_material_hides_the_key_and_travels_without_its_cache(world: World) -> None:
    plan = {"tardos": {"recipients": 10, "colluders": 2, "epsilon": 1e-3}}
    material = KeyMaterial(world.vault.marking_key, world.dataset, plan)
    material.keys().text_digest("north")
    assert world.vault.marking_key.hex() not in repr(material) + repr(material.keys())
    copy = pickle.loads(pickle.dumps(material))
    assert copy.keys() is not material.keys() and copy.keys()._cache == {}
    assert copy.keys().row == material.keys().row
    assert copy.keys().text_digest("north") == material.keys().text_digest("north")


def test_local_engine_copy_and_trace_equal_the_sequential_ones(world: World) -> None:
    out = world.root / "cloudco.csv"
    result = share(world.vault, world.dataset, "CloudCo", out, actor="tester",
                   engine=LocalEngine(4))
    assert out.read_bytes() == _sequential_copy(world, result.share, world.root / "ref.csv")
    assert result.rows == 4000
    found = _leak(world, out)
    one = trace(world.vault, found, actor="tester", engine=LocalEngine(1))
    many = trace(world.vault, found, actor="tester", engine=LocalEngine(4))
    assert one.accused and one.accused[0].recipient == "cloudco"
    assert [(c.share, c.score, c.p_value) for c in one.top] == \
        [(c.share, c.score, c.p_value) for c in many.top]
    assert (one.rows_matched, one.positions, one.needed_rows) == \
        (many.rows_matched, many.positions, many.needed_rows)
    assert 1200 <= one.rows_matched <= 1334 and 0 < one.positions <= 2 * 1334


def test_dask_cluster_marks_the_same_copy_and_traces_the_leaker(cli, world: World) -> None:
    from distributed import LocalCluster

    with LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        result = cli("share", world.dataset, "--to", "Beta Labs", "-o",
                     str(world.root / "beta.csv"), "--engine", "dask", "--scheduler", address,
                     "--json")
        assert result.exit_code == 0, result.stderr
        made = json.loads(result.stdout)
        found = _leak(world, world.root / "beta.csv")
        traced = cli("trace", str(found), "--engine", "dask", "--scheduler", address, "--json")
        ran = set(cluster.scheduler.task_prefixes)
    assert {"mark_task", "extract_task"} <= ran, "the batches were not processed on the cluster"
    assert (world.root / "beta.csv").read_bytes() == \
        _sequential_copy(world, made["share"], world.root / "ref.csv")
    assert traced.exit_code == 0, traced.stderr
    doc = json.loads(traced.stdout)
    assert [c["recipient"] for c in doc["accused"]] == ["beta-labs"]
    assert doc["accused"][0]["share"] == made["share"] and 1200 <= doc["rows_matched"] <= 1334
    local = json.loads(cli("trace", str(found), "--json").stdout)
    assert local["trace"] != doc["trace"]  # each trace is recorded under its own id
    assert {**local, "trace": None} == {**doc, "trace": None}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    (["--engine", "dask"], "--scheduler: the dask engine needs a scheduler address"),
    (["--engine", "spark"], "--engine: must be one of local, dask"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler: is only used with the dask engine"),
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:{port}"],
     "cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"),
])
def test_bad_engine_choices_exit_2_and_write_nothing(cli, world: World, args: list[str],
                                                     message: str) -> None:
    import dask
    import distributed  # noqa: F401  load its defaults now: `config.set` below must not undo them

    port = str(_closed_port())
    args = [a.replace("{port}", port) for a in args]
    logged = _count(world, events)
    out = world.root / "copy.csv"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = cli("share", world.dataset, "--to", "CloudCo", "-o", str(out), *args)
        traced = cli("trace", str(world.root / "data" / "customers.csv"), *args)
    for got in (result, traced):
        assert got.exit_code == 2
        assert message.replace("{port}", port) in got.stderr
        assert "Traceback" not in got.stderr and len(got.stderr.strip().splitlines()) == 1
    assert not out.exists() and not list(world.root.glob(".copy.csv.*"))
    assert _count(world, shares) == 0 and _count(world, events) == logged
