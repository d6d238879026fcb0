"""read_metadata's contract: dispatch by suffix, {} for unknown formats, only ReaderError out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from hallmark.errors import InputError
from hallmark.inventory import readers
from hallmark.inventory.readers import ReaderError, read_metadata


def test_unknown_suffix_has_no_reader(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert read_metadata(path, "document") == {}


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "MODEL.SafeTensors"
    save_file({"w": np.zeros(2, np.float32)}, str(path))
    assert read_metadata(path, "model")["parameters"] == 2


def test_missing_file_and_directory_are_reader_errors(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="cannot read"):
        read_metadata(tmp_path / "gone.gguf", "model")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ReaderError):
        read_metadata(tmp_path / "dir.csv", "dataset")


def test_reader_error_shape() -> None:
    exc = ReaderError("two\nlines", None)
    assert str(exc) == "two lines" and exc.partial == {}
    assert isinstance(exc, InputError)  # exit code 2 at the CLI edge


def test_unexpected_exception_is_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> dict[str, object]:
        raise KeyError("bug")

    real = readers._readers
    monkeypatch.setattr(readers, "_readers", lambda: {**real(), ".gguf": broken})
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    with pytest.raises(ReaderError, match="KeyError"):
        read_metadata(path, "model")


@pytest.mark.parametrize("name", ["e.safetensors", "e.gguf", "e.onnx", "e.pkl", "e.parquet",
                                  "e.arrow", "e.feather"])
def test_empty_binary_formats_are_errors(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ReaderError):
        read_metadata(path, "model")


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.jsonl", "README.md"])
def test_empty_text_formats_are_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    meta = read_metadata(path, "dataset")
    assert meta == {} or meta["rows"] == 0
