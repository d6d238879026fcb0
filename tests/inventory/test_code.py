"""The code side of the inventory (hallmark.inventory.code) on real trees, manifests and repos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark.inventory.code import (
    clear_caches,
    code_metadata,
    installed_pypi_license,
    is_license_file,
    is_manifest,
    language_of,
    manifest_dependencies,
    repo_license,
)

APACHE = """                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION
"""
GPL_3 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.
"""
LGPL_3 = """                   GNU LESSER GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

  This version of the GNU Lesser General Public License incorporates
the terms and conditions of version 3 of the GNU General Public
License, supplemented by the additional permissions listed below.
"""
MIT = """Copyright (c) 2024 Example

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    clear_caches()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """outer/ (MIT) > project/ (a repo, Apache) > vendor/gpl (GPL-3.0 COPYING)."""
    write(tmp_path / "outer" / "LICENSE", MIT)
    project = tmp_path / "outer" / "project"
    (project / ".git").mkdir(parents=True)
    write(project / "LICENSE", APACHE)
    write(project / "src" / "pkg" / "model.py", "x = 1\n")
    write(project / "vendor" / "gpl" / "COPYING", GPL_3)
    write(project / "vendor" / "gpl" / "lib" / "fast.c", "int main(void) { return 0; }\n")
    write(project / "docs" / "nolicence" / "README.md", "# docs\n")
    return project


def test_nearest_licence_walking_up_within_the_repository(tree: Path) -> None:
    assert repo_license(tree / "src" / "pkg" / "model.py") == {"spdx": "Apache-2.0",
                                                                "file": "LICENSE"}
    assert repo_license(tree / "vendor" / "gpl" / "lib" / "fast.c") == {
        "spdx": "GPL-3.0-only", "file": "COPYING"}
    (tree / "LICENSE").unlink()
    clear_caches()
    # the MIT licence above the repository root does not leak into it
    assert repo_license(tree / "src" / "pkg" / "model.py") is None
    (tree / ".git").rmdir()
    clear_caches()
    assert repo_license(tree / "src" / "pkg" / "model.py") == {"spdx": "MIT", "file": "LICENSE"}


def test_lookups_are_cached_per_folder_until_cleared(tree: Path) -> None:
    files = [write(tree / "src" / "pkg" / f"m{i}.py", "pass\n") for i in range(50)]
    assert {repo_license(f)["spdx"] for f in files} == {"Apache-2.0"}  # type: ignore[index]
    (tree / "LICENSE").write_text(MIT)  # not re-read: the folder's answer is cached
    assert repo_license(files[0]) == {"spdx": "Apache-2.0", "file": "LICENSE"}
    answer = repo_license(files[0])
    assert answer is not None
    answer["spdx"] = "tampered"  # callers get copies, never the cache itself
    assert repo_license(files[1]) == {"spdx": "Apache-2.0", "file": "LICENSE"}
    clear_caches()
    assert repo_license(files[0]) == {"spdx": "MIT", "file": "LICENSE"}


def test_several_licence_files_in_one_folder(tmp_path: Path) -> None:
    dual = tmp_path / "dual"
    write(dual / "LICENSE-APACHE", APACHE)
    write(dual / "LICENSE-MIT", MIT)
    assert repo_license(write(dual / "lib.rs", "fn main() {}\n")) == {
        "spdx": "MIT OR Apache-2.0", "file": "LICENSE-MIT",
        "files": ["LICENSE-MIT", "LICENSE-APACHE"]}
    lesser = tmp_path / "lesser"
    write(lesser / "COPYING", GPL_3)
    write(lesser / "COPYING.LESSER", LGPL_3)
    assert repo_license(write(lesser / "lib.c", "\n"))["spdx"] == "LGPL-3.0-only"  # type: ignore[index]
    unknown = tmp_path / "unknown"
    write(unknown / "LICENSE.txt", "Proprietary. All rights reserved.\n")
    assert repo_license(write(unknown / "a.py", "\n")) == {"spdx": None, "file": "LICENSE.txt"}


def test_licence_file_names() -> None:
    for name in ["LICENSE", "license.md", "LICENCE.txt", "COPYING", "COPYING.LESSER",
                 "LICENSE-MIT", "UNLICENSE", "License.rst"]:
        assert is_license_file(name), name
    for name in ["license.py", "LICENSE-THIRD-PARTY", "licenses.json", "README.md", "copyright"]:
        assert not is_license_file(name), name


def test_languages() -> None:
    cases = {"a.py": "Python", "b.ts": "TypeScript", "c.go": "Go", "d.rs": "Rust",
             "E.java": "Java", "f.c": "C", "g.cpp": "C++", "h.h": "C", "run.sh": "Shell",
             "nb.ipynb": "Jupyter Notebook", "Dockerfile": "Dockerfile",
             "requirements-dev.txt": "pip requirements", "weights.bin": None, "notes": None}
    assert {name: language_of(Path(name)) for name in cases} == cases


REQUIREMENTS = """# Production requirements
-r base.txt
-c constraints.txt
--index-url https://pypi.org/simple
-e git+https://github.com/example/editable.git#egg=editable

requests>=2.31,<3  # HTTP
PyYAML==6.0.1 ; python_version >= "3.8"
cryptography \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
hallmark-not-installed-anywhere[extra]~=1.0
https://example.org/pkgs/foo-1.0.tar.gz#egg=foo
./local/checkout
Django @ https://example.org/django-5.0.zip
"""


def test_requirements_txt(tmp_path: Path) -> None:
    deps = manifest_dependencies(write(tmp_path / "requirements.txt", REQUIREMENTS))
    assert [(d["name"], d["spec"], d["ecosystem"]) for d in deps] == [
        ("requests", "<3,>=2.31", "pypi"), ("PyYAML", "==6.0.1", "pypi"),
        ("cryptography", "", "pypi"), ("hallmark-not-installed-anywhere", "~=1.0", "pypi"),
        ("foo", "@ https://example.org/pkgs/foo-1.0.tar.gz", "pypi"),
        ("Django", "@ https://example.org/django-5.0.zip", "pypi")]
    licences = {d["name"]: d["license"] for d in deps}
    assert licences["PyYAML"] == "MIT"  # from the installed distribution's metadata
    assert licences["cryptography"] == "Apache-2.0 OR BSD-3-Clause"
    assert licences["hallmark-not-installed-anywhere"] is None
    with pytest.raises(ValueError, match=r"requirements\.txt: line 2: not a valid requirement"):
        manifest_dependencies(write(tmp_path / "requirements.txt", "ok==1\nrequests >>> 2\n"))


def test_installed_licence_lookup_normalises_names() -> None:
    assert installed_pypi_license("pyyaml") == installed_pypi_license("PyYAML") == "MIT"
    assert installed_pypi_license("not-a-real-distribution-xyz") is None


PYPROJECT = """
[project]
name = "demo"
dependencies = ["pyyaml>=6", "cryptography>=42; sys_platform != 'emscripten'"]
[project.optional-dependencies]
gpu = ["hallmark-not-installed-anywhere==2.*"]
[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = []
"""
POETRY = """
[tool.poetry]
name = "demo"
[tool.poetry.dependencies]
python = "^3.11"
PyYAML = "^6.0"
requests = {version = ">=2.31", optional = true}
private = {git = "https://example.org/private.git", tag = "v1"}
[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""


def test_pyproject_pep621_and_poetry(tmp_path: Path) -> None:
    deps = manifest_dependencies(write(tmp_path / "pyproject.toml", PYPROJECT))
    assert [(d["name"], d["spec"], d.get("group")) for d in deps] == [
        ("pyyaml", ">=6", None), ("cryptography", ">=42", None),
        ("hallmark-not-installed-anywhere", "==2.*", "gpu"), ("pytest", ">=8", "test")]
    assert deps[0]["license"] == "MIT" and deps[2]["license"] is None
    deps = manifest_dependencies(write(tmp_path / "pyproject.toml", POETRY))
    assert [(d["name"], d["spec"], d.get("dev", False)) for d in deps] == [
        ("PyYAML", "^6.0", False), ("requests", ">=2.31", False),
        ("private", "@ https://example.org/private.git", False), ("pytest", "^8", True)]
    assert deps[0]["license"] == "MIT"


@pytest.mark.parametrize(("text", "message"), [
    ("[project\nname = 'x'", "pyproject.toml: invalid TOML"),
    ("[project]\ndependencies = 'pyyaml'", "dependencies is not a list"),
    ("[project]\ndependencies = ['pyyaml >>> 1']", "not a valid requirement: "),
    ("project = 3", r"\[project\] is not a table"),
    ("[tool.poetry.dependencies]\nx = 3", "x has an unreadable constraint"),
    ("a = " + "[" * 50_000 + "]" * 50_000, "pyproject.toml: invalid TOML: nested too deeply"),
])
def test_malformed_pyproject(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        manifest_dependencies(write(tmp_path / "pyproject.toml", text))


def test_package_json_with_installed_node_modules(tmp_path: Path) -> None:
    manifest = write(tmp_path / "web" / "package.json", json.dumps({
        "name": "web", "dependencies": {"left-pad": "^1.3.0", "@types/node": "20.x"},
        "devDependencies": {"vitest": "^1.0.0"}}))
    write(tmp_path / "web" / "node_modules" / "left-pad" / "package.json",
          json.dumps({"name": "left-pad", "license": "WTFPL"}))
    write(tmp_path / "web" / "node_modules" / "@types" / "node" / "package.json",
          json.dumps({"name": "@types/node", "license": {"type": "MIT"}}))
    assert manifest_dependencies(manifest) == [
        {"name": "left-pad", "spec": "^1.3.0", "ecosystem": "npm", "license": "WTFPL"},
        {"name": "@types/node", "spec": "20.x", "ecosystem": "npm", "license": "MIT"},
        {"name": "vitest", "spec": "^1.0.0", "ecosystem": "npm", "license": None, "dev": True}]


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "package.json: invalid JSON"),
    ("[1, 2]", "the top level is not an object"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ('{"dependencies": ["a"]}', "dependencies is not an object of version strings"),
    ('{"dependencies": {"../../etc": "1"}}', "not a valid package name"),
])
def test_malformed_package_json(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        manifest_dependencies(write(tmp_path / "package.json", text))


def test_manifest_bounds_and_encoding(tmp_path: Path) -> None:
    big = tmp_path / "requirements.txt"
    big.write_bytes(b"# padding\n" * 300_000)
    with pytest.raises(ValueError, match="manifest larger than"):
        manifest_dependencies(big)
    big.write_bytes(b"caf\xe9==1\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        manifest_dependencies(big)
    assert is_manifest(Path("requirements-dev.txt")) and is_manifest(Path("requirements/ci.txt"))
    assert is_manifest(Path("pyproject.toml")) and is_manifest(Path("package.json"))
    assert not is_manifest(Path("package-lock.json")) and not is_manifest(Path("notes.txt"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["requirements.txt", "pyproject.toml", "package.json"]),
       text=st.text(max_size=400))
def test_fuzz_manifests_give_a_list_or_a_value_error(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            deps = manifest_dependencies(path)
        except ValueError as error:
            assert str(error).startswith(name + ":") and "\n" not in str(error)
        else:
            assert all(set(d) >= {"name", "spec", "ecosystem", "license"} for d in deps)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_code_metadata_in_a_real_repository(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project / "LICENSE", APACHE)
    source = write(project / "train.py", "import yaml\nprint(yaml)\n")
    manifest = write(project / "requirements.txt", "pyyaml>=6\n")
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
                       cwd=project, env=env, check=True, capture_output=True)
    assert code_metadata(source) == {
        "language": "Python", "repo_license": {"spdx": "Apache-2.0", "file": "LICENSE"},
        "authors": [{"name": "Ada", "email": "ada@example.org", "lines": 2, "share": "1.0000"}]}
    meta = code_metadata(manifest, authors=False)
    assert meta["dependencies"] == [{"name": "pyyaml", "spec": ">=6", "ecosystem": "pypi",
                                     "license": "MIT"}]
    assert "authors" not in meta
    loose = write(tmp_path / "elsewhere" / "tool.go", "package main\n")
    meta = code_metadata(loose)
    assert meta["language"] == "Go" and "authors" not in meta  # outside git: no authors key
