"""A third party's mark scheme, registered through the hook, is what `share` and `trace` use for
the kind of asset and the suspect format it claims; the code and the scoring stay shared."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from hallmark import services
from hallmark.hooks import hookimpl, register, unregister
from hallmark.marks.codes import Codebook, TardosParams
from hallmark.marks.engines import Engine
from hallmark.marks.scheme import Identified, Marked, MarkScheme, Planned, Shared, Symbols
from hallmark.schemas import ShareOptions
from hallmark.store.tables import events, shares

from .conftest import World, add_agreement, scan

POSITIONS = np.arange(1, 4001, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


class NoteScheme:
    """Marks a text note by appending its share id (a toy: the point is the dispatch)."""

    name = "test-note/1"

    def accepts(self, kind: str, path: Path) -> bool:
        return path.suffix == ".note"

    def reads_suspect(self, path: Path) -> bool:
        return path.suffix == ".note"

    def copy_format(self, source: Path, out: Path) -> str:
        return "note"

    def plan(self, source: Path, fmt: str, options: Mapping[str, Any], marking_key: bytes,
             asset_id: str, known: dict[str, Any] | None = None) -> Planned:
        params = TardosParams(options["recipients"], options["colluders"], options["epsilon"])
        return Planned(known or {"scheme": self.name, "tardos": params.to_json(),
                                 "options": dict(options)}, fmt, source.read_text())

    @contextmanager
    def embed(self, planned: Planned, out: Path, marking_key: bytes, asset_id: str,
              share_id: str, engine: Engine) -> Iterator[Marked]:
        fd, tmp = tempfile.mkstemp(dir=out.parent)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{planned.state}\n-- {share_id}\n")
        try:
            yield Marked(1, 1, Path(tmp))
            os.replace(tmp, out)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def open_suspect(self, path: Path) -> str:
        return path.read_text().rsplit("-- ", 1)[-1].strip()

    def identify(self, suspect: Any, marking_key: bytes, candidates: list[Shared]
                 ) -> Identified:
        return Identified([candidates], [], suspect)

    def extract(self, identified: Identified, shared: Shared, marking_key: bytes,
                engine: Engine) -> Symbols:
        codebook = Codebook(marking_key, shared.asset, TardosParams.from_json(
            shared.plan["tardos"]))
        bits = codebook.bits(identified.suspect, POSITIONS)
        return Symbols(POSITIONS, np.where(bits, 1.0, -1.0), 1, float(POSITIONS.size))

    def public_parameters(self, plan: dict[str, Any]) -> dict[str, Any]:
        return {"marked_columns": [], "categorical_columns": [], "tardos": plan["tardos"]}

    def survives(self, plan: dict[str, Any], rows: int, cells: int) -> dict[str, Any]:
        return {"nothing": True}


class _Plugin:
    @hookimpl
    def hallmark_mark_schemes(self) -> list[Any]:
        return [NoteScheme()]


@pytest.fixture
def note_scheme() -> Iterator[None]:
    plugin = _Plugin()
    register(plugin, name="test-note-scheme")
    yield
    unregister(plugin)


def test_share_and_trace_dispatch_to_a_registered_scheme(world: World, note_scheme: None
                                                         ) -> None:
    assert isinstance(NoteScheme(), MarkScheme)
    (world.root / "data" / "minutes.note").write_text("board minutes\n")
    scan(world.vault, [world.root / "data"])
    dua = (world.root / "dua.yaml").read_text().replace("customers.csv", "minutes.note")
    (world.root / "dua-note.yaml").write_text(dua.replace("dua-partners", "dua-note"))
    add_agreement(world.vault, world.root / "dua-note.yaml")
    options = ShareOptions(recipients=10, colluders=2, epsilon=1e-3)
    made = {}
    for party in ("CloudCo", "Beta Labs"):
        out = world.root / f"{party.replace(' ', '-')}.note"
        made[party] = services.shares.share(world.vault, "data/minutes.note", party, out,
                                            actor="alice", options=options)
        assert out.read_text().endswith(f"-- {made[party].share}\n")
        assert made[party].survives == {"nothing": True} and made[party].marked_columns == []
    with world.vault.read() as conn:
        assert {r.scheme for r in conn.execute(select(shares.c.scheme))} == {"test-note/1"}
    found = services.traces.trace(world.vault, world.root / "Beta-Labs.note", actor="bob")
    assert [c.share for c in found.accused] == [made["Beta Labs"].share]
    assert found.recipients == 2 and found.trace is not None
    with world.vault.read() as conn:
        actors = {r.type: r.actor for r in conn.execute(select(events.c.type, events.c.actor))}
    assert actors["share.created"] == "alice" and actors["trace.recorded"] == "bob"
