"""`hallmark ledger ...`: status, show, prove, consistency, checkpoint and full verification that
catches every kind of tampering with entries, nodes and checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from hallmark.ledger import merkle, note
from hallmark.store.clock import utcnow
from hallmark.store.tables import checkpoints, events, ledger_head, ledger_nodes
from hallmark.vault import Vault

from .conftest import append


@pytest.fixture
def log10(vault: Vault) -> Vault:
    append(vault, 10)
    return vault


def sql(vault: Vault, statement) -> None:  # type: ignore[no-untyped-def]
    with vault.engine.begin() as conn:
        conn.execute(statement)


def rebuild_tree(conn, vault: Vault) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    """Recompute leaves, nodes and head from the entries as stored; returns (size, root)."""
    entries = [r.entry for r in conn.execute(select(events.c.entry).order_by(events.c.seq))]
    leaves = [merkle.leaf_hash(e) for e in entries]
    for seq, leaf in enumerate(leaves):
        conn.execute(update(events).where(events.c.seq == seq).values(leaf_hash=leaf))
    conn.execute(delete(ledger_nodes))
    nodes = merkle.perfect_nodes_from_leaves(leaves)
    if nodes:
        conn.execute(insert(ledger_nodes), [{"level": lv, "idx": i, "hash": h}
                                            for (lv, i), h in nodes.items()])
    root = merkle.root_hash(len(leaves), lambda lv, i: nodes[(lv, i)])
    frontier = b"".join(nodes[key] for key in merkle.frontier_nodes(len(leaves)))
    conn.execute(update(ledger_head).values(size=len(leaves), root=root, frontier=frontier))
    return len(leaves), root


def rebuild_and_resign(vault: Vault) -> None:
    """What an insider holding the key could do: recompute nodes, head and checkpoints."""
    with vault.engine.begin() as conn:
        size, root = rebuild_tree(conn, vault)
        conn.execute(delete(checkpoints))
        body = note.checkpoint_body(vault.origin, size, root)
        conn.execute(insert(checkpoints).values(
            size=size, root=root, created=utcnow(),
            note=note.sign_note(body, vault.key_name, vault.signing_key)))


def test_clean_log_verifies_and_status_agrees(log10: Vault, cli) -> None:
    result = cli("ledger", "verify", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["size"] == 10 and report["checkpoints_checked"] == 10
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert status["size"] == status["checkpoint_size"] == 10
    assert status["root"] == report["root"]


def test_show_and_prove_entry(log10: Vault, cli) -> None:
    shown = json.loads(cli("ledger", "show", "3", "--json").stdout)
    assert shown["type"] == "test.event" and shown["payload"] == {"i": 3}
    proof = json.loads(cli("ledger", "prove", "3", "--json").stdout)
    cp = note.open_checkpoint(proof["checkpoint"], log10.key_name,
                              log10.signing_key.public_key())
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    assert len(hashes) * 32 <= 32 * 4  # ceil(log2 10) = 4
    assert merkle.verify_inclusion(3, cp.size, bytes.fromhex(shown["leaf_hash"]), hashes, cp.root)


@pytest.mark.parametrize("args", [("ledger", "show", "99"), ("ledger", "prove", "10"),
                                  ("ledger", "prove", "--", "-1")])
def test_unknown_entry_is_a_clear_error(log10: Vault, cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "entry" in result.stderr


def test_empty_log_has_no_checkpoint(vault: Vault, cli) -> None:
    result = cli("ledger", "checkpoint")
    assert result.exit_code == 2 and "empty" in result.stderr
    assert json.loads(cli("ledger", "verify", "--json").stdout)["ok"]


def test_consistency_from_an_exported_checkpoint(log10: Vault, cli, tmp_path: Path) -> None:
    old = tmp_path / "old.txt"
    assert cli("ledger", "checkpoint", "-o", str(old)).exit_code == 0
    append(log10, 7)
    result = cli("ledger", "consistency", str(old), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["consistent"], doc["old_size"], doc["new_size"]) == (True, 10, 17)


def test_exported_checkpoint_exposes_rewritten_history(log10: Vault, cli, tmp_path: Path) -> None:
    old = tmp_path / "old.txt"
    cli("ledger", "checkpoint", "-o", str(old))
    forged = b'{"actor":"x","payload":{"i":9},"subjects":["noise"],"time":"t","type":"test.event"}'
    sql(log10, update(events).where(events.c.seq == 4).values(entry=forged, time="t", actor="x"))
    rebuild_and_resign(log10)
    append(log10, 1)
    # A key holder's full rewrite re-signs everything, so the log is self-consistent again...
    assert cli("ledger", "verify").exit_code == 0
    # ...but not with what a third party saved earlier.
    result = cli("ledger", "consistency", str(old))
    assert result.exit_code == 1
    assert "rewritten" in result.stderr


@pytest.mark.parametrize("content", ["", "hallmark/x\n10\n", "not a checkpoint at all\n\n"])
def test_truncated_checkpoint_is_rejected(log10: Vault, cli, tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    result = cli("ledger", "consistency", str(bad))
    assert result.exit_code in (1, 2)
    assert "checkpoint" in result.stderr


def _tampers(vault: Vault) -> dict[str, object]:
    forged = b'{"actor":"root","payload":{"i":5},"subjects":["noise"],"time":"x","type":"t"}'
    return {
        "modified entry": update(events).where(events.c.seq == 5).values(
            entry=forged),
        "modified entry and leaf": update(events).where(events.c.seq == 5).values(
            entry=forged, leaf_hash=merkle.leaf_hash(forged), time="x", type="t"),
        "deleted entry": delete(events).where(events.c.seq == 5),
        "inserted entry": insert(events).values(seq=10, time="x", type="t", actor="root",
                                                entry=forged, leaf_hash=merkle.leaf_hash(forged)),
        "modified node": update(ledger_nodes).where(
            ledger_nodes.c.level == 1, ledger_nodes.c.idx == 2).values(hash=b"\0" * 32),
        "deleted node": delete(ledger_nodes).where(ledger_nodes.c.level == 0,
                                                   ledger_nodes.c.idx == 5),
        "inserted node": insert(ledger_nodes).values(level=3, idx=5, hash=b"\0" * 32),
        "changed type column": update(events).where(events.c.seq == 5).values(type="other"),
    }


@pytest.mark.parametrize("kind", ["modified entry", "modified entry and leaf", "deleted entry",
                                  "inserted entry", "modified node", "deleted node",
                                  "inserted node", "changed type column"])
def test_verify_names_the_first_bad_entry(log10: Vault, cli, kind: str) -> None:
    sql(log10, _tampers(log10)[kind])
    result = cli("ledger", "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"]
    if kind == "inserted entry":
        assert report["bad_entry"] == 10
    elif kind == "modified node":
        assert report["bad_entry"] == 4  # node (1, 2) covers entries 4..5
    elif kind != "inserted node":
        assert report["bad_entry"] == 5
    assert "log verification failed" in result.stderr


def test_reordered_entries_are_caught(log10: Vault, cli) -> None:
    with log10.engine.begin() as conn:
        rows = {r.seq: r for r in conn.execute(select(events).where(events.c.seq.in_([6, 7])))}
        for seq, other in ((6, 7), (7, 6)):
            r = rows[other]
            conn.execute(update(events).where(events.c.seq == seq).values(
                entry=r.entry, leaf_hash=r.leaf_hash, time=r.time, type=r.type))
    report = json.loads(cli("ledger", "verify", "--json").stdout)
    assert not report["ok"] and report["bad_entry"] == 6


def test_rewrite_with_rebuilt_nodes_is_caught_by_signed_checkpoints(log10: Vault, cli) -> None:
    forged = b'{"actor":"root","payload":{"i":77},"subjects":["noise"],"time":"x","type":"t"}'
    with log10.engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == 7).values(
            entry=forged, leaf_hash=merkle.leaf_hash(forged), time="x", type="t"))
        leaves = [r.leaf_hash for r in conn.execute(select(events.c.leaf_hash)
                                                    .order_by(events.c.seq))]
        nodes = merkle.perfect_nodes_from_leaves(leaves)
        conn.execute(delete(ledger_nodes))
        conn.execute(insert(ledger_nodes), [{"level": lv, "idx": i, "hash": h}
                                            for (lv, i), h in nodes.items()])
        root = merkle.root_hash(len(leaves), lambda lv, i: nodes[(lv, i)])
        conn.execute(update(ledger_head).values(root=root))
    report = json.loads(cli("ledger", "verify", "--json").stdout)
    assert not report["ok"]
    assert report["bad_entry"] == 7 and "7..7" in report["problem"]


def test_forged_checkpoint_signature_is_caught(log10: Vault, cli) -> None:
    with log10.engine.begin() as conn:
        row = conn.execute(select(checkpoints).where(checkpoints.c.size == 3)).one()
        lines = row.note.split("\n")
        lines[1] = "4"
        conn.execute(update(checkpoints).where(checkpoints.c.size == 3)
                     .values(note="\n".join(lines)))
    report = json.loads(cli("ledger", "verify", "--json").stdout)
    assert not report["ok"] and "checkpoint at size 3" in report["problem"]


def test_truncated_log_is_caught(log10: Vault, cli) -> None:
    with log10.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.seq == 9))
        conn.execute(delete(ledger_nodes).where(ledger_nodes.c.level == 0,
                                                ledger_nodes.c.idx == 9))
        conn.execute(update(ledger_head).values(size=9))
    report = json.loads(cli("ledger", "verify", "--json").stdout)
    assert not report["ok"]


def test_verify_streams_in_small_batches(log10: Vault) -> None:
    from hallmark.ledger.verify import verify_log

    with log10.read() as conn:
        report = verify_log(conn, log10.origin, log10.key_name, log10.signing_key.public_key(),
                            batch=3)
    assert report.ok and report.size == 10


def test_tampered_head_frontier_is_detected(log10: Vault, cli) -> None:
    sql(log10, update(ledger_head).values(frontier=bytes(64)))
    result = cli("ledger", "verify")
    assert result.exit_code == 1
    assert "frontier" in result.stderr + result.stdout
