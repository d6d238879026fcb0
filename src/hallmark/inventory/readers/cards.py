"""Model and dataset cards: the YAML front matter of a README.md (or any .md) file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import clip, describe

MAX_FRONT_MATTER = 256 * 1024
MAX_ITEMS = 200
STRING_KEYS = ("license", "license_name", "license_link", "pipeline_tag")
LIST_KEYS = ("datasets", "base_model", "tags")  # a single string is kept as given


def _scalar(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clip(str(value), 500)
    return None


def _strings(value: Any) -> str | list[str] | None:
    # Only scalars survive: YAML aliases can make a small document a huge object graph.
    if isinstance(value, list):
        return [s for s in (_scalar(v) for v in value[:MAX_ITEMS]) if s is not None]
    return _scalar(value)


def read(path: Path) -> dict[str, Any]:
    """The licence and lineage keys of the card's front matter; {} without front matter."""
    with open(path, "rb") as f:
        head = f.read(MAX_FRONT_MATTER + 1)
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}
    closing = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")),
                   None)
    if closing is None:
        if len(head) > MAX_FRONT_MATTER:
            raise ReaderError(f"front matter longer than {MAX_FRONT_MATTER} bytes")
        raise ReaderError("front matter is not closed by a '---' line")
    try:
        data = yaml.safe_load("".join(lines[1:closing]))
    except yaml.YAMLError as exc:
        raise ReaderError(f"front matter is {describe(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ReaderError("front matter is not a YAML mapping")
    card: dict[str, Any] = {}
    for key in STRING_KEYS:
        if key in data and (value := _scalar(data[key])) is not None:
            card[key] = value
    for key in LIST_KEYS:
        if key in data and (items := _strings(data[key])) is not None:
            card[key] = items
    return {"format": "card", "card": card}
