"""The MarkScheme protocol and the registry of schemes.

A scheme marks one kind of asset (tables today; model weights and text later): it plans the
public parameters of a copy from the source, embeds a recipient's codeword while streaming the
copy into an atomic writer, and on a suspect identifies which shared source it came from and
reads soft code symbols at code positions. Scoring those symbols against every recipient's
Tardos codeword and the p-values (codes.py, stats.py, scoring.py) are the same for every scheme,
so a scheme never sees a recipient's codeword nor decides an accusation.

Schemes come from the `hallmark_mark_schemes` hook (the built-in ones through
hallmark.marks.plugin); a later-registered scheme with the same name takes precedence.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from hallmark.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from hallmark.marks.engines import Engine

__all__ = ["INCONCLUSIVE", "Identified", "MarkScheme", "Marked", "Planned", "Shared", "Symbols",
           "scheme_for_asset", "scheme_for_suspect", "scheme_named", "schemes"]

# A trace that could not read some marks and accuses nobody says this, never "nobody".
INCONCLUSIVE = "inconclusive: the suspect's values look rounded or perturbed beyond the marks"


@dataclass
class Planned:
    """A plan for marking one source: `plan` is public and stored with every share made under
    it (its "scheme" is the scheme's name); `state` is the scheme's own (say, the batches its
    profile pass kept for the marking pass)."""

    plan: dict[str, Any]
    format: str
    state: Any = None


@dataclass
class Marked:
    """A marked copy, complete but not yet published at its final path."""

    rows: int
    cells: int
    staged: Path


@dataclass
class Shared:
    """The shares made of one asset under one plan; `mapping` is where `identify` found the
    plan's carriers in the suspect (the scheme's own notation)."""

    asset: str
    plan: dict[str, Any]
    shares: list[tuple[str, str]]  # (share id, recipient), oldest first
    mapping: dict[str, int] = field(default_factory=dict)


@dataclass
class Identified:
    """The candidates a suspect may come from: per source asset (best match first) the plans
    whose marks can be read; `doubts` are why some marks could not be read (rounded, perturbed
    values): a trace that accuses nobody is then inconclusive, not an acquittal."""

    ranked: list[list[Shared]]
    doubts: list[str] = field(default_factory=list)
    suspect: Any = None  # the scheme's opened suspect, for `extract`


@dataclass
class Symbols:
    """Soft code symbols read from a suspect under one plan: `sigma[i]` in [-1, 1] at code
    position `positions[i]`; `rows` units carried marks, `per_row` symbols each on average."""

    positions: np.ndarray
    sigma: np.ndarray
    rows: int
    per_row: float


@runtime_checkable
class MarkScheme(Protocol):
    """What a mark scheme provides; see the module docstring."""

    name: str

    def accepts(self, kind: str, path: Path) -> bool:
        """Whether it can mark an asset of this kind stored at `path`."""
        ...

    def reads_suspect(self, path: Path) -> bool:
        """Whether it can read marks from a suspect file at `path`."""
        ...

    def copy_format(self, source: Path, out: Path) -> str:
        """The format the copy of `source` is written in; InputError if `out` cannot hold it."""
        ...

    def plan(self, source: Path, fmt: str, options: Mapping[str, Any], marking_key: bytes,
             asset_id: str, known: dict[str, Any] | None = None) -> Planned:
        """The public parameters for `options` (`known`: a plan already made for this
        content and these options, reused as is)."""
        ...

    def embed(self, planned: Planned, out: Path, marking_key: bytes, asset_id: str,
              share_id: str, engine: Engine) -> AbstractContextManager[Marked]:
        """Stream the copy marked for `share_id` to a file beside `out`; it replaces `out`
        only when the block exits cleanly."""
        ...

    def open_suspect(self, path: Path) -> Any:
        """Open a suspect (checks it parses; nothing is executed)."""
        ...

    def identify(self, suspect: Any, marking_key: bytes, candidates: list[Shared]
                 ) -> Identified:
        """Which candidates' sources the suspect comes from, best first (NotFound: none)."""
        ...

    def extract(self, identified: Identified, shared: Shared, marking_key: bytes,
                engine: Engine) -> Symbols:
        """The soft code symbols the suspect carries under `shared`'s plan."""
        ...

    def public_parameters(self, plan: dict[str, Any]) -> dict[str, Any]:
        """What a share under `plan` reports of it: "marked_columns", "categorical_columns"
        (carriers; empty where the notion does not apply), and the Tardos parameters."""
        ...

    def survives(self, plan: dict[str, Any], rows: int, cells: int) -> dict[str, Any]:
        """What a copy with `rows` units and `cells` marked carriers is expected to survive."""
        ...


def schemes() -> list[MarkScheme]:
    """Every registered scheme, later registrations first (they take precedence)."""
    from hallmark.hooks import contributions

    found: list[MarkScheme] = []
    seen: set[str] = set()
    for contributed in reversed(contributions("hallmark_mark_schemes")):  # newest first
        for scheme in contributed if isinstance(contributed, list | tuple) else []:
            if isinstance(scheme, MarkScheme) and scheme.name not in seen:
                seen.add(scheme.name)
                found.append(scheme)
    return found


def scheme_named(name: str) -> MarkScheme:
    """The scheme whose plans carry `name` (InputError if none is registered)."""
    for scheme in schemes():
        if scheme.name == name:
            return scheme
    raise InputError(f"no mark scheme {name!r} is installed", field="scheme")


def scheme_for_asset(kind: str, path: Path) -> MarkScheme | None:
    """The scheme that marks an asset of `kind` at `path`, or None."""
    return next((s for s in schemes() if s.accepts(kind, path)), None)


def scheme_for_suspect(path: Path) -> MarkScheme | None:
    """The scheme that reads a suspect at `path`, or None."""
    return next((s for s in schemes() if s.reads_suspect(path)), None)

