"""The pipelined large-file path (SHA-256 on a side thread, BLAKE3 here) gives the same digests
as hashlib/blake3 over the whole file, and a file truncated or changed while it is hashed is the
existing "changed while it was being read" finding, never a crash or a wrong digest."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from unittest import mock

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.inventory import hashing
from hallmark.inventory.hashing import hash_file
from hallmark.services.inventory import scan as scan_service
from hallmark.vault import Vault

SMALL_CHUNK = 4096  # the pipelined path's read size in the property test (a page)


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


@settings(max_examples=60, deadline=None)
@given(chunks=st.integers(0, 2 * hashing.RING + 2), delta=st.integers(-2, 2),
       threads=st.sampled_from([2, 3, 5]), seed=st.integers(0, 2**32))
def test_pipelined_digests_match_around_chunk_boundaries(tmp_path_factory, chunks: int, delta: int,
                                                         threads: int, seed: int) -> None:
    data = _bytes(max(0, chunks * SMALL_CHUNK + delta), seed)
    path = tmp_path_factory.mktemp("p") / "f.bin"
    path.write_bytes(data)
    with mock.patch.object(hashing, "BIG_CHUNK", SMALL_CHUNK), \
            mock.patch.object(hashing, "LARGE_FILE", 0), \
            mock.patch.object(hashing, "_pipelined", wraps=hashing._pipelined) as pipelined:
        d = hash_file(path, threads)
    assert pipelined.called
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.blake3 == blake3.blake3(data).hexdigest()
    assert d.size == len(data)


def test_large_file_with_default_sizes(tmp_path: Path) -> None:
    data = _bytes(hashing.LARGE_FILE + hashing.BIG_CHUNK // 2 + 1, 7)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    for threads in (1, 2):
        d = hash_file(path, threads)
        assert (d.sha256, d.blake3, d.size) == (hashlib.sha256(data).hexdigest(),
                                                blake3.blake3(data).hexdigest(), len(data))


def test_threads_for_shards() -> None:
    big = hashing.LARGE_FILE
    with mock.patch.object(os, "cpu_count", return_value=8):
        assert hashing.blake3_threads_for(big, 1) == 8
        assert hashing.blake3_threads_for(big, 4) == 2  # four shards share eight cores
        assert hashing.blake3_threads_for(big, 8) == 1
        assert hashing.blake3_threads_for(big - 1, 1) == 1  # small files: side by side
    with mock.patch.object(os, "cpu_count", return_value=2):
        assert hashing.blake3_threads_for(big, 2) == 1  # two shards, two cores: one each


def _changing_fill(path: Path, change, times: int):  # type: ignore[no-untyped-def]
    """A `_fill` that calls `change(path)` after the first read of each of the first `times`
    passes over the file, so the file changes under the hasher mid-read."""
    real = hashing._fill
    state = {"reads": 0, "passes": 0}

    def fill(fh, view):  # type: ignore[no-untyped-def]
        if fh.tell() == 0:
            state["reads"] = 0
        n = real(fh, view)
        state["reads"] += 1
        if state["reads"] == 1 and state["passes"] < times:
            state["passes"] += 1
            change(path)
        return n

    return fill


def _truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _bump_mtime(path: Path) -> None:
    """A change the mtime shows even within one tick of the kernel's coarse clock."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def _overwrite(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.seek(path.stat().st_size - 10)
        fh.write(os.urandom(10))
    _bump_mtime(path)


def _empty(path: Path) -> None:
    os.truncate(path, 0)
    _bump_mtime(path)


@pytest.fixture(params=[1, 2], ids=["streamed", "pipelined"])
def small_sizes(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Small read sizes so a 1 MiB file takes many reads, on either path."""
    threads = request.param
    with mock.patch.object(hashing, "BIG_CHUNK", 1 << 16), \
            mock.patch.object(hashing, "CHUNK", 1 << 16), \
            mock.patch.object(hashing, "LARGE_FILE", 1 << 18), \
            mock.patch("hallmark.inventory.scan.blake3_threads_for", return_value=threads):
        yield threads


@pytest.mark.parametrize("change", [_truncate_half, _overwrite, _empty],
                         ids=["shrinks", "changes", "emptied"])
def test_file_changing_under_the_hasher_is_the_existing_finding(vault: Vault, small_sizes: int,
                                                                 change) -> None:  # type: ignore[no-untyped-def]
    project = vault.root / "models"
    project.mkdir()
    big = project / "weights.bin"
    big.write_bytes(_bytes(1 << 20, 1))
    with mock.patch.object(hashing, "_fill", _changing_fill(big, change, times=2)):
        result = scan_service(vault, [project], actor="tester")
    assert [a.path for a in result.assets] == []
    assert [(p.path, p.reason) for p in result.problems] == [
        ("models/weights.bin",
         "file changed while it was being read; scan it again when it is stable")]


def test_file_truncated_once_is_retried_with_true_digests(vault: Vault, small_sizes: int) -> None:
    project = vault.root / "models"
    project.mkdir()
    big = project / "weights.bin"
    big.write_bytes(_bytes(1 << 20, 2))
    with mock.patch.object(hashing, "_fill", _changing_fill(big, _truncate_half, times=1)):
        result = scan_service(vault, [project], actor="tester")
    data = big.read_bytes()
    assert len(data) == 1 << 19 and result.problems == []
    (asset,) = result.assets
    assert (asset.size, asset.sha256, asset.blake3) == (
        len(data), hashlib.sha256(data).hexdigest(), blake3.blake3(data).hexdigest())


def test_truncated_mid_read_digests_what_was_read(tmp_path: Path) -> None:
    """At the hashing level: the size is the bytes read and the digests are of exactly those."""
    path = tmp_path / "f.bin"
    original = _bytes(1 << 20, 3)
    path.write_bytes(original)
    with mock.patch.object(hashing, "BIG_CHUNK", 1 << 16), \
            mock.patch.object(hashing, "LARGE_FILE", 0), \
            mock.patch.object(hashing, "_fill", _changing_fill(path, _truncate_half, times=1)):
        d = hash_file(path, 2)
    read = original[: d.size]
    assert 0 < d.size < len(original)
    assert d.sha256 == hashlib.sha256(read).hexdigest()
    assert d.blake3 == blake3.blake3(read).hexdigest()


def test_a_folder_of_shards_shares_the_cores(vault: Vault) -> None:
    """Shards fewer than the cores get the cores between them (small files beside them one
    thread each), and their digests are those of hashlib/blake3."""
    project = vault.root / "model"
    project.mkdir()
    shards = {f"model-0000{i}-of-00002.safetensors": _bytes((1 << 20) + i, i) for i in (1, 2)}
    for name, data in shards.items():
        (project / name).write_bytes(data)
    for name in ("config.json", "README.md", "tokenizer.json"):
        (project / name).write_text("{}\n")
    with mock.patch.object(hashing, "LARGE_FILE", 1 << 20), \
            mock.patch.object(hashing, "BIG_CHUNK", 1 << 16), \
            mock.patch.object(os, "cpu_count", return_value=8), \
            mock.patch("hallmark.inventory.scan.hash_file", wraps=hashing.hash_file) as spy:
        result = scan_service(vault, [project], actor="tester")
    threads = {Path(c.args[0]).name: c.args[1] for c in spy.call_args_list}
    assert threads == {**dict.fromkeys(shards, 4),
                       **dict.fromkeys(("config.json", "README.md", "tokenizer.json"), 1)}
    by_name = {Path(a.path).name: a for a in result.assets}
    for name, data in shards.items():
        asset = by_name[name]
        assert (asset.sha256, asset.blake3, asset.size) == (
            hashlib.sha256(data).hexdigest(), blake3.blake3(data).hexdigest(), len(data))


def test_large_files_counts_only_large_ones() -> None:
    assert hashing.large_files([0, hashing.LARGE_FILE - 1, hashing.LARGE_FILE, 1 << 40]) == 2
