"""Restricted-party screening in the store: an imported list replaces the previous one (logged
`screening.imported`), and parties are screened against it by name similarity
(`agreements.similarity`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from hallmark.agreements.parties import Party, load_parties, organisation_of
from hallmark.agreements.screening_csv import ScreeningList
from hallmark.agreements.similarity import NameIndex, tokens
from hallmark.schemas.screening import (
    PartyScreening,
    ScreeningEntry,
    ScreeningHit,
    ScreeningImport,
    ScreeningReport,
)
from hallmark.store.clock import utcnow
from hallmark.store.tables import screening_entries

if TYPE_CHECKING:
    from hallmark.vault import Txn

DEFAULT_THRESHOLD = 85
MAX_HITS = 10  # hits shown per party, best first
_CHUNK = 1000


def replace_list(txn: Txn, found: ScreeningList, file_name: str) -> ScreeningImport:
    """Store `found` in place of the previous list and log `screening.imported` (the digest,
    layout, counts and sources; not the entries themselves)."""
    replaced = txn.conn.execute(select(func.count()).select_from(screening_entries)).scalar()
    txn.conn.execute(delete(screening_entries))
    now = utcnow()
    rows = [{"list_sha256": found.sha256, "source": e.source, "name": e.name,
             "alt_names": json.dumps(e.alt_names, ensure_ascii=False), "country": e.country,
             "programs": e.programs, "imported": now} for e in found.entries]
    for start in range(0, len(rows), _CHUNK):
        txn.conn.execute(insert(screening_entries), rows[start:start + _CHUNK])
    names = sum(1 + len(e.alt_names) for e in found.entries)
    payload: dict[str, Any] = {
        "file": file_name[:200], "sha256": found.sha256, "layout": found.layout,
        "rows": len(found.entries), "names": names, "sources": found.sources,
        "replaced": int(replaced or 0)}
    seq = txn.log.append("screening.imported", payload, ["screening"])
    return ScreeningImport(**payload, seq=seq)


class _Entries:
    """The stored list with every name of every entry, indexed for screening."""

    def __init__(self, conn: Connection) -> None:
        rows = list(conn.execute(select(screening_entries).order_by(screening_entries.c.id)))
        self.sha256: str | None = rows[0].list_sha256 if rows else None
        self.entries = [ScreeningEntry(name=r.name, source=r.source, country=r.country,
                                       programs=r.programs) for r in rows]
        self.owner: list[int] = []  # name position -> entry position
        self.names: list[str] = []
        for i, row in enumerate(rows):
            alt = json.loads(row.alt_names)
            for name in [row.name, *(alt if isinstance(alt, list) else [])]:
                if isinstance(name, str):
                    self.owner.append(i)
                    self.names.append(name)
        self.index = NameIndex([tokens(n) for n in self.names])

    def hits(self, party: Party, country: str | None, threshold: int) -> list[ScreeningHit]:
        """The entries like the party's name, best name per entry; best first."""
        best: dict[int, tuple[int, str]] = {}
        for position, got in self.index.matches(tokens(party.name), threshold):
            entry = self.owner[position]
            if got > best.get(entry, (-1, ""))[0]:
                best[entry] = (got, self.names[position])
        out = []
        for entry, (got, matched) in best.items():
            theirs = self.entries[entry].country
            match = None if country is None or theirs is None else country == theirs
            out.append(ScreeningHit(score=got, entry=self.entries[entry], matched_name=matched,
                                    country_match=match,
                                    confidence={True: "high", None: "medium",
                                                False: "low"}[match]))
        rank = {"high": 0, "medium": 1, "low": 2}
        out.sort(key=lambda h: (rank[h.confidence], -h.score, h.entry.name))
        return out[:MAX_HITS]


def screen(conn: Connection, party_ids: Iterable[str] | None = None,
           threshold: int = DEFAULT_THRESHOLD) -> ScreeningReport:
    """Screen the named parties (default: every organisation and person; teams are screened as
    their organisation) against the stored list."""
    index = load_parties(conn)
    entries = _Entries(conn)
    chosen = sorted(index) if party_ids is None else list(party_ids)
    screened: dict[str, PartyScreening] = {}
    for party_id in chosen:
        party = index[party_id]
        org = organisation_of(index, party_id)
        if party.kind == "team":  # a team is its organisation to the outside world
            party = org
        if party.id in screened:
            continue
        country = party.country or org.country
        screened[party.id] = PartyScreening(party=party.id, name=party.name, country=country,
                                            hits=entries.hits(party, country, threshold))
    return ScreeningReport(threshold=threshold, list_sha256=entries.sha256,
                           list_entries=len(entries.entries),
                           parties=list(screened.values()))
