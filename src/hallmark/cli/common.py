"""What every command module shares: consoles, JSON output, finding the vault."""

from __future__ import annotations

import codecs
import io
import json
import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

import typer

from hallmark.cli.safe import SafeConsole, plain
from hallmark.errors import NotFound

if TYPE_CHECKING:
    from rich.table import Table

    from hallmark import Vault

console = SafeConsole()
err_console = SafeConsole(stderr=True, soft_wrap=True)  # an error stays one line, at any width

JsonOption = typer.Option(False, "--json", help="Print exactly one JSON document on stdout.")


def jsonable(document: Any) -> Any:
    """`document` with every schema model in it serialised as the API serialises it."""
    if hasattr(document, "model_dump"):
        return document.model_dump(mode="json")
    if isinstance(document, list | tuple):
        return [jsonable(d) for d in document]
    if isinstance(document, dict):
        return {k: jsonable(v) for k, v in document.items()}
    return document


# A float (or NaN/Infinity) token ending a line of indented JSON: strings end in a quote, so a
# line that ends in digits after '.', 'e' or 'E' (or in NaN/Infinity) ends in a float value.
_FLOAT_AT_END = re.compile(rb"(?:[.eE][-+]?[0-9]+|NaN|Infinity),?\n")
# The same test in two steps, several times faster on a long document: the digits case is
# searched for backwards (in the reversed text the pattern starts at a line break, which the
# search skips to quickly; forwards it would stop at every "e" of every digest), and NaN or
# Infinity only where the text has them at all.
_DIGITS_AT_END_REVERSED = re.compile(rb"\n,?[0-9]+[-+]?[.eE]")


def _float_at_end(raw: bytes) -> bool:
    """Whether `_FLOAT_AT_END` matches somewhere in `raw`."""
    if _DIGITS_AT_END_REVERSED.search(raw[::-1]):
        return True
    return (b"NaN" in raw or b"Infinity" in raw) and _FLOAT_AT_END.search(raw) is not None


@cache
def _has_float_fields(model: type) -> bool:
    """Whether `model` (or a model inside it) declares a float field: its NaN and infinities
    dump as NaN/Infinity for the json module but as null from pydantic-core."""
    return "'float'" in repr(getattr(model, "__pydantic_core_schema__", "'float'"))


def _model_json(document: Any) -> str | None:
    """`_model_bytes(document)` as text."""
    raw = _model_bytes(document)
    return None if raw is None else raw.decode()


def _model_bytes(document: Any) -> bytes | None:
    """One schema model serialised by pydantic-core (several times faster than encoding its
    dump with the json module), or None where that text could differ from `json.dumps`'s:
    the two agree on every value but floats (written differently: 1e-05 / 0.00001), so a
    model with a float field, or a document holding any float (or that pydantic-core
    refuses), takes the json module's path."""
    if not hasattr(document, "__pydantic_serializer__") or _has_float_fields(type(document)):
        return None
    from pydantic_core import to_json

    try:
        raw = to_json(document, indent=2, inf_nan_mode="constants")
    except Exception:  # noqa: BLE001 - e.g. a lone surrogate: the json module decides
        return None
    return None if _float_at_end(raw) else raw


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (no Rich markup, no wrapping): a schema model, a list
    of them, or plain JSON data."""
    raw = _model_bytes(document)
    out = sys.stdout
    if raw is not None and isinstance(out, io.TextIOWrapper) and out.errors == "strict" and (
            codecs.lookup(out.encoding).name == "utf-8"):
        out.flush()  # the UTF-8 text as the text layer would have encoded it, not copied twice
        out.buffer.write(raw + b"\n")
        return
    text = raw.decode() if raw is not None else json.dumps(
        jsonable(document), indent=2, default=str, ensure_ascii=False)
    out.write(text + "\n")


def open_vault(ctx: typer.Context) -> Vault:
    """The vault named by --vault / HALLMARK_VAULT, or found upwards from the cwd."""
    from hallmark import Vault  # the database layer loads only for a command that opens one

    named = (ctx.find_root().obj or {}).get("vault")
    try:
        return Vault.find(named)
    except NotFound:
        if named is None:  # the root option, which the leaf command's flags do not list
            raise NotFound("not inside a Hallmark vault (run `hallmark init` or pass "
                           "--vault)") from None
        raise


AUTO_WRAP = 24  # a column wider than this wraps even if its renderer did not say so
WRAP_MIN = 8  # a wrapping column keeps at least this many characters (or its whole text)


def table(title: Any, columns: list[str], rows: list[list[Any]],
          wrap: tuple[str, ...] = ()) -> Table:
    """A Rich table with the house style. Cells and the title are plain text (controls escaped,
    markup shown literally; pass a rich Text to style one). A column keeps its whole width (ids
    never wrap) unless it is named in `wrap` or is long text; headers may wrap at their spaces.
    Light borders leave the width to the data: the list commands stay readable at 80 columns."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    cells = [[plain("" if v is None else v) for v in row] for row in rows]
    t = Table(title=plain(title) if title else None, header_style="bold", show_lines=False,
              box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for i, col in enumerate(columns):
        header = plain(col)
        header.no_wrap, header.overflow = False, "fold"
        natural = max([cell_len(c.plain) for row in cells for c in row[i:i + 1]] or [0])
        word = max(cell_len(w) for w in (header.plain.split() or [""]))
        if col in wrap or natural > AUTO_WRAP:
            t.add_column(header, overflow="fold", min_width=max(word, min(natural, WRAP_MIN)))
        else:
            # Exactly as wide as its widest value: a long header wraps instead of widening it.
            t.add_column(header, no_wrap=True, width=max(word, natural))
    for row in cells:
        t.add_row(*row)
    return t


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows and never evaluates: text that a spreadsheet would read
    as a formula (=, +, -, @, a tab or a carriage return first) gets a leading apostrophe
    (OWASP CSV injection); names and titles are the user's data, not commands."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
