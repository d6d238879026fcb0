"""Pickle scanning: dangerous globals are reported, nothing is ever unpickled."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import pickletools
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.inventory.readers import ReaderError, read_metadata

from .fuzzing import assert_reader_contract, mutate


class RunsShell:
    """Unpickling this runs a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


class OpensFile:
    """Unpickling this creates a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def ustr(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def torch_data_pkl() -> bytes:
    """What torch.save writes as data.pkl for {'fc.weight': tensor of shape (2, 3)}."""
    storage = (b"(" + ustr("storage") + glob("torch", "FloatStorage") + ustr("0") + ustr("cpu")
               + b"K\x06tQ")  # persistent id tuple, then BINPERSID
    tensor = (glob("torch._utils", "_rebuild_tensor_v2") + b"(" + storage + b"K\x00"
              + b"K\x02K\x03\x86" + b"K\x03K\x01\x86" + b"\x89"
              + glob("collections", "OrderedDict") + b")R" + b"tR")
    return (b"\x80\x02" + glob("collections", "OrderedDict") + b")R" + ustr("fc.weight")
            + tensor + b"s.")


def torch_zip(path: Path, data_pkl: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:  # torch stores members uncompressed
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", np.zeros(6, np.float32).tobytes())
        z.writestr("archive/version", "3\n")
    return path


def test_handwritten_torch_pickle_is_well_formed() -> None:
    pickletools.dis(torch_data_pkl(), out=io.StringIO())  # raises if the opcodes are wrong


def test_pytorch_zip_with_tensor_rebuilders_is_safe(tmp_path: Path) -> None:
    meta = read_metadata(torch_zip(tmp_path / "model.pt", torch_data_pkl()), "model")
    assert meta["format"] == "pickle" and meta["container"] == "zip"
    assert meta["globals"] == ["collections.OrderedDict", "torch.FloatStorage",
                               "torch._utils._rebuild_tensor_v2"]
    assert meta["unsafe_globals"] == [] and meta["complete"] is True


def test_pytorch_zip_with_os_system_is_unsafe(tmp_path: Path) -> None:
    path = torch_zip(tmp_path / "model.pth", pickle.dumps({"w": RunsShell("true")}, protocol=2))
    meta = read_metadata(path, "model")
    assert meta["unsafe_globals"] == [f"{os.system.__module__}.system"]


def test_reduce_to_os_system_is_reported_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": RunsShell(f"touch {marker}")}))
    meta = read_metadata(path, "model")
    assert meta["unsafe_globals"] == [f"{os.system.__module__}.system"]
    assert not marker.exists()


def test_reduce_that_creates_a_file_is_reported_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "created"
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps([1, OpensFile(str(marker))], protocol=4))
    meta = read_metadata(path, "model")
    assert meta["unsafe_globals"] == ["io.open"]
    assert not marker.exists()
    pickle.loads(path.read_bytes())[1].close()  # the control: loading really would create it
    assert marker.exists()


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_resolves_globals(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "p.pkl"
    path.write_bytes(pickle.dumps([OrderedDict(a=np.arange(3)), os.system, os.getcwd],
                                  protocol=protocol))
    meta = read_metadata(path, "model")
    module = os.system.__module__
    assert {f"{module}.system", f"{module}.getcwd", "collections.OrderedDict"} <= set(
        meta["globals"])
    assert meta["unsafe_globals"] == [f"{module}.getcwd", f"{module}.system"]


def test_stack_global_with_memoised_module_name(tmp_path: Path) -> None:
    # protocol 4: "builtins" is pushed once, memoised, and fetched again with BINGET
    blob = pickle.dumps([eval, exec, len], protocol=4)
    assert blob.count(b"builtins") == 1
    path = tmp_path / "m.pkl"
    path.write_bytes(blob)
    assert read_metadata(path, "model")["unsafe_globals"] == ["builtins.eval", "builtins.exec",
                                                              "builtins.len"]


def test_handwritten_opcodes(tmp_path: Path) -> None:
    path = tmp_path / "h.pkl"
    inst = b"(S'ls'\nios\nsystem\n."  # protocol 0 INST
    path.write_bytes(inst)
    assert read_metadata(path, "model")["unsafe_globals"] == ["os.system"]
    path.write_bytes(b"c__builtin__\neval\n(S'1'\ntR.")  # Python 2 name, mapped like pickle does
    assert read_metadata(path, "model")["unsafe_globals"] == ["builtins.eval"]
    path.write_bytes(b"\x80\x04K\x01\x8c\x06system\x93.")  # module operand is not a string
    assert read_metadata(path, "model")["unsafe_globals"] == ["<unresolved STACK_GLOBAL>"]
    path.write_bytes(b"\x80\x02\x82\x01.")  # EXT1: the copyreg registry decides what it imports
    assert read_metadata(path, "model")["unsafe_globals"] == ["<copyreg extension 1>"]


def test_truncated_pickle_still_reports_what_it_saw(tmp_path: Path) -> None:
    blob = pickle.dumps([RunsShell("true"), list(range(50))], protocol=2)
    path = tmp_path / "cut.pkl"
    path.write_bytes(blob[:-20])
    with pytest.raises(ReaderError, match="truncated") as info:
        read_metadata(path, "model")
    assert info.value.partial["format"] == "pickle"
    assert info.value.partial["unsafe_globals"] == [f"{os.system.__module__}.system"]


def test_second_pickle_in_a_stream_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"  # legacy torch.save writes several pickles back to back
    path.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
                     + pickle.dumps({"w": RunsShell("true")}, protocol=2) + b"\x00raw storage")
    assert read_metadata(path, "model")["unsafe_globals"] == [f"{os.system.__module__}.system"]


def test_gzip_compressed_joblib_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(gzip.compress(pickle.dumps(RunsShell("true"))))
    meta = read_metadata(path, "model")
    assert meta["compression"] == "gzip"
    assert meta["unsafe_globals"] == [f"{os.system.__module__}.system"]


def test_joblib_array_payload_stops_the_scan_without_error(tmp_path: Path) -> None:
    blob = (b"\x80\x03" + glob("joblib.numpy_pickle", "NumpyArrayWrapper") + b")\x81}b"
            + b"\xff\xfe\x00raw array bytes\x00" * 4)
    path = tmp_path / "arr.joblib"
    path.write_bytes(blob)
    meta = read_metadata(path, "model")
    assert meta["complete"] is False and "joblib" in meta["note"]
    assert meta["unsafe_globals"] == ["joblib.numpy_pickle.NumpyArrayWrapper"]


def test_large_literal_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps([b"\0" * 5_000_000, os.system], protocol=4))
    assert read_metadata(path, "model")["unsafe_globals"] == [f"{os.system.__module__}.system"]


def test_bin_that_is_not_a_pickle_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(np.arange(100, dtype=np.float32).tobytes())
    assert read_metadata(path, "model") == {"format": "binary"}
    path.write_bytes(b"")
    assert read_metadata(path, "model") == {"format": "binary"}


def test_empty_pt_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(ReaderError, match="empty file"):
        read_metadata(path, "model")


def test_zip_bomb_posing_as_pt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pt"
    with (zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
          z.open("archive/data.pkl", "w", force_zip64=True) as member):
        for _ in range(64):
            member.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 200_000
    with pytest.raises(ReaderError, match="zip bomb"):
        read_metadata(path, "model")


def test_corrupt_zip_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    with pytest.raises(ReaderError):
        read_metadata(path, "model")


# ---------- fuzz ----------


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    base = tmp_path_factory.mktemp("orig")
    return {
        "p.pt": torch_zip(base / "p.pt", torch_data_pkl()).read_bytes(),
        "p.pkl": pickle.dumps([OrderedDict(a=np.arange(3)), RunsShell("true")], protocol=2),
        "p4.pkl": pickle.dumps({"k": [1.5, "s", b"b", RunsShell("x")]}, protocol=5),
        "p.joblib": gzip.compress(pickle.dumps([1, 2, RunsShell("x")])),
        "p0.bin": pickle.dumps({"a": (1, 2.0, "x")}, protocol=0),
    }


@settings(max_examples=150, deadline=2000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["p.pt", "p.pkl", "p4.pkl", "p.joblib", "p0.bin"]), data=st.data())
def test_fuzz_pickle_reader(tmp_path: Path, originals: dict[str, bytes], name: str,
                            data: st.DataObject) -> None:
    path = tmp_path / name
    path.write_bytes(mutate(data, originals[name]))
    assert_reader_contract(path, "model")
