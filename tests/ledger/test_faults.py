"""Faults: concurrent appenders never fork the tree; SIGKILL mid-append loses no acknowledged
entry and leaves a log that verifies (on every backend under test)."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time

from hallmark.ledger import log
from hallmark.ledger.verify import verify_log
from hallmark.vault import Vault


def _append_forever(root: str, tag: str, limit: int, out: int) -> None:
    """The child: append one event per transaction, print each seq once it has committed."""
    vault = Vault.find(root)  # a fresh engine: nothing is shared with the parent's connections
    assert vault.engine is not None  # connect and migrate before saying ready
    os.write(out, b"ready\n")
    i = 0
    while limit < 0 or i < limit:
        with vault.transaction(vault.actor) as txn:
            seq = txn.log.append("test.append", {"worker": tag, "i": i}, [tag])
        os.write(out, f"{seq} {i}\n".encode())  # acknowledged: the transaction has committed
        i += 1


class Worker:
    """One appending process (forked, so no import cost per kill); its acks are collected by a
    thread."""

    def __init__(self, vault: Vault, tag: str, limit: int = -1) -> None:
        self.tag = tag
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(read_fd)
                _append_forever(str(vault.root), tag, limit, write_fd)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_fd)
        self.pid = pid
        self.returncode: int | None = None
        self.stream = os.fdopen(read_fd, "r")
        self.acked: list[tuple[int, int]] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.stream:
            if line.strip() == "ready":
                self.ready.set()
            elif line.strip():
                seq, i = line.split()
                self.acked.append((int(seq), int(i)))
        self.ready.set()

    def finish(self) -> None:
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        self.reader.join(timeout=10)
        self.stream.close()


def _check(vault: Vault, workers: list[Worker], exact_total: int | None = None) -> None:
    with vault.read() as conn:
        report = verify_log(conn, vault.origin, vault.key_name, vault.signing_key.public_key())
        assert report.ok, report.problem
        if exact_total is not None:
            assert report.size == exact_total
        for w in workers:
            for seq, i in w.acked:
                entry = json.loads(log.event(conn, seq)["entry"])
                assert entry["payload"] == {"worker": w.tag, "i": i}, f"lost entry {seq}"
    seqs = [seq for w in workers for seq, _ in w.acked]
    assert len(seqs) == len(set(seqs)), "two appends got the same entry number: the tree forked"


def test_two_processes_appending_at_once(vault: Vault) -> None:
    workers = [Worker(vault, f"w{k}", limit=60) for k in range(2)]
    for w in workers:
        w.finish()
        assert w.returncode == 0
    assert all(len(w.acked) == 60 for w in workers)
    _check(vault, workers, exact_total=120)


def test_sigkill_mid_append_loses_nothing_acknowledged(vault: Vault) -> None:
    rng = random.Random(1234)
    everyone: list[Worker] = []
    kills = 0
    deadline = time.monotonic() + 25
    while kills < 20 and time.monotonic() < deadline:
        pair = [Worker(vault, f"k{kills}a"), Worker(vault, f"k{kills}b")]
        for w in pair:
            assert w.ready.wait(30), "worker did not start"
        time.sleep(rng.uniform(0.005, 0.1))  # kill while both are busy appending
        for w in pair:
            os.kill(w.pid, signal.SIGKILL)
            w.finish()
            assert w.returncode == -signal.SIGKILL
            kills += 1
        everyone += pair
    assert kills >= 10
    assert sum(len(w.acked) for w in everyone) > 0
    _check(vault, everyone)
    # The log still takes appends after the kills (no stuck lock, no half-written head).
    with vault.transaction(vault.actor) as txn:
        txn.log.append("test.after", {}, [])
    _check(vault, everyone)
