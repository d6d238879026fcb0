"""`hallmark share`, `shares` and `trace` as a user runs them, on both database backends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from hallmark.store.tables import events, shares, traces

from .conftest import DUA, World, add_agreement, add_party, make_table, scan


def _count(world: World, table) -> int:
    with world.vault.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _share(cli, world: World, to: str, out: Path, *extra: str) -> dict:
    result = cli("share", world.dataset, "--to", to, "-o", str(out), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_share_then_trace_names_the_leaker(cli, world: World) -> None:
    a = _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    b = _share(cli, world, "Beta Labs", world.root / "beta.csv", "--agreement", "dua-partners")
    assert (a["recipient"], b["recipient"], b["agreement"]) == ("cloudco", "beta-labs",
                                                                "dua-partners")
    assert a["marked_columns"] == ["spend", "score"] and a["rows"] == 4000
    leaked = pacsv.read_csv(world.root / "beta.csv")
    assert leaked.column("customer").equals(world.table.column("customer"))
    sample = leaked.take(pa.array(list(range(0, 4000, 8)))).select(
        ["score", "plan", "customer", "spend", "region"]).rename_columns(
        ["s", "p", "c", "x", "r"])
    pacsv.write_csv(sample, world.root / "found.csv")
    result = cli("trace", str(world.root / "found.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"asset", "rows_matched", "accused", "needed_rows", "trace", "incidents"}
    assert doc["trace"].startswith("tr-") and doc["incidents"] == []
    # 80% of each marked column's cells carry a mark (several key blocks): most rows do
    assert doc["asset"] == world.dataset and 450 <= doc["rows_matched"] <= 500
    assert [set(c) for c in doc["accused"]] == [{"recipient", "share", "score", "p_value"}]
    assert doc["accused"][0]["recipient"] == "beta-labs"
    assert doc["accused"][0]["share"] == b["share"] and doc["accused"][0]["p_value"] <= 1e-6
    assert _count(world, traces) == 1
    listed = json.loads(cli("shares", "--json").stdout)
    assert [s["share"] for s in listed] == [a["share"], b["share"]]
    human = cli("trace", str(world.root / "found.csv"))
    assert human.exit_code == 0 and "beta-labs" in human.stdout


@pytest.mark.parametrize("fmt", ["tsv", "parquet", "jsonl"])
def test_every_format_round_trips(cli, vault, fmt: str) -> None:
    table = make_table(1500, seed=11)
    data = vault.root / "data"
    data.mkdir()
    path = data / f"t.{fmt}"
    if fmt == "tsv":
        pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter="\t"))
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    asset = scan(vault, [data]).assets[0].id

    for name in ("Acme AI", "CloudCo", "Beta Labs", "Gamma"):
        add_party(vault, name, "organisation")
    (vault.root / "dua.yaml").write_text(DUA.format(name=f"t.{fmt}"))
    add_agreement(vault, vault.root / "dua.yaml")
    out = vault.root / f"copy.{fmt}"
    assert cli("share", asset, "--to", "CloudCo", "-o", str(out)).exit_code == 0
    copy = {"tsv": lambda p: pacsv.read_csv(p, parse_options=pacsv.ParseOptions(delimiter="\t")),
            "parquet": pq.read_table, "jsonl": pajson.read_json}[fmt](out)
    assert copy.column_names == table.column_names and len(copy) == len(table)
    assert copy.column("spend").type == pa.int64()
    doc = json.loads(cli("trace", str(out), "--json").stdout)
    assert [c["recipient"] for c in doc["accused"]] == ["cloudco"]


def test_denied_share_writes_nothing_and_is_logged(cli, world: World) -> None:
    out = world.root / "gamma.csv"
    result = cli("share", world.dataset, "--to", "Gamma", "-o", str(out))
    assert result.exit_code == 3 and "denied" in result.stderr and "Gamma" in result.stderr
    assert not out.exists() and _count(world, shares) == 0
    with world.vault.read() as conn:
        entry = conn.execute(select(events.c.entry).order_by(events.c.seq.desc())).first()
    decided = json.loads(entry.entry)
    assert decided["type"] == "access.decided"
    assert decided["payload"]["decisions"][0]["allowed"] is False
    wrong = cli("share", world.dataset, "--to", "CloudCo", "-o", str(out), "--agreement", "nda-x")
    assert wrong.exit_code == 3 and "nda-x" in wrong.stderr and not out.exists()
    assert not list(world.root.glob(".gamma.csv*"))


def test_unrelated_and_unmarked_tables_accuse_nobody(cli, world: World) -> None:
    _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    other = pa.table({"name": ["x"] * 300, "height": list(range(300))})
    pacsv.write_csv(other, world.root / "other.csv")
    unrelated = cli("trace", str(world.root / "other.csv"), "--json")
    assert unrelated.exit_code == 2 and "matches no shared dataset" in unrelated.stderr
    original = cli("trace", str(world.root / "data" / "customers.csv"), "--json")
    assert original.exit_code == 0
    assert json.loads(original.stdout)["accused"] == []
    assert _count(world, traces) == 1


def test_too_few_rows_says_how_many_are_needed(cli, world: World) -> None:
    _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    pacsv.write_csv(pacsv.read_csv(world.root / "cloudco.csv").slice(0, 5),
                    world.root / "few.csv")
    result = cli("trace", str(world.root / "few.csv"), "--json")
    assert result.exit_code == 2 and "too few rows to decide" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["rows_matched"] <= 5 and doc["needed_rows"] > 5 and doc["accused"] == []
    assert str(doc["needed_rows"]) in result.stderr
    assert _count(world, traces) == 0


def test_bad_inputs_are_clear_and_record_nothing(cli, world: World) -> None:
    _share(cli, world, "CloudCo", world.root / "cloudco.csv")
    corrupt = world.root / "broken.parquet"
    corrupt.write_bytes(b"PAR1" + b"\x00" * 50)
    result = cli("trace", str(corrupt))
    assert result.exit_code == 2 and "cannot read it as PARQUET" in result.stderr
    assert cli("trace", str(world.root / "missing.csv")).exit_code == 2
    assert cli("trace", str(world.root / "dua.yaml")).exit_code == 2
    assert _count(world, traces) == 0
    wrong_suffix = cli("share", world.dataset, "--to", "CloudCo", "-o", str(world.root / "x.pq"))
    assert wrong_suffix.exit_code == 2 and "customers.csv" not in wrong_suffix.stderr
    assert _count(world, shares) == 1


def test_unmarkable_table_is_refused(cli, vault) -> None:
    data = vault.root / "data"
    data.mkdir()
    (data / "names.csv").write_text("name,city\n" + "".join(f"n{i},c{i // 40}\n"
                                                             for i in range(50)))
    asset = scan(vault, [data]).assets[0].id

    for name in ("Acme AI", "CloudCo", "Beta Labs", "Gamma"):
        add_party(vault, name, "organisation")
    (vault.root / "dua.yaml").write_text(DUA.format(name="names.csv"))
    add_agreement(vault, vault.root / "dua.yaml")
    out = vault.root / "copy.csv"
    result = cli("share", asset, "--to", "CloudCo", "-o", str(out))
    assert result.exit_code == 2 and "no column can carry a mark" in result.stderr
    assert not out.exists()


def test_evidence_bundle_proves_the_accused_share(cli, world: World) -> None:
    b = _share(cli, world, "Beta Labs", world.root / "beta.csv")
    bundle = world.root / "evidence.zip"
    result = cli("trace", str(world.root / "beta.csv"), "--evidence", str(bundle), "--json")
    assert result.exit_code == 0 and bundle.is_file()
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["subject"] == b["share"]
    assert [e["type"] for e in manifest["events"]] == ["share.created", "trace.recorded"]
    check = cli("verify-bundle", str(bundle), "--json")
    assert check.exit_code == 0 and json.loads(check.stdout)["ok"] is True


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_an_unwritable_evidence_path_is_refused_before_anything_is_recorded(
        cli, world: World, where: str) -> None:
    _share(cli, world, "Beta Labs", world.root / "beta.csv")
    target = world.root / "nope" / "e.zip" if where == "missing-folder" else world.root
    before = _count(world, events)
    result = cli("trace", str(world.root / "beta.csv"), "--evidence", str(target), "--json")
    assert result.exit_code == 2 and "\n" not in result.stderr.strip()
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert _count(world, traces) == 0 and _count(world, events) == before

def test_key_columns_are_recognised_by_content_in_a_renamed_subset(cli, vault) -> None:
    """Key columns must be recognised in a 20% subset with every column renamed: a flat
    categorical (names), whose own most frequent values differ from the original's, and
    several all-distinct identifiers (an id, an e-mail, a phone), which must not be swapped."""
    rng = np.random.default_rng(3)
    first = [f"first{i}" for i in range(12)]
    last = [f"last{i}" for i in range(9)]
    rows = 5000
    table = pa.table({
        "patient": [f"P{100000 + i}" for i in range(rows)],
        "email": [f"user{i}@example.org" for i in range(rows)],
        "phone": [f"+1-555-{i % 900 + 100}-{i:04d}" for i in range(rows)],
        "name": [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(rows)],
        "city": rng.choice([f"city{i}" for i in range(40)], rows).tolist(),
        "bmi": np.round(rng.normal(27.0, 4.5, rows), 2),
        "glucose": np.round(rng.lognormal(1.7, 0.2, rows), 2),
    })
    data = vault.root / "data"
    data.mkdir()
    pacsv.write_csv(table, data / "patients.csv")
    asset = next(a.id for a in scan(vault, [data]).assets)
    add_party(vault, "Acme AI", "organisation")
    add_party(vault, "CloudCo", "organisation", role="partner")
    (vault.root / "dua.yaml").write_text(
        "type: data-use\ntitle: DUA\nparties: [Acme AI, CloudCo]\neffective: 2025-01-01\n"
        "expires: 2030-12-31\ncovers: [patients.csv]\npermitted:\n  - party: CloudCo\n"
        "    actions: [share]\n")
    add_agreement(vault, vault.root / "dua.yaml")
    out = vault.root / "cloudco.csv"
    assert cli("share", asset, "--to", "CloudCo", "-o", str(out)).exit_code == 0
    shared = pacsv.read_csv(out)
    picked = np.random.default_rng(4).choice(rows, rows // 5, replace=False)
    leak = shared.take(pa.array(picked))
    leak = leak.select(list(reversed(leak.column_names)))
    leak = leak.rename_columns([f"c{i}" for i in range(leak.num_columns)])
    pacsv.write_csv(leak, vault.root / "leak.csv")
    result = cli("trace", str(vault.root / "leak.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [c["recipient"] for c in doc["accused"]] == ["cloudco"]


def test_a_leak_of_a_lookalike_dataset_is_traced_to_its_own_asset(cli, world: World) -> None:
    """Two shared datasets with the same columns and distributions (say, two extracts of one
    table): the suspect must be scored against both, not only the first that matches."""
    data = world.root / "data2"
    data.mkdir()
    pacsv.write_csv(make_table(4000, seed=8), data / "customers-2025.csv")
    other = next(a.id for a in scan(world.vault, [data]).assets)
    (world.root / "dua2.yaml").write_text(DUA.replace("dua-partners", "dua-2025").format(
        name="customers-2025.csv"))
    add_agreement(world.vault, world.root / "dua2.yaml")
    _share(cli, world, "CloudCo", world.root / "first.csv")
    leaked = cli("share", other, "--to", "Beta Labs", "-o", str(world.root / "second.csv"),
                 "--json")
    assert leaked.exit_code == 0, leaked.stderr
    result = cli("trace", str(world.root / "second.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["asset"] == other
    assert [c["share"] for c in doc["accused"]] == [json.loads(leaked.stdout)["share"]]
    unmarked = cli("trace", str(world.root / "data" / "customers.csv"), "--json")
    assert unmarked.exit_code == 0 and json.loads(unmarked.stdout)["accused"] == []


@pytest.mark.parametrize("replay_bytes", [1, 256 << 20])
def test_first_share_with_or_without_keeping_the_profile_pass(cli, world: World, monkeypatch,
                                                               replay_bytes: int) -> None:
    """Whether the profile pass's batches are kept for marking (a table that fits) or the
    file is read again (one that does not), the copy carries a traceable mark."""
    from hallmark.marks import tabular_io

    monkeypatch.setattr(tabular_io, "KEEP_BYTES", replay_bytes)
    first = _share(cli, world, "CloudCo", world.root / "first.csv")
    assert first["rows"] == 4000 and first["marked_cells"] > 0
    result = cli("trace", str(world.root / "first.csv"), "--json")
    assert [c["share"] for c in json.loads(result.stdout)["accused"]] == [first["share"]]


@pytest.mark.parametrize("extra, message", [
    (["--budget", "0.8"], "error: --budget: must lie in (0, 0.5]"),
    (["--recipients", "0"], "error: --recipients: must be >= 1"),
    (["--epsilon", "1"], "error: --epsilon: must lie in (0, 1)"),
    (["--column-budget", "spend=0"], "error: --column-budget spend: the amount must be positive"),
    (["--column-budget", "spend"], "error: --column-budget: must look like COLUMN=VALUE"),
    (["--column-budget", "spend=lots"], "error: --column-budget: 'lots' is not a number"),
    (["--range", "spend=5:1"], "error: --range spend: LO must be below HI"),
    (["--range", "spend=5"], "error: --range: must look like COLUMN=LO:HI"),
    (["--range", "nosuch=1:5"], "error: --range: no column named 'nosuch'"),
    (["--categorical", "some"], "error: --categorical: must be auto, always or never"),
])
def test_bad_share_options_name_their_flag(cli, world: World, extra: list[str],
                                           message: str) -> None:
    logged = _count(world, events)
    out = world.root / "copy.csv"
    result = cli("share", world.dataset, "--to", "CloudCo", "-o", str(out), *extra)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
    if "nosuch" not in message:  # refused before the access decision
        assert _count(world, events) == logged
