"""Audit rules register here by id; each is one function from the vault's state to findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select

from hallmark.inventory.assets import Asset, lineage_edges, list_assets
from hallmark.store.tables import scan_problems
from hallmark.vault import Vault

SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Finding:
    """One gap the audit found."""

    rule: str
    severity: str
    asset: str | None
    message: str
    remedy: str
    subject: str | None = None  # what it is about when not an asset (a path, a party)

    def to_json(self) -> dict[str, Any]:
        """The JSON form `hallmark audit --json` prints."""
        return asdict(self)


class AuditContext:
    """What rules read, loaded once per audit run and shared by every rule."""

    def __init__(self, vault: Vault, conn: Connection) -> None:
        self.vault = vault
        self.conn = conn

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


RULES: dict[str, Rule] = {}


def rule(rule_id: str, description: str) -> Callable[[RuleFn], RuleFn]:
    """Register a function as the rule `rule_id`."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in RULES:
            raise ValueError(f"audit rule {rule_id!r} registered twice")
        RULES[rule_id] = Rule(rule_id, description, fn)
        return fn

    return register
