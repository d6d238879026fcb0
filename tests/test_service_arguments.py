"""A Python caller who passes the wrong thing to any public service gets a typed Hallmark error
(or a result), never a ValueError, KeyError, TypeError or AttributeError from deep inside. Every
public function of every service is called with hostile values in each parameter in turn (the
others plausible), on an empty vault and on one with a little in it."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hallmark import HallmarkError, Vault, services

HOSTILE: list[Any] = [None, 0, -1, 2**70, 1.5, math.nan, "", " ", "\x00", "x" * 5000, "../..",
                      b"bytes", [], [None], {}, {"a": object()}, object(), True,
                      Path("/nonexistent/hallmark/zz")]


def _functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for noun in services.__all__:
        module = getattr(services, noun)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == module.__name__:
                yield f"{noun}.{name}", fn


FUNCTIONS = dict(_functions())


def _plausible(param: inspect.Parameter, hints: dict[str, Any], vault: Vault,
               folder: Path) -> Any:
    """A harmless value of the parameter's type, so that the hostile one is what is tested."""
    if param.name == "actor":
        return "tester"
    text = str(hints.get(param.name))
    if "Vault" in text:
        return vault
    if "Path" in text and "str" not in text.split("|")[0]:
        return folder / "plausible.txt"
    if "Sequence" in text or "list" in text:
        return []
    if "dict" in text:
        return {}
    if "date" in text and "str" not in text:
        return date(2026, 1, 1)
    if text.startswith("int"):
        return 1
    if text.startswith("float"):
        return 0.5
    if text == "bool":
        return False
    if "bytes" in text:
        return b"plausible"
    return "plausible"


def _calls(fn: Callable[..., Any], vault: Vault,
           folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    signature = inspect.signature(fn)
    hints = {k: str(v) for k, v in fn.__annotations__.items()}  # as written
    params = [p for p in signature.parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    base = {p.name: _plausible(p, hints, vault, folder) for p in params
            if p.default is inspect.Parameter.empty}
    yield "plausible", dict(base)
    for p in params:
        if "Vault" in hints.get(p.name, ""):
            continue
        for value in HOSTILE:
            yield f"{p.name}={value!r:.40}", {**base, p.name: value}


def _hammer(vault: Vault, folder: Path, names: list[str]) -> list[str]:
    escaped = []
    for name in names:
        fn = FUNCTIONS[name]
        for label, kwargs in _calls(fn, vault, folder):
            try:
                fn(**kwargs)
            except HallmarkError:
                pass
            except OSError:
                pass  # a path the caller named that the OS refuses: the caller's own error
            except Exception as exc:  # noqa: BLE001 - this is what the test looks for
                escaped.append(f"{name}({label}): {type(exc).__name__}: {exc}"[:300])
    return escaped


# Long-running or networked functions are called too, but only with arguments that fail fast.
NAMES = sorted(FUNCTIONS)


def test_every_public_service_function_is_exercised() -> None:
    assert len(NAMES) > 50, NAMES


def test_hostile_arguments_on_an_empty_vault(vault: Vault, tmp_path: Path) -> None:
    escaped = _hammer(vault, tmp_path, NAMES)
    assert not escaped, "\n".join(escaped[:40]) + f"\n({len(escaped)} in all)"


def test_hostile_arguments_on_a_vault_with_assets_and_terms(vault: Vault,
                                                            tmp_path: Path) -> None:
    data = vault.root / "data"
    data.mkdir()
    (data / "cohort.csv").write_text("id,age\n" + "".join(f"{i},{20 + i % 50}\n"
                                                        for i in range(200)))
    services.inventory.scan(vault, [data], actor="tester")
    services.parties.add(vault, "Acme AI", "organisation", actor="tester")
    services.parties.add(vault, "plausible", "organisation", actor="tester")
    services.agreements.add(vault, text="id: plausible\ntype: nda\ntitle: T\n"
                            "parties: [Acme AI, plausible]\neffective: 2025-01-01\n"
                            "term: 2y\ncovers: [cohort.csv]\n", actor="tester")
    escaped = _hammer(vault, tmp_path, NAMES)
    assert not escaped, "\n".join(escaped[:40]) + f"\n({len(escaped)} in all)"


@pytest.mark.parametrize("name", ["shares.share", "traces.trace", "inventory.scan"])
def test_the_heavy_services_are_among_them(name: str) -> None:
    assert name in FUNCTIONS
