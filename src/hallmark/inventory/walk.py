"""Walk files and folders like git would: honour .gitignore files, skip VCS and vault folders,
never follow symlinked folders (no loops), and report what cannot be read instead of failing.

A symlinked file is followed only when its target lies inside the scanned folder and outside
every vault folder (`.hallmark/`); the vault's own files are never walked, even through a hard
link. Otherwise the link is a problem and nothing of its target is read."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".hallmark", "__pycache__", ".venv", "node_modules"})


@dataclass(frozen=True)
class Found:
    """A regular file to scan, or a path that could not be scanned and why."""

    path: Path
    st: os.stat_result | None
    problem: str | None = None


OUTSIDE = "symbolic link points outside the scanned folder (not followed)"
IN_VAULT = "inside the vault's own folder .hallmark/ (never scanned)"


def display(path: Path | str) -> str:
    """The stored text form of any path: its UTF-8 text with each backslash doubled and each byte
    that is not UTF-8 written \\xHH, so that a non-UTF-8 name has one form that no other name
    shares (`from_display` turns it back)."""
    raw = os.fsencode(path)
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def from_display(text: str) -> str:
    """The path (a str with surrogate escapes, as os.fsdecode gives) that `display` wrote."""
    out, i = bytearray(), 0
    while i < len(text):
        if text.startswith("\\\\", i):
            out += b"\\"
            i += 2
        elif text.startswith("\\x", i) and _is_hex(text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += text[i].encode("utf-8", "surrogateescape")
            i += 1
    return os.fsdecode(bytes(out))


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair)


@dataclass(frozen=True)
class Fence:
    """Where a walk may read: the scanned folders, never a vault folder or a vault's file."""

    vault_dirs: tuple[str, ...] = ()
    vault_files: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def around(cls, vault_dir: Path | None) -> Fence:
        """The fence for one vault: its folder and (device, inode) of the files in it."""
        if vault_dir is None:
            return cls()
        real = os.path.realpath(vault_dir)
        files = set()
        for folder, _dirs, names in os.walk(real):
            if os.path.relpath(folder, real).startswith("blobs"):
                continue  # stored documents are not secrets, and there can be many
            for name in names:
                try:
                    st = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                files.add((st.st_dev, st.st_ino))
        return cls((real,), frozenset(files))

    def refuse(self, path: Path, st: os.stat_result, scanned: str, is_link: bool) -> str | None:
        """Why `path` (stat'ed with links followed) may not be read, or None. Folders met on a
        walk are real (folder links are not followed), so only a link needs resolving."""
        if (st.st_dev, st.st_ino) in self.vault_files:
            return IN_VAULT
        if not is_link:
            return None
        real = os.path.realpath(path)
        if any(_within(real, d) for d in self.vault_dirs):
            return IN_VAULT
        if not _within(real, scanned):
            return OUTSIDE
        if ".hallmark" in Path(os.path.relpath(real, scanned)).parts:
            return IN_VAULT  # another vault's folder: the walker skips those too
        return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _ignored(rel_parts: Sequence[tuple[pathspec.PathSpec, Path]], path: Path, is_dir: bool) -> bool:
    for spec, base in rel_parts:
        rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(rel):
            return True
    return False


def _load_gitignore(folder: Path) -> pathspec.PathSpec | None:
    try:
        text = (folder / ".gitignore").read_text(errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def walk(roots: Sequence[Path], excludes: Sequence[str] = (),
         fence: Fence | None = None) -> Iterator[Found]:
    """Every regular file under `roots` that is not ignored, plus problems met on the way."""
    fence = fence or Fence()

    def excluded(path: Path, root: Path) -> bool:
        rel = path.relative_to(root).as_posix() if path != root else path.name
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in excludes)

    for root in roots:
        try:
            st = os.stat(root)
        except OSError as exc:
            yield Found(root, None, _reason(exc))
            continue
        if stat.S_ISREG(st.st_mode):
            # A file named directly is judged against the folder it is named in (`scan dir/*`
            # must not follow dir/link -> /etc/shadow).
            folder = os.path.realpath(os.path.dirname(os.path.abspath(root)))
            reason = fence.refuse(root, st, folder, os.path.islink(root))
            yield Found(root, None, reason) if reason else Found(root, st)
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Found(root, None, "not a regular file (device, FIFO or socket)")
            continue
        scanned = os.path.realpath(root)
        if any(_within(scanned, d) for d in fence.vault_dirs):
            yield Found(root, None, IN_VAULT)
            continue
        yield from _walk_dir(root, root, [], excluded, fence, scanned)


def _walk_dir(root: Path, folder: Path, specs: list[tuple[pathspec.PathSpec, Path]],
              excluded, fence: Fence, scanned: str) -> Iterator[Found]:  # type: ignore[no-untyped-def]
    spec = _load_gitignore(folder)
    if spec is not None:
        specs = [*specs, (spec, folder)]
    try:
        entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        yield Found(folder, None, _reason(exc))
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            yield Found(path, None, _reason(exc))
            continue
        if excluded(path, root) or _ignored(specs, path, is_dir):
            continue
        if is_dir:
            if entry.name not in SKIP_DIRS:
                yield from _walk_dir(root, path, specs, excluded, fence, scanned)
            continue
        try:
            st = os.stat(path)  # follows file symlinks; a loop or dangling link raises here
        except OSError as exc:
            yield Found(path, None, _reason(exc))
            continue
        if stat.S_ISDIR(st.st_mode) and is_link:
            continue  # symlinked folders are not followed: that is how loops are avoided
        if not stat.S_ISREG(st.st_mode):
            yield Found(path, None, "not a regular file (device, FIFO or socket)")
            continue
        reason = fence.refuse(path, st, scanned, is_link)
        yield Found(path, None, reason) if reason else Found(path, st)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "dangling symbolic link or file vanished"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)
