"""`missing-assignment`: one finding per unregistered (or unassigned) contributor, not per file
and author; git identities merged by e-mail and through the repository's .mailmap."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hallmark import services
from hallmark.schemas import Agreement, Party
from hallmark.vault import Vault

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def add_party(vault: Vault, name: str, kind: str, **fields: str) -> Party:
    return services.parties.add(vault, name, kind, **fields, actor="audit-tests")  # type: ignore[arg-type]


def add_agreement(vault: Vault, file: Path) -> Agreement:
    return services.agreements.add(vault, file, actor="audit-tests")

OLD = "Dana D|dana@old.example"
NEW = "Dana Dev|DANA@New.Example"  # the same person, her address in other letter case
PRIYA = "Priya Rao|priya@acme.example"


def _git(repo: Path, *args: str, author: str = "Bot|bot@example.org") -> None:
    name, email = author.split("|")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _commit(repo: Path, author: str, files: dict[str, int], message: str) -> None:
    for name, lines in files.items():
        path = repo / name
        old = path.read_text() if path.exists() else ""
        path.write_text(old + "".join(f"{name[:1]}{len(old)}_{i} = {i}\n" for i in range(lines)))
        _git(repo, "add", name)
    _git(repo, "commit", "-qm", message, author=author)


def _findings(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    out = cli("audit", "--json", "--rule", "missing-assignment")
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)["findings"]


@pytest.fixture
def repo(vault: Vault) -> Path:
    repo = vault.root / "src"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".mailmap").write_text("Dana Dev <dana@new.example> <dana@old.example>\n")
    _git(repo, "add", ".mailmap")
    _commit(repo, OLD, {"a.py": 30, "b.py": 10}, "first")
    _commit(repo, NEW, {"c.py": 20}, "second")
    _commit(repo, PRIYA, {"a.py": 10}, "third")
    return repo


def test_one_finding_per_contributor_with_files_and_share(vault: Vault, repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("scan", str(repo)).exit_code == 0
    findings = _findings(cli)
    assert [(f["subject"], f["severity"], f["asset"]) for f in findings] == [
        ("dana@new.example", "high", None), ("priya@acme.example", "medium", None)]
    dana, priya = (f["message"] for f in findings)
    assert dana == ("Dana Dev <dana@new.example> wrote 85.7% of the code's lines (60 of 70) "
                    "in 3 files: src/a.py, src/b.py, src/c.py, and is not a registered party")
    assert priya == ("Priya Rao <priya@acme.example> wrote 14.3% of the code's lines (10 of 70) "
                     "in 1 file: src/a.py, and is not a registered party")
    assert _findings(cli) == findings  # the same subjects every run: findings do not churn


def test_registered_contributors_are_one_finding_each_until_assigned(
        vault: Vault, repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("scan", str(repo)).exit_code == 0
    add_party(vault, "Acme AI", "organisation")
    add_party(vault, "Dev Shop", "organisation", role="contractor")
    add_party(vault, "Dana Dev", "person", member_of="Dev Shop", email="Dana@new.example")
    add_party(vault, "Priya Rao", "person", member_of="Acme AI", role="employee",
              email="priya@acme.example")
    findings = _findings(cli)
    assert [f["subject"] for f in findings] == ["dana-dev", "priya-rao"]
    assert findings[0]["message"] == (
        "Dana Dev wrote 85.7% of the code's lines (60 of 70) in 3 files: src/a.py, src/b.py, "
        "src/c.py, with no assignment or work-for-hire agreement covering them")
    wfh = vault.root / "wfh.yaml"
    wfh.write_text("type: work-for-hire\ntitle: MSA with Dev Shop\nparties: [Acme AI, Dev Shop]\n"
                   "effective: 2025-01-01\n")
    add_agreement(vault, wfh)
    assert [f["subject"] for f in _findings(cli)] == ["priya-rao"]


def test_a_long_file_list_is_cut_with_a_count(vault: Vault, cli) -> None:  # type: ignore[no-untyped-def]
    repo = vault.root / "many"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit(repo, PRIYA, {f"m{i:02d}.py": 2 for i in range(12)}, "many files")
    assert cli("scan", str(repo)).exit_code == 0
    (finding,) = _findings(cli)
    assert finding["message"] == (
        "Priya Rao <priya@acme.example> wrote 100% of the code's lines (24 of 24) in 12 files: "
        "many/m00.py, many/m01.py, many/m02.py, many/m03.py, many/m04.py and 7 more, "
        "and is not a registered party")
