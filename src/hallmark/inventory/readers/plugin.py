"""The default plugin contributing the built-in format readers.

Each reader is named by module and function and imported on first use, so that asking the hook
for the table (every scan, and `SUFFIXES`) does not import pyarrow or any other heavy parser."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from hallmark.hooks import hookimpl

# The pickle family's suffixes, as readers/pickles.py lists them (imported lazily like the rest).
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib")

BUILTIN: dict[str, tuple[str, str]] = {
    ".safetensors": ("safetensors", "read"),
    ".gguf": ("gguf", "read"),
    ".onnx": ("onnx", "read"),
    ".parquet": ("tabular", "read_parquet"),
    ".arrow": ("tabular", "read_arrow"),
    ".ipc": ("tabular", "read_arrow"),
    ".feather": ("tabular", "read_feather"),
    ".csv": ("tabular", "read_csv"),
    ".tsv": ("tabular", "read_tsv"),
    ".jsonl": ("tabular", "read_jsonl"),
    ".ndjson": ("tabular", "read_jsonl"),
    ".md": ("cards", "read"),
    **{suffix: ("pickles", "read") for suffix in PICKLE_SUFFIXES},
}


class LazyReader:
    """A reader that imports its module when first called."""

    def __init__(self, module: str, function: str) -> None:
        self.module = f"hallmark.inventory.readers.{module}"
        self.function = function

    def __call__(self, path: Path) -> dict[str, Any]:
        reader = getattr(importlib.import_module(self.module), self.function)
        result: dict[str, Any] = reader(path)
        return result

    def __repr__(self) -> str:
        return f"LazyReader({self.module}.{self.function})"


_TABLE = {suffix: LazyReader(*where) for suffix, where in BUILTIN.items()}


@hookimpl
def hallmark_readers() -> dict[str, Any]:
    """The built-in readers by suffix."""
    return dict(_TABLE)
