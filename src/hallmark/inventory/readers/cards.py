"""Model and dataset cards: the YAML front matter of a README.md (or any .md) file, and the
name the card gives its model (what the `unprotected-model-name` audit rule compares with the
recorded trademarks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hallmark.inventory.readers import ReaderError
from hallmark.inventory.readers._common import clip, describe

MAX_FRONT_MATTER = 256 * 1024
MAX_ITEMS = 200
STRING_KEYS = ("license", "license_name", "license_link", "pipeline_tag")
LIST_KEYS = ("datasets", "base_model", "tags")  # a single string is kept as given
HEADING = re.compile(r"#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*")
FENCE = re.compile(r"[ ]{0,3}(```|~~~)")
MAX_HEADING_LINES = 400  # the title is at the top of a card; no need to read a whole manual


def _scalar(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clip(str(value), 500)
    return None


def _strings(value: Any) -> str | list[str] | None:
    # Only scalars survive: YAML aliases can make a small document a huge object graph.
    if isinstance(value, list):
        return [s for s in (_scalar(v) for v in value[:MAX_ITEMS]) if s is not None]
    return _scalar(value)


def _plain(text: str) -> str | None:
    # A heading's Markdown ([link](url), `code`, **bold**) is not part of the name.
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = " ".join(text.replace("`", "").replace("**", "").replace("__", "").split())
    return clip(text, 200) if text else None


def _heading(lines: list[str]) -> str | None:
    """The text of the body's first level-1 ATX heading outside code fences."""
    fenced = False
    for line in lines[:MAX_HEADING_LINES]:
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (found := HEADING.fullmatch(line.rstrip("\r\n"))):
            return _plain(found.group(1))
    return None


def model_name(data: dict[str, Any], body: list[str]) -> str | None:
    """The model's name as the card gives it: front matter `model_name`, else the first
    `model-index` entry's `name` (the Hugging Face evaluation results), else the body's first
    `# Heading`. Only a file with front matter is a card, so a plain README names nothing."""
    name = _scalar(data.get("model_name"))
    index = data.get("model-index")
    if name is None and isinstance(index, list) and index and isinstance(index[0], dict):
        name = _scalar(index[0].get("name"))
    name = _plain(name) if name is not None else _heading(body)
    return name


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
    if (name := model_name(data, lines[closing + 1:])) is not None:
        card["model_name"] = name
    return {"format": "card", "card": card}
