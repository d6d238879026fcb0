"""Who wrote a file: contributors and their share of its lines, from `git blame`.

Blame runs on the committed version (HEAD) with textconv off, so a scanned repository's
.git/config cannot make us run its clean/textconv filters on the working tree; uncommitted
lines are therefore not attributed. git refuses repositories owned by another user unless
safe.directory allows them, and then the answer is None like any other failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path

MAX_BLAME_BYTES = 128 * 1024 * 1024
MAX_BLAME_LINES = 2_000_000
_HEADER = re.compile(rb"^([0-9a-f]{40}|[0-9a-f]{64}) \d+ \d+(?: \d+)?$")
_FOUR_PLACES = Decimal("0.0001")
# Variables that would point git at another repository, index or object store than the file's.
_KEEP_GIT_ENV = {"GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_SYSTEM"}

_roots: dict[Path, Path | None] = {}


def repo_root(directory: Path) -> Path | None:
    """The nearest folder at or above `directory` holding .git (a git work tree), else None."""
    directory = Path(os.path.abspath(directory))
    walked: list[Path] = []
    found: Path | None = None
    current = directory
    while True:
        if current in _roots:
            found = _roots[current]
            break
        walked.append(current)
        try:
            has_git = os.path.lexists(current / ".git")
        except OSError:  # unreadable folder: treat as not a work tree
            has_git = False
        if has_git:
            found = current
            break
        if current.parent == current:
            break
        current = current.parent
    for folder in walked:
        _roots[folder] = found
    return found


def clear_caches() -> None:
    """Forget cached repository roots (call when a scan starts on a tree that may have changed)."""
    _roots.clear()
    _git.cache_clear()


@lru_cache(maxsize=1)
def _git() -> str | None:
    return shutil.which("git")


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in _KEEP_GIT_ENV}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    return env


def git_authorship(path: Path, timeout: float = 10.0) -> list[dict[str, object]] | None:
    """Contributors of a committed file: [{"name","email","lines","share"}], most lines first."""
    path = Path(os.path.abspath(path))
    root = repo_root(path.parent)
    git = _git()
    if root is None or git is None or not path.is_file():
        return None
    relative = path.relative_to(root).as_posix()
    command = [git, "--no-pager", "-C", str(root), "-c", "core.fsmonitor=false",
               "blame", "--porcelain", "--no-textconv", "HEAD", "--", relative]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=_environment())
    except OSError:
        return None
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        counts = _parse_porcelain(process.stdout) if process.stdout is not None else None
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    if counts is None or process.returncode != 0:
        return None
    return _summarise(counts)


def _parse_porcelain(stream: Iterable[bytes]) -> dict[tuple[str, str], int] | None:
    """Lines per (author, email) from `git blame --porcelain`; None when past the bounds."""
    authors: dict[bytes, list[str]] = defaultdict(lambda: ["", ""])
    lines_per_commit: Counter[bytes] = Counter()
    commit = b""
    seen_bytes = seen_lines = 0
    for raw in stream:
        seen_bytes += len(raw)
        if seen_bytes > MAX_BLAME_BYTES:
            return None
        line = raw.rstrip(b"\n")
        if line.startswith(b"\t"):
            lines_per_commit[commit] += 1
            seen_lines += 1
            if seen_lines > MAX_BLAME_LINES:
                return None
        elif header := _HEADER.match(line):
            commit = header.group(1)
        elif line.startswith(b"author "):
            authors[commit][0] = line[7:].decode("utf-8", "replace")
        elif line.startswith(b"author-mail "):
            authors[commit][1] = line[12:].decode("utf-8", "replace").strip().strip("<>")
    per_author: Counter[tuple[str, str]] = Counter()
    for sha, lines in lines_per_commit.items():
        name, email = authors[sha]
        per_author[(name, email)] += lines
    return dict(per_author)


def _summarise(counts: dict[tuple[str, str], int]) -> list[dict[str, object]]:
    """One entry per email (the name on most of its lines), shares as 4-decimal strings."""
    by_email: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (name, email), lines in counts.items():
        # without an email, the name alone is the person
        by_email[(email.lower(), "" if email else name)][name] += lines
    total = sum(counts.values())
    people = []
    for (email, _), names in by_email.items():
        lines = sum(names.values())
        share = (Decimal(lines) / Decimal(total)).quantize(_FOUR_PLACES, ROUND_HALF_EVEN)
        people.append({"name": names.most_common(1)[0][0], "email": email, "lines": lines,
                       "share": str(share)})
    people.sort(key=lambda p: (-int(str(p["lines"])), str(p["name"]), str(p["email"])))
    return people
