"""The pickle opcode walker behind readers.pickles: bounded reads, a shallow stack simulation,
and the allow-list of globals that only rebuild plain data."""

from __future__ import annotations

import _compat_pickle
import pickletools
import re
import struct
from typing import Any

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import MAX_LISTED, Truncated, describe

MAX_OPS = 10_000_000  # about 20 s at worst; legitimate model pickles use far fewer
MAX_LINE = 64 * 1024
MAX_TEXT_ARG = 64 * 1024  # longer string literals are skipped, not decoded
CHUNK = 64 * 1024

# Pure data constructors: loading them runs no code beyond building the value. Everything not
# listed here is reported unsafe, including torch.storage._load_from_bytes (it unpickles its
# argument), copyreg/functools helpers, and any user class (loading imports its module).
SAFE_EXACT = frozenset({
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_device_tensor_from_numpy", "torch._tensor._rebuild_from_type_v2",
    "torch.Size", "torch.device",  # torch.device only parses a string such as "cuda:0"
    "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.serialization._get_layout",
    "collections.OrderedDict",
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",  # protocol 5 arrays
    "numpy.ndarray", "numpy.dtype",
    "builtins.set", "builtins.frozenset", "builtins.complex", "builtins.slice",
    "builtins.bytearray", "builtins.range",
    "_codecs.encode",  # numpy arrays pickled at protocol 2 wrap their bytes with it
})
SAFE_PATTERNS = re.compile(
    r"torch\.\w*Storage"  # torch.FloatStorage, torch.BFloat16Storage, ...
    r"|torch\.(u?int\d+|float\d*(_e\d+m\d+\w*)?|bfloat16|half|double|long|short|int|bool"
    r"|complex\d+|cfloat|cdouble|chalf|q(u)?int\w+|bits\w+)"  # dtypes
    r"|torch\.(strided|sparse_coo|sparse_csr|sparse_csc|sparse_bsr|sparse_bsc|_mkldnn)"  # layouts
    r"|torch\.(contiguous_format|channels_last|channels_last_3d|preserve_format)"
    r"|numpy\.dtypes\.\w+DType"
)

STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
              "SHORT_BINUNICODE", "BINUNICODE8"}
# Arguments that can be huge: read their length, then skip the bytes (value kept only if short).
BIG_ARGS = {pickletools.bytes4: ("<I", False), pickletools.bytes8: ("<Q", False),
            pickletools.bytearray8: ("<Q", False),  # type: ignore[attr-defined]
            pickletools.string4: ("<i", True), pickletools.unicodestring4: ("<I", True),
            pickletools.unicodestring8: ("<Q", True), pickletools.long4: ("<i", False)}


def is_safe(name: str) -> bool:
    """Whether importing and calling `name` on load only rebuilds plain data."""
    return name in SAFE_EXACT or SAFE_PATTERNS.fullmatch(name) is not None


class OpStream:
    """A buffered reader with a bound on the bytes consumed and on line length."""

    def __init__(self, raw: Any, limit: int) -> None:
        self.raw, self.limit = raw, limit
        self.buf, self.at, self.consumed = b"", 0, 0

    def _fill(self, want: int) -> None:
        while len(self.buf) - self.at < want:
            chunk = self.raw.read(max(CHUNK, want - (len(self.buf) - self.at)))
            if not chunk:
                return
            self.buf = self.buf[self.at:] + chunk
            self.at = 0

    def _take(self, n: int) -> bytes:
        self._fill(n)
        out = self.buf[self.at:self.at + n]
        if self.consumed + len(out) > self.limit:
            raise ReaderError(f"pickle stream exceeds the {self.limit}-byte bound")
        self.at += len(out)
        self.consumed += len(out)
        return out

    def read(self, n: int) -> bytes:
        """Up to `n` bytes (fewer at the end of the stream)."""
        at = self.at
        end = at + n
        if end <= len(self.buf) and self.consumed + n <= self.limit:  # the hot path
            self.at = end
            self.consumed += n
            return self.buf[at:end]
        return self._take(n)

    def readline(self) -> bytes:
        """One line, at most MAX_LINE bytes (pickletools rejects a line without its newline)."""
        self._fill(MAX_LINE)
        end = self.buf.find(b"\n", self.at, self.at + MAX_LINE)
        return self._take((end - self.at + 1) if end >= 0 else MAX_LINE)

    def peek(self) -> bytes:
        """The next byte without consuming it (b'' at the end)."""
        self._fill(1)
        return self.buf[self.at:self.at + 1]

    def skip(self, n: int, what: str) -> None:
        """Consume `n` bytes in chunks, never holding more than one chunk."""
        while n > 0:
            got = len(self._take(min(n, CHUNK)))
            if got == 0:
                raise Truncated(f"{what} runs past the end of the stream")
            n -= got


class Scan:
    """Globals found so far across the pickles of one file."""

    def __init__(self) -> None:
        self.globals: set[str] = set()
        self.notes: list[str] = []
        self.ops = 0

    def found(self, name: str) -> None:
        """Record one import target."""
        if len(self.globals) < 100_000:
            self.globals.add(name)

    def incomplete(self, note: str) -> None:
        """Record why part of the file was not scanned."""
        self.notes.append(note)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready result fields."""
        names = sorted(self.globals)
        out: dict[str, Any] = {"globals": names[:MAX_LISTED],
                               "unsafe_globals": [n for n in names if not is_safe(n)][:MAX_LISTED],
                               "global_count": len(names), "complete": not self.notes}
        if self.notes:
            out["note"] = "; ".join(self.notes[:3])
        return out


class _Global(str):
    """A stack value that is an imported object."""


class _Instance:
    def __init__(self, cls: Any) -> None:
        self.cls = cls


MARK = object()
CODE2OP = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
FIXED_ARGS = {"uint1": struct.Struct("<B"), "uint2": struct.Struct("<H"),
              "uint4": struct.Struct("<I"), "int4": struct.Struct("<i"),
              "uint8": struct.Struct("<Q"), "float8": struct.Struct(">d")}
SPECIAL = {"GLOBAL", "INST", "STACK_GLOBAL", "EXT1", "EXT2", "EXT4", "PUT", "BINPUT",
           "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET", "DUP", "REDUCE", "NEWOBJ",
           "NEWOBJ_EX", "OBJ", "BUILD", "STOP"} | STRING_OPS


def _stack_effect(op: pickletools.OpcodeInfo) -> tuple[bool, int, tuple[Any, ...]]:
    """(pops to a mark, items popped below it, what is pushed) for the generic opcodes."""
    before = op.stack_before
    marked = pickletools.markobject in before
    below = before.index(pickletools.markobject) if marked else len(before)
    pushed = tuple(MARK if item is pickletools.markobject else None for item in op.stack_after)
    return marked, below, pushed


EFFECTS = {code: _stack_effect(op) for code, op in CODE2OP.items() if op.name not in SPECIAL}
ARRAY_WRAPPERS = {"joblib.numpy_pickle.NumpyArrayWrapper",
                  "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"}


def _normalise(module: str, name: str) -> str:
    # Protocols 0-2 spell Python 2 names; pickle maps them on load, so must we.
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return f"{module}.{name}"


def _argument(op: pickletools.OpcodeInfo, ops: OpStream) -> Any:
    if op.arg is None:
        return None
    fixed = FIXED_ARGS.get(op.arg.name)
    if fixed is not None:
        raw = ops.read(fixed.size)
        if len(raw) != fixed.size:
            raise Truncated(f"argument of {op.name} runs past the end of the stream")
        return fixed.unpack(raw)[0]
    if op.arg in BIG_ARGS:
        fmt, text = BIG_ARGS[op.arg]
        raw = ops.read(struct.calcsize(fmt))
        if len(raw) != struct.calcsize(fmt):
            raise Truncated(f"length of {op.name} runs past the end of the stream")
        (n,) = struct.unpack(fmt, raw)
        if n < 0:
            raise ReaderError(f"{op.name} with a negative length")
        if text and n <= MAX_TEXT_ARG:
            data = ops.read(n)
            if len(data) != n:
                raise Truncated(f"{op.name} argument runs past the end of the stream")
            return data.decode("utf-8" if "UNICODE" in op.name else "latin-1", "surrogatepass")
        ops.skip(n, f"{op.name} argument")
        return None
    return op.arg.reader(ops)  # type: ignore[arg-type]  # duck-typed file


def scan_stream(ops: OpStream, scan: Scan, what: str) -> bool:
    """Walk one pickle to STOP; False when it stopped at an embedded joblib array."""
    stack: list[Any] = []
    memo: dict[int, Any] = {}
    while True:
        scan.ops += 1
        if scan.ops > MAX_OPS:
            raise ReaderError(f"more than {MAX_OPS} pickle opcodes")
        code = ops.read(1)
        if not code:
            raise Truncated(f"{what} ends before its STOP opcode")
        op = CODE2OP.get(code)
        if op is None:
            raise ReaderError(f"{what}: unknown opcode at byte {ops.consumed - 1}")
        try:
            arg = _argument(op, ops)
        except ValueError as exc:  # pickletools' readers say "expected N bytes ..."
            raise Truncated(f"{what}: {op.name}: {describe(exc)}") from None
        effect = EFFECTS.get(code)
        if effect is not None:
            marked, below, pushed = effect
            if marked:
                _pop_to_mark(stack)
            for _ in range(below):
                _pop(stack)
            stack.extend(pushed)
            continue
        name = op.name
        if name == "STOP":
            return True
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            target = _normalise(module, attr)
            scan.found(target)
            if name == "INST":
                _pop_to_mark(stack)
                stack.append(_Instance(target))
            else:
                stack.append(_Global(target))
        elif name == "STACK_GLOBAL":
            attr, module = _pop(stack), _pop(stack)
            if isinstance(module, str) and isinstance(attr, str) and not isinstance(
                    module, _Global):
                target = _normalise(module, attr)
            else:
                target = "<unresolved STACK_GLOBAL>"
            scan.found(target)
            stack.append(_Global(target))
        elif name.startswith("EXT"):
            scan.found(f"<copyreg extension {arg}>")
            stack.append(None)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[int(arg)] = stack[-1] if stack else None
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo.get(int(arg)))
        elif name == "DUP":
            stack.append(stack[-1] if stack else None)
        elif name in STRING_OPS:
            stack.append(arg if isinstance(arg, str) else None)
        elif name in ("REDUCE", "NEWOBJ", "NEWOBJ_EX"):
            for _ in range(len(op.stack_before) - 1):
                _pop(stack)
            stack.append(_Instance(_pop(stack)))
        elif name == "OBJ":
            sliced = _pop_to_mark(stack)
            stack.append(_Instance(sliced[0] if sliced else None))
        elif name == "BUILD":
            _pop(stack)
            obj = stack[-1] if stack else None
            if isinstance(obj, _Instance) and obj.cls in ARRAY_WRAPPERS:
                # joblib writes the array's raw bytes right here, sized by the state we do not
                # evaluate; what follows cannot be walked as opcodes.
                scan.incomplete("joblib array data embedded after the first array; later "
                                "globals not scanned")
                return False


def _pop(stack: list[Any]) -> Any:
    value = stack.pop() if stack else None
    return None if value is MARK else value


def _pop_to_mark(stack: list[Any]) -> list[Any]:
    sliced: list[Any] = []
    while stack:
        value = stack.pop()
        if value is MARK:
            break
        sliced.append(value)
    sliced.reverse()
    return sliced
