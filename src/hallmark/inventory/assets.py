"""The asset register: look up, list, change ownership fields, lineage. Every change logs.

The service (`hallmark.services.inventory`) validates and owns the transaction; the writers
here take its open `Txn`."""

from __future__ import annotations

import gc
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from hallmark.errors import InputError, NotFound
from hallmark.schemas.inventory import Asset
from hallmark.store.clock import utcnow
from hallmark.store.tables import assets, lineage

if TYPE_CHECKING:
    from hallmark.vault import Txn

__all__ = ["Asset", "asset_from_row", "delete_lineage", "insert_lineage", "lineage_edges",
           "list_assets", "record", "resolve", "stated_license", "update_fields"]

KINDS = ("model", "dataset", "code", "document", "other")
STATUSES = ("in-house", "third-party", "joint", "unknown")
CLASSIFICATIONS = ("public", "internal", "confidential", "trade-secret")
PROTECTIONS = ("patent", "copyright", "trade-secret", "licence", "none")
RELATIONS = ("trained-on", "fine-tuned-from", "derived-from", "contains")


# The register fields of an `Asset`, in the model's order, by the type a stored row gives them.
_TEXT = ("id", "path", "name", "kind", "sha256", "blake3", "status", "classification",
         "first_seen", "updated")
_OPTIONAL_TEXT = ("owner", "protection", "license", "export_control")
_FIELDS = ("id", "path", "name", "kind", "size", "sha256", "blake3", "metadata", "owner",
           "status", "classification", "protection", "value", "license", "first_seen",
           "updated", "export_control")


def asset_from_row(row: Row[Any], parents: list[dict[str, str]] | None = None) -> Asset:
    """An Asset from an `assets` row (its parents if given, no children), knowing the licence
    its file states."""
    return _asset(dict(zip(row._fields, row)), parents)  # noqa: B905 - as long as its keys


_scan_json = json.JSONDecoder().scan_once  # what json.loads runs, without its checks around it


def _loads(text: Any) -> Any:
    """`json.loads(text)`: one JSON value filling the text exactly is read directly; anything
    else (whitespace around it, an error, not text) is left to json.loads itself."""
    try:
        value, end = _scan_json(text, 0)
    except Exception:  # noqa: BLE001 - json.loads raises what it raises
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _asset(row: dict[str, Any], parents: list[dict[str, str]] | None) -> Asset:
    """An Asset from the columns of an `assets` row.

    A row whose every value already has exactly the type its field declares (plain str, int,
    None where allowed, a JSON object for the metadata) is the model validation would build,
    so it is built without validating again (the register is read back 10,000 rows at a
    time); any other row goes through the validating constructor, which reports it as
    before."""
    meta = _loads(row["meta"])
    fields = {"id": row["id"], "path": row["path"], "name": row["name"], "kind": row["kind"],
              "size": row["size"], "sha256": row["sha256"], "blake3": row["blake3"],
              "metadata": meta, "owner": row["owner"], "status": row["status"],
              "classification": row["classification"], "protection": row["protection"],
              "value": row["value"], "license": row["license"],
              "first_seen": row["first_seen"], "updated": row["updated"],
              "export_control": row.get("export_control")}
    value = fields["value"]
    if (type(meta) is dict and type(fields["size"]) is int
            and (value is None or type(value) is int)
            and all(type(fields[name]) is str for name in _TEXT)
            and all(fields[name] is None or type(fields[name]) is str
                    for name in _OPTIONAL_TEXT)):
        return _built(fields, [] if parents is None else parents, stated_license(meta),
                      parents is not None)
    asset = Asset(**fields)
    asset.stated_license = stated_license(meta)
    if parents is not None:
        asset.parents = parents
    return asset


def _built(fields: dict[str, Any], parents: list[dict[str, str]], stated: str | None,
           parents_set: bool) -> Asset:
    """The Asset that `Asset(**fields)` (then `.parents = parents` if `parents_set`) builds,
    for values already of their fields' exact types: the same fields, the same set of fields
    given, no extras, the stated licence as its private attribute."""
    asset = Asset.__new__(Asset)
    fields["parents"], fields["children"] = parents, []
    given = set(_FIELDS)
    if parents_set:
        given.add("parents")
    object.__setattr__(asset, "__dict__", fields)
    object.__setattr__(asset, "__pydantic_fields_set__", given)
    object.__setattr__(asset, "__pydantic_extra__", None)
    object.__setattr__(asset, "__pydantic_private__", {"_stated_license": stated})
    return asset


def stated_license(meta: dict[str, Any]) -> str | None:
    """The licence a file's metadata states (its card, header or repository), normalised to
    SPDX where it parses."""
    card = meta.get("card") or {}
    for candidate in (card.get("license_name") if card.get("license") == "other" else None,
                      card.get("license"), meta.get("license"),
                      (meta.get("metadata") or {}).get("license"),
                      (meta.get("repo_license") or {}).get("spdx")):
        if candidate:
            from hallmark.inventory.licenses import normalise

            return normalise(str(candidate)) or str(candidate)
    return None


def record(asset: Asset) -> dict[str, Any]:
    """What an event says about an asset: identifiers, digests and register fields only."""
    return {
        "id": asset.id, "path": asset.path, "kind": asset.kind, "size": asset.size,
        "sha256": asset.sha256, "blake3": asset.blake3, "owner": asset.owner,
        "status": asset.status, "classification": asset.classification,
        "protection": asset.protection, "value": asset.value, "license": asset.license,
        **({"export_control": asset.export_control} if asset.export_control else {}),
    }


def resolve(conn: Connection, ref: str) -> Asset:
    """An asset by id, unambiguous id prefix, exact name or path."""
    from hallmark.inventory.walk import display  # (pathspec: not needed to list the register)

    ref = ref.strip()
    if not ref:
        raise InputError("empty asset reference")
    # A path as the shell gives it (a non-UTF-8 name arrives surrogate-escaped) is looked up in
    # its stored form; the stored form itself, as listings show it, is found too.
    stored = display(ref)
    try:
        ref.encode("utf-8")
    except UnicodeEncodeError:
        ref = stored  # not text any query could hold
    rows = conn.execute(select(assets).where(assets.c.id == ref)).all()
    if not rows and all(c in "0123456789abcdef" for c in ref.lower()):
        rows = conn.execute(select(assets).where(assets.c.id.startswith(ref.lower()))).all()
    if not rows:
        rows = conn.execute(
            select(assets).where(or_(assets.c.path == stored, assets.c.name == stored))
        ).all()
        if not rows and stored != ref:
            rows = conn.execute(
                select(assets).where(or_(assets.c.path == ref, assets.c.name == ref))
            ).all()
    if not rows:
        raise NotFound(f"no asset matches {ref!r}")
    if len(rows) > 1:
        ids = ", ".join(sorted(r.id for r in rows)[:5])
        raise InputError(f"asset reference {ref!r} is ambiguous ({ids})")
    return _with_lineage(conn, asset_from_row(rows[0]))


def _with_lineage(conn: Connection, asset: Asset) -> Asset:
    for row in conn.execute(select(lineage).where(lineage.c.child == asset.id)):
        asset.parents.append({"id": row.parent, "relation": row.relation})
    for row in conn.execute(select(lineage).where(lineage.c.parent == asset.id)):
        asset.children.append({"id": row.child, "relation": row.relation})
    return asset


def list_assets(conn: Connection, kind: str | None = None) -> list[Asset]:
    """Every asset (optionally of one kind), by path."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})", field="kind")
    query = select(assets).order_by(assets.c.path)
    if kind:
        query = query.where(assets.c.kind == kind)
    found = conn.execute(query)
    keys = tuple(found.keys())
    rows = found.all()
    edges: dict[str, list[dict[str, str]]] = {}
    for row in conn.execute(select(lineage)):
        edges.setdefault(row.child, []).append({"id": row.parent, "relation": row.relation})
    result = []
    # Building 10,000 models allocates containers fast enough to set off many collections,
    # each walking every object the process has loaded; none of these can form a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in rows:
            values = dict(zip(keys, row))  # noqa: B905 - the row is as long as its keys
            result.append(_asset(values, edges.get(values["id"], [])))
    finally:
        if collecting:
            gc.enable()
    return result


def lineage_edges(conn: Connection) -> list[tuple[str, str, str]]:
    """(child, parent, relation) for every lineage edge."""
    return [(r.child, r.parent, r.relation) for r in conn.execute(select(lineage))]


def update_fields(txn: Txn, ref: str, **changes: Any) -> Asset:
    """Change register fields (owner, status, classification, protection, value, license) to
    values the service has validated; logs `asset.updated`."""
    asset = resolve(txn.conn, ref)
    txn.conn.execute(update(assets).where(assets.c.id == asset.id).values(**changes,
                                                                           updated=utcnow()))
    for key, value in changes.items():
        setattr(asset, key, value)
    txn.log.append("asset.updated", {"asset": record(asset), "changed": sorted(changes)},
                   [asset.id])
    return asset


def insert_lineage(txn: Txn, child_ref: str, parent_ref: str, relation: str) -> Asset:
    """Record that CHILD was made from PARENT; refuses self-loops and cycles."""
    child, parent = resolve(txn.conn, child_ref), resolve(txn.conn, parent_ref)
    if child.id == parent.id:
        raise InputError("an asset cannot be its own parent", field="parent")
    if child.id in _ancestors(txn.conn, parent.id):
        raise InputError(f"{parent.id} already descends from {child.id}: lineage would loop",
                         field="parent")
    exists = txn.conn.execute(select(lineage).where(
        lineage.c.child == child.id, lineage.c.parent == parent.id,
        lineage.c.relation == relation)).first()
    if exists is None:
        txn.conn.execute(insert(lineage).values(child=child.id, parent=parent.id,
                                                relation=relation, created=utcnow()))
        txn.log.append("lineage.added", {"child": child.id, "child_sha256": child.sha256,
                                         "parent": parent.id, "parent_sha256": parent.sha256,
                                         "relation": relation}, [child.id, parent.id])
    return _with_lineage(txn.conn, asset_from_row(
        txn.conn.execute(select(assets).where(assets.c.id == child.id)).one()))


def _ancestors(conn: Connection, asset_id: str) -> set[str]:
    seen: set[str] = set()
    frontier = [asset_id]
    while frontier:
        current = frontier.pop()
        for row in conn.execute(select(lineage.c.parent).where(lineage.c.child == current)):
            if row.parent not in seen:
                seen.add(row.parent)
                frontier.append(row.parent)
    return seen


def delete_lineage(txn: Txn, child_ref: str, parent_ref: str) -> tuple[str, str, int]:
    """Remove every edge from CHILD to PARENT; (child id, parent id, edges removed)."""
    child, parent = resolve(txn.conn, child_ref), resolve(txn.conn, parent_ref)
    gone = txn.conn.execute(delete(lineage).where(lineage.c.child == child.id,
                                                  lineage.c.parent == parent.id)).rowcount
    if not gone:
        raise NotFound(f"no lineage from {child.id} to {parent.id}")
    txn.log.append("lineage.removed", {"child": child.id, "parent": parent.id},
                   [child.id, parent.id])
    return child.id, parent.id, int(gone)

