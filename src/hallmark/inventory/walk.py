"""Walk files and folders like git would: honour .gitignore files, skip VCS and vault folders,
never follow symlinked folders (no loops), and report what cannot be read instead of failing."""

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


def display(path: Path) -> str:
    """A text form of any path, even a non-UTF-8 one, safe to store and print."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


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


def walk(roots: Sequence[Path], excludes: Sequence[str] = ()) -> Iterator[Found]:
    """Every regular file under `roots` that is not ignored, plus problems met on the way."""

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
            yield Found(root, st)
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Found(root, None, "not a regular file (device, FIFO or socket)")
            continue
        yield from _walk_dir(root, root, [], excluded)


def _walk_dir(root: Path, folder: Path, specs: list[tuple[pathspec.PathSpec, Path]],
              excluded) -> Iterator[Found]:  # type: ignore[no-untyped-def]
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
                yield from _walk_dir(root, path, specs, excluded)
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
        yield Found(path, st)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "dangling symbolic link or file vanished"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)
