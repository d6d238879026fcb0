"""Agreements compiled to Cedar policies and entities (pure: no I/O).

Model: principals are `Party` entities (a team is in its organisation, a person in a team or an
organisation); resources are `Asset` entities, each a member of one `Cover::"<agreement>"` per
agreement that covers it and carrying its `owners`; actions are `Action::"<name>"`; the context
holds `date` (YYYYMMDD as a Long) and, when given, `purpose`. Each permitted term becomes one
`permit` per principal it names, each prohibition one `forbid` binding every party other than
the discloser; owners may do anything with what they own (but export it unlicensed).

Export control and acknowledged terms are conditions of the permits themselves, so Cedar decides
them too: each `Party` carries its `country` (its own or its nearest group's; "" when unknown),
whether it is a `person`, and the agreements whose version in force it has `acknowledged`; each
`Asset` carries `licence_needed_for`, the destinations its export classification needs a licence
for under the vault's rules ("" among them: an unknown country needs one too). A permit of an
agreement without an unexpired export licence admits a release of the asset (every action but
`inference` and `api-access`, which leave it on our side) only to a party whose country is not in
that set; a permit of an agreement that requires acknowledgement admits a person only once that
person has acknowledged the version in force.

Policies are indexed by their scope (the party in the principal scope, the agreement in the
resource scope, the actions), so a request is evaluated against the slice that can apply to it: a
policy scoped to `principal in Party::"x"`, `action in [...]` and `resource in Cover::"a"` can
only match principals inside x doing one of those actions to assets covered by a, and the
owners' policy only principals inside an owner, so slicing by scope is exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

# The closed vocabulary of actions a term can permit or prohibit (Cedar actions of the same name).
ACTIONS = ("view", "download", "share", "train", "fine-tune", "evaluate", "inference", "modify",
           "api-access", "pre-release-access", "publish", "redistribute", "sublicense",
           "commercial-use", "reverse-engineer")
OWNER_POLICY = "owners"
# Actions that hand the asset itself (or its technology) to the party: an export when the party
# is abroad. Inference and API access answer queries; the asset stays on our side.
RELEASE_ACTIONS = tuple(a for a in ACTIONS if a not in ("inference", "api-access"))

CEDAR_SCHEMA = (
    "entity Party in [Party] { country: String, person: Bool, acknowledged: Set<String> };\n"
    "entity Cover;\n"
    "entity Asset in [Cover] { owners: Set<Party>, licence_needed_for: Set<String> };\n"
    + "".join(
        f'action "{a}" appliesTo {{ principal: [Party], resource: [Asset], '
        "context: { date: Long, purpose?: String } };\n" for a in ACTIONS)
)


@dataclass(frozen=True)
class PermitTerm:
    """A permitted term: principals (the party, or named teams), actions, purposes."""

    party: str
    teams: tuple[str, ...] | None
    actions: tuple[str, ...]
    purposes: tuple[str, ...] | None


@dataclass(frozen=True)
class AgreementInput:
    """An agreement as the compiler sees it (references already resolved to ids)."""

    id: str
    version: int
    type: str
    parties: tuple[str, ...]
    discloser: str
    effective: date
    expires: date | None
    terminated_on: date | None
    covers: frozenset[str]
    permitted: tuple[PermitTerm, ...]
    prohibited: tuple[str, ...]
    licence: str | None = None  # the export licence's number, when the agreement records one
    licence_expires: date | None = None
    require_acknowledgement: bool = False

    @property
    def last_day(self) -> date | None:
        """The last day its permissions hold (expiry, or the day before termination)."""
        ends = [d for d in (self.expires, _day_before(self.terminated_on)) if d is not None]
        return min(ends) if ends else None


@dataclass(frozen=True)
class Grant:
    """One compiled `permit`."""

    policy_id: str
    agreement: str
    version: int
    term: int
    principal: str
    party: str
    actions: tuple[str, ...]
    purposes: tuple[str, ...] | None
    effective: date
    last_day: date | None
    expires: date | None
    terminated_on: date | None
    covers: frozenset[str]
    licence: str | None = None
    licence_expires: date | None = None
    acknowledge: bool = False


@dataclass(frozen=True)
class ExportControl:
    """An asset's export classification and where it needs a licence ("" = unknown country)."""

    classification: str
    source: str
    destinations: frozenset[str]


@dataclass(frozen=True)
class Prohibition:
    """One compiled `forbid`."""

    policy_id: str
    agreement: str
    version: int
    party: str
    actions: tuple[str, ...]


@dataclass
class Compiled:
    """Policies (by the party in their principal scope), entities and the indexes `explain`
    needs."""

    # (party in the principal scope, agreement in the resource scope) -> (id, actions, text)
    texts: dict[tuple[str, str], list[tuple[str, frozenset[str], str]]] = field(
        default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    prohibitions: dict[str, Prohibition] = field(default_factory=dict)
    entities: list[dict[str, object]] = field(default_factory=list)
    parents: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    owners: dict[str, dict[str, str]] = field(default_factory=dict)  # asset -> party -> source
    covered_by: dict[str, list[str]] = field(default_factory=dict)  # asset -> agreement ids
    export: dict[str, ExportControl] = field(default_factory=dict)  # controlled assets
    countries: dict[str, str] = field(default_factory=dict)  # party -> effective country
    persons: frozenset[str] = frozenset()
    acknowledged: dict[str, frozenset[str]] = field(default_factory=dict)  # person -> agreements
    # indexes slice_for builds on first use (compile_policies fills the fields above at once)
    _by_agreement: dict[str, list[tuple[str, list[tuple[str, frozenset[str], str]]]]] = field(
        default_factory=dict, repr=False, compare=False)
    _by_asset: dict[str, dict[str, list[tuple[str, frozenset[str], str]]]] = field(
        default_factory=dict, repr=False, compare=False)

    def chain(self, party: str) -> list[str]:
        """The party and every group it is in, nearest first."""
        out: list[str] = []
        current: str | None = party
        while current is not None and current not in out:
            out.append(current)
            current = self.parents.get(current)
        return out

    def slice_for(self, chain: list[str], asset: str, action: str) -> list[tuple[str, str]]:
        """(policy id, text) of every policy whose scope admits this principal (given as its
        chain), action and asset; empty when none does, which Cedar answers with a deny."""
        found: list[tuple[str, str]] = []
        owners = self.owners.get(asset)
        if owners and not owners.keys().isdisjoint(chain):
            found.append((OWNER_POLICY, owner_policy()))
        by_party = self._by_asset.get(asset)
        if by_party is None:
            by_party = self._index_asset(asset)
        for party in chain:
            for pid, actions, text in by_party.get(party, ()):
                if action in actions:
                    found.append((pid, text))
        return found

    def _index_asset(self, asset: str) -> dict[str, list[tuple[str, frozenset[str], str]]]:
        # Per asset, the policies of every agreement covering it by the party they name, built
        # on first use: a lookup per party of the chain instead of one per (agreement, party).
        if not self._by_agreement:
            for (party, agreement), entries in self.texts.items():
                self._by_agreement.setdefault(agreement, []).append((party, entries))
        by_party: dict[str, list[tuple[str, frozenset[str], str]]] = {}
        for agreement in self.covered_by.get(asset, ()):
            for party, entries in self._by_agreement.get(agreement, ()):
                by_party.setdefault(party, []).extend(entries)
        self._by_asset[asset] = by_party
        return by_party

    def cedar(self) -> str:
        """Every policy as one Cedar document."""
        body = [t for key in sorted(self.texts) for _, _, t in self.texts[key]]
        return "\n".join([owner_policy(), *body]) + "\n"

    @property
    def policy_count(self) -> int:
        """How many policies the agreements compiled to (with the owners' policy)."""
        return 1 + sum(len(v) for v in self.texts.values())

    def entities_json(self) -> str:
        """The entity store as Cedar JSON."""
        return json.dumps(self.entities, separators=(",", ":"))


def compile_policies(agreements: Iterable[AgreementInput], parents: Mapping[str, str | None],
                     names: Mapping[str, str], asset_owners: Mapping[str, Mapping[str, str]],
                     assets: Iterable[str], *, export: Mapping[str, ExportControl] | None = None,
                     countries: Mapping[str, str | None] | None = None,
                     persons: Iterable[str] = (),
                     acknowledged: Mapping[str, Iterable[str]] | None = None) -> Compiled:
    """Compile agreements over the party graph (`parents`: party -> group) and the assets;
    `export` holds the controlled assets, `countries` each party's own country (a party without
    one takes its nearest group's), `acknowledged` the agreements each person acknowledged."""
    out = Compiled(parents=dict(parents), names=dict(names),
                   owners={a: dict(o) for a, o in asset_owners.items()},
                   export=dict(export or {}), persons=frozenset(persons),
                   acknowledged={p: frozenset(a) for p, a in (acknowledged or {}).items()})
    own = countries or {}
    for party in out.parents:
        out.countries[party] = next((c for p in out.chain(party) if (c := own.get(p))), "")
    for ag in agreements:
        for asset in sorted(ag.covers):
            out.covered_by.setdefault(asset, []).append(ag.id)
        for index, term in enumerate(ag.permitted):
            for n, principal in enumerate(term.teams or (term.party,)):
                pid = f"{ag.id}/v{ag.version}/permitted/{index}" + (f"/{n}" if n else "")
                grant = Grant(pid, ag.id, ag.version, index, principal, term.party, term.actions,
                              term.purposes, ag.effective, ag.last_day, ag.expires,
                              ag.terminated_on, ag.covers, ag.licence, ag.licence_expires,
                              ag.require_acknowledgement)
                out.grants[pid] = grant
                if ag.covers:
                    out.texts.setdefault((principal, ag.id), []).append(
                        (pid, frozenset(grant.actions), _permit_text(grant)))
        if ag.prohibited and ag.covers:
            for party in ag.parties:
                if party == ag.discloser:
                    continue
                pid = f"{ag.id}/v{ag.version}/prohibited/{party}"
                out.prohibitions[pid] = Prohibition(pid, ag.id, ag.version, party, ag.prohibited)
                out.texts.setdefault((party, ag.id), []).append((pid, frozenset(ag.prohibited), (
                    f"@id({_q(pid)})\nforbid(principal in Party::{_q(party)}, "
                    f"action in [{_actions(ag.prohibited)}], resource in Cover::{_q(ag.id)});")))
    out.entities = _entities(out, assets)
    return out


def _entities(out: Compiled, assets: Iterable[str]) -> list[dict[str, object]]:
    ents: list[dict[str, object]] = []
    for party, parent in sorted(out.parents.items()):
        ents.append({"uid": {"type": "Party", "id": party},
                     "attrs": {"country": out.countries.get(party, ""),
                               "person": party in out.persons,
                               "acknowledged": sorted(out.acknowledged.get(party, ()))},
                     "parents": [{"type": "Party", "id": parent}] if parent else []})
    for agreement in sorted({a for ids in out.covered_by.values() for a in ids}):
        ents.append({"uid": {"type": "Cover", "id": agreement}, "attrs": {}, "parents": []})
    listed: dict[frozenset[str], list[str]] = {}  # each destination set sorted once

    def needed(asset: str) -> list[str]:
        control = out.export.get(asset)
        if control is None:
            return []
        found = listed.get(control.destinations)
        if found is None:
            found = listed[control.destinations] = sorted(control.destinations)
        return found

    for asset in assets:
        ents.append({
            "uid": {"type": "Asset", "id": asset},
            "attrs": {"owners": [{"__entity": {"type": "Party", "id": p}}
                                 for p in sorted(out.owners.get(asset, {}))],
                      "licence_needed_for": needed(asset)},
            "parents": [{"type": "Cover", "id": a} for a in out.covered_by.get(asset, [])],
        })
    return ents


def _permit_text(g: Grant) -> str:
    conditions = [f"context.date >= {yyyymmdd(g.effective)}"]
    if g.last_day is not None:
        conditions.append(f"context.date <= {yyyymmdd(g.last_day)}")
    if g.purposes is not None:
        listed = ", ".join(_q(p) for p in g.purposes)
        conditions.append(f"context has purpose && [{listed}].contains(context.purpose)")
    releases = [a for a in g.actions if a in RELEASE_ACTIONS]
    if releases and (g.licence is None or g.licence_expires is not None):
        export = "!(resource.licence_needed_for.contains(principal.country))"
        if g.licence_expires is not None:  # the licence covers the transfer until it expires
            export = f"({export} || context.date <= {yyyymmdd(g.licence_expires)})"
        if len(releases) < len(g.actions):
            export = f"(!(action in [{_actions(releases)}]) || {export})"
        conditions.append(export)
    if g.acknowledge:
        conditions.append(f"(!principal.person || principal.acknowledged.contains("
                          f"{_q(g.agreement)}))")
    return (f"@id({_q(g.policy_id)})\npermit(principal in Party::{_q(g.principal)}, "
            f"action in [{_actions(g.actions)}], resource in Cover::{_q(g.agreement)})\n"
            f"when {{ {' && '.join(conditions)} }};")


def owner_policy() -> str:
    """The policy that lets owners (and everyone inside them) use what they own; owning an
    asset is no export licence, so a release to an owner (co-owner) abroad is admitted only
    where its classification needs no licence for the owner's country."""
    return (f"@id({_q(OWNER_POLICY)})\npermit(principal, action, resource is Asset)\n"
            "when { resource has owners && principal in resource.owners && "
            f"(!(action in [{_actions(RELEASE_ACTIONS)}]) || "
            "!(resource.licence_needed_for.contains(principal.country))) };")


def _actions(actions: Iterable[str]) -> str:
    return ", ".join(f"Action::{_q(a)}" for a in actions)


def _q(text: str) -> str:
    """A Cedar string literal (ids and purposes are restricted to printable ASCII upstream)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yyyymmdd(day: date) -> int:
    """A date as the Long the policies compare (20260131)."""
    return day.year * 10000 + day.month * 100 + day.day


def _day_before(day: date | None) -> date | None:
    return None if day is None else date.fromordinal(day.toordinal() - 1)
