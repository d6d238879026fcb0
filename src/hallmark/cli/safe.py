"""Terminal safety: text from the vault (file names, metadata, messages) is shown, never obeyed.

A scanned file can be named `ESC[2J...` or `[red]x`: printed raw, the first clears the screen and
the second is read as Rich markup. Every human output goes through a `SafeConsole`, which shows
control characters as visible escapes whatever a renderer passes; values put into a markup string
go through `safe_text`, and table cells are plain text (`table()` in common.py), so markup in a
value is printed literally.
"""

from __future__ import annotations

import re
from typing import Any

import rich.markup
from rich.console import Console
from rich.text import Text

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a reader sees.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value: Any) -> str:
    """`value` as one line of text with every control character written as a visible escape."""
    return _CONTROLS.sub(_escape, "" if value is None else str(value))


def safe_text(value: Any) -> str:
    """`value` made safe to put into a Rich markup string: controls escaped, markup escaped."""
    return rich.markup.escape(clean(value))


def plain(value: Any) -> Text:
    """A table cell or title: a Text is kept as its renderer styled it, anything else is shown
    as plain text (no markup), controls escaped."""
    return value if isinstance(value, Text) else Text(clean(value))


def styled(markup: str) -> Text:
    """A renderer's own markup (never a vault value) as a styled cell."""
    return Text.from_markup(markup)


class SafeConsole(Console):
    """A Rich console that never lets a control character through to the terminal; line breaks
    and tabs in a renderer's own strings are kept."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Neutralise controls before Rich parses the markup (markup itself uses none)."""
        return super().render_str(_IN_LINES.sub(_escape, text), **kwargs)
