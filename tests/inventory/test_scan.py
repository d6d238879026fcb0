"""`hallmark scan`: registration, rescans, metadata, bad input; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from hallmark.services.inventory import scan as scan_service
from hallmark.vault import Vault

ACTOR = "tester"


def scan(vault: Vault, paths: list[Path], rehash: bool = False):  # type: ignore[no-untyped-def]
    """The service, as the tests call it."""
    return scan_service(vault, paths, actor=ACTOR, rehash=rehash)


def make_project(root: Path) -> None:
    (root / "data").mkdir()
    (root / "data" / "people.csv").write_text(
        "name,email,score\n" + "".join(f"P{i},p{i}@example.com,{i}\n" for i in range(50)))
    save_file({"w": np.ones((4, 3), dtype=np.float32)}, str(root / "model.safetensors"),
              metadata={"author": "acme"})
    (root / "train.py").write_text("print('hi')\n")


def test_scan_json_registers_assets_with_digests(vault: Vault, cli) -> None:
    make_project(vault.root)
    result = cli("scan", ".", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    by_path = {a["path"]: a for a in doc["assets"]}
    assert set(by_path) == {"data/people.csv", "model.safetensors", "train.py"}
    model = by_path["model.safetensors"]
    for key in ("id", "path", "kind", "size", "sha256", "blake3", "metadata"):
        assert key in model
    assert model["kind"] == "model"
    assert model["metadata"]["parameters"] == 12
    assert by_path["data/people.csv"]["metadata"]["rows"] == 50
    assert by_path["data/people.csv"]["kind"] == "dataset"
    assert doc["new"] == 3


def test_rescan_skips_unchanged_and_detects_changes(vault: Vault) -> None:
    make_project(vault.root)
    first = scan(vault, [vault.root])
    assert first.new == 3
    again = scan(vault, [vault.root])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    (vault.root / "train.py").write_text("print('changed')\n")
    third = scan(vault, [vault.root])
    assert (third.new, third.changed, third.unchanged) == (0, 1, 2)
    ids_before = {a.path: a.id for a in first.assets}
    assert {a.path: a.id for a in third.assets} == ids_before  # ids are stable
    rehashed = scan(vault, [vault.root], rehash=True)
    assert (rehashed.changed, rehashed.unchanged) == (0, 3)


def test_scan_logs_one_event_per_new_or_changed_asset(vault: Vault) -> None:
    from hallmark.ledger import log

    make_project(vault.root)
    result = scan(vault, [vault.root])
    with vault.read() as conn:
        size, _ = log.head(conn)
        assert size == 3
        model = next(a for a in result.assets if a.kind == "model")
        (seq,) = log.events_for(conn, model.id)
        entry = log.event(conn, seq)["parsed"]
    assert entry["type"] == "asset.registered"
    assert entry["payload"]["asset"]["sha256"] == model.sha256


def test_bad_files_give_findings_and_scan_completes(vault: Vault, cli) -> None:
    root = vault.root
    (root / "empty.csv").write_bytes(b"")
    (root / "broken.safetensors").write_bytes(b"\xff" * 20)
    (root / "trunc.parquet").write_bytes(b"PAR1\x00\x01")
    os.mkfifo(root / "fifo")
    os.symlink(root / "loop", root / "loop")
    (root / "ok.py").write_text("x = 1\n")
    result = cli("scan", ".", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    paths = {a["path"] for a in doc["assets"]}
    assert {"ok.py", "broken.safetensors", "trunc.parquet", "empty.csv"} <= paths
    problems = {p["path"]: p["reason"] for p in doc["problems"]}
    assert "fifo" in problems and "loop" in problems
    audit = json.loads(cli("audit", "--json").stdout)["findings"]
    unreadable = {f["asset"] or f["subject"] for f in audit if f["rule"] == "unreadable-file"}
    ids = {a["path"]: a["id"] for a in doc["assets"]}
    assert {ids["broken.safetensors"], ids["trunc.parquet"], "fifo", "loop"} <= unreadable
    assert ids["ok.py"] not in unreadable


def test_file_changing_while_hashed_is_not_registered_half_read(vault: Vault) -> None:
    big = vault.root / "growing.bin"
    big.write_bytes(os.urandom(8 << 20))
    stop = threading.Event()

    def grow() -> None:
        with open(big, "ab") as fh:
            while not stop.is_set():
                fh.write(os.urandom(1 << 16))
                fh.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=grow)
    writer.start()
    try:
        result = scan(vault, [vault.root])
    finally:
        stop.set()
        writer.join()
    registered = [a for a in result.assets if a.path == "growing.bin"]
    if registered:  # it may have been caught between two writes; then the digest must be true
        import hashlib

        assert registered[0].size <= big.stat().st_size
        data = big.read_bytes()[: registered[0].size]
        assert hashlib.sha256(data).hexdigest() == registered[0].sha256
    else:
        assert any("changed while" in p.reason for p in result.problems)


def test_scan_missing_path_is_exit_2(vault: Vault, cli) -> None:
    result = cli("scan", "does-not-exist")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_hostile_pickle_is_never_executed(vault: Vault, cli) -> None:
    marker = vault.root / "pwned"
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    (vault.root / "model.pkl").write_bytes(payload)
    result = cli("scan", ".", "--json")
    assert result.exit_code == 0
    assert not marker.exists()
    findings = json.loads(cli("audit", "--json").stdout)["findings"]
    unsafe = [f for f in findings if f["rule"] == "unsafe-pickle"]
    assert unsafe and "os.system" in unsafe[0]["message"]
    assert not marker.exists()


def test_model_inherits_the_card_beside_it(vault: Vault, cli) -> None:
    folder = vault.root / "model"
    folder.mkdir()
    save_file({"w": np.ones(3, dtype=np.float32)}, str(folder / "weights.safetensors"))
    (folder / "README.md").write_text("---\nlicense: mit\nbase_model: org/base\n---\n# M\n")
    (vault.root / "lonely.safetensors").write_bytes((folder / "weights.safetensors").read_bytes())
    doc = json.loads(cli("scan", ".", "--json").stdout)
    by_path = {a["path"]: a for a in doc["assets"]}
    assert by_path["model/weights.safetensors"]["metadata"]["card"]["license"] == "mit"
    assert "card" not in by_path["lonely.safetensors"]["metadata"]
    findings = json.loads(cli("audit", "--json").stdout)["findings"]
    no_licence = {f["asset"] for f in findings if f["rule"] == "no-license"}
    assert by_path["lonely.safetensors"]["id"] in no_licence
    assert by_path["model/weights.safetensors"]["id"] not in no_licence


def test_non_utf8_file_name_is_registered_and_rescanned(vault: Vault) -> None:
    name = os.fsdecode(b"donn\xe9es.csv")
    (vault.root / name).write_text("a,b\n1,2\n")
    first = scan(vault, [vault.root])
    assert [a.path for a in first.assets] == ["donn\\xe9es.csv"]
    again = scan(vault, [vault.root])
    assert (again.new, again.unchanged) == (0, 1)


def test_empty_file_is_registered_with_empty_digests(vault: Vault) -> None:
    (vault.root / "empty.bin").write_bytes(b"")
    (asset,) = scan(vault, [vault.root]).assets
    assert asset.size == 0
    assert asset.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_rescan_in_the_same_process_sees_a_new_licence_file(vault: Vault) -> None:
    (vault.root / "lib").mkdir()
    (vault.root / "lib" / "util.py").write_text("x = 1\n")
    first = scan(vault, [vault.root])
    assert "repo_license" not in first.assets[0].metadata
    (vault.root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a "
        "copy of this software and associated documentation files (the \"Software\"), to deal in "
        "the Software without restriction, including without limitation the rights to use, copy, "
        "modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, "
        "subject to the following conditions:\n\n"
        "The above copyright notice and this permission notice shall be included in all copies "
        "or substantial portions of the Software.\n")
    again = {a.path: a for a in scan(vault, [vault.root], rehash=True).assets}
    assert again["lib/util.py"].metadata["repo_license"]["spdx"] == "MIT"


def test_problems_go_once_the_file_is_removed_or_excluded(vault: Vault, cli) -> None:
    root = vault.root
    (root / "sub").mkdir()
    os.mkfifo(root / "fifo")
    os.mkfifo(root / "sub" / "pipe")
    os.symlink(root / "loop", root / "loop")
    assert cli("scan", ".").exit_code == 0

    def unreadable() -> set[str]:
        audit = json.loads(cli("audit", "--json", "--rule", "unreadable-file").stdout)
        return {f["subject"] for f in audit["findings"]}

    assert unreadable() == {"fifo", "loop", "sub/pipe"}
    (root / "loop").unlink()
    assert cli("scan", "sub").exit_code == 0  # a scan of another folder keeps other problems
    assert unreadable() == {"fifo", "loop", "sub/pipe"}
    assert cli("scan", ".", "--exclude", "fifo").exit_code == 0  # the remedy the finding names
    assert unreadable() == {"sub/pipe"}
