"""The screening service: import a restricted-party list the user provides, and screen parties
against it by fuzzy name matching."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.schemas.screening import ScreeningImport, ScreeningReport
from hallmark.services import _args

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["DEFAULT_THRESHOLD", "check", "import_list"]

DEFAULT_THRESHOLD = 85


def import_list(vault: Vault, file: Path | str, *, actor: str) -> ScreeningImport:
    """Replace the stored restricted-party list by the CSV at `file` (the consolidated screening
    list's layout, or name[,country][,source][,alt_names]); logs `screening.imported`."""
    from hallmark.agreements.screening import replace_list
    from hallmark.agreements.screening_csv import read_list

    _args.text(actor, "actor")
    path = _args.path(file, "file")
    found = read_list(path, default_source=path.name[:200])  # parsed whole before any write
    with vault.transaction(actor) as txn:
        return replace_list(txn, found, path.name)


def check(vault: Vault, party: str | None = None, *,
          threshold: int = DEFAULT_THRESHOLD) -> ScreeningReport:
    """Screen one party (default: every organisation and person) against the imported list;
    hits score at least `threshold` (0..100) on name similarity."""
    from hallmark.agreements.parties import resolve_party
    from hallmark.agreements.screening import screen

    if party is not None:
        _args.text(party, "party", most=_args.MAX_REF)
    _args.integer(threshold, "threshold", least=1, most=100)
    with vault.read() as conn:
        chosen = None if party is None else [resolve_party(conn, party, field="party").id]
        return screen(conn, chosen, threshold)
