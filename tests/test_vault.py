"""The vault: init, discovery, keys, refusal to overwrite."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hallmark.errors import NotFound
from hallmark.vault import Vault


def test_init_creates_vault_with_private_keys(tmp_path: Path, cli) -> None:
    result = cli("init", str(tmp_path / "p"))
    assert result.exit_code == 0, result.stderr
    keys = tmp_path / "p" / ".hallmark" / "keys"
    for name in ("signing.key", "marking.key"):
        mode = stat.S_IMODE(os.stat(keys / name).st_mode)
        assert mode == 0o600
    assert len((keys / "marking.key").read_bytes()) == 32
    assert (tmp_path / "p" / ".hallmark" / "hallmark.toml").is_file()


def test_init_refuses_existing_vault_and_changes_nothing(tmp_path: Path, cli) -> None:
    assert cli("init", str(tmp_path)).exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / ".hallmark").rglob("*")}
    result = cli("init", str(tmp_path))
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / ".hallmark").rglob("*")}
    assert before == after


def test_vault_found_upwards_like_git(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = vault.root / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert Vault.find().root == vault.root
    monkeypatch.setenv("HALLMARK_VAULT", str(vault.root))
    monkeypatch.chdir("/")
    assert Vault.find().root == vault.root


def test_no_vault_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HALLMARK_VAULT", raising=False)
    with pytest.raises(NotFound):
        Vault.find()


def test_transaction_appends_events_and_signs_checkpoint(vault: Vault) -> None:
    from hallmark.ledger import log, note

    with vault.transaction(vault.actor) as txn:
        txn.log.append("test.event", {"n": 1}, ["subj"])
        txn.log.append("test.event", {"n": 2}, ["subj"])
    with vault.read() as conn:
        size, root = log.head(conn)
        cp = note.open_checkpoint(
            log.latest_checkpoint(conn) or "", vault.key_name, vault.signing_key.public_key()
        )
        assert log.events_for(conn, "subj") == [0, 1]
    assert (cp.size, cp.root) == (size, root) == (2, root)


def test_failed_transaction_writes_nothing(vault: Vault) -> None:
    from hallmark.ledger import log

    with pytest.raises(RuntimeError), vault.transaction(vault.actor) as txn:
        txn.log.append("test.event", {"n": 1})
        raise RuntimeError("boom")
    with vault.read() as conn:
        assert log.head(conn)[0] == 0


def test_init_on_a_file_is_a_one_line_error(tmp_path: Path, cli) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("x")
    result = cli("init", str(target))
    assert result.exit_code == 2 and "not a folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_each_event_records_the_actor_of_its_transaction(vault: Vault) -> None:
    from hallmark import services
    from hallmark.errors import InputError

    with vault.transaction("zoe") as txn:
        txn.log.append("test.event", {"n": 1}, ["subj"])
    with vault.transaction("yann") as txn:
        txn.log.append("test.event", {"n": 2}, ["subj"])
    assert [e.actor for e in services.ledger.entries(vault, "subj")] == ["zoe", "yann"]
    for bad in ("", "   ", "x" * 201, None):
        with pytest.raises(InputError) as caught, vault.transaction(bad) as txn:  # type: ignore[arg-type]
            txn.log.append("test.event", {"n": 3}, ["subj"])
        assert caught.value.field == "actor"
    assert services.ledger.status(vault).size == 2
