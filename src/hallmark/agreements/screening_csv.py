"""Reading a restricted-party list the user provides, bounded: the US Consolidated Screening List
CSV layout, or a minimal `name[,country][,source][,alt_names]` layout. Every problem is one
InputError naming the field `file` (and the line); the file is parsed as data, never executed."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hallmark.agreements.export import countries
from hallmark.errors import InputError

MAX_BYTES = 64 << 20  # the consolidated list's CSV is about 20 MiB
MAX_ROWS = 100_000  # it has about 15,000 entries
MAX_NAME = 1000  # characters of one name
MAX_ALT_NAMES = 200  # alternative names of one entry
MAX_NAMES = 500_000  # names and alternative names of the whole list
MAX_FIELD = 128 << 10  # characters of one field (Python csv's own default limit)
FIELD = "file"

CSL_COLUMNS = (
    "_id", "id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order",
    "license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
    "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
    "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
    "source_information_url", "ids",
)
GENERIC_COLUMNS = ("name", "country", "source", "alt_names")
# Columns only the consolidated list has: one of them tells its layout from the generic one.
_CSL_ONLY = frozenset(CSL_COLUMNS) - frozenset(GENERIC_COLUMNS)


@dataclass
class Entry:
    """One restricted party: its name, other names, country (first found) and programmes."""

    name: str
    source: str
    alt_names: list[str] = field(default_factory=list)
    country: str | None = None
    programs: str | None = None


@dataclass
class ScreeningList:
    """A parsed list: its entries, the file's SHA-256 and which layout it had."""

    entries: list[Entry]
    sha256: str
    layout: str  # "consolidated-screening-list" | "generic"

    @property
    def sources(self) -> dict[str, int]:
        """How many entries each source list contributed."""
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.source] = out.get(e.source, 0) + 1
        return dict(sorted(out.items()))


def read_list(path: Path, default_source: str) -> ScreeningList:
    """Parse the file at `path` (bounded); `default_source` names entries with no source."""
    data = _read_bounded(path)
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text (byte {exc.start} cannot be decoded); "
                         "save the list as UTF-8 CSV", field=FIELD) from None
    if "\x00" in text:
        raise InputError(f"{path.name} holds a NUL byte: it is not a CSV text file",
                         field=FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path.name} is empty", field=FIELD)
        columns = [h.strip().lower() for h in header]
        layout = _layout(columns)
        entries = [_entry(row, columns, layout, line, default_source)
                   for line, row in _rows(reader, len(columns))]
    except csv.Error as exc:
        raise InputError(f"{path.name} is not readable as CSV ({exc})", field=FIELD,
                         line=reader.line_num) from None
    if not entries:
        raise InputError(f"{path.name} holds a header but no entries", field=FIELD)
    if sum(1 + len(e.alt_names) for e in entries) > MAX_NAMES:
        raise InputError(f"{path.name} holds more than {MAX_NAMES} names and alternative "
                         "names, the most a screening list may hold", field=FIELD)
    return ScreeningList(entries, digest, layout)


def _read_bounded(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise InputError(f"no file at {path}", field=FIELD)
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path.name} is larger than {MAX_BYTES >> 20} MiB, the most a "
                             "screening list may be", field=FIELD)
        with path.open("rb") as fh:  # bounded: the file may grow after the size was read
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=FIELD) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path.name} is larger than {MAX_BYTES >> 20} MiB", field=FIELD)
    return data


def _layout(columns: list[str]) -> str:
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        raise InputError(f"the header names column {twice[0][:40]!r} twice", field=FIELD)
    known = set(columns)
    if "name" in known and known <= set(GENERIC_COLUMNS):
        return "generic"
    if "name" in known and known <= set(CSL_COLUMNS) and known & _CSL_ONLY:
        return "consolidated-screening-list"
    unknown = sorted(known - set(CSL_COLUMNS)) or (["(no name column)"] if "name" not in known
                                                   else [])
    raise InputError(
        f"unknown screening list layout (unexpected: {', '.join(c[:40] for c in unknown[:5])}); "
        "expected the consolidated screening list's CSV columns (source, name, programs, "
        "addresses, alt_names, citizenships, nationalities, ...) or the columns "
        "name[,country][,source][,alt_names]", field=FIELD)


def _rows(reader: Any, width: int) -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(out) >= MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS} entries, the most a screening list may "
                             "hold", field=FIELD)
        if len(row) > width:
            raise InputError(f"a row has {len(row)} fields, the header {width}", field=FIELD,
                             line=reader.line_num)
        if any(len(cell) > MAX_FIELD for cell in row):
            raise InputError(f"a field is longer than {MAX_FIELD} characters", field=FIELD,
                             line=reader.line_num)
        out.append((reader.line_num, row + [""] * (width - len(row))))
    return out


def _entry(row: list[str], columns: list[str], layout: str, line: int,
           default_source: str) -> Entry:
    cell = dict(zip(columns, (c.strip() for c in row), strict=True))
    name = cell.get("name", "")
    if not name:
        raise InputError("an entry has no name", field=FIELD, line=line)
    if len(name) > MAX_NAME:
        raise InputError(f"a name is longer than {MAX_NAME} characters",
                         field=FIELD, line=line)
    alt = [a.strip() for a in cell.get("alt_names", "").split(";") if a.strip()]
    if len(alt) > MAX_ALT_NAMES or any(len(a) > MAX_NAME for a in alt):
        raise InputError(f"an entry has more than {MAX_ALT_NAMES} alternative names or one "
                         f"longer than {MAX_NAME} characters", field=FIELD,
                         line=line)
    source = cell.get("source", "")[:200] or default_source
    if layout == "generic":
        raw = cell.get("country", "")
        country = _country(raw) if raw else None
        if raw and country is None:
            raise InputError(f"{raw[:20]!r} is not an ISO 3166-1 alpha-2 country code",
                             field=FIELD, line=line)
        return Entry(name, source, alt, country)
    country = None
    for address in cell.get("addresses", "").split(";"):
        country = country or _country(address.rpartition(",")[2])
    for column in ("nationalities", "citizenships"):
        for value in cell.get(column, "").split(";"):
            country = country or _country(value)
    programs = cell.get("programs", "")[:2000] or None
    return Entry(name, source, alt, country, programs)


def _country(value: str) -> str | None:
    """A code from an ISO code or a country's short name; None when neither."""
    text = value.strip()
    if not text:
        return None
    if text.upper() in countries():
        return text.upper()
    return _by_name().get(text.casefold())


@cache
def _by_name() -> dict[str, str]:
    return {name.casefold(): code for code, name in countries().items()}
