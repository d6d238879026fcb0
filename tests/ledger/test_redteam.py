"""Red-team attacks on the log beyond tests/ledger/test_tamper.py: what someone who has read the
code and can write the database (but not the signing key) might try, and the witness file's
edges. Every attack must end in a named failure (exit 1) or bad input (exit 2), never a pass
or a traceback; honest edge cases must still pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update

from hallmark.errors import InputError, IntegrityError
from hallmark.ledger import log, merkle, note, witness
from hallmark.store.tables import checkpoints, event_subjects, events, ledger_head, ledger_nodes
from hallmark.vault import Vault

from .conftest import append
from .test_tamper import _rewrite
from .test_verify import rebuild_and_resign


@pytest.fixture
def log6(vault: Vault) -> Vault:
    append(vault, 6)
    return vault


def _sql(vault: Vault, *statements: object) -> None:
    with vault.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[call-overload]


def _verify_fails(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = cli("ledger", "verify", "--json", *args)
    assert "Traceback" not in result.stderr
    assert result.exit_code == 1, result.stdout
    report = json.loads(result.stdout)
    assert not report["ok"] and report["problem"]
    return str(report["problem"])


def _forged_entry(seq: int) -> bytes:
    return json.dumps({"actor": "mallory", "payload": {"i": seq}, "subjects": [],
                       "time": "2020-01-01T00:00:00.000000Z", "type": "test.event"},
                      sort_keys=True, separators=(",", ":")).encode()


# -- rows the paged reads never looked at ------------------------------------------------------

def test_entry_with_a_negative_seq_is_caught(log6: Vault, cli) -> None:
    """Verify paged from seq 0, so a row at seq -1 was never read, yet other code reads it
    (the deadline rules take the log's first event by `ORDER BY seq`)."""
    forged = _forged_entry(-1)
    _sql(log6, insert(events).values(seq=-1, time="2020-01-01T00:00:00.000000Z",
                                     type="test.event", actor="mallory", entry=forged,
                                     leaf_hash=merkle.leaf_hash(forged)))
    assert "entries" in _verify_fails(cli)


def test_checkpoint_row_with_a_negative_size_is_caught(vault: Vault, cli) -> None:
    """On an empty log, a junk checkpoint row at size -1 was never read by verify (paging
    started above -1), while the next write refused over it: verify said ok, writes failed."""
    _sql(vault, insert(checkpoints).values(size=-1, root=b"\0" * 32, note="junk",
                                           created="2020-01-01T00:00:00.000000Z"))
    _verify_fails(cli)
    with pytest.raises(IntegrityError):
        append(vault, 1)


def test_negative_checkpoint_copied_from_a_genuine_one_is_caught(log6: Vault, cli) -> None:
    with log6.read() as conn:
        genuine = conn.execute(select(checkpoints).where(checkpoints.c.size == 3)).one()
    _sql(log6, insert(checkpoints).values(size=-3, root=genuine.root, note=genuine.note,
                                          created=genuine.created))
    _verify_fails(cli)


def test_head_row_under_another_id_is_caught(log6: Vault, cli) -> None:
    """Writers read only the head row with id 1; verify must look at that same row."""
    _sql(log6, update(ledger_head).values(id=2))
    _verify_fails(cli)
    with pytest.raises(IntegrityError):
        append(log6, 1)


def test_second_head_row_is_caught(log6: Vault, cli) -> None:
    with log6.read() as conn:
        head = conn.execute(select(ledger_head)).one()
    _sql(log6, insert(ledger_head).values(id=2, size=head.size, root=head.root,
                                          frontier=head.frontier))
    assert "several heads" in _verify_fails(cli)


@pytest.mark.parametrize("level_idx", [(0, -1), (-1, 0), (40, 0)])
def test_node_outside_the_tree_is_caught(log6: Vault, cli, level_idx: tuple[int, int]) -> None:
    level, idx = level_idx
    _sql(log6, insert(ledger_nodes).values(level=level, idx=idx, hash=b"\1" * 32))
    assert "nodes were inserted" in _verify_fails(cli)


def test_subject_index_row_with_a_negative_seq_is_caught(log6: Vault, cli) -> None:
    _sql(log6, insert(event_subjects).values(subject="victim", seq=-1))
    _verify_fails(cli)


def test_huge_head_size_is_a_named_failure(log6: Vault, cli) -> None:
    _sql(log6, update(ledger_head).values(size=(1 << 63) - 1))
    _verify_fails(cli)
    with pytest.raises(IntegrityError):
        append(log6, 1)


# -- checkpoint notes ---------------------------------------------------------------------------

def _newest(vault: Vault) -> str:
    with vault.read() as conn:
        return str(conn.execute(select(checkpoints.c.note).order_by(
            checkpoints.c.size.desc()).limit(1)).scalar_one())


@pytest.mark.parametrize("mangle", ["pad", "space", "crlf", "second_sig_bad", "size_plus",
                                    "size_underscore", "size_zero_padded"])
def test_mangled_newest_note_fails_verify_and_writers(log6: Vault, cli, mangle: str) -> None:
    cp = _newest(log6)
    body, _, sig = cp.partition("\n\n")
    line = sig.rstrip("\n")
    name, b64 = line[2:].split(" ")
    origin, size, root = body.split("\n")
    mangled = {
        "pad": f"{body}\n\n\u2014 {name} {b64}=\n",
        "space": f"{body}\n\n{line} \n",
        "crlf": cp.replace("\n", "\r\n"),
        "second_sig_bad": f"{cp}\u2014 {name} {b64[:-8]}AAAAAAA=\n",
        "size_plus": f"{origin}\n+{size}\n{root}\n\n{line}\n",
        "size_underscore": f"{origin}\n{size[:1]}_{size[1:]}\n{root}\n\n{line}\n"
        if len(size) > 1 else f"{origin}\n0_{size}\n{root}\n\n{line}\n",
        "size_zero_padded": f"{origin}\n0{size}\n{root}\n\n{line}\n",
    }[mangle]
    _sql(log6, update(checkpoints).where(checkpoints.c.size == 6).values(note=mangled))
    log._opened.clear()  # a fresh process: the writer must read the stored bytes
    _verify_fails(cli)
    with pytest.raises(IntegrityError):
        append(log6, 1)


def test_writer_cache_is_bound_to_the_key_not_only_its_name(log6: Vault) -> None:
    """The in-process cache of opened notes must not vouch for a note under another key that
    happens to share the key name (a restored vault with a new key, a second vault)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cp = _newest(log6)
    mine = log.Signer(log6.origin, log6.key_name, log6.signing_key)
    assert log._opened[log._cache_key(mine)].note == cp  # the writer cached it
    other = log.Signer(log6.origin, log6.key_name, Ed25519PrivateKey.generate())
    with log6.engine.begin() as conn, pytest.raises(IntegrityError):
        log.LogWriter.begin(conn, other, "mallory")


def test_transaction_with_no_events_writes_nothing(log6: Vault) -> None:
    with log6.read() as conn:
        before = conn.execute(select(checkpoints.c.size)).scalars().all()
    with log6.transaction(log6.actor):
        pass
    with log6.read() as conn:
        assert conn.execute(select(checkpoints.c.size)).scalars().all() == before


def test_zero_event_transaction_still_refuses_a_forged_head(log6: Vault) -> None:
    _sql(log6, delete(checkpoints).where(checkpoints.c.size == 6))
    with pytest.raises(IntegrityError), log6.transaction(log6.actor):
        pass


# -- subjects -------------------------------------------------------------------------------------

def test_subject_longer_than_the_index_column_is_bad_input(log6: Vault, cli) -> None:
    """event_subjects.subject is String(64): PostgreSQL refused a longer one with a driver error
    at commit while SQLite stored it; now both refuse it up front and write nothing."""
    with pytest.raises(InputError), log6.transaction(log6.actor) as txn:
        txn.log.append("test.event", {}, ["s" * 65])
    with pytest.raises(InputError), log6.transaction(log6.actor) as txn:
        txn.log.append("t" * 65, {}, [])
    with log6.transaction(log6.actor) as txn:  # 64 characters, even non-ASCII ones, fit
        txn.log.append("test.event", {}, ["\u00e9" * 64])
    assert cli("ledger", "verify").exit_code == 0


def test_duplicate_subjects_are_indexed_once(log6: Vault, cli) -> None:
    with log6.transaction(log6.actor) as txn:
        txn.log.append("test.event", {}, ["dup", "dup", "other"])
    assert cli("ledger", "verify").exit_code == 0
    with log6.read() as conn:
        assert log.events_for(conn, "dup") == [6]


def test_subject_index_row_with_a_case_variant_is_caught(log6: Vault, cli) -> None:
    _sql(log6, update(event_subjects).where(event_subjects.c.seq == 2).values(subject="NOISE"))
    _verify_fails(cli)


# -- witness files ------------------------------------------------------------------------------

def _witness(cli, path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("ledger", "witness", "--to", str(path))
    assert result.exit_code == 0, result.stderr


def test_two_witnesses_of_different_histories_at_one_size_both_count(log6: Vault, cli,
                                                                     tmp_path: Path) -> None:
    """Verify kept one witnessed root per size (the last read), so a second witness file of a
    key holder's rewritten history at the same size hid the first, honest one."""
    honest = tmp_path / "honest.jsonl"
    _witness(cli, honest)
    _rewrite(log6, 2)
    rebuild_and_resign(log6)
    forged = tmp_path / "forged.jsonl"
    _witness(cli, forged)
    assert cli("ledger", "verify", "--witness", str(forged)).exit_code == 0
    for files in ([honest, forged], [forged, honest]):
        args = [a for f in files for a in ("--witness", str(f))]
        assert "inconsistent" in _verify_fails(cli, *args)
    # The same within one file (lines appended by hand).
    both = tmp_path / "both.jsonl"
    both.write_bytes(honest.read_bytes() + forged.read_bytes())
    assert "inconsistent" in _verify_fails(cli, "--witness", str(both))


def test_record_whose_origin_field_lies_is_not_ignored(log6: Vault, cli, tmp_path: Path) -> None:
    """Records were chosen by their unsigned `origin` field: relabelling this vault's record as
    another log's made verify skip it (here, after a cut back)."""
    path = tmp_path / "w.jsonl"
    _witness(cli, path)
    good = path.read_text()
    doc = json.loads(good)
    doc["origin"] = "hallmark/someone-else"
    path.write_text(good + json.dumps(doc) + "\n")
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 1 and "disagree" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("shape", ["crlf", "blank_lines", "no_final_newline"])
def test_witness_file_line_endings_parse(log6: Vault, cli, tmp_path: Path, shape: str) -> None:
    path = tmp_path / "w.jsonl"
    _witness(cli, path)
    line = path.read_text().rstrip("\n")
    path.write_bytes({"crlf": f"{line}\r\n".encode(), "blank_lines": f"\n\n{line}\n\n".encode(),
                      "no_final_newline": line.encode()}[shape])
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 0, result.stderr


def test_partial_last_line_is_bad_input(log6: Vault, cli, tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    _witness(cli, path)
    content = path.read_text()
    path.write_text(content + content[: len(content) // 2])
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 2 and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["1e400", "12.0", "true", "-1", "1" * 5000, "null"])
def test_witness_size_of_a_wrong_kind_is_bad_input(log6: Vault, cli, tmp_path: Path,
                                                   value: str) -> None:
    path = tmp_path / "w.jsonl"
    _witness(cli, path)
    raw = path.read_text()
    size = json.loads(raw)["size"]
    path.write_text(raw.replace(f'"size": {size}', f'"size": {value}'))
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_witness_record_at_size_zero_cannot_be_forged(log6: Vault, cli, tmp_path: Path) -> None:
    """No key-signed note at size 0 exists (writers never sign an empty log), so a size-0 record
    carries someone else's note and fails as not signed by this vault."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = note.checkpoint_body(log6.origin, 0, merkle.EMPTY_ROOT)
    fake = note.sign_note(body, log6.key_name, Ed25519PrivateKey.generate())
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"format": witness.FORMAT, "origin": log6.origin, "size": 0,
                                "root": merkle.EMPTY_ROOT.hex(), "witnessed": "now",
                                "checkpoint": fake}) + "\n")
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_self_cosigned_record_still_needs_the_vault_key(log6: Vault, cli, tmp_path: Path) -> None:
    """A cosignature (with whatever key the record names) cannot stand in for the log's own."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    mallory = Ed25519PrivateKey.generate()
    with log6.read() as conn:
        root = conn.execute(select(ledger_head.c.root)).scalar_one()
    body = note.checkpoint_body(log6.origin, 9, root)
    unsigned = f"{body}\n"
    cosigned = witness.cosign(unsigned, "mallory", mallory, timestamp=1)
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"format": witness.FORMAT, "origin": log6.origin, "size": 9,
                                "root": root.hex(), "witnessed": "now", "checkpoint": cosigned,
                                "cosigner": witness.cosigner_vkey(
                                    "mallory", mallory.public_key())}) + "\n")
    result = cli("ledger", "verify", "--witness", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_wrongly_typed_event_seq_is_a_named_failure(tmp_path: Path, monkeypatch, cli) -> None:
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    vault = Vault.create(tmp_path)
    append(vault, 4)
    with vault.engine.begin() as conn:  # an extra row at a text seq sorts after every integer
        conn.execute(text("INSERT INTO events (seq, time, type, actor, entry, leaf_hash) "
                          "SELECT 'x', time, type, actor, entry, leaf_hash FROM events "
                          "WHERE seq = 3"))
    _verify_fails(cli)
    vault.close()


def test_write_between_verify_pages_reads_one_snapshot(log6: Vault, monkeypatch) -> None:
    """An honest write that commits while verify pages through the log must not read as
    tampering (on PostgreSQL each statement used to see the newest commits)."""
    from hallmark.ledger import verify

    if log6.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's read transaction holds the write lock: the writer would wait")
    real = verify._subjects_in
    calls = []

    def write_then_read(conn, start, end):  # type: ignore[no-untyped-def]
        if not calls:
            append(log6, 3)
        calls.append(start)
        return real(conn, start, end)

    monkeypatch.setattr(verify, "_subjects_in", write_then_read)
    with log6.read() as conn:
        report = verify.verify_log(conn, log6.origin, log6.key_name,
                                   log6.signing_key.public_key(), batch=2)
    assert report.ok, report.problem
    assert report.size == 6 and len(calls) == 3
    with log6.read() as conn:
        assert verify.verify_log(conn, log6.origin, log6.key_name,
                                 log6.signing_key.public_key()).size == 9


def test_junk_time_stamp_in_a_witness_record_is_a_named_failure(log6: Vault, cli, tmp_path: Path,
                                                                tsa_root: Path) -> None:
    import base64

    path = tmp_path / "w.jsonl"
    _witness(cli, path)
    doc = json.loads(path.read_text())
    for token in (base64.b64encode(b"\x30\x03\x02\x01\x00").decode(), "AAAA", "not base64"):
        doc["timestamp"] = {"tsa": "http://x", "gen_time": "now", "pinned": True,
                            "token": token, "chain": tsa_root.read_text()}
        path.write_text(json.dumps(doc) + "\n")
        result = cli("ledger", "verify", "--witness", str(path))
        assert result.exit_code == 1 and "time-stamp" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_extra_signature_line_is_harmless(log6: Vault, cli) -> None:
    """C2SP verifiers ignore signatures by keys they do not know: an added line by another name
    changes nothing that is signed, so verify still passes and writers still extend the head."""
    cp = _newest(log6)
    extra = f"{cp}\u2014 someone.else/key {'A' * 92}\n"
    _sql(log6, update(checkpoints).where(checkpoints.c.size == 6).values(note=extra))
    log._opened.clear()
    assert cli("ledger", "verify").exit_code == 0
    append(log6, 1)
    assert cli("ledger", "verify").exit_code == 0


def test_rows_planted_past_the_head_fail_verify_and_the_next_write(log6: Vault, cli) -> None:
    forged = _forged_entry(6)
    _sql(log6, insert(events).values(seq=6, time="2020-01-01T00:00:00.000000Z",
                                     type="test.event", actor="mallory", entry=forged,
                                     leaf_hash=merkle.leaf_hash(forged)))
    assert "beyond the log head" in _verify_fails(cli)
    with pytest.raises(Exception):  # noqa: B017 - the primary key refuses the honest row
        append(log6, 1)
    assert "beyond the log head" in _verify_fails(cli)
    result = cli("lineage", "add", "aaaa", "--from", "bbbb", "--relation", "trained-on")
    assert "Traceback" not in result.stderr and result.exit_code != 0
