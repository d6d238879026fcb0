"""ONNX: a bounded walk over the protobuf wire format of ModelProto.

Only the fields the inventory needs are decoded (ir_version, producer, opset imports, the graph's
inputs and outputs, metadata_props); everything else, initializers above all, is skipped by
seeking, so a multi-gigabyte model costs a few reads. Nothing is executed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import MAX_LISTED, Cursor, Truncated, clip

MAX_NAME = 64 * 1024
MAX_TYPE_DEPTH = 8
MAX_FIELDS = 10_000_000  # wire fields visited in one file

ELEM_TYPES = [
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
    "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
    "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
]


class _Walker:
    def __init__(self, cur: Cursor) -> None:
        self.cur = cur
        self.fields = 0

    def varint(self, what: str) -> int:
        value = 0
        for shift in range(0, 70, 7):
            byte = self.cur.read(1, what)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value & 0xFFFFFFFFFFFFFFFF
        raise ReaderError(f"{what}: varint longer than 10 bytes")

    def fields_until(self, end: int, what: str) -> Any:
        """Yield (field number, wire type, value-or-length) up to `end`; length-delimited
        values are left unread at the cursor for the caller to read or skip."""
        while self.cur.pos < end:
            self.fields += 1
            if self.fields > MAX_FIELDS:
                raise ReaderError(f"more than {MAX_FIELDS} protobuf fields")
            key = self.varint(f"field key in {what}")
            number, wire = key >> 3, key & 7
            if number == 0:
                raise ReaderError(f"{what}: field number 0")
            if wire == 0:
                yield number, wire, self.varint(f"field {number} of {what}")
            elif wire == 1:
                self.cur.skip(8, f"field {number} of {what}")
            elif wire == 5:
                self.cur.skip(4, f"field {number} of {what}")
            elif wire == 2:
                length = self.varint(f"length of field {number} of {what}")
                if self.cur.pos + length > end:
                    raise Truncated(f"field {number} of {what} overruns its "
                                    "enclosing message")
                start = self.cur.pos
                yield number, wire, length
                if self.cur.pos == start:  # the caller did not consume it
                    self.cur.skip(length, f"field {number} of {what}")
                elif self.cur.pos != start + length:
                    raise ReaderError(f"{what}: field {number} misparsed")
            else:
                raise ReaderError(f"{what}: unsupported wire type {wire}")
        if self.cur.pos != end:
            raise ReaderError(f"{what}: message overruns its length")

    def string(self, length: int, what: str) -> str:
        if length > MAX_NAME:
            self.cur.skip(length, what)
            return "<long string skipped>"
        return self.cur.read(length, what).decode("utf-8", "replace")

    def opset(self, end: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"domain": "", "version": None}
        for number, wire, value in self.fields_until(end, "opset_import"):
            if number == 1 and wire == 2:
                entry["domain"] = clip(self.string(value, "opset domain"), 200)
            elif number == 2 and wire == 0:
                entry["version"] = value
        return entry

    def value_info(self, end: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": "", "elem_type": None, "shape": None}
        for number, wire, value in self.fields_until(end, "value_info"):
            if number == 1 and wire == 2:
                entry["name"] = clip(self.string(value, "input name"), 500)
            elif number == 2 and wire == 2:
                entry["elem_type"], entry["shape"] = self.type_proto(self.cur.pos + value, 0)
        return entry

    def type_proto(self, end: int, depth: int) -> tuple[str | None, list[Any] | None]:
        if depth > MAX_TYPE_DEPTH:
            raise ReaderError(f"type nested deeper than {MAX_TYPE_DEPTH}")
        elem: str | None = None
        shape: list[Any] | None = None
        for number, wire, value in self.fields_until(end, "type"):
            if wire != 2:
                continue
            if number in (1, 8):  # tensor_type, sparse_tensor_type
                elem, shape = self.tensor_type(self.cur.pos + value)
            elif number in (4, 9):  # sequence_type, optional_type: elem_type of the element
                kind = "sequence" if number == 4 else "optional"
                for n2, w2, v2 in self.fields_until(self.cur.pos + value, kind):
                    if n2 == 1 and w2 == 2:
                        inner, _ = self.type_proto(self.cur.pos + v2, depth + 1)
                        elem = f"{kind}({inner})"
            elif number == 5:
                elem = "map"
        return elem, shape

    def tensor_type(self, end: int) -> tuple[str | None, list[Any] | None]:
        elem: str | None = None
        shape: list[Any] | None = None
        for number, wire, value in self.fields_until(end, "tensor type"):
            if number == 1 and wire == 0:
                elem = ELEM_TYPES[value] if value < len(ELEM_TYPES) else f"UNKNOWN({value})"
            elif number == 2 and wire == 2:
                shape = []
                for n2, w2, v2 in self.fields_until(self.cur.pos + value, "shape"):
                    if n2 == 1 and w2 == 2:
                        shape.append(self.dimension(self.cur.pos + v2))
                shape = shape[:MAX_LISTED]
        return elem, shape

    def dimension(self, end: int) -> int | str | None:
        dim: int | str | None = None
        for number, wire, value in self.fields_until(end, "dimension"):
            if number == 1 and wire == 0:
                dim = value - (1 << 64) if value >= 1 << 63 else value
            elif number == 2 and wire == 2:
                dim = clip(self.string(value, "dimension name"), 200)
        return dim


def read(path: Path) -> dict[str, Any]:
    """IR version, producer, opset imports and the graph's typed inputs and outputs."""
    size = os.path.getsize(path)
    if size == 0:
        raise ReaderError("empty file")
    result: dict[str, Any] = {"format": "onnx", "ir_version": None, "producer": None,
                              "opsets": [], "inputs": [], "outputs": []}
    counts = {"nodes": 0, "initializers": 0, "inputs": 0, "outputs": 0}
    metadata: dict[str, str] = {}
    with open(path, "rb") as f:
        walker = _Walker(Cursor(f, size))
        try:
            for number, wire, value in walker.fields_until(size, "model"):
                end = walker.cur.pos + value if wire == 2 else 0
                if number == 1 and wire == 0:
                    result["ir_version"] = value
                elif number == 2 and wire == 2:
                    result["producer"] = clip(walker.string(value, "producer_name"), 200)
                elif number == 3 and wire == 2:
                    result["producer_version"] = clip(walker.string(value, "producer_version"),
                                                      200)
                elif number == 8 and wire == 2 and len(result["opsets"]) < MAX_LISTED:
                    result["opsets"].append(walker.opset(end))
                elif number == 7 and wire == 2:
                    _graph(walker, end, result, counts)
                elif number == 14 and wire == 2 and len(metadata) < 256:
                    key, val = "", ""
                    for n2, w2, v2 in walker.fields_until(end, "metadata_props"):
                        if n2 in (1, 2) and w2 == 2:
                            text = clip(walker.string(v2, "metadata"))
                            key, val = (text, val) if n2 == 1 else (key, text)
                    metadata[clip(key, 200)] = val
        except Truncated as exc:
            raise ReaderError(f"truncated: {exc}", _finish(result, counts, metadata)) from None
        except ReaderError as exc:
            raise ReaderError(str(exc), _finish(result, counts, metadata)) from None
    if result["ir_version"] is None or not 1 <= result["ir_version"] <= 100:
        raise ReaderError("not an ONNX model (no plausible ir_version)",
                          _finish(result, counts, metadata))
    return _finish(result, counts, metadata)


def _graph(walker: _Walker, end: int, result: dict[str, Any], counts: dict[str, int]) -> None:
    for number, wire, value in walker.fields_until(end, "graph"):
        if wire != 2:
            continue
        if number == 1:
            counts["nodes"] += 1
        elif number == 5:
            counts["initializers"] += 1
        elif number in (11, 12):
            field = "inputs" if number == 11 else "outputs"
            counts[field] += 1
            if len(result[field]) < MAX_LISTED:
                result[field].append(walker.value_info(walker.cur.pos + value))


def _finish(result: dict[str, Any], counts: dict[str, int],
            metadata: dict[str, str]) -> dict[str, Any]:
    out = dict(result)
    out.update(node_count=counts["nodes"], initializer_count=counts["initializers"],
               input_count=counts["inputs"], output_count=counts["outputs"], metadata=metadata)
    return out
