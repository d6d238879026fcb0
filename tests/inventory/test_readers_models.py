"""Model-file readers: safetensors, GGUF, ONNX — real files built here, then broken on purpose."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from hallmark.inventory.readers import ReaderError, read_metadata

from .fuzzing import assert_reader_contract, mutate

# ---------- fixtures ----------


def make_safetensors(path: Path) -> Path:
    save_file({"embed.weight": np.zeros((10, 4), np.float32),
               "head.bias": np.arange(3, dtype=np.int64),
               "norm.scale": np.ones(4, np.float16)}, str(path),
               metadata={"format": "pt", "license": "apache-2.0"})
    return path


def gstr(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def gguf_bytes(kvs: list[bytes], tensors: list[tuple[str, list[int]]], version: int = 3) -> bytes:
    """A GGUF file per the spec: header, key/values, tensor infos, aligned (zeroed) data."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs)
    offset = 0
    for name, dims in tensors:
        out += gstr(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        out += struct.pack("<IQ", 0, offset)  # type 0 = F32
        offset += 4 * int(np.prod(dims))
    out += b"\0" * (-len(out) % 32)
    return out + b"\0" * offset


def kv_str(key: str, value: str) -> bytes:
    return gstr(key) + struct.pack("<I", 8) + gstr(value)


def kv_u64(key: str, value: int) -> bytes:
    return gstr(key) + struct.pack("<IQ", 10, value)


def kv_u32(key: str, value: int) -> bytes:
    return gstr(key) + struct.pack("<II", 4, value)


def kv_str_array(key: str, values: list[str]) -> bytes:
    return gstr(key) + struct.pack("<IIQ", 9, 8, len(values)) + b"".join(gstr(v) for v in values)


def kv_f32_array(key: str, values: list[float]) -> bytes:
    return (gstr(key) + struct.pack("<IIQ", 9, 6, len(values))
            + struct.pack(f"<{len(values)}f", *values))


def make_gguf(path: Path, parameter_count: int | None = None) -> Path:
    kvs = [kv_str("general.architecture", "llama"), kv_str("general.name", "Tiny Llama"),
           kv_u32("general.quantization_version", 2), kv_str("general.license", "apache-2.0"),
           kv_str_array("tokenizer.ggml.tokens", ["<s>", "</s>", "hello"]),
           kv_f32_array("tokenizer.ggml.scores", [0.0, -1.5, -2.0])]
    if parameter_count is not None:
        kvs.append(kv_u64("general.parameter_count", parameter_count))
    path.write_bytes(gguf_bytes(kvs, [("token_embd.weight", [4, 3]), ("output_norm.weight", [4])]))
    return path


def make_onnx(path: Path, initializer_floats: int = 1000) -> Path:
    import onnx
    from onnx import TensorProto, helper

    weight = helper.make_tensor("W", TensorProto.FLOAT, [initializer_floats],
                                np.zeros(initializer_floats, np.float32).tobytes(), raw=True)
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Identity", ["y"], ["z"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [7])],
        initializer=[weight],
    )
    model = helper.make_model(graph, producer_name="hallmark-tests",
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid("ai.onnx.ml", 3)])
    helper.set_model_props(model, {"license": "mit", "author": "lab"})
    onnx.save(model, str(path))
    return path


# ---------- safetensors ----------


def test_safetensors_header_is_reported(tmp_path: Path) -> None:
    meta = read_metadata(make_safetensors(tmp_path / "m.safetensors"), "model")
    assert meta["format"] == "safetensors"
    assert meta["tensor_count"] == 3
    assert meta["parameters"] == 40 + 3 + 4
    assert meta["dtypes"] == {"F16": 1, "F32": 1, "I64": 1}
    assert {"name": "embed.weight", "dtype": "F32", "shape": [10, 4]} in meta["tensors"]
    assert meta["metadata"] == {"format": "pt", "license": "apache-2.0"}
    json.dumps(meta)


def test_safetensors_tensor_list_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.safetensors"
    save_file({f"t{i}": np.zeros(1, np.uint8) for i in range(1200)}, str(path))
    meta = read_metadata(path, "model")
    assert meta["tensor_count"] == 1200 and len(meta["tensors"]) == 1000


def _raw_safetensors(header: dict[str, object], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize(("blob", "reason"), [
    (struct.pack("<Q", 2**40) + b"{}", "exceeds"),
    (struct.pack("<Q", 500) + b"{}", "truncated"),
    (_raw_safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8),
     "outside"),
    (_raw_safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}, b"\0" * 12),
     "bytes for"),
    (_raw_safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
     "hole"),
    (_raw_safetensors({"a": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unknown dtype"),
    (struct.pack("<Q", 4) + b"[1,2", "JSON"),
    (b"", "empty"),
])
def test_safetensors_inconsistent_headers_are_rejected(tmp_path: Path, blob: bytes,
                                                       reason: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(ReaderError, match=reason):
        read_metadata(path, "model")


# ---------- GGUF ----------


def test_gguf_header_is_reported(tmp_path: Path) -> None:
    meta = read_metadata(make_gguf(tmp_path / "m.gguf"), "model")
    assert meta == {"format": "gguf", "version": 3, "architecture": "llama", "parameters": 16,
                    "license": "apache-2.0", "name": "Tiny Llama", "tensor_count": 2}


def test_gguf_stated_parameter_count_wins(tmp_path: Path) -> None:
    meta = read_metadata(make_gguf(tmp_path / "m.gguf", parameter_count=1_100_000_000), "model")
    assert meta["parameters"] == 1_100_000_000


def test_gguf_huge_string_length_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("general.name")
                     + struct.pack("<IQ", 8, 2**60) + b"x" * 64)
    with pytest.raises(ReaderError, match="exceeds") as info:
        read_metadata(path, "model")
    assert info.value.partial["format"] == "gguf"


@pytest.mark.parametrize(("blob", "reason"), [
    (b"GGML" + b"\0" * 20, "bad magic"),
    (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "unsupported GGUF version"),
    (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian"),
    (b"GGUF" + struct.pack("<IQQ", 3, 2**62, 2**62), "more than the file can hold"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("k") + struct.pack("<IIQ", 9, 6, 2**50),
     "runs past the end"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("k") + struct.pack("<I", 77), "value type"),
])
def test_gguf_bad_headers_are_rejected(tmp_path: Path, blob: bytes, reason: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(blob)
    with pytest.raises(ReaderError, match=reason):
        read_metadata(path, "model")


def test_gguf_truncated_in_tensor_infos_keeps_the_header(tmp_path: Path) -> None:
    full = make_gguf(tmp_path / "m.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(full[: full.index(b"output_norm.weight") + 4])
    with pytest.raises(ReaderError, match="truncated") as info:
        read_metadata(cut, "model")
    assert info.value.partial["architecture"] == "llama"
    assert info.value.partial["license"] == "apache-2.0"


# ---------- ONNX ----------


def test_onnx_model_is_reported(tmp_path: Path) -> None:
    meta = read_metadata(make_onnx(tmp_path / "m.onnx"), "model")
    import onnx

    assert meta["ir_version"] == onnx.IR_VERSION
    assert meta["producer"] == "hallmark-tests"
    assert meta["opsets"] == [{"domain": "", "version": 17}, {"domain": "ai.onnx.ml", "version": 3}]
    assert meta["inputs"] == [{"name": "x", "elem_type": "FLOAT", "shape": ["N", 3]}]
    assert meta["outputs"] == [{"name": "z", "elem_type": "FLOAT", "shape": ["N", 3]},
                               {"name": "ids", "elem_type": "INT64", "shape": [7]}]
    assert meta["node_count"] == 2 and meta["initializer_count"] == 1
    assert meta["metadata"] == {"license": "mit", "author": "lab"}
    json.dumps(meta)


def test_onnx_large_initializer_is_skipped_not_loaded(tmp_path: Path) -> None:
    path = make_onnx(tmp_path / "big.onnx", initializer_floats=8_000_000)  # 32 MB of weights
    assert path.stat().st_size > 32_000_000
    meta = read_metadata(path, "model")
    assert meta["initializer_count"] == 1 and meta["inputs"][0]["name"] == "x"


def test_onnx_garbage_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(b"this is not a protobuf \xff\xff\xff")
    with pytest.raises(ReaderError):
        read_metadata(path, "model")
    path.write_bytes(b"")
    with pytest.raises(ReaderError, match="empty"):
        read_metadata(path, "model")


def test_onnx_length_overrunning_its_message_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(b"\x08\x08" + b"\x3a\xff\xff\xff\xff\x0f" + b"\x0a\x00")  # graph of 4 GB
    with pytest.raises(ReaderError, match="overruns|truncated") as info:
        read_metadata(path, "model")
    assert info.value.partial["ir_version"] == 8


# ---------- fuzz: truncations and byte flips never escape as anything but ReaderError ----------

BUILDERS = {"m.safetensors": make_safetensors, "m.gguf": make_gguf, "m.onnx": make_onnx}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    base = tmp_path_factory.mktemp("orig")
    return {name: build(base / name).read_bytes() for name, build in BUILDERS.items()}


@settings(max_examples=150, deadline=2000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(BUILDERS)), data=st.data())
def test_fuzz_model_readers(tmp_path: Path, originals: dict[str, bytes], name: str,
                            data: st.DataObject) -> None:
    path = tmp_path / name
    path.write_bytes(mutate(data, originals[name], hot=400))  # 400: the headers
    assert_reader_contract(path, "model")


@settings(max_examples=100, deadline=2000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_safetensors_agrees_with_the_reference_library(tmp_path: Path,
                                                       originals: dict[str, bytes],
                                                       data: st.DataObject) -> None:
    from safetensors import safe_open

    blob = bytearray(originals["m.safetensors"])
    header_end = 8 + int.from_bytes(blob[:8], "little")
    for _ in range(data.draw(st.integers(1, 4), label="flips")):  # inside the JSON header
        at = data.draw(st.integers(8, header_end - 1), label="at")
        blob[at] = data.draw(st.sampled_from(b"0123456789[],:\"{} aFIU"), label="byte")
    if data.draw(st.booleans(), label="truncate"):
        blob = blob[: data.draw(st.integers(header_end, len(blob)), label="length")]
    path = tmp_path / "d.safetensors"
    path.write_bytes(bytes(blob))
    try:
        with safe_open(str(path), "numpy") as f:
            reference = sorted(f.keys())
    except Exception:
        reference = None
    try:
        ours = sorted(t["name"] for t in read_metadata(path, "model")["tensors"])
    except ReaderError:
        ours = None
    assert ours == reference
