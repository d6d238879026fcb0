"""docs/python-api.md is a tour that runs: every ```python block of it, in order, in an empty
folder, on each backend. A block that no longer matches the API fails here, not in a user's
hands. Also: the public surface exports what its __all__ says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(), re.S | re.M)


def test_the_tour_has_blocks() -> None:
    assert len(_blocks()) >= 6


def test_the_tour_runs(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    if db_url:
        monkeypatch.setenv("HALLMARK_DB_URL", db_url)
    else:
        monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    monkeypatch.delenv("HALLMARK_VAULT", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tour"}
    for i, block in enumerate(_blocks(), 1):
        exec(compile(block, f"{DOC.name}, block {i}", "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    assert "accused " in out and "refused: " in out


def test_the_public_surface_exports_its_all() -> None:
    import hallmark

    for name in hallmark.__all__:
        assert getattr(hallmark, name) is not None, name
    from hallmark import schemas, services

    for name in services.__all__:
        assert getattr(services, name).__doc__, name
    for name in schemas.__all__:
        assert issubclass(getattr(schemas, name), schemas.Record), name
