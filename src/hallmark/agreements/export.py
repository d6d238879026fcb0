"""Jurisdictions and export control: ISO 3166-1 country codes, export classifications (ECCN,
EU dual-use entry, EAR99, not-controlled), and the vault's export rules (which classifications
need a licence for which destinations), read from `.hallmark/export-rules.yaml`."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from hallmark.errors import InputError

RULES_FILE = "export-rules.yaml"
NOT_CONTROLLED = "not-controlled"
# An ECCN or EU Annex I entry: category digit, product group A-E, three digits, then optional
# sub-paragraphs (5A002.a.1, 5A002a1); also EAR99 and not-controlled.
_ENTRY = re.compile(r"^([0-9][A-E][0-9]{3})((?:\.?[a-z0-9]{1,4}){0,6})$", re.IGNORECASE)
MAX_RULES = 1000


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> short name (the shipped list)."""
    text = resources.files("hallmark.agreements").joinpath("data/countries.tsv").read_text()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            out[code] = name
    return out


def country_code(value: object, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code (any case in, upper case out); unknown codes are refused."""
    if not isinstance(value, str):
        raise InputError(f"expected a country code, got {type(value).__name__}", field=field)
    code = value.strip().upper()
    if code not in countries():
        shown = value[:20]
        raise InputError(f"{shown!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, DE, "
                         "CN)", field=field)
    return code


def classification(value: object, field: str = "export_control") -> str:
    """An export classification, normalised: an ECCN or EU entry (4E091, 5A002.a.1), EAR99 or
    not-controlled."""
    if not isinstance(value, str):
        raise InputError(f"expected a classification, got {type(value).__name__}", field=field)
    text = value.strip()
    if text.lower() == NOT_CONTROLLED:
        return NOT_CONTROLLED
    if text.upper() == "EAR99":
        return "EAR99"
    match = _ENTRY.match(text)
    if match is None:
        raise InputError(f"{text[:40]!r} is not an export classification: an ECCN or EU "
                         "dual-use entry like 4E091 or 5A002.a.1, EAR99, or not-controlled",
                         field=field)
    return match.group(1).upper() + match.group(2).lower()


def levels(cls: str) -> tuple[str, ...]:
    """A classification as its entry and sub-paragraph levels ("5A002.a.1" and "5A002a1" are
    both ("5A002", "a", "1")), so spellings with and without dots compare equal."""
    text = cls.strip()
    if not _ENTRY.match(text):
        return (text.upper(),)
    return (text[:5].upper(), *re.findall(r"[a-z]+|[0-9]+", text[5:].lower()))


@dataclass(frozen=True)
class Rule:
    """One rule: the classifications it matches and the destinations that need a licence."""

    pattern: str
    required_for: frozenset[str] | None  # None: every destination but `except_for`
    except_for: frozenset[str]
    source: str

    def matches(self, cls: str) -> bool:
        """Whether the rule names this classification: the entry it names and every
        sub-paragraph of it (a rule for 5A002.a covers 5A002.a.1 and 5A002a1, not 5A002.a12 nor
        5A002.b), or whatever its trailing `*` matches."""
        mine, theirs = levels(self.pattern.removesuffix("*")), levels(cls)
        if theirs[:len(mine)] == mine:
            return True
        return self.pattern.endswith("*") and fnmatch.fnmatchcase(cls.upper(),
                                                                  self.pattern.upper())

    def needs_licence(self, country: str | None) -> bool:
        """Whether a transfer to `country` (None: unknown) needs a licence under this rule."""
        if country is None:
            return True
        if self.required_for is not None:
            return country in self.required_for
        return country not in self.except_for

    def destinations(self) -> frozenset[str]:
        """Every country code that needs a licence, plus "" for an unknown country."""
        if self.required_for is not None:
            return self.required_for | {""}
        return frozenset(c for c in countries() if c not in self.except_for) | {""}


@dataclass(frozen=True)
class ExportRules:
    """The rules of one vault, and the digest of the file they came from."""

    rules: tuple[Rule, ...]
    sha256: str
    origin: str  # the file, or "the shipped example" where the vault has none

    def rule_for(self, cls: str | None) -> Rule | None:
        """The first rule naming the classification (None: no licence ever needed)."""
        if cls is None or cls == NOT_CONTROLLED:
            return None
        return next((r for r in self.rules if r.matches(cls)), None)


def example_text() -> str:
    """The shipped, documented example rules (seeded into a new vault)."""
    return resources.files("hallmark.agreements").joinpath(f"data/{RULES_FILE}").read_text()


def parse_rules(text: str, name: str, origin: str) -> ExportRules:
    """Rules from YAML text; an error names the rule and field."""
    from hallmark.agreements.yamlsrc import load_text

    source = load_text(text, name, field="export_rules")
    data = source.data
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(
            data["rules"], list):
        raise source.error((), "an export rules file is a mapping with one key, `rules`, "
                               "holding a list")
    if len(data["rules"]) > MAX_RULES:
        raise source.error(("rules",), f"at most {MAX_RULES} rules")
    out = []
    for i, item in enumerate(data["rules"]):
        loc: tuple[str | int, ...] = ("rules", i)
        if not isinstance(item, dict):
            raise source.error(loc, "a rule is a mapping")
        extra = set(item) - {"classification", "licence_required_for", "all_except", "source"}
        if extra:
            raise source.error((*loc, sorted(extra)[0]), "unknown key")
        pattern = item.get("classification")
        if not isinstance(pattern, str):
            raise source.error((*loc, "classification"), "required: a classification")
        try:
            classification(pattern.removesuffix("*"), "classification")
        except InputError as exc:
            raise source.error((*loc, "classification"), exc.message) from None
        has_list, has_except = "licence_required_for" in item, "all_except" in item
        if has_list == has_except:
            raise source.error(loc, "give exactly one of licence_required_for or all_except")
        key = "licence_required_for" if has_list else "all_except"
        codes = item[key]
        if not isinstance(codes, list):
            raise source.error((*loc, key), "a list of country codes")
        checked = set()
        for j, code in enumerate(codes):
            if isinstance(code, bool):
                raise source.error((*loc, key, j), "YAML read a bare NO, YES, ON or OFF as "
                                                   "true/false: quote country codes (\"NO\")")
            try:
                checked.add(country_code(code))
            except InputError as exc:
                raise source.error((*loc, key, j), exc.message) from None
        src = item.get("source", "")
        if not isinstance(src, str):
            raise source.error((*loc, "source"), "text")
        out.append(Rule(pattern.strip(), frozenset(checked) if has_list else None,
                        frozenset() if has_list else frozenset(checked),
                        src.strip() or f"{origin} rule {i}"))
    return ExportRules(tuple(out), hashlib.sha256(text.encode()).hexdigest(), origin)


@cache
def _example() -> ExportRules:
    return parse_rules(example_text(), RULES_FILE, "the shipped example")


# Every access decision reads the rules: parsed files are kept by path, size, inode and
# modification and change times (nanoseconds), so an edit is seen at once (even one whose mtime
# was put back: the change time cannot be) and an unchanged file costs a stat.
_parsed: dict[str, tuple[tuple[int, int, int, int], ExportRules]] = {}


def load_rules(vault_dir: Path) -> ExportRules:
    """The vault's rules file (or the shipped example where a vault predates it)."""
    path = vault_dir / RULES_FILE
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():  # a link to a file that is gone is a file that cannot be read
            raise InputError(f"cannot read {path.name}: it links to a file that does not "
                             "exist", field="export_rules") from None
        return _example()
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror or exc}",
                         field="export_rules") from None
    stamp = (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    known = _parsed.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    rules = _read(path)
    if len(_parsed) > 64:
        _parsed.clear()
    _parsed[str(path)] = (stamp, rules)
    return rules


def _read(path: Path) -> ExportRules:
    from hallmark.files import read_small

    try:
        text = read_small(path, "export rules file", field="export_rules",
                          limit=1 << 20).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path.name}: {exc}", field="export_rules") from None
    return parse_rules(text, path.name, path.name)
