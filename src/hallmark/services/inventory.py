"""The inventory service: scan files into the asset register, list and show assets, change
their register fields, record lineage."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.inventory.assets import CLASSIFICATIONS, KINDS, PROTECTIONS, RELATIONS, STATUSES
from hallmark.schemas.inventory import Asset, AssetList, LineageRemoved, ScanResult
from hallmark.services._args import path, renamed, sequence, text

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hallmark.vault import Vault

__all__ = ["CLASSIFICATIONS", "KINDS", "PROTECTIONS", "RELATIONS", "STATUSES", "add_lineage",
           "get_asset", "list_assets", "remove_lineage", "resolve", "scan", "set_fields"]



def scan(vault: Vault, paths: Sequence[Path | str], *, actor: str,
         exclude: Sequence[str] = (), rehash: bool = False,
         progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Register or update every file under `paths` (hashed, metadata read, each change logged);
    `progress(done, total)` is called as files are hashed."""
    from hallmark.inventory import scan as scanning
    from hallmark.inventory.walk import display

    roots = [_path(p) for p in _sequence(paths, "paths")]
    if not roots:
        raise InputError("name at least one file or folder", field="paths")
    for root in roots:
        if not os.path.lexists(root):
            raise InputError(f"no such file or folder: {display(root)}", field="paths")
    globs = [_text(g, "exclude") for g in _sequence(exclude, "exclude")]
    if not isinstance(rehash, bool):
        raise InputError("must be true or false", field="rehash")
    if progress is not None and not callable(progress):
        raise InputError("must be a function of (done, total)", field="progress")
    with vault.read() as conn:
        known = scanning.known_assets(conn)
    work = scanning.walk_and_hash(vault.root, vault.dir, roots, globs, known, rehash, progress)
    with vault.transaction(actor) as txn:
        scanning.record_scan(txn, work, known)
    with vault.read() as conn:
        return scanning.result(conn, work)


def list_assets(vault: Vault, kind: str | None = None) -> AssetList:
    """Every asset in the register (optionally of one kind), by path, with its parents."""
    from hallmark.inventory import assets as register

    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})", field="kind")
    with vault.read() as conn:
        listing = register.list_assets(conn, kind)
    # Every item is an Asset the register built: the list needs no validating again.
    return AssetList.model_construct(assets=listing)


def get_asset(vault: Vault, ref: str) -> Asset:
    """One asset (by id, unambiguous id prefix, name or path) with its parents and children."""
    with vault.read() as conn:
        return _resolve(conn, ref, "ref")


def resolve(vault: Vault, ref: str) -> str:
    """The id of the asset `ref` names (an id, unambiguous id prefix, name or path)."""
    return get_asset(vault, ref).id


def set_fields(vault: Vault, ref: str, *, actor: str, owner: str | None = None,
               status: str | None = None, classification: str | None = None,
               protection: str | None = None, value: int | None = None,
               license: str | None = None, export_control: str | None = None) -> Asset:
    """Change an asset's owner, status, classification, protection, value (1..5), licence
    (an SPDX expression, normalised) or export classification (an ECCN such as 4E091, an EU
    dual-use entry, EAR99 or not-controlled); logs `asset.updated` with who and when."""
    from hallmark.inventory import assets as register

    changes = _validated({"owner": owner, "status": status, "classification": classification,
                          "protection": protection, "value": value, "license": license,
                          "export_control": export_control})
    _text(ref, "ref")
    with vault.transaction(actor) as txn:
        _resolve(txn.conn, ref, "ref")
        return register.update_fields(txn, ref, **changes)


def add_lineage(vault: Vault, child: str, parent: str, relation: str, *,
                actor: str) -> Asset:
    """Record that CHILD was made from PARENT (`relation`: trained-on, fine-tuned-from,
    derived-from, contains); refuses self-loops and cycles. Returns the child."""
    from hallmark.inventory import assets as register

    if relation not in RELATIONS:
        raise InputError(f"must be one of {', '.join(RELATIONS)} (got {relation!r})",
                         field="relation")
    with vault.transaction(actor) as txn:
        _resolve(txn.conn, child, "child")
        _resolve(txn.conn, parent, "parent")
        return register.insert_lineage(txn, child, parent, relation)


def remove_lineage(vault: Vault, child: str, parent: str, *, actor: str) -> LineageRemoved:
    """Remove every lineage edge from CHILD to PARENT."""
    from hallmark.inventory import assets as register

    with vault.transaction(actor) as txn:
        _resolve(txn.conn, child, "child")
        _resolve(txn.conn, parent, "parent")
        try:
            child_id, parent_id, gone = register.delete_lineage(txn, child, parent)
        except NotFound as exc:  # no edge from this child to this parent
            raise renamed(exc, exc.field or "parent") from None
    return LineageRemoved(child=child_id, parent=parent_id, removed=gone)


def _resolve(conn: Connection, ref: object, field: str) -> Asset:
    """`resolve`, its errors naming the parameter the reference came in."""
    from hallmark.inventory import assets as register

    try:
        return register.resolve(conn, _text(ref, field))
    except HallmarkError as exc:
        if exc.field is None:
            exc.field = field
        raise


def _validated(given: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise InputError("nothing to change: give at least one of owner, status, "
                         "classification, protection, value, license, export_control")
    allowed = {"status": STATUSES, "classification": CLASSIFICATIONS, "protection": PROTECTIONS}
    for key, values in allowed.items():
        if key in changes and changes[key] not in values:
            raise InputError(f"must be one of {', '.join(values)} (got {changes[key]!r})",
                             field=key)
    if "value" in changes:
        value = changes["value"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InputError(f"must be 1..5 (got {value!r})", field="value")
    if "license" in changes:
        from hallmark.inventory.licenses import normalise

        spdx = normalise(_text(changes["license"], "license"))
        if spdx is None:
            raise InputError(f"{changes['license']!r} is not an SPDX expression",
                             field="license")
        changes["license"] = spdx
    if "export_control" in changes:
        from hallmark.agreements.export import classification

        changes["export_control"] = classification(changes["export_control"])
    if "owner" in changes and not _text(changes["owner"], "owner").strip():
        raise InputError("must not be empty", field="owner")
    return changes


def _text(value: object, field: str) -> str:
    return text(value, field, empty=True)


def _path(value: object) -> Path:
    return path(value, "paths")


def _sequence(value: object, field: str) -> list[Any]:
    return sequence(value, field)
