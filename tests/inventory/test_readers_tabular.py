"""Tabular and card readers: schema, row counts, PII, front matter — and hostile variants."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.inventory.readers import ReaderError, read_metadata

from .fuzzing import assert_reader_contract, mutate


def people(n: int) -> pa.Table:
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "contact": [f"user{i}@example.org" for i in range(n)],
        "ssn": ["078-05-1120"] * n,
        "score": [i / 3 for i in range(n)],
        "note": ["likes hiking" for _ in range(n)],
    })


def _pii(meta: dict[str, object]) -> dict[str, object]:
    return {p["column"]: p for p in meta["pii"]}  # type: ignore[attr-defined, index]


def test_parquet_schema_rows_and_pii(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    pq.write_table(people(5000), path, row_group_size=1500)
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "parquet" and meta["rows"] == 5000 and meta["row_groups"] == 4
    assert meta["columns"][:2] == [{"name": "id", "type": "int64"},
                                   {"name": "contact", "type": "string"}]
    pii = _pii(meta)
    assert pii["contact"]["kinds"] == ["email"] and pii["contact"]["evidence"] == "values"
    assert pii["contact"]["sampled"] == 1000 and pii["contact"]["matches"] == 1000
    assert pii["ssn"]["kinds"] == ["ssn"] and pii["ssn"]["evidence"] == "name+values"
    assert set(pii) == {"contact", "ssn"}
    json.dumps(meta)


@pytest.mark.parametrize("stream", [False, True])
def test_arrow_ipc_file_and_stream(tmp_path: Path, stream: bool) -> None:
    path = tmp_path / "people.arrow"
    table = people(2500)
    with pa.OSFile(str(path), "wb") as sink:
        opener = pa.ipc.new_stream if stream else pa.ipc.new_file
        with opener(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=1000):
                writer.write_batch(batch)
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "arrow" and meta["rows"] == 2500 and meta["batches"] == 3
    assert "email" in _pii(meta)["contact"]["kinds"]


def test_feather(tmp_path: Path) -> None:
    path = tmp_path / "people.feather"
    feather.write_feather(people(10), path)
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "feather" and meta["rows"] == 10 and meta["column_count"] == 5


def test_csv_types_rows_and_pii(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    lines = ["id,full_name,phone,city"] + [
        f'{i},"Doe, Jane {i}",+44 20 7946 {i % 10000:04d},"Line one\nline two"'
        for i in range(3000)]
    path.write_text("\n".join(lines) + "\n")
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "csv" and meta["rows"] == 3000  # quoted newlines are not rows
    assert meta["columns"] == [{"name": "id", "type": "int64"},
                               {"name": "full_name", "type": "string"},
                               {"name": "phone", "type": "string"},
                               {"name": "city", "type": "string"}]
    pii = _pii(meta)
    assert pii["full_name"]["kinds"] == ["name"] and pii["full_name"]["evidence"] == "name"
    assert pii["phone"]["kinds"] == ["phone"] and pii["phone"]["evidence"] == "name+values"
    assert "city" not in pii and "id" not in pii


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("ip\tcount\n10.0.0.1\t3\n::1\t4\n")
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "tsv" and meta["rows"] == 2
    assert _pii(meta)["ip"]["kinds"] == ["ip_address"]


def test_csv_with_non_utf8_bytes_is_read_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"name,city\nJos\xe9,M\xfcnchen\nAnn,Z\xfcrich\n")
    meta = read_metadata(path, "dataset")
    assert meta["rows"] == 2 and meta["encoding"] == "latin-1"
    assert [c["name"] for c in meta["columns"]] == ["name", "city"]


def test_csv_type_change_after_first_block_falls_back_to_text(tmp_path: Path) -> None:
    path = tmp_path / "zips.csv"
    with path.open("w") as f:
        f.write("zip,n\n")
        for i in range(150_000):  # more than one 1 MiB block of integers...
            f.write(f"{10000 + i % 89999},{i}\n")
        f.write("unknown,1\n")  # ...then text
    meta = read_metadata(path, "dataset")
    assert meta["rows"] == 150_001
    assert meta["columns"][0] == {"name": "zip", "type": "string"}
    assert _pii(meta)["zip"]["kinds"] == ["postcode"]


def test_csv_empty_and_ragged(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    assert read_metadata(path, "dataset")["rows"] == 0
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(ReaderError, match="columns"):
        read_metadata(path, "dataset")


def test_jsonl_streams_and_samples(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    rows = [json.dumps({"email": f"a{i}@b.io", "text": "hello", "n": i, "x": None if i else 1})
            for i in range(1500)]
    path.write_text("\n".join(rows[:10]) + "\n\n" + "\n".join(rows[10:]))  # a blank line
    meta = read_metadata(path, "dataset")
    assert meta["format"] == "jsonl" and meta["rows"] == 1500
    assert {c["name"]: c["type"] for c in meta["columns"]} == {
        "email": "string", "text": "string", "n": "int64", "x": "int64"}
    assert _pii(meta)["email"]["evidence"] == "name+values"


def test_jsonl_bad_line_in_sample_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ReaderError, match="line 2"):
        read_metadata(path, "dataset")


def test_corrupt_parquet_and_arrow(tmp_path: Path) -> None:
    for name in ("x.parquet", "x.arrow", "x.feather"):
        path = tmp_path / name
        path.write_bytes(b"PAR1 not really" * 3)
        with pytest.raises(ReaderError):
            read_metadata(path, "dataset")


# ---------- cards ----------

CARD = """---
license: other
license_name: llama3
license_link: LICENSE
base_model: meta-llama/Meta-Llama-3-8B
datasets:
  - HuggingFaceH4/ultrachat_200k
tags: [text-generation, chat]
pipeline_tag: text-generation
widget: [{"text": "hi"}]
---
# My model
"""


def test_card_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(CARD)
    assert read_metadata(path, "model") == {"format": "card", "card": {
        "license": "other", "license_name": "llama3", "license_link": "LICENSE",
        "pipeline_tag": "text-generation", "datasets": ["HuggingFaceH4/ultrachat_200k"],
        "base_model": "meta-llama/Meta-Llama-3-8B", "tags": ["text-generation", "chat"],
        "model_name": "My model"}}


@pytest.mark.parametrize(("text", "name"), [
    ("---\nmodel_name: Med-Triage\n---\n# Other\n", "Med-Triage"),
    ("---\nmodel-index:\n- name: triage-v2\n  results: []\n---\n# Other\n", "triage-v2"),
    ("---\nlicense: mit\n---\n\n```\n# not a title\n```\n## Sub\n# **Med** `Triage`\n",
     "Med Triage"),
    ("---\nlicense: mit\n---\n# [Triage](https://x.org) #\n", "Triage"),
    ("---\nmodel_name: [a, b]\nmodel-index: {name: x}\n---\nno heading\n", None),
])
def test_card_names_its_model(tmp_path: Path, text: str, name: str | None) -> None:
    path = tmp_path / "README.md"
    path.write_text(text)
    assert read_metadata(path, "model")["card"].get("model_name") == name


def test_markdown_without_front_matter_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n---\nlicense: mit\n---\n")
    assert read_metadata(path, "document") == {}


@pytest.mark.parametrize(("text", "reason"), [
    ("---\nlicense: mit\n", "not closed"),
    ("---\nlicense: [mit\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "not a YAML mapping"),
    ("---\n!!python/object/apply:os.system ['true']\n---\n", "not valid YAML"),
])
def test_bad_front_matter(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "README.md"
    path.write_text(text)
    with pytest.raises(ReaderError, match=reason):
        read_metadata(path, "model")


def test_yaml_alias_bomb_stays_small(tmp_path: Path) -> None:
    lines = ["---", 'a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [" + ",".join([f"*{prev}"] * 10)
                     + "]")
    lines += ["tags: *i", "license: mit", "---"]
    path = tmp_path / "README.md"
    path.write_text("\n".join(lines) + "\n")
    meta = read_metadata(path, "model")
    assert meta["card"] == {"license": "mit", "tags": []}  # nested lists are not strings


# ---------- fuzz ----------


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    base = tmp_path_factory.mktemp("orig")
    pq.write_table(people(50), base / "p.parquet")
    feather.write_feather(people(50), base / "p.feather")
    table = people(50)
    with pa.OSFile(str(base / "p.arrow"), "wb") as sink, pa.ipc.new_stream(sink,
                                                                           table.schema) as w:
        w.write_table(table, max_chunksize=20)
    return {"p.parquet": (base / "p.parquet").read_bytes(),
            "p.feather": (base / "p.feather").read_bytes(),
            "p.arrow": (base / "p.arrow").read_bytes(),
            "p.csv": b"id,email\n1,a@b.io\n2,c@d.io\n",
            "p.jsonl": b'{"a": 1, "email": "a@b.io"}\n{"a": 2}\n',
            "README.md": CARD.encode()}


@settings(max_examples=150, deadline=2000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["p.parquet", "p.feather", "p.arrow", "p.csv", "p.jsonl",
                             "README.md"]),
       data=st.data())
def test_fuzz_tabular_readers(tmp_path: Path, originals: dict[str, bytes], name: str,
                              data: st.DataObject) -> None:
    path = tmp_path / name
    path.write_bytes(mutate(data, originals[name]))
    assert_reader_contract(path, "dataset")
