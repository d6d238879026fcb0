"""The shares and traces services from Python: inputs refused with InputError naming the field,
events attributed to the actor passed in, JSON shapes, and the mark scheme registry."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
from sqlalchemy import func, select

from hallmark import services
from hallmark.errors import InputError, NotFound
from hallmark.hooks import hookimpl, register, unregister
from hallmark.marks.scheme import MarkScheme, scheme_for_asset, scheme_named, schemes
from hallmark.marks.tabular_scheme import TabularScheme
from hallmark.schemas import ShareOptions, ShareRecord, ShareResult, TraceResult
from hallmark.store.tables import events, shares

from .conftest import World

SHARE_KEYS = ["share", "asset", "recipient", "team", "agreement", "purpose", "out", "format",
              "rows", "marked_cells", "marked_columns", "source_sha256", "copy_sha256", "seq",
              "survives", "categorical_columns", "deidentified"]
RECORD_KEYS = ["share", "asset", "recipient", "team", "agreement", "purpose", "format", "rows",
               "marked_cells", "marked_columns", "source_sha256", "copy_sha256", "scheme",
               "created", "seq", "deidentified"]


def _count(world: World, table: Any) -> int:
    with world.vault.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _actors(world: World, kind: str) -> list[str]:
    with world.vault.read() as conn:
        return [r.actor for r in conn.execute(select(events.c.actor)
                                              .where(events.c.type == kind))]


@pytest.mark.parametrize("options, field", [
    ({"budget": 0.8}, "budget"),
    ({"budget": 0.0}, "budget"),
    ({"budget": float("nan")}, "budget"),
    ({"budget": "lots"}, "budget"),
    ({"recipients": 0}, "recipients"),
    ({"colluders": 0}, "colluders"),
    ({"epsilon": 1.0}, "epsilon"),
    ({"epsilon": 0.0}, "epsilon"),
    ({"budgets": {"spend": 0.0}}, "budgets.spend"),
    ({"budgets": {"spend": float("inf")}}, "budgets.spend"),
    ({"ranges": {"spend": (5.0, 1.0)}}, "ranges.spend"),
    ({"categorical": "sometimes"}, "categorical"),
    ({"colour": "red"}, "colour"),
])
def test_share_options_refuse_bad_values_with_input_error(options: dict[str, Any],
                                                          field: str) -> None:
    with pytest.raises(InputError) as caught:
        ShareOptions(**options)
    assert type(caught.value) is InputError and caught.value.field == field
    assert "--" not in caught.value.message


def test_share_refuses_bad_arguments_before_deciding(world: World) -> None:
    out = world.root / "copy.csv"
    logged = _count(world, events)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"actor": ""}, "actor"),
        ({"to": ""}, "to"),
        ({"asset": 7}, "asset"),
        ({"out": 3}, "out"),
        ({"team": ""}, "team"),
        ({"options": {"budget": 0.8}}, "budget"),
        ({"options": "strong"}, "options"),
        ({"engine": "spark"}, "engine"),
        ({"engine": "dask"}, "scheduler"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "scheduler"),
        ({"out": world.root / "copy.parquet"}, "out"),
        ({"out": world.root / "data" / "customers.csv"}, "out"),
    ]
    for change, field in cases:
        given: dict[str, Any] = {"asset": world.dataset, "to": "CloudCo", "out": out,
                                 "actor": "alice"} | change
        asset, to, target = given.pop("asset"), given.pop("to"), given.pop("out")
        with pytest.raises(InputError) as caught:
            services.shares.share(world.vault, asset, to, target, **given)
        assert caught.value.field == field, (change, caught.value)
        assert "--" not in caught.value.message
    assert not out.exists() and _count(world, events) == logged
    with pytest.raises(NotFound):
        services.shares.share(world.vault, "no-such-asset", "CloudCo", out, actor="alice")


def test_a_kind_no_scheme_accepts_is_refused(world: World) -> None:
    from .conftest import add_agreement, scan

    (world.root / "data" / "notes.txt").write_text("not a table\n")
    scan(world.vault, [world.root / "data"])
    dua = (world.root / "dua.yaml").read_text().replace("customers.csv", "notes.txt")
    (world.root / "dua-notes.yaml").write_text(dua.replace("dua-partners", "dua-notes"))
    add_agreement(world.vault, world.root / "dua-notes.yaml")
    with pytest.raises(InputError) as caught:
        services.shares.share(world.vault, "data/notes.txt", "CloudCo",
                              world.root / "notes-copy.txt", actor="alice")
    assert caught.value.field == "asset" and "no mark scheme accepts" in caught.value.message


def test_share_and_trace_record_the_actor_passed_in(world: World) -> None:
    out = world.root / "cloudco.csv"
    done = services.shares.share(world.vault, world.dataset, "CloudCo", out, actor="alice",
                                 purpose="research")
    assert isinstance(done, ShareResult)
    assert _actors(world, "share.created") == ["alice"]
    assert _actors(world, "access.decided")[-1] == "alice"
    table = pacsv.read_csv(out)
    leak = world.root / "leak.csv"
    pacsv.write_csv(table.slice(0, 2000), leak)
    found = services.traces.trace(world.vault, leak, actor="bob")
    assert found.accused and found.accused[0].recipient == "cloudco"
    assert _actors(world, "trace.recorded") == ["bob"]


def test_a_named_agreement_that_does_not_permit_is_a_denial_by_the_actor(world: World) -> None:
    from hallmark.errors import PolicyDenied

    with pytest.raises(PolicyDenied):
        services.shares.share(world.vault, world.dataset, "CloudCo", world.root / "x.csv",
                              actor="carol", agreement="nda-x")
    assert _actors(world, "share.denied") == ["carol"]
    assert _count(world, shares) == 0


def test_json_shapes(world: World) -> None:
    out = world.root / "cloudco.csv"
    done = services.shares.share(world.vault, world.dataset, "CloudCo", out, actor="alice")
    doc = done.to_json()
    assert list(doc) == SHARE_KEYS
    assert doc["copy_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert json.loads(json.dumps(doc)) == doc
    listed = services.shares.list_shares(world.vault, world.dataset)
    assert [type(r) for r in listed] == [ShareRecord]
    assert list(listed[0].to_json()) == RECORD_KEYS
    assert listed[0].scheme == TabularScheme.name and listed[0].seq == done.seq
    leak = world.root / "leak.csv"
    pacsv.write_csv(pacsv.read_csv(out).slice(0, 2000), leak)
    found = services.traces.trace(world.vault, leak, actor="bob")
    assert isinstance(found, TraceResult)
    traced = found.to_json()
    assert list(traced) == ["asset", "rows_matched", "accused", "needed_rows", "trace",
                            "incidents"]
    assert list(traced["accused"][0]) == ["recipient", "share", "score", "p_value"]
    assert traced["accused"][0]["score"] == round(found.accused[0].score, 4)


def test_trace_refuses_bad_arguments(world: World, tmp_path: Path) -> None:
    suspect = world.root / "data" / "customers.csv"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"actor": " "}, "actor"),
        ({"evidence": tmp_path}, "evidence"),
        ({"evidence": tmp_path / "nowhere" / "e.zip"}, "evidence"),
        ({"engine": "spark"}, "engine"),
        ({"asset": ""}, "asset"),
    ]
    for given, field in cases:
        with pytest.raises(InputError) as caught:
            services.traces.trace(world.vault, suspect, **({"actor": "bob"} | given))
        assert caught.value.field == field
    for bad in (tmp_path / "missing.csv", world.root / "dua.yaml", 5):
        with pytest.raises(InputError) as caught:
            services.traces.trace(world.vault, bad, actor="bob")  # type: ignore[arg-type]
        assert caught.value.field == "suspect"
    with pytest.raises(NotFound):  # nothing has been shared yet
        services.traces.trace(world.vault, suspect, actor="bob")


class _Echo:
    """A third party's scheme: claims models only, marks nothing."""

    name = "test-echo/1"

    def accepts(self, kind: str, path: Path) -> bool:
        return kind == "model"

    def reads_suspect(self, path: Path) -> bool:
        return path.suffix == ".echo"

    def __getattr__(self, name: str) -> Any:
        if name in {"copy_format", "plan", "embed", "open_suspect", "identify", "extract",
                    "public_parameters", "survives"}:
            return lambda *a, **k: None
        raise AttributeError(name)


class _EchoPlugin:
    @hookimpl
    def hallmark_mark_schemes(self) -> list[Any]:
        return [_Echo()]


def test_the_registry_dispatches_and_takes_third_party_schemes(tmp_path: Path) -> None:
    tabular = scheme_for_asset("dataset", tmp_path / "t.csv")
    assert isinstance(tabular, TabularScheme) and isinstance(tabular, MarkScheme)
    assert scheme_for_asset("model", tmp_path / "m.safetensors") is None
    plugin = _EchoPlugin()
    register(plugin, name="test-echo")
    try:
        assert [s.name for s in schemes()][0] == "test-echo/1"
        assert scheme_named("test-echo/1").accepts("model", tmp_path / "m.bin")
        assert scheme_for_asset("model", tmp_path / "m.safetensors") is not None
    finally:
        unregister(plugin)
    assert scheme_for_asset("model", tmp_path / "m.safetensors") is None
    with pytest.raises(InputError):
        scheme_named("test-echo/1")


def test_marks_holds_no_sql_and_no_vault() -> None:
    import hallmark.marks

    for path in Path(hallmark.marks.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("sqlalchemy"), path.name
                assert not name.startswith(("hallmark.vault", "hallmark.services",
                                            "hallmark.cli", "hallmark.store")), path.name
