"""safetensors: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.

The header is read and checked the way the reference implementation checks it (offsets
contiguous, each tensor's byte span equal to its element count times its dtype width, the last
one ending at the end of the file); tensor bytes are never read.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import MAX_LISTED, clip, describe

MAX_HEADER = 100 * 1024 * 1024
MAX_DIMS = 64
MAX_METADATA_KEYS = 256

# Width in bits of each dtype the format defines (sub-byte floats included).
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16,
    "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64, "U64": 64,
    "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


def _header(path: Path) -> tuple[dict[str, Any], int]:
    size = os.path.getsize(path)
    if size == 0:
        raise ReaderError("empty file")
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ReaderError("truncated: shorter than the 8-byte header length")
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER:
            raise ReaderError(f"header length exceeds the {MAX_HEADER}-byte bound")
        if 8 + n > size:
            raise ReaderError("truncated: the header runs past the end of the file")
        raw = f.read(n)
    if len(raw) != n:
        raise ReaderError("truncated while reading the header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSON errors, huge ints
        raise ReaderError(f"header is {describe(exc)}") from None
    if not isinstance(header, dict):
        raise ReaderError("header is not a JSON object")
    return header, size - 8 - n


def _metadata_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ReaderError("__metadata__ is not a map of strings")
    return {clip(str(k), 200): clip(v) for k, v in list(value.items())[:MAX_METADATA_KEYS]}


def read(path: Path) -> dict[str, Any]:
    """Tensor names, dtypes, shapes, parameter count and the __metadata__ map."""
    header, data_len = _header(path)
    meta = _metadata_map(header.pop("__metadata__", None))
    spans: list[tuple[int, int, str]] = []
    tensors: list[dict[str, Any]] = []
    dtypes: dict[str, int] = {}
    parameters = 0
    # Errors name a tensor by its place in the header, never by its name: a message must not
    # quote the file (the names are listed in the metadata when the header is sound).
    for index, (name, info) in enumerate(header.items()):
        tensor = f"tensor #{index}"
        if not isinstance(info, dict):
            raise ReaderError(f"{tensor}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
            raise ReaderError(f"{tensor}: unknown dtype")
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(type(d) is int and d >= 0 for d in shape)):
            raise ReaderError(f"{tensor}: bad shape")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(type(o) is int for o in offsets)):
            raise ReaderError(f"{tensor}: bad data_offsets")
        begin, end = offsets
        numel = math.prod(shape)
        bits = numel * DTYPE_BITS[dtype]
        if not 0 <= begin <= end <= data_len:
            raise ReaderError(f"{tensor}: offsets outside the {data_len}-byte data "
                              "section")
        if bits % 8 or end - begin != bits // 8:
            raise ReaderError(f"{tensor}: {end - begin} bytes for "
                              f"{numel} elements of {dtype}")
        spans.append((begin, end, tensor))
        parameters += numel
        dtypes[dtype] = dtypes.get(dtype, 0) + 1
        if len(tensors) < MAX_LISTED:
            tensors.append({"name": clip(name, 500), "dtype": dtype, "shape": shape})
    spans.sort()
    expected = 0
    for begin, end, tensor in spans:
        if begin != expected:
            raise ReaderError(f"{tensor}: data does not start where the "
                              f"previous tensor ends (hole or overlap at byte {begin})")
        expected = end
    if expected != data_len:
        raise ReaderError(f"data section is {data_len} bytes but tensors cover {expected}")
    return {"format": "safetensors", "tensor_count": len(spans), "parameters": parameters,
            "dtypes": dict(sorted(dtypes.items())), "tensors": tensors, "metadata": meta}
