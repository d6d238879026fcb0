"""The tamper harness: what someone who can write the database but does not hold the signing key
can do to the log, and what a key holder can do once a witness saw the log. Every attack must
make `ledger verify` fail (exit 1, a named problem, never a traceback), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update

from hallmark.ledger import merkle, note
from hallmark.store.tables import checkpoints, event_subjects, events, ledger_head
from hallmark.vault import Vault

from .conftest import append
from .test_verify import rebuild_and_resign, rebuild_tree


@pytest.fixture
def log12(vault: Vault) -> Vault:
    """Twelve events in twelve transactions, each naming subject "noise" (and "x{i}")."""
    for i in range(12):
        with vault.transaction(vault.actor) as txn:
            txn.log.append("test.event", {"i": i}, ["noise", f"x{i}"])
    return vault


def _rebuild_unsigned(vault: Vault, keep_checkpoints_below: int) -> None:
    """An attacker without the key: recompute leaves, nodes and head from the (edited) entries,
    and delete the checkpoints that no longer match, i.e. those at or above the cut."""
    with vault.engine.begin() as conn:
        rebuild_tree(conn, vault)
        conn.execute(delete(checkpoints).where(checkpoints.c.size >= keep_checkpoints_below))


def _forge(i: int) -> bytes:
    return json.dumps({"actor": "mallory", "payload": {"i": i}, "subjects": ["noise"],
                       "time": "2026-01-01T00:00:00.000000Z", "type": "test.event"},
                      sort_keys=True, separators=(",", ":")).encode()


def _rewrite(vault: Vault, seq: int) -> None:
    forged = _forge(99)
    with vault.engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == seq).values(
            entry=forged, time="2026-01-01T00:00:00.000000Z", actor="mallory", type="test.event"))
        conn.execute(delete(event_subjects).where(event_subjects.c.seq == seq))
        conn.execute(insert(event_subjects).values(subject="noise", seq=seq))


def _append_forged(vault: Vault, count: int) -> None:
    with vault.engine.begin() as conn:
        size = conn.execute(select(ledger_head.c.size)).scalar_one()
        for seq in range(size, size + count):
            forged = _forge(seq)
            conn.execute(insert(events).values(
                seq=seq, time="2026-01-01T00:00:00.000000Z", type="test.event", actor="mallory",
                entry=forged, leaf_hash=merkle.leaf_hash(forged)))
            conn.execute(insert(event_subjects).values(subject="noise", seq=seq))


def _cut_back(vault: Vault, size: int) -> None:
    """Truncate to an earlier signed checkpoint: everything past it deleted, head reset."""
    with vault.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.seq >= size))
        conn.execute(delete(event_subjects).where(event_subjects.c.seq >= size))
        conn.execute(delete(checkpoints).where(checkpoints.c.size > size))
    _rebuild_unsigned(vault, keep_checkpoints_below=size + 1)


# name -> attack on a 12-entry log by someone without the key
ATTACKS = {
    "newest checkpoint deleted": lambda v: _sql(v, delete(checkpoints).where(
        checkpoints.c.size == 12)),
    "all checkpoints deleted": lambda v: _sql(v, delete(checkpoints)),
    "checkpoints deleted, entry rewritten, hashes recomputed": lambda v: (
        _rewrite(v, 8), _rebuild_unsigned(v, keep_checkpoints_below=9)),
    "all checkpoints deleted, entry rewritten, hashes recomputed": lambda v: (
        _rewrite(v, 2), _rebuild_unsigned(v, keep_checkpoints_below=0)),
    "entries appended, hashes recomputed": lambda v: (
        _append_forged(v, 3), _rebuild_unsigned(v, keep_checkpoints_below=13)),
    "subject index row deleted": lambda v: _sql(v, delete(event_subjects).where(
        event_subjects.c.subject == "x5")),
    "subject index rows of a subject deleted": lambda v: _sql(v, delete(event_subjects).where(
        event_subjects.c.subject == "noise")),
    "subject index row added": lambda v: _sql(v, insert(event_subjects).values(
        subject="victim", seq=3)),
    "subject index row moved": lambda v: _sql(v, update(event_subjects).where(
        event_subjects.c.subject == "x4").values(seq=5)),
    "subject index row past the head": lambda v: _sql(v, insert(event_subjects).values(
        subject="x1", seq=40)),
    "head moved back a step": lambda v: _cut_unsigned(v, 11),
}


def _sql(vault: Vault, statement: object) -> None:
    with vault.engine.begin() as conn:
        conn.execute(statement)  # type: ignore[call-overload]


def _cut_unsigned(vault: Vault, size: int) -> None:
    """Cut back to a size whose checkpoint is then deleted too: no signature at the head."""
    _cut_back(vault, size)
    _sql(vault, delete(checkpoints).where(checkpoints.c.size == size))


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_without_the_key_fails_verify(log12: Vault, cli, attack: str) -> None:
    ATTACKS[attack](log12)
    result = cli("ledger", "verify", "--json")
    assert result.exit_code == 1, attack
    report = json.loads(result.stdout)
    assert not report["ok"] and report["problem"]
    assert "Traceback" not in result.stderr
    assert "log verification failed" in result.stderr


@pytest.mark.parametrize("attack", ["checkpoints deleted, entry rewritten, hashes recomputed",
                                    "all checkpoints deleted", "entries appended, hashes "
                                    "recomputed", "head moved back a step"])
def test_next_honest_write_refuses_to_sign_a_forged_head(log12: Vault, cli, attack: str) -> None:
    ATTACKS[attack](log12)
    with log12.read() as conn:
        before = conn.execute(select(checkpoints.c.size, checkpoints.c.note)).all()
    with pytest.raises(Exception) as raised:
        append(log12, 1)
    assert "tampered" in str(raised.value)
    with log12.read() as conn:  # nothing written: no new entry, no new signature
        assert conn.execute(select(checkpoints.c.size, checkpoints.c.note)).all() == before
    # Through the CLI a write is refused as an integrity failure (exit 1), on one line.
    result = cli("lineage", "add", "aaaa", "--from", "bbbb", "--relation", "trained-on")
    assert result.exit_code in (1, 2)
    assert cli("ledger", "verify").exit_code == 1


def test_cut_back_to_a_signed_checkpoint_is_caught_only_by_a_witness(log12: Vault, cli,
                                                                      tmp_path: Path) -> None:
    witness_file = tmp_path / "elsewhere" / "witness.jsonl"
    witness_file.parent.mkdir()
    result = cli("ledger", "witness", "--to", str(witness_file), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["size"] == 12
    _cut_back(log12, 7)
    # Every remaining entry, node and signature is genuine: alone, the log looks shorter, not cut.
    assert cli("ledger", "verify").exit_code == 0
    result = cli("ledger", "verify", "--witness", str(witness_file), "--json")
    assert result.exit_code == 1
    problem = json.loads(result.stdout)["problem"]
    assert "size 12" in problem and "cut back" in problem
    # ...and witnessing again refuses to record the shorter log.
    again = cli("ledger", "witness", "--to", str(witness_file))
    assert again.exit_code == 1 and "cut back" in again.stderr


def test_key_holder_rewrite_is_caught_by_a_witness(log12: Vault, cli, tmp_path: Path) -> None:
    witness_file = tmp_path / "witness.jsonl"
    assert cli("ledger", "witness", "--to", str(witness_file)).exit_code == 0
    append(log12, 2)
    assert cli("ledger", "witness", "--to", str(witness_file)).exit_code == 0
    _rewrite(log12, 5)
    rebuild_and_resign(log12)
    assert cli("ledger", "verify").exit_code == 0  # self-consistent, freshly re-signed
    result = cli("ledger", "verify", "--witness", str(witness_file), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert "inconsistent" in report["problem"] and "size 12" in report["problem"]
    assert cli("ledger", "witness", "--to", str(witness_file)).exit_code == 1


def test_witnessed_log_verifies_and_grows(log12: Vault, cli, tmp_path: Path) -> None:
    witness_file = tmp_path / "witness.jsonl"
    for _ in range(3):
        assert cli("ledger", "witness", "--to", str(witness_file)).exit_code == 0
        append(log12, 3)
    result = cli("ledger", "verify", "--witness", str(witness_file), "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] and report["witnessed_checked"] == 3 and report["size"] == 21
    lines = witness_file.read_text().splitlines()
    assert [json.loads(x)["size"] for x in lines] == [12, 15, 18]


def test_forged_witness_record_is_refused(log12: Vault, cli, tmp_path: Path) -> None:
    witness_file = tmp_path / "witness.jsonl"
    cli("ledger", "witness", "--to", str(witness_file))
    doc = json.loads(witness_file.read_text())
    doc["size"] = 3
    witness_file.write_text(json.dumps(doc) + "\n")
    result = cli("ledger", "verify", "--witness", str(witness_file))
    assert result.exit_code == 1 and "disagree" in result.stderr


@pytest.mark.parametrize("content", ["not json\n", '{"format": "other"}\n',
                                     '{"format": "hallmark-witness/v1", "size": "x"}\n'])
def test_malformed_witness_file_is_bad_input(log12: Vault, cli, tmp_path: Path,
                                             content: str) -> None:
    bad = tmp_path / "w.jsonl"
    bad.write_text(content)
    result = cli("ledger", "verify", "--witness", str(bad))
    assert result.exit_code == 2 and "line 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_witness_file_of_another_log_fails(log12: Vault, cli, tmp_path: Path) -> None:
    from hallmark import services

    Vault.create(tmp_path / "other", db_url=f"sqlite:///{tmp_path / 'other.db'}")
    other = Vault.find(tmp_path / "other", use_env_db=False)
    append(other, 2)
    witness_file = tmp_path / "w.jsonl"
    services.ledger.witness(other, witness_file, actor="tester")
    result = cli("ledger", "verify", "--witness", str(witness_file))
    assert result.exit_code == 1 and "no checkpoint of this vault" in result.stderr
    other.close()


def test_cosigned_witness(log12: Vault, cli, tmp_path: Path) -> None:
    from hallmark.ledger import witness

    Vault.create(tmp_path / "cosigner", db_url=f"sqlite:///{tmp_path / 'c.db'}")
    cosigner = Vault.find(tmp_path / "cosigner", use_env_db=False)
    witness_file = tmp_path / "w.jsonl"
    result = cli("ledger", "witness", "--to", str(witness_file), "--cosigner",
                 str(cosigner.root), "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(witness_file.read_text())
    name, key = witness.parse_cosigner_vkey(record["cosigner"])
    assert name == cosigner.key_name
    assert witness.open_cosignature(record["checkpoint"], name, key) > 0
    # The checkpoint still opens with the log's own key: the cosignature is one more line.
    cp = note.open_checkpoint(record["checkpoint"], log12.key_name,
                              log12.signing_key.public_key())
    assert cp.size == 12
    # The cosigner remembers what it cosigned, in its own log, and refuses a rewritten history.
    with cosigner.read() as conn:
        assert conn.execute(select(events.c.type)).scalars().all() == ["witness.cosigned"]
    _rewrite(log12, 3)
    rebuild_and_resign(log12)
    other_file = tmp_path / "fresh.jsonl"  # even through a fresh witness file
    refused = cli("ledger", "witness", "--to", str(other_file), "--cosigner", str(cosigner.root))
    assert refused.exit_code == 1 and "inconsistent" in refused.stderr
    assert not other_file.exists()
    # A cosignature altered in the file is caught.
    record["checkpoint"] = record["checkpoint"][:-10] + "AAAAAAAAA\n"
    witness_file.write_text(json.dumps(record) + "\n")
    assert cli("ledger", "verify", "--witness", str(witness_file)).exit_code == 1
    cosigner.close()


def test_cosignature_matches_the_c2sp_layout(vault: Vault) -> None:
    """tlog-cosignature/v1: key id over 0x04, a big-endian u64 time, Ed25519 over
    'cosignature/v1\\ntime T\\n' + the checkpoint body."""
    import base64
    import struct

    from hallmark.ledger import witness

    body = note.checkpoint_body("example.com/log", 5, b"\1" * 32)
    signed = note.sign_note(body, "example.com/log", vault.signing_key)
    cosigned = witness.cosign(signed, "witness.example/w1", vault.signing_key, timestamp=1679315147)
    line = cosigned.splitlines()[-1]
    assert line.startswith("\u2014 witness.example/w1 ")
    blob = base64.b64decode(line.split(" ")[2])
    assert len(blob) == 76 and struct.unpack(">Q", blob[4:12])[0] == 1679315147
    vault.signing_key.public_key().verify(
        blob[12:], b"cosignature/v1\ntime 1679315147\n" + body.encode())


# -- wrongly typed columns (SQLite stores any type in any column) --------------------------------

COLUMNS = {
    "events": ["seq", "time", "type", "actor", "entry", "leaf_hash"],
    "ledger_nodes": ["level", "idx", "hash"],
    "ledger_head": ["size", "root", "frontier"],
    "checkpoints": ["size", "root", "note"],  # `created` is unsigned bookkeeping, not evidence
    "event_subjects": ["subject", "seq"],
}
WRONG = {"integer": "12345", "text": "'x'", "blob": "x'00ff'", "real": "1.5"}


def _typed_cases() -> list[tuple[str, str, str]]:
    return [(table, column, kind) for table, cols in COLUMNS.items() for column in cols
            for kind in WRONG]


@pytest.mark.parametrize(("table", "column", "kind"), _typed_cases())
def test_wrongly_typed_column_is_a_named_failure(tmp_path: Path, monkeypatch, cli, table: str,
                                                 column: str, kind: str) -> None:
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    vault = Vault.create(tmp_path)
    append(vault, 6)
    with vault.engine.begin() as conn:
        target = {"events": "seq = 3", "ledger_nodes": "level = 0 AND idx = 3",
                  "ledger_head": "id = 1", "checkpoints": "size = 6",
                  "event_subjects": "seq = 3"}[table]
        conn.execute(text(f"UPDATE {table} SET {column} = {WRONG[kind]} WHERE {target}"))
    result = cli("ledger", "verify", "--json")
    assert "Traceback" not in result.stderr
    assert result.exit_code == 1, result.stdout
    report = json.loads(result.stdout)
    assert not report["ok"] and report["problem"]
    vault.close()


def test_witness_with_a_time_stamp(log12: Vault, cli, tmp_path: Path, tsa_url: str,
                                   tsa_root: Path) -> None:
    witness_file = tmp_path / "w.jsonl"
    result = cli("ledger", "witness", "--to", str(witness_file), "--tsa", tsa_url,
                 "--tsa-root", str(tsa_root), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["timestamped"]
    record = json.loads(witness_file.read_text())
    assert record["timestamp"]["pinned"] and record["timestamp"]["gen_time"]
    assert cli("ledger", "verify", "--witness", str(witness_file)).exit_code == 0
    # The token stamps the exact note: a record whose note was swapped for another one fails.
    append(log12, 1)
    with log12.read() as conn:
        record["checkpoint"] = conn.execute(select(checkpoints.c.note).where(
            checkpoints.c.size == 13)).scalar_one()
    record["size"], record["root"] = 13, note.open_checkpoint(
        record["checkpoint"], log12.key_name, log12.signing_key.public_key()).root.hex()
    witness_file.write_text(json.dumps(record) + "\n")
    result = cli("ledger", "verify", "--witness", str(witness_file))
    assert result.exit_code == 1 and "time-stamp" in result.stderr


def test_pinned_cosigner_and_tsa(log12: Vault, cli, tmp_path: Path, tsa_url: str,
                                 tsa_root: Path) -> None:
    """A record's own cosigner key proves only that it is intact; pinning says who."""
    Vault.create(tmp_path / "cosigner", db_url=f"sqlite:///{tmp_path / 'c.db'}")
    Vault.create(tmp_path / "impostor", db_url=f"sqlite:///{tmp_path / 'i.db'}")
    witness_file, plain_file = tmp_path / "w.jsonl", tmp_path / "plain.jsonl"
    done = json.loads(cli("ledger", "witness", "--to", str(witness_file), "--cosigner",
                          str(tmp_path / "cosigner"), "--tsa", tsa_url, "--tsa-root",
                          str(tsa_root), "--json").stdout)
    vkey = done["cosigner"]
    args = ("ledger", "verify", "--witness", str(witness_file))
    assert cli(*args, "--cosigner-key", vkey, "--tsa-root", str(tsa_root)).exit_code == 0
    impostor = json.loads(cli("ledger", "witness", "--to", str(plain_file), "--cosigner",
                              str(tmp_path / "impostor"), "--json").stdout)["cosigner"]
    result = cli(*args, "--cosigner-key", impostor)
    assert result.exit_code == 1 and "no cosignature" in result.stderr
    # A record with no token fails once a TSA root is pinned.
    result = cli("ledger", "verify", "--witness", str(plain_file), "--tsa-root", str(tsa_root))
    assert result.exit_code == 1 and "no time-stamp" in result.stderr
    assert cli("ledger", "verify", "--cosigner-key", vkey).exit_code == 2


def test_witness_does_not_skip_a_relabelled_earlier_record(log12: Vault, cli,
                                                          tmp_path: Path) -> None:
    """Appending checks earlier records by the same rule as verify: a record whose unsigned
    origin field was changed still counts as this log's, and fails."""
    witness_file = tmp_path / "w.jsonl"
    assert cli("ledger", "witness", "--to", str(witness_file)).exit_code == 0
    doc = json.loads(witness_file.read_text())
    doc["origin"] = "hallmark/someone-else"
    witness_file.write_text(json.dumps(doc) + "\n")
    result = cli("ledger", "witness", "--to", str(witness_file))
    assert result.exit_code == 1 and "disagree" in result.stderr
