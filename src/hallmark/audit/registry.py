"""Audit rules by id; each is one function from the vault's state to findings.

A rule is any object with `id`, `description` and `check(ctx)`, contributed through the
`hallmark_audit_rules` hook; the built-in ones are made with `@rule` and contributed by the
default plugin `audit/plugin.py`. `RULES` is the live view of every registered rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from hallmark.inventory.assets import Asset, lineage_edges, list_assets
from hallmark.schemas.audit import SEVERITIES, Finding
from hallmark.store.tables import scan_problems

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["BUILTIN", "RULES", "SEVERITIES", "AuditContext", "Finding", "Rule", "finding",
           "registered", "rule"]


def finding(rule: str, severity: str, asset: str | None, message: str, remedy: str,
            subject: str | None = None) -> Finding:
    """A Finding from positional parts, as the rules write them."""
    return Finding.model_validate({"rule": rule, "severity": severity, "asset": asset,
                                   "message": message, "remedy": remedy, "subject": subject})


class AuditContext:
    """What rules read, loaded once per audit run and shared by every rule. `vault` is there
    for the blob store (stored review reports); the database is read through `conn`."""

    def __init__(self, conn: Connection, vault: Vault | None = None) -> None:
        self.conn = conn
        self.vault = vault

    @cached_property
    def assets(self) -> list[Asset]:
        """Every registered asset, with its parents."""
        return list_assets(self.conn)

    @cached_property
    def by_id(self) -> dict[str, Asset]:
        """Assets by id."""
        return {a.id: a for a in self.assets}

    @cached_property
    def edges(self) -> list[tuple[str, str, str]]:
        """(child, parent, relation) lineage edges."""
        return lineage_edges(self.conn)

    @cached_property
    def scan_problems(self) -> list[tuple[str, str]]:
        """(path, reason) of files the last scans could not read."""
        rows = self.conn.execute(select(scan_problems).order_by(scan_problems.c.path))
        return [(r.path, r.reason) for r in rows]


RuleFn = Callable[[AuditContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    id: str
    description: str
    check: RuleFn


BUILTIN: dict[str, Rule] = {}  # what `@rule` made; the default plugin contributes these


def rule(rule_id: str, description: str) -> Callable[[RuleFn], RuleFn]:
    """Make a function the built-in rule `rule_id`."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in BUILTIN:
            raise ValueError(f"audit rule {rule_id!r} registered twice")
        BUILTIN[rule_id] = Rule(rule_id, description, fn)
        return fn

    return register


def registered() -> dict[str, Any]:
    """Every rule the plugins contribute, by id; a later-registered plugin wins an id."""
    from hallmark.hooks import contributions

    table: dict[str, Any] = {}
    for contributed in contributions("hallmark_audit_rules"):  # oldest first: the newest wins
        for item in contributed if isinstance(contributed, list | tuple) else []:
            # A rule is anything with a text id and a check(ctx); anything else is ignored.
            if isinstance(getattr(item, "id", None), str) and callable(getattr(item, "check",
                                                                                None)):
                table[item.id] = item
    return table


class _Registered(Mapping[str, Any]):
    """A read-only view of `registered()`, current at every access."""

    def __getitem__(self, rule_id: str) -> Any:
        return registered()[rule_id]

    def __iter__(self) -> Iterator[str]:
        return iter(registered())

    def __len__(self) -> int:
        return len(registered())


RULES: Mapping[str, Any] = _Registered()
