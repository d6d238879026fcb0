"""`scan`: walk, hash in parallel, read metadata, register or update assets with their events.

Rescans are cheap: a file whose (size, mtime, inode) is unchanged is neither read nor hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from hallmark.errors import InputError
from hallmark.inventory.assets import Asset, record
from hallmark.inventory.classify import classify
from hallmark.inventory.code import clear_caches, code_metadata
from hallmark.inventory.hashing import blake3_threads_for, hash_file
from hallmark.inventory.readers import ReaderError, read_metadata
from hallmark.inventory.walk import IN_VAULT, OUTSIDE, Fence, Found, display, walk
from hallmark.store.clock import utcnow
from hallmark.store.tables import assets, scan_problems
from hallmark.vault import Txn, Vault

Progress = Callable[[int, int], None]


@dataclass
class ScanResult:
    """What a scan did: every asset it saw, and the files it could not read."""

    assets: list[Asset] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Hashed:
    found: Found
    key: str
    kind: str
    sha256: str
    blake3: str
    size: int
    meta: dict[str, Any]


def asset_id(path_key: str) -> str:
    """A short id, stable for the path an asset was first registered at."""
    return hashlib.sha256(b"asset:" + path_key.encode("utf-8", "backslashreplace")).hexdigest()[:12]


def path_key(vault: Vault, path: Path) -> str:
    """How a path is stored: relative to the vault's folder when inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return display(absolute.relative_to(vault.root))
    except ValueError:
        return display(absolute)


@lru_cache(maxsize=4096)
def _folder_card(readme: str, _mtime_ns: int) -> dict[str, Any] | None:
    """The card in a folder's README.md (cached per file version)."""
    try:
        card = read_metadata(Path(readme), "document").get("card")
    except ReaderError:
        return None
    return card or None


def _sibling_card(path: Path) -> dict[str, Any] | None:
    """A model or dataset inherits the card of the README.md beside it (the Hugging Face layout);
    a README.md that is a link is not read (its target could lie anywhere, even in the vault)."""
    readme = path.parent / "README.md"
    try:
        st = readme.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _folder_card(str(readme), st.st_mtime_ns)


def _metadata(path: Path, kind: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    try:
        meta.update(read_metadata(path, kind))
    except ReaderError as exc:
        meta.update(exc.partial or {})
        meta["error"] = str(exc)
    if kind in ("model", "dataset") and "card" not in meta:
        card = _sibling_card(path)
        if card:
            meta["card"] = card
            meta["card_file"] = "README.md"
    if kind == "code":
        try:
            meta.update(code_metadata(path))
        except (ValueError, OSError) as exc:
            meta["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return meta


def _hash_one(found: Found, key: str, files_in_flight: int) -> _Hashed | tuple[str, str]:
    """Hash and read one file; a file that changes while read is retried once."""
    assert found.st is not None
    before = found.st
    for _attempt in range(2):
        try:
            digests = hash_file(found.path,
                                blake3_threads_for(before.st_size, files_in_flight))
            after = os.stat(found.path)
        except OSError as exc:
            return key, f"cannot read: {exc.strerror or exc}"
        if (after.st_ino, after.st_dev) != (found.st.st_ino, found.st.st_dev):
            # A link retargeted (or a file replaced) after the walk checked it: what was read
            # may lie outside the fence, so none of it is kept.
            return key, "file was replaced while it was being scanned; scan it again"
        stable = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        if stable and digests.size == after.st_size:
            kind = classify(found.path.name)
            meta = _metadata(found.path, kind)
            final = Found(found.path, after)
            return _Hashed(final, key, kind, digests.sha256, digests.blake3, digests.size, meta)
        before = after
    return key, "file changed while it was being read; scan it again when it is stable"


def scan(
    vault: Vault,
    paths: Sequence[Path | str],
    excludes: Sequence[str] = (),
    rehash: bool = False,
    progress: Progress | None = None,
) -> ScanResult:
    """Register or update every file under `paths`; see the module docstring."""
    roots = [Path(p) for p in paths]
    for root in roots:
        if not os.path.lexists(root):
            raise InputError(f"no such file or folder: {display(root)}")
    clear_caches()  # licence files and repositories may have changed since a scan in this process
    result = ScanResult()
    files: list[tuple[Found, str]] = []
    for found in walk(roots, excludes, Fence.around(vault.dir)):
        key = path_key(vault, found.path)
        if found.problem:
            result.problems.append((key, found.problem))
        else:
            files.append((found, key))

    with vault.read() as conn:
        known = {r.path: r for r in conn.execute(select(assets))}
    todo = []
    unchanged_keys = []
    for found, key in files:
        row = known.get(key)
        st = found.st
        assert st is not None
        if (not rehash and row is not None
                and (row.size, row.mtime_ns, row.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)):
            unchanged_keys.append(key)
        else:
            todo.append((found, key))

    hashed: list[_Hashed] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        for outcome in pool.map(lambda fk: _hash_one(*fk, len(todo)), todo):
            if isinstance(outcome, _Hashed):
                hashed.append(outcome)
            else:
                result.problems.append(outcome)
            done += 1
            if progress:
                progress(done, len(todo))

    _record(vault, hashed, known, result, [path_key(vault, root) for root in roots])
    with vault.read() as conn:
        wanted = {h.key for h in hashed} | set(unchanged_keys)
        rows = conn.execute(select(assets).order_by(assets.c.path)).all()
        result.assets = [Asset.from_row(r) for r in rows if r.path in wanted]
    result.unchanged += len(unchanged_keys)
    return result


def _under(key: str, root_key: str) -> bool:
    if root_key == ".":  # the vault's own folder: every relative key lies under it
        return not os.path.isabs(key)
    return key == root_key or key.startswith(root_key.rstrip("/") + "/")


def _record(vault: Vault, hashed: list[_Hashed], known: dict[str, Any], result: ScanResult,
            root_keys: Sequence[str] = ()) -> None:
    """One transaction: assets, their events and the problem list change together."""
    now = utcnow()
    with vault.transaction(vault.actor) as txn:
        taken = {r.id for r in txn.conn.execute(select(assets.c.id))}
        for h in hashed:
            st = h.found.st
            assert st is not None
            row = known.get(h.key)
            values = {
                "kind": h.kind, "size": h.size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino,
                "sha256": h.sha256, "blake3": h.blake3, "meta": json.dumps(h.meta, sort_keys=True),
                "updated": now,
            }
            if row is None:
                new_id = asset_id(h.key)
                while new_id in taken:  # a 48-bit prefix collision: lengthen deterministically
                    new_id = hashlib.sha256(new_id.encode()).hexdigest()[: len(new_id) + 2]
                taken.add(new_id)
                txn.conn.execute(insert(assets).values(
                    id=new_id, path=h.key, name=display(Path(h.found.path.name)),
                    status="unknown", classification="internal", first_seen=now, **values))
                asset = Asset.from_row(txn.conn.execute(
                    select(assets).where(assets.c.id == new_id)).one())
                txn.log.append("asset.registered", {"asset": record(asset)}, [new_id])
                result.new += 1
            else:
                txn.conn.execute(update(assets).where(assets.c.id == row.id).values(**values))
                if (row.sha256, row.blake3) != (h.sha256, h.blake3):
                    asset = Asset.from_row(txn.conn.execute(
                        select(assets).where(assets.c.id == row.id)).one())
                    txn.log.append("asset.changed", {"asset": record(asset),
                                                     "previous_sha256": row.sha256}, [row.id])
                    result.changed += 1
                else:
                    result.unchanged += 1  # same content; only the stat cache moved
        scanned = [h.key for h in hashed]
        for chunk_start in range(0, len(scanned), 500):
            chunk = scanned[chunk_start:chunk_start + 500]
            txn.conn.execute(delete(scan_problems).where(scan_problems.c.path.in_(chunk)))
        # A problem under a scanned root that this walk no longer meets (the file was removed,
        # fixed or excluded) is gone; problems elsewhere belong to other scans and stay.
        current = {key for key, _reason in result.problems}
        stale = [r.path for r in txn.conn.execute(select(scan_problems.c.path))
                 if r.path not in current and any(_under(r.path, k) for k in root_keys)]
        for chunk_start in range(0, len(stale), 500):
            chunk = stale[chunk_start:chunk_start + 500]
            txn.conn.execute(delete(scan_problems).where(scan_problems.c.path.in_(chunk)))
        for key, reason in result.problems:
            txn.conn.execute(delete(scan_problems).where(scan_problems.c.path == key))
            txn.conn.execute(insert(scan_problems).values(path=key, reason=reason, seen=now))
            if reason in (OUTSIDE, IN_VAULT) and key in known:
                _forget_content(txn, known[key], reason, now)


def _forget_content(txn: Txn, row: Any, reason: str, now: str) -> None:
    """A registered path that the fence now refuses may hold what an older scan read through
    it (a link to /etc/shadow, to the vault's key): its metadata goes, and the log says so."""
    if json.loads(row.meta) == {"error": reason}:
        return
    txn.conn.execute(update(assets).where(assets.c.id == row.id).values(
        meta=json.dumps({"error": reason}), updated=now))
    asset = Asset.from_row(txn.conn.execute(select(assets).where(assets.c.id == row.id)).one())
    txn.log.append("asset.updated", {"asset": record(asset), "changed": ["metadata"]}, [row.id])
