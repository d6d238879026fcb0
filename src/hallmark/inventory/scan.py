"""`scan`: walk, hash in parallel, read metadata, register or update assets with their events.

Rescans are cheap: a file whose (size, mtime, inode) is unchanged is neither read nor hashed.
The service runs the three steps: `known_assets` (a read), `walk_and_hash` (no database: the
long part holds no transaction open), `record` (one transaction), then `result`.
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
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from hallmark.inventory.assets import asset_from_row, record
from hallmark.inventory.classify import classify
from hallmark.inventory.code import clear_caches, code_metadata
from hallmark.inventory.hashing import blake3_threads_for, hash_file, large_files
from hallmark.inventory.readers import ReaderError, read_metadata
from hallmark.inventory.walk import IN_VAULT, OUTSIDE, Fence, Found, display, walk
from hallmark.schemas.inventory import ScanProblem, ScanResult
from hallmark.store.clock import utcnow
from hallmark.store.tables import assets, scan_problems

if TYPE_CHECKING:
    from hallmark.vault import Txn, Vault

Progress = Callable[[int, int], None]


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


def path_key(vault: Vault | Path, path: Path) -> str:
    """How a path is stored: relative to the vault's folder (a Vault or its root) when inside
    it, else absolute."""
    root = vault if isinstance(vault, Path) else vault.root
    absolute = Path(os.path.abspath(path))
    try:
        return display(absolute.relative_to(root))
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
    """Hash and read one file (`files_in_flight`: the large files of this scan); a file that
    changes while read is retried once."""
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


@dataclass
class ScanWork:
    """What the walk and the hashing found, before anything is written."""

    root_keys: list[str]
    hashed: list[_Hashed] = field(default_factory=list)
    unchanged_keys: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0


def known_assets(conn: Connection) -> dict[str, Any]:
    """Every registered asset's row, by stored path."""
    return {r.path: r for r in conn.execute(select(assets))}


def walk_and_hash(root: Path, vault_dir: Path, roots: Sequence[Path], excludes: Sequence[str],
                  known: dict[str, Any], rehash: bool = False,
                  progress: Progress | None = None) -> ScanWork:
    """Walk `roots` (fenced off `vault_dir`), hash and read every file that changed since the
    rows in `known` (every file with `rehash`); `root` is the vault's folder."""
    clear_caches()  # licence files and repositories may have changed since a scan in this process
    work = ScanWork([path_key(root, r) for r in roots])
    files: list[tuple[Found, str]] = []
    for found in walk(list(roots), excludes, Fence.around(vault_dir)):
        key = path_key(root, found.path)
        if found.problem:
            work.problems.append((key, found.problem))
        else:
            files.append((found, key))

    todo: list[tuple[Found, str]] = []
    for found, key in files:
        row = known.get(key)
        st = found.st
        assert st is not None
        if (not rehash and row is not None
                and (row.size, row.mtime_ns, row.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)):
            work.unchanged_keys.append(key)
        else:
            todo.append((found, key))

    done = 0
    large = large_files(f.st.st_size for f, _ in todo if f.st is not None)  # shards share cores
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        for outcome in pool.map(lambda fk: _hash_one(fk[0], fk[1], large), todo):
            if isinstance(outcome, _Hashed):
                work.hashed.append(outcome)
            else:
                work.problems.append(outcome)
            done += 1
            if progress:
                progress(done, len(todo))
    return work


def result(conn: Connection, work: ScanWork) -> ScanResult:
    """The scan's result: the assets it saw (by path), counts and problems."""
    wanted = {h.key for h in work.hashed} | set(work.unchanged_keys)
    rows = conn.execute(select(assets).order_by(assets.c.path)).all()
    return ScanResult(
        assets=[asset_from_row(r) for r in rows if r.path in wanted], new=work.new,
        changed=work.changed, unchanged=work.unchanged + len(work.unchanged_keys),
        problems=[ScanProblem(path=p, reason=r) for p, r in work.problems])


def _under(key: str, root_key: str) -> bool:
    if root_key == ".":  # the vault's own folder: every relative key lies under it
        return not os.path.isabs(key)
    return key == root_key or key.startswith(root_key.rstrip("/") + "/")


def record_scan(txn: Txn, work: ScanWork, known: dict[str, Any]) -> None:
    """In the service's one transaction: assets, their events and the problem list change
    together."""
    now = utcnow()
    hashed, root_keys = work.hashed, work.root_keys
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
            asset = asset_from_row(txn.conn.execute(
                select(assets).where(assets.c.id == new_id)).one())
            txn.log.append("asset.registered", {"asset": record(asset)}, [new_id])
            work.new += 1
        else:
            txn.conn.execute(update(assets).where(assets.c.id == row.id).values(**values))
            if (row.sha256, row.blake3) != (h.sha256, h.blake3):
                asset = asset_from_row(txn.conn.execute(
                    select(assets).where(assets.c.id == row.id)).one())
                txn.log.append("asset.changed", {"asset": record(asset),
                                                 "previous_sha256": row.sha256}, [row.id])
                work.changed += 1
            else:
                work.unchanged += 1  # same content; only the stat cache moved
    scanned = [h.key for h in hashed]
    for chunk_start in range(0, len(scanned), 500):
        chunk = scanned[chunk_start:chunk_start + 500]
        txn.conn.execute(delete(scan_problems).where(scan_problems.c.path.in_(chunk)))
    # A problem under a scanned root that this walk no longer meets (the file was removed,
    # fixed or excluded) is gone; problems elsewhere belong to other scans and stay.
    current = {key for key, _reason in work.problems}
    stale = [r.path for r in txn.conn.execute(select(scan_problems.c.path))
             if r.path not in current and any(_under(r.path, k) for k in root_keys)]
    for chunk_start in range(0, len(stale), 500):
        chunk = stale[chunk_start:chunk_start + 500]
        txn.conn.execute(delete(scan_problems).where(scan_problems.c.path.in_(chunk)))
    for key, reason in work.problems:
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
    asset = asset_from_row(txn.conn.execute(select(assets).where(assets.c.id == row.id)).one())
    txn.log.append("asset.updated", {"asset": record(asset), "changed": ["metadata"]}, [row.id])

