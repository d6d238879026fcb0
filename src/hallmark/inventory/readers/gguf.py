"""GGUF (llama.cpp) header: magic, version, counts, typed key/values, tensor infos.

Little-endian versions 2 and 3 are read. Every length is checked against the bytes left in the
file before anything is allocated, arrays of fixed-width values are skipped by seeking, and
tensor data is never touched.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import Any

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import Cursor, Truncated, clip

MAX_KEY = 65535  # the spec's bound on key length
MAX_STRING = 16 * 1024 * 1024  # a single string value (chat templates run to tens of KB)
MAX_ARRAY_DEPTH = 4
MAX_DIMS = 8  # GGML_MAX_DIMS is 4; leave room
KEPT = {"general.architecture", "general.parameter_count", "general.license", "general.name"}

# value type -> struct format of the fixed-width scalar types
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
           11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


def _string(cur: Cursor, what: str, limit: int = MAX_STRING, keep: bool = True) -> str | None:
    (n,) = cur.ints("<Q", f"length of {what}")
    if n > limit:
        raise ReaderError(f"{what}: string length exceeds the {limit}-byte bound")
    if not keep:
        cur.skip(int(n), what)
        return None
    return cur.read(int(n), what).decode("utf-8", "replace")


def _value(cur: Cursor, vtype: int, key: str, keep: bool, depth: int = 0) -> Any:
    if vtype in SCALARS:
        fmt = SCALARS[vtype]
        if not keep:
            cur.skip(struct.calcsize(fmt), key)
            return None
        return cur.unpack(fmt, key)[0]
    if vtype == STRING:
        return _string(cur, key, keep=keep)
    if vtype == ARRAY:
        if depth >= MAX_ARRAY_DEPTH:
            raise ReaderError(f"{key}: arrays nested deeper than {MAX_ARRAY_DEPTH}")
        (etype,) = cur.ints("<I", f"element type of {key}")
        (count,) = cur.ints("<Q", f"length of {key}")
        if etype in SCALARS:
            width = struct.calcsize(SCALARS[etype])
            if count * width > cur.remaining:
                raise Truncated(f"{key}: array runs past the end of the file")
            cur.skip(int(count * width), key)
            return None
        if etype not in (STRING, ARRAY):
            raise ReaderError(f"{key}: unknown array element type")
        if count * 8 > cur.remaining:  # every string or array element takes at least 8 bytes
            raise Truncated(f"{key}: array runs past the end of the file")
        for _ in range(int(count)):
            _value(cur, etype, key, False, depth + 1)
        return None
    raise ReaderError(f"{key}: unknown value type")


def read(path: Path) -> dict[str, Any]:
    """Version, architecture, name, licence, parameter and tensor counts from the header."""
    size = os.path.getsize(path)
    if size == 0:
        raise ReaderError("empty file")
    with open(path, "rb") as f:
        cur = Cursor(f, size)
        if cur.read(min(4, size), "magic") != b"GGUF":
            raise ReaderError("not a GGUF file (bad magic)")
        (version,) = cur.ints("<I", "version")
        if version not in (2, 3):
            if version in (0x02000000, 0x03000000):
                raise ReaderError("big-endian GGUF is not supported")
            raise ReaderError("unsupported GGUF version (2 and 3 are read)")
        tensor_count, kv_count = cur.ints("<QQ", "tensor and key/value counts")
        result: dict[str, Any] = {"format": "gguf", "version": version, "architecture": None,
                                  "parameters": None, "license": None, "name": None,
                                  "tensor_count": tensor_count}
        if kv_count * 12 > cur.remaining or tensor_count * 24 > cur.remaining:
            raise ReaderError("truncated: the header's key and tensor counts are more than the "
                              "file can hold", result)
        kept: dict[str, Any] = {}
        try:
            for index in range(int(kv_count)):
                key = _string(cur, "key", MAX_KEY) or ""
                where = f"key #{index}"  # errors never quote the file, not even a key's name
                (vtype,) = cur.ints("<I", f"type of {where}")
                value = _value(cur, vtype, where, key in KEPT)
                if key in KEPT:
                    kept[key] = value
            _apply(result, kept)
            if result["parameters"] is None:
                result["parameters"] = _tensor_parameters(cur, int(tensor_count), size)
        except Truncated as exc:
            _apply(result, kept)
            raise ReaderError(f"truncated: {exc}", result) from None
        except ReaderError as exc:
            _apply(result, kept)
            raise ReaderError(str(exc), result) from None
    return result


def _apply(result: dict[str, Any], kept: dict[str, Any]) -> None:
    for key, field in (("general.architecture", "architecture"), ("general.license", "license"),
                       ("general.name", "name")):
        if isinstance(kept.get(key), str):
            result[field] = clip(kept[key], 500)
    count = kept.get("general.parameter_count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        result["parameters"] = count


def _tensor_parameters(cur: Cursor, count: int, size: int) -> int:
    total = 0
    for i in range(count):
        _string(cur, f"name of tensor {i}", MAX_KEY, keep=False)
        (ndims,) = cur.ints("<I", f"dimensions of tensor {i}")
        if ndims > MAX_DIMS:
            raise ReaderError(f"tensor {i}: more than {MAX_DIMS} dimensions")
        dims = cur.ints(f"<{ndims}Q", f"shape of tensor {i}") if ndims else ()
        _ggml_type, offset = cur.ints("<IQ", f"type and offset of tensor {i}")
        if offset > size:
            raise ReaderError(f"tensor {i}: data offset beyond the end of the file")
        total += math.prod(int(d) for d in dims)
    return total
