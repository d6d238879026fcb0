"""Start-up: which heavy modules a command may import (a list, never a timing), and the cheap
schema check that keeps Alembic out of every open of a current vault."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hallmark.vault import Vault

# Loading any of these costs tens to hundreds of milliseconds; none is needed to print help.
HEAVY = ("sqlalchemy", "alembic", "psycopg", "pyarrow", "numpy", "cedarpy", "pydantic",
         "cryptography", "mako")

PROBE = """
import json, sys
from hallmark.cli.main import run
code = run(sys.argv[2:])
sys.stdout.flush()
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def _run(tmp_path: Path, *args: str, cwd: Path | None = None,
         env: dict[str, str] | None = None) -> tuple[dict[str, object], str, str]:
    """Run `hallmark ARGS` in a fresh interpreter; (its exit code and every module it had
    imported, stdout, stderr)."""
    report = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(report), *args],
                          cwd=cwd or tmp_path, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert report.exists(), done.stderr
    return json.loads(report.read_text()), done.stdout, done.stderr


def _heavy(modules: object, names: tuple[str, ...] = HEAVY) -> list[str]:
    assert isinstance(modules, list)
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in names})


def _no_vault_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("HALLMARK_VAULT", "HALLMARK_DB_URL"):
        env.pop(name, None)
    return env


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_import_no_database_and_need_no_vault(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    found, out, _ = _run(tmp_path, *args, env=_no_vault_env())  # tmp_path holds no vault
    assert found["code"] == 0
    assert _heavy(found["modules"]) == []
    if args == ("--version",):
        from hallmark import __version__

        assert out.strip() == f"hallmark {__version__}"
    else:
        assert "Usage" in out


def test_a_group_help_imports_no_database(tmp_path: Path) -> None:
    found, out, _ = _run(tmp_path, "agreement", "--help", env=_no_vault_env())
    assert found["code"] == 0 and "Usage" in out
    # (Typer itself builds some parameter types with pydantic once a group's commands load.)
    assert _heavy(found["modules"], tuple(h for h in HEAVY if h != "pydantic")) == []


def test_a_read_only_command_on_a_current_vault_loads_no_alembic(
        vault: Vault, tmp_path: Path) -> None:
    found, out, err = _run(tmp_path, "assets", "--json", cwd=vault.root)
    assert found["code"] == 0, err
    assert json.loads(out) == {"assets": []}
    assert _heavy(found["modules"], ("alembic", "mako", "pyarrow", "numpy", "cedarpy")) == []
    assert "upgraded" not in err


def test_head_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from hallmark.store.db import MIGRATIONS, head_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert [head_revision()] == ScriptDirectory.from_config(cfg).get_heads()


def _downgrade_one(v: Vault) -> tuple[str, str]:
    """Take the vault's schema back one revision; (that revision, the head)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from hallmark.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    with v.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, previous)
    v.close()
    return previous, head


def _versions(v: Vault) -> list[str]:
    from sqlalchemy import text

    with v.engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_a_vault_one_revision_behind_is_upgraded_on_open_and_says_so(
        vault: Vault, tmp_path: Path) -> None:
    previous, head = _downgrade_one(vault)
    behind = Vault(vault.root)
    from hallmark.store.db import is_current, make_engine

    engine = make_engine(behind.db_url)
    assert not is_current(engine)
    engine.dispose()

    found, out, err = _run(tmp_path, "assets", "--json", cwd=vault.root)
    assert found["code"] == 0, err
    assert json.loads(out) == {"assets": []}
    assert f"upgraded the vault's database schema from revision {previous} to {head}" in err
    again = Vault(vault.root)
    assert _versions(again) == [head]
    again.close()
    # Now current: the next command reads the version once and says nothing.
    found, _, err = _run(tmp_path, "assets", "--json", cwd=vault.root)
    assert "upgraded" not in err
    assert _heavy(found["modules"], ("alembic",)) == []


def test_opening_a_vault_behind_in_process_upgrades_it(vault: Vault) -> None:
    previous, head = _downgrade_one(vault)
    reopened = Vault(vault.root)
    assert _versions(reopened) == [head]  # the first use of the engine migrated it
    reopened.close()


def test_a_database_without_the_log_head_gets_one(vault: Vault) -> None:
    from sqlalchemy import delete, select

    from hallmark.store import tables

    with vault.engine.begin() as conn:
        conn.execute(delete(tables.ledger_head))
    vault.close()
    reopened = Vault(vault.root)
    with reopened.read() as conn:
        assert conn.execute(select(tables.ledger_head.c.size)).scalar_one() == 0
    reopened.close()


def _asset(**meta: object) -> object:
    from hallmark.schemas import Asset

    return Asset(id="0123456789ab", path="data/é\u2028\x1f\x7f\\\"q\".txt", name="n\t",
                 kind="model", size=2**70, sha256="1e5", blake3="2.5", metadata=meta,
                 owner=None, status="unknown", classification="internal", protection=None,
                 value=3, license="MIT", first_seen="2026-01-01T00:00:00Z",
                 updated="2026-01-01T00:00:00Z")


@pytest.mark.parametrize("meta", [
    {},
    {"rows": 10**20, "nested": {"list": [1, "a", None, True, False, [], {}]}, "e": "1.5"},
    {"line": "ends in 1.5\n", "key: 2.5": "x", "k\u0000": "nul \u0000 and \ud7ff"},
])
def test_the_fast_json_of_a_model_is_the_json_modules_text(meta: dict[str, object]) -> None:
    from hallmark.cli.common import _model_json, jsonable
    from hallmark.schemas import AssetList

    for document in (_asset(**meta), AssetList(assets=[_asset(**meta), _asset()])):  # type: ignore[list-item]
        expected = json.dumps(jsonable(document), indent=2, default=str, ensure_ascii=False)
        assert _model_json(document) == expected


@pytest.mark.parametrize("value", [1.5, 5.6e-05, 1e16, -0.0, [1, 2.0], {"deep": [{"x": 1e-7}]}])
def test_a_model_holding_a_float_takes_the_json_modules_path(value: object) -> None:
    from hallmark.cli.common import _model_json

    assert _model_json(_asset(v=value)) is None
    assert _model_json({"plain": "data"}) is None  # not a model: the json module, as before


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinities_print_as_the_json_module_prints_them(value: float) -> None:
    from hallmark.cli.common import _model_json, jsonable
    from hallmark.schemas import Candidate

    for document in (_asset(v=value), Candidate(recipient="r", share="s", score=value,
                                                p_value=value)):
        expected = json.dumps(jsonable(document), indent=2, default=str, ensure_ascii=False)
        assert _model_json(document) in (None, expected)


def test_the_lazy_schema_index_names_every_export_where_it_lives() -> None:

    import hallmark.schemas as schemas

    files = {p.stem for p in Path(schemas.__file__).parent.glob("*.py") if p.stem != "__init__"}
    assert set(schemas._EXPORTS) == files  # a new schema module is listed in _EXPORTS too
    for module, names in schemas._EXPORTS.items():
        assert tuple(importlib.import_module(f"hallmark.schemas.{module}").__all__) == names
    star: dict[str, object] = {}
    exec("from hallmark.schemas import *", star)  # noqa: S102 - the star import users write
    assert sorted(n for n in star if not n.startswith("__")) == sorted(schemas.__all__)
    for name in schemas.__all__:
        assert getattr(schemas, name) is getattr(
            importlib.import_module(f"hallmark.schemas.{schemas._WHERE[name]}"), name)


def test_help_loads_no_markdown_or_traceback_renderer_and_they_still_work(tmp_path: Path) -> None:
    found, out, _ = _run(tmp_path, "--help", env=_no_vault_env())
    assert found["code"] == 0 and "Usage" in out
    assert _heavy(found["modules"], ("markdown_it", "pygments")) == []
    assert "rich.markdown" not in found["modules"] and "rich.traceback" not in found["modules"]
    probe = ("import sys; import hallmark.cli.main; import typer.rich_utils as r; "
             "import rich.markdown as m, rich.traceback as t; "
             "assert type(m).__name__ == 'module' and m.Markdown.__module__ == 'rich.markdown'; "
             "assert isinstance(r.Markdown('x'), m.Markdown) and isinstance(m.Markdown('y'), "
             "r.Markdown); assert r.Traceback.from_exception == t.Traceback.from_exception; "
             "assert sys.modules['rich.markdown'] is m")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("text", [
    b'{\n  "a": 1,\n  "b": "1.5"\n}', b'[\n  1.5\n]', b'{\n  "a": 1e+16,\n  "b": 2\n}',
    b'[\n  NaN,\n  1\n]', b'[\n  "NaN",\n  "Infinity"\n]', b'[\n  -Infinity\n]', b'"e5"\n',
    b'{\n  "x": "e5",\n  "y": 5\n}', b'[\n  5E-7\n]', b'[\n  "Infinity x",\n  3\n]',
    b'{\n  "h": "9e1fe5",\n  "n": 15\n}', b'{\n  "n": 1e5\n}', b'[\n  1.0\n]', b'[\n  .5e+0,',
    b'e5\n', b'.5\n', b'E+5,\n', b'5\n', b'-5,\n', b'[\n  -1.5e-300,\n  2\n]',
])
def test_the_two_step_float_test_is_the_pattern(text: bytes) -> None:
    from hallmark.cli.common import _FLOAT_AT_END, _float_at_end

    for raw in (text, text + b"\n", text.replace(b"\n", b",\n")):
        assert _float_at_end(raw) == (_FLOAT_AT_END.search(raw) is not None)


def _stored_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "0123456789ab", "path": "data/a.txt", "name": "a.txt", "kind": "model",
        "size": 2**62, "mtime_ns": 1, "inode": 2, "sha256": "a" * 64, "blake3": "b" * 64,
        "meta": json.dumps({"card": {"license": "apache-2.0"}, "x": [1, 2.5]}),
        "owner": None, "status": "unknown", "classification": "internal", "protection": None,
        "value": 3, "license": None, "first_seen": "2026-01-01", "updated": "2026-01-02",
        "export_control": None}
    row.update(changes)
    return row


def _validated(row: dict[str, object], parents: list[dict[str, str]] | None = None) -> object:
    """The Asset as the register built every one before: validated, then its licence."""
    from hallmark.inventory.assets import stated_license
    from hallmark.schemas import Asset

    fields = {k: v for k, v in row.items() if k not in ("meta", "mtime_ns", "inode")}
    asset = Asset(**fields, metadata=json.loads(str(row["meta"])))  # type: ignore[arg-type]
    asset.stated_license = stated_license(asset.metadata)
    if parents is not None:
        asset.parents = parents
    return asset


@pytest.mark.parametrize("parents", [None, [], [{"id": "p", "relation": "derived-from"}]])
@pytest.mark.parametrize("changes", [{}, {"owner": "o", "protection": "patent", "value": None,
                                          "license": "MIT", "meta": "{}"},
                                     {"meta": ' {"a": 1} '}, {"meta": '{"a": "\u00e9"}'}])
def test_a_stored_row_builds_the_asset_validation_builds(
        parents: list[dict[str, str]] | None, changes: dict[str, object]) -> None:
    from sqlalchemy import create_engine, insert, select

    from hallmark.inventory.assets import asset_from_row, list_assets
    from hallmark.store import tables

    stored = _stored_row(**changes)
    engine = create_engine("sqlite://")
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(tables.assets).values(**stored))
        if parents:
            conn.execute(insert(tables.lineage).values(child=stored["id"], parent="p",
                                                       relation="derived-from", created="x"))
        row = conn.execute(select(tables.assets)).one()
        listed = list_assets(conn)
    engine.dispose()
    slow = _validated(stored, parents)
    for fast in (asset_from_row(row, parents), *([listed[0]] if parents is not None else [])):
        assert fast == slow and fast.model_dump_json() == slow.model_dump_json()  # type: ignore[attr-defined]
        assert fast.model_fields_set == slow.model_fields_set  # type: ignore[attr-defined]
        assert fast.__pydantic_extra__ is None and fast.stated_license == slow.stated_license  # type: ignore[attr-defined]
        assert fast.children == [] and fast.children is not asset_from_row(row).children


@pytest.mark.parametrize("changes", [{"size": "12"}, {"size": True}, {"value": 2.0},
                                     {"status": None}, {"meta": "[1]"}, {"meta": "null"},
                                     {"meta": "{} x"}, {"meta": "\ufeff{}"}, {"meta": ""}])
def test_a_stored_row_of_other_types_is_validated_as_before(changes: dict[str, object]) -> None:
    from hallmark.inventory.assets import _asset

    row = _stored_row(**changes)
    try:
        expected = _validated(row)
    except Exception as exc:  # noqa: BLE001 - whatever it raised, it still raises
        with pytest.raises(type(exc)) as got:
            _asset(row, None)
        assert str(got.value) == str(exc)
        assert getattr(got.value, "field", None) == getattr(exc, "field", None)
    else:
        assert _asset(row, None) == expected


def test_help_lists_the_plugins_installed_by_entry_point(tmp_path: Path) -> None:
    found, out, _ = _run(tmp_path, "--help", env=_no_vault_env())
    assert found["code"] == 0 and "demo" in out  # the demo arrives by entry point


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "latin-1"])
def test_emit_json_writes_the_bytes_the_text_layer_would(
        encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from hallmark.cli.common import emit_json, jsonable
    from hallmark.schemas import AssetList

    document = AssetList(assets=[_asset(line="é ☃ \u2028"), _asset()])  # type: ignore[list-item]
    expected = json.dumps(jsonable(document), indent=2, default=str, ensure_ascii=False) + "\n"
    sink = io.BytesIO()
    out = io.TextIOWrapper(sink, encoding=encoding, errors="replace" if encoding == "latin-1"
                           else "strict")
    monkeypatch.setattr(sys, "stdout", out)
    out.write("before\n")
    emit_json(document)
    out.write("after\n")
    out.flush()
    assert sink.getvalue() == ("before\n" + expected + "after\n").encode(encoding, "replace")
