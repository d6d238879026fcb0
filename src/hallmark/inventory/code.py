"""The code side of the inventory: language, the repository's licence, dependency manifests with
their licences, and authorship.

Lookups are cached per folder (licence files, repository roots) and per package (installed
metadata), so a scan of thousands of files in one tree reads each LICENSE once. Call
clear_caches() when a long-lived process starts a new scan.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from hallmark.inventory import authorship
from hallmark.inventory.authorship import git_authorship
from hallmark.inventory.licenses import identify_license_text, normalise

MAX_LICENSE_BYTES = 256 * 1024
MAX_MANIFEST_BYTES = 2 * 1024 * 1024
MAX_DEPENDENCIES = 10_000

LICENSE_FILE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENSE.rst", "LICENCE",
                      "LICENCE.md", "LICENCE.txt", "COPYING", "COPYING.md", "COPYING.txt",
                      "COPYING.LESSER", "COPYING.LIB", "UNLICENSE", "LICENSE-MIT",
                      "LICENSE-APACHE")
# Besides the names above: LICENSE-<ID> / LICENSE.<ID> variants (the dual-licensing convention).
_LICENSE_NAME = re.compile(r"^(?:un)?licen[cs]e(?:[-_.][a-z0-9.-]{1,30})?$|^copying(?:[-_.]"
                           r"[a-z0-9.-]{1,30})?$", re.I)
_NOT_LICENSE_SUFFIX = re.compile(r"\.(?:py|js|ts|json|ya?ml|toml|html?|go|rs|java|c|h|sh)$", re.I)
_DUAL_SUFFIX = re.compile(r"^licen[cs]e[-_.](?!md$|txt$|rst$)", re.I)

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".pyx": "Cython", ".ipynb": "Jupyter Notebook",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".go": "Go", ".rs": "Rust", ".java": "Java",
    ".kt": "Kotlin", ".scala": "Scala", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++",
    ".cxx": "C++", ".hpp": "C++", ".hh": "C++", ".cu": "CUDA", ".cuh": "CUDA", ".cs": "C#",
    ".swift": "Swift", ".m": "Objective-C", ".mm": "Objective-C++", ".rb": "Ruby", ".php": "PHP",
    ".pl": "Perl", ".r": "R", ".jl": "Julia", ".lua": "Lua", ".sh": "Shell", ".bash": "Shell",
    ".zsh": "Shell", ".ps1": "PowerShell", ".sql": "SQL", ".proto": "Protocol Buffers",
    ".dart": "Dart", ".ex": "Elixir", ".exs": "Elixir", ".hs": "Haskell", ".ml": "OCaml",
    ".f90": "Fortran", ".zig": "Zig", ".mojo": "Mojo", ".vue": "Vue", ".svelte": "Svelte",
    ".toml": "TOML", ".yaml": "YAML", ".yml": "YAML", ".json": "JSON",
}
_LANGUAGE_BY_NAME = {"dockerfile": "Dockerfile", "makefile": "Makefile",
                     "cmakelists.txt": "CMake"}
_NPM_NAME = re.compile(r"^(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$", re.I)


def language_of(path: Path) -> str | None:
    """The programming language of a file, from its name or suffix; None when unknown."""
    name = path.name.lower()
    if name in _LANGUAGE_BY_NAME:
        return _LANGUAGE_BY_NAME[name]
    if _is_requirements(path):
        return "pip requirements"
    return LANGUAGES.get(path.suffix.lower())


def is_license_file(name: str) -> bool:
    """True for LICENSE / LICENCE / COPYING / UNLICENSE files and their -MIT, .md ... variants."""
    return bool(_LICENSE_NAME.match(name)) and not _NOT_LICENSE_SUFFIX.search(name) and (
        "third" not in name.lower())


def _read_text(path: Path, limit: int) -> str:
    with open(path, "rb") as handle:
        data = handle.read(limit)
    return data.decode("utf-8-sig", errors="replace")


# --- the repository licence ----------------------------------------------------------------------

_folder_licenses: dict[Path, dict[str, Any] | None] = {}


def _licence_order(name: str) -> tuple[int, int, str]:
    lower = name.lower()
    return (0 if lower.startswith("licen") else 1 if lower.startswith("copying") else 2,
            len(name), name)


def _licence_in_folder(folder: Path) -> dict[str, Any] | None:
    """The licence stated by the licence files directly inside `folder`; None when none."""
    try:
        with os.scandir(folder) as entries:
            names = sorted((e.name for e in entries if is_license_file(e.name) and e.is_file()),
                           key=_licence_order)
    except OSError:
        return None
    if not names:
        return None
    found: list[str] = []
    for name in names[:8]:
        try:
            spdx = identify_license_text(_read_text(folder / name, MAX_LICENSE_BYTES))
        except OSError:
            spdx = None
        if spdx is not None and spdx not in found:
            found.append(spdx)
    if any(s.startswith("LGPL-") for s in found):  # COPYING (GPL) beside COPYING.LESSER (LGPL)
        found = [s for s in found if not s.startswith("GPL-")]
    operator = " OR " if all(_DUAL_SUFFIX.match(n) for n in names) else " AND "
    spdx = normalise(operator.join(f"({s})" for s in found)) if found else None
    result: dict[str, Any] = {"spdx": spdx, "file": names[0]}
    if len(names) > 1:
        result["files"] = names
    return result


def repo_license(path: Path) -> dict[str, Any] | None:
    """{"spdx", "file"} of the nearest licence file at or above a file's folder, within its repo."""
    start = Path(os.path.abspath(path))
    folder = start if start.is_dir() else start.parent
    walked: list[Path] = []
    result: dict[str, Any] | None = None
    while True:
        if folder in _folder_licenses:
            result = _folder_licenses[folder]
            break
        walked.append(folder)
        result = _licence_in_folder(folder)
        if result is not None or os.path.lexists(folder / ".git") or folder.parent == folder:
            break
        folder = folder.parent
    for seen in walked:
        _folder_licenses[seen] = result
    return None if result is None else {k: (list(v) if isinstance(v, list) else v)
                                        for k, v in result.items()}


# --- dependency manifests ------------------------------------------------------------------------

def _is_requirements(path: Path) -> bool:
    name = path.name.lower()
    return bool(re.match(r"^requirements.*\.(?:txt|in)$", name)) or (
        path.parent.name.lower() == "requirements" and name.endswith((".txt", ".in")))


def is_manifest(path: Path) -> bool:
    """True for requirements*.txt, requirements/*.txt, pyproject.toml and package.json."""
    return path.name.lower() in ("pyproject.toml", "package.json") or _is_requirements(path)


def _pypi(name: str, spec: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "spec": spec, "ecosystem": "pypi",
            "license": installed_pypi_license(name), **extra}


def _pep508(text: str, where: str) -> dict[str, Any]:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "unparsable"
        # The parser's first line names what it expected; the requirement itself is not quoted.
        raise ValueError(f"{where}: not a valid requirement: {reason}") from None
    spec = str(requirement.specifier) or (f"@ {requirement.url}" if requirement.url else "")
    return _pypi(requirement.name, spec)


def _requirements_txt(text: str, file: str) -> list[dict[str, Any]]:
    found = []
    logical = re.sub(r"\\\r?\n", " ", text).splitlines()
    for number, raw in enumerate(logical, start=1):
        line = re.sub(r"(?:^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue  # -r/-c includes, -e editables, --index-url and other pip options
        line = re.split(r"\s+--?[a-zA-Z]", line, maxsplit=1)[0].strip()  # --hash=... per line
        if re.match(r"^(?:[a-z][a-z0-9+.-]*://|\.{0,2}/|~|file:)", line, re.I):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", line)
            if egg:
                found.append(_pypi(egg.group(1), "@ " + line.split("#", 1)[0]))
            continue  # a local path or URL with no name: nothing to look up
        found.append(_pep508(line, f"{file}: line {number}"))
    return found


def _table(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not a table")
    return value


def _string_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | dict) for v in value):
        raise ValueError(f"{where} is not a list of requirement strings")
    return [v for v in value if isinstance(v, str)]  # PEP 735 {include-group} tables skipped


def _poetry_spec(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("version", "git", "path", "url"):
            if isinstance(value.get(key), str):
                return value[key] if key == "version" else f"@ {value[key]}"
        return ""
    if isinstance(value, list):  # multiple constraints, one per marker
        return " || ".join(_poetry_spec(v, where) for v in value)
    raise ValueError(f"{where} has an unreadable constraint")


def _pyproject(text: str, file: str) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{file}: invalid TOML: {error}") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ValueError(f"{file}: invalid TOML: nested too deeply") from None
    found = []
    project = _table(data.get("project"), f"{file}: [project]")
    where = f"{file}: [project] dependencies"
    found += [_pep508(r, where) for r in _string_list(project.get("dependencies"), where)]
    extras = _table(project.get("optional-dependencies"), f"{file}: optional-dependencies")
    for extra_name, requirements in extras.items():
        where = f"{file}: optional-dependencies.{extra_name}"
        found += [{**_pep508(r, where), "group": extra_name}
                  for r in _string_list(requirements, where)]
    for group, requirements in _table(data.get("dependency-groups"), file).items():
        where = f"{file}: dependency-groups.{group}"
        found += [{**_pep508(r, where), "group": group}
                  for r in _string_list(requirements, where)]
    poetry = _table(_table(data.get("tool"), f"{file}: [tool]").get("poetry"), f"{file}: poetry")
    sections: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (_table(poetry.get("dependencies"), f"{file}: poetry dependencies"), {}),
        (_table(poetry.get("dev-dependencies"), f"{file}: poetry dev-dependencies"),
         {"dev": True})]
    for group, body in _table(poetry.get("group"), f"{file}: poetry groups").items():
        table = _table(_table(body, f"{file}: poetry group {group}").get("dependencies"),
                       f"{file}: poetry group {group}")
        sections.append((table, {"group": group, **({"dev": True} if group == "dev" else {})}))
    for table, extra in sections:
        for name, value in table.items():
            if name.lower() != "python":
                found.append(_pypi(name, _poetry_spec(value, f"{file}: {name}"), **extra))
    return found


def _package_json(text: str, file: str, folder: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{file}: invalid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file}: the top level is not an object")
    found = []
    for section, extra in (("dependencies", {}), ("devDependencies", {"dev": True}),
                           ("optionalDependencies", {"group": "optional"}),
                           ("peerDependencies", {"group": "peer"})):
        table = data.get(section) or {}
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ValueError(f"{file}: {section} is not an object of version strings")
        for name, spec in table.items():
            if not _NPM_NAME.match(name) or len(name) > 214:
                raise ValueError(f"{file}: {section}: not a valid package name (not quoted)")
            found.append({"name": name, "spec": spec, "ecosystem": "npm",
                          "license": installed_npm_license(folder, name), **extra})
    return found


def manifest_dependencies(path: Path) -> list[dict[str, Any]]:
    """Dependencies declared by a manifest, each with the installed package's licence or None."""
    file = path.name
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ValueError(f"{file}: manifest larger than {MAX_MANIFEST_BYTES // 1024} KiB")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{file}: not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"{file}: cannot be read: {error.strerror}") from None
    if file.lower() == "pyproject.toml":
        found = _pyproject(text, file)
    elif file.lower() == "package.json":
        found = _package_json(text, file, path.parent)
    else:
        found = _requirements_txt(text, file)
    if len(found) > MAX_DEPENDENCIES:
        raise ValueError(f"{file}: more than {MAX_DEPENDENCIES} dependencies")
    return found


def _first(meta: metadata.PackageMetadata, field: str) -> str | None:
    values = meta.get_all(field)
    return str(values[0]) if values else None


@lru_cache(maxsize=4096)
def _pypi_license_cached(name: str) -> str | None:
    try:
        meta = metadata.distribution(name).metadata
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    expression = _first(meta, "License-Expression")
    if expression and (spdx := normalise(expression)):
        return spdx
    declared = _first(meta, "License")
    if declared and (spdx := identify_license_text(declared)):  # a name, or the whole text
        return spdx
    named = [normalise(c.split("::")[-1].strip()) for c in meta.get_all("Classifier") or []
             if c.startswith("License ::") and c.count("::") >= 2]
    known = [s for s in dict.fromkeys(named) if s]
    return normalise(" OR ".join(f"({s})" for s in known)) if known else None


def installed_pypi_license(name: str) -> str | None:
    """SPDX licence of an installed Python distribution, from its metadata; None if unknown."""
    return _pypi_license_cached(canonicalize_name(name))


def installed_npm_license(folder: Path, name: str) -> str | None:
    """SPDX licence of node_modules/<name> beside a package.json, when installed there."""
    if not _NPM_NAME.match(name):
        return None
    try:
        data = json.loads(_read_text(folder / "node_modules" / name / "package.json", 1 << 20))
    except (OSError, ValueError, RecursionError):
        return None
    declared = data.get("license") if isinstance(data, dict) else None
    if isinstance(declared, dict):  # the old {"type": ..., "url": ...} form
        declared = declared.get("type")
    if not isinstance(declared, str) and isinstance(data, dict):
        old = data.get("licenses")
        if isinstance(old, list) and old and isinstance(old[0], dict):
            declared = " OR ".join(str(x.get("type", "")) for x in old[:8])
    return normalise(declared) if isinstance(declared, str) else None


# --- what the scanner stores ---------------------------------------------------------------------

def code_metadata(path: Path, authors: bool = True) -> dict[str, Any]:
    """Language, repository licence, dependencies (manifests only) and authors of a code file."""
    found: dict[str, Any] = {"language": language_of(path), "repo_license": repo_license(path)}
    if is_manifest(path):
        found["dependencies"] = manifest_dependencies(path)
    if authors:
        found["authors"] = git_authorship(path)
    return {key: value for key, value in found.items() if value is not None}


def clear_caches() -> None:
    """Forget cached folder licences, repository roots and installed-package licences."""
    _folder_licenses.clear()
    _pypi_license_cached.cache_clear()
    authorship.clear_caches()
