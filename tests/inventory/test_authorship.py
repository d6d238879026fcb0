"""Authorship from git history (hallmark.inventory.authorship), on real repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hallmark.inventory import authorship
from hallmark.inventory.authorship import clear_caches, git_authorship, repo_root

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str, author: tuple[str, str] = ("Nobody", "nobody@example.org")) -> str:
    """Run git in `repo` as `author`, isolated from this machine's git configuration."""
    env = {**os.environ, "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    command = ["git", "-c", f"user.name={author[0]}", "-c", f"user.email={author[1]}",
               "-c", "init.defaultBranch=main", *args]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout


ALICE = ("Alice Example", "alice@example.org")
BOB = ("Bob Example", "bob@example.org")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository where Alice wrote three lines of model.py and Bob later rewrote one."""
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    git(root, "init", "-q")
    source = root / "src" / "pkg" / "model.py"
    source.write_text("import torch\n\ndef forward(x):\n    return x\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first", author=ALICE)
    source.write_text("import torch\n\ndef forward(x):\n    return torch.relu(x)\n")
    git(root, "commit", "-q", "-am", "relu", author=BOB)
    return source


def test_two_authors_with_their_line_shares(repo: Path) -> None:
    assert git_authorship(repo) == [
        {"name": "Alice Example", "email": "alice@example.org", "lines": 3, "share": "0.7500"},
        {"name": "Bob Example", "email": "bob@example.org", "lines": 1, "share": "0.2500"},
    ]


def test_same_email_is_one_person_and_shares_round_to_four_places(repo: Path) -> None:
    root = repo_root(repo.parent)
    assert root is not None
    notes = root / "notes.txt"
    notes.write_text("one\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-m", "a", author=ALICE)
    notes.write_text("one\ntwo\n")
    git(root, "commit", "-q", "-am", "b", author=("alice", "ALICE@example.org"))
    notes.write_text("one\ntwo\nthree\n")
    git(root, "commit", "-q", "-am", "c", author=BOB)
    people = git_authorship(notes)
    assert people is not None
    assert [(p["email"], p["lines"], p["share"]) for p in people] == [
        ("alice@example.org", 2, "0.6667"), ("bob@example.org", 1, "0.3333")]


def test_committed_version_only_and_untracked_or_outside_is_none(repo: Path,
                                                                 tmp_path: Path) -> None:
    repo.write_text(repo.read_text() + "# local edit, not committed\n")
    people = git_authorship(repo)
    assert people is not None and sum(int(str(p["lines"])) for p in people) == 4
    untracked = repo.parent / "scratch.py"
    untracked.write_text("print(1)\n")
    assert git_authorship(untracked) is None
    outside = tmp_path / "loose" / "script.py"
    outside.parent.mkdir()
    outside.write_text("print(2)\n")
    if repo_root(outside.parent) is not None:
        pytest.skip("the temporary folder itself lies inside a git work tree")
    assert git_authorship(outside) is None
    assert git_authorship(tmp_path / "missing.py") is None


def test_repository_without_commits_and_missing_git(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    repo: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    (empty / "a.py").write_text("x = 1\n")
    git(empty, "add", "a.py")
    assert git_authorship(empty / "a.py") is None  # staged, never committed
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    clear_caches()
    try:
        assert git_authorship(repo) is None
    finally:
        monkeypatch.undo()
        clear_caches()
    assert git_authorship(repo) is not None


def test_repo_root_walks_up_once_per_folder(repo: Path) -> None:
    clear_caches()
    root = repo.parent.parent.parent
    assert repo_root(repo.parent) == root
    assert repo.parent in authorship._roots and root in authorship._roots
    assert repo_root(root) == root
    assert repo_root(Path("/")) in (None, Path("/"))


def test_hostile_repository_config_is_not_executed(repo: Path) -> None:
    """textconv and clean filters in .git/config run on plain `git blame`; ours runs neither."""
    root = repo_root(repo.parent)
    assert root is not None
    (root / ".gitattributes").write_text("*.py diff=evil filter=evil\n")
    textconv, clean = root.parent / "TEXTCONV_RAN", root.parent / "CLEAN_RAN"
    git(root, "config", "diff.evil.textconv", f"sh -c 'touch {textconv}; cat \"$0\"'")
    git(root, "config", "filter.evil.clean", f"sh -c 'touch {clean}; cat'")
    people = git_authorship(repo)
    assert people is not None and len(people) == 2
    assert not textconv.exists() and not clean.exists()
    git(root, "blame", "src/pkg/model.py")  # the trap is armed: plain blame springs it
    assert textconv.exists() and clean.exists()


def test_the_repositorys_mailmap_merges_one_persons_identities(repo: Path) -> None:
    # the missing-assignment audit counts people, so an old address must become the person's
    root = repo_root(repo.parent)
    assert root is not None
    (root / ".mailmap").write_text("Alice Example <alice@example.org> <alice@old.example>\n")
    repo.write_text(repo.read_text() + "# more\n# still more\n")
    git(root, "commit", "-q", "-am", "old laptop", author=("A. E.", "ALICE@old.example"))
    clear_caches()
    assert git_authorship(repo) == [
        {"name": "Alice Example", "email": "alice@example.org", "lines": 5, "share": "0.8333"},
        {"name": "Bob Example", "email": "bob@example.org", "lines": 1, "share": "0.1667"},
    ]
