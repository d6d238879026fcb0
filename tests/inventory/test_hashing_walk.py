"""Hashing (digests match the reference tools' algorithms) and walking (gitignore, bad paths)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.inventory.classify import classify
from hallmark.inventory.hashing import CHUNK, hash_file
from hallmark.inventory.walk import walk


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=3 * CHUNK + 17), st.sampled_from([1, 2]))
def test_digests_match_hashlib_and_blake3(tmp_path_factory, data: bytes, threads: int) -> None:
    path = tmp_path_factory.mktemp("h") / "f.bin"
    path.write_bytes(data)
    d = hash_file(path, threads)
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.blake3 == blake3.blake3(data).hexdigest()
    assert d.size == len(data)


def test_classify() -> None:
    assert classify("model.safetensors") == "model"
    assert classify("weights.PT") == "model"
    assert classify("train.parquet") == "dataset"
    assert classify("requirements-dev.txt") == "code"
    assert classify("LICENSE") == "code"
    assert classify("train.py") == "code"
    assert classify("paper.pdf") == "document"
    assert classify("notes") == "other"


def test_walk_honours_gitignore_excludes_and_reports_bad_paths(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / "keep.py").write_text("x = 1\n")
    (tmp_path / "debug.log").write_text("noise")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.bin").write_bytes(b"x")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / ".gitignore").write_text("secret.txt\n")
    (sub / "secret.txt").write_text("s")
    (sub / "data.csv").write_text("a\n1\n")
    (sub / "skip.tmp").write_text("t")
    os.symlink(tmp_path / "loop", tmp_path / "loop")  # a symlink loop
    os.symlink(tmp_path, sub / "up")  # a folder symlink pointing upwards: not followed
    os.mkfifo(tmp_path / "pipe")
    found = list(walk([tmp_path], excludes=["*.tmp"]))
    files = sorted(f.path.relative_to(tmp_path).as_posix() for f in found if f.problem is None)
    problems = {f.path.name: f.problem for f in found if f.problem}
    assert files == [".gitignore", "keep.py", "sub/.gitignore", "sub/data.csv"]
    assert problems["loop"] == "symbolic link loop"
    assert "FIFO" in (problems["pipe"] or "")


def test_walk_non_utf8_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.csv")
    (tmp_path / name).write_text("a\n1\n")
    found = list(walk([tmp_path]))
    assert len(found) == 1 and found[0].problem is None
