"""Access decisions with cedarpy over compiled agreements, and the reasons for each (pure).

Cedar decides; `explain` only words the decision: for an allow it names the permit (or the
ownership) that determined it, for a deny the forbid that fired or, when nothing permitted it,
why each candidate term did not apply (uncovered asset, action, team, purpose, dates).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from copy import copy
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, NamedTuple

import cedarpy

from hallmark.policy.compile import (
    OWNER_POLICY,
    RELEASE_ACTIONS,
    Compiled,
    Grant,
    yyyymmdd,
)

MAX_SLICES = 65_536


class Request(NamedTuple):
    """One access question: may `principal` do `action` with `asset` on `at` for `purpose`?"""

    principal: str
    asset: str
    action: str
    at: date
    purpose: str | None = None


@dataclass
class Decision:
    """The answer: allowed or not, why, and which agreements and policies decided it."""

    allowed: bool
    reasons: list[str]
    agreements: list[str]
    policies: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON form commands print."""
        return asdict(self)


class Engine:
    """Compiled agreements, ready to decide. Each request is evaluated against the exact slice
    of policies that can apply to it; slices are parsed once and cached."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        self.entities = cedarpy.Entities.from_json_str(compiled.entities_json())
        self._slices: dict[tuple[str, ...], cedarpy.PolicySet] = {}
        self._chains: dict[str, list[str]] = {}
        self._by_org: dict[str, list[Grant]] = {}
        self._by_org_asset: dict[tuple[str, str], list[Grant]] = {}
        for grant in compiled.grants.values():
            org = compiled.chain(grant.principal)[-1]
            self._by_org.setdefault(org, []).append(grant)
            for asset in grant.covers:
                self._by_org_asset.setdefault((org, asset), []).append(grant)
        # Most denials name the same agreements again and again (an organisation's, or those
        # covering one asset for it): sort each set once, not once per request.
        self._named_by_org = {org: sorted({g.agreement for g in grants})
                              for org, grants in self._by_org.items()}
        self._named_by_org_asset: dict[tuple[str, str], list[str]] = {}

    def _chain(self, principal: str) -> list[str]:
        found = self._chains.get(principal)
        if found is None:
            found = self._chains[principal] = self.compiled.chain(principal)
        return found

    def _slice(self, req: Request) -> tuple[tuple[str, ...], cedarpy.PolicySet | None]:
        policies = self.compiled.slice_for(self._chain(req.principal), req.asset, req.action)
        key = tuple(pid for pid, _ in policies)
        if not key:
            return key, None
        found = self._slices.get(key)
        if found is None:
            if len(self._slices) >= MAX_SLICES:
                self._slices.clear()
            found = cedarpy.PolicySet.from_str("\n".join(text for _, text in policies))
            self._slices[key] = found
        return key, found

    def decide(self, requests: Sequence[Request]) -> list[Decision]:
        """Decide every request (identical ones once), in order."""
        # Requests reaching Cedar are grouped by slice, one call per slice: evaluating a batch
        # against the union of its slices instead was measured ten times slower, as Cedar
        # evaluates every policy of the set for every request.
        answers: dict[Request, Decision | None] = dict.fromkeys(requests)
        groups: dict[tuple[str, ...], tuple[cedarpy.PolicySet, list[Request]]] = {}
        for req in answers:
            key, policies = self._slice(req)
            if policies is None:
                # no policy can apply: Cedar's answer for an empty policy set is deny
                answers[req] = self.explain(req, False, [])
            else:
                group = groups.get(key)
                if group is None:
                    group = groups[key] = (policies, [])
                group[1].append(req)
        for policies, reqs in groups.values():
            results = cedarpy.is_authorized_batch([_cedar_request(r) for r in reqs], policies,
                                                  self.entities)
            for req, result in zip(reqs, results, strict=True):
                diagnostics = result.diagnostics
                ids = diagnostics.id_annotations_by_reason
                fired = [ids.get(p, p) for p in diagnostics.reasons]
                answers[req] = self.explain(req, result.allowed, fired)
        if len(answers) == len(requests):
            return [answers[r] for r in requests]  # type: ignore[misc]
        return [copy(answers[r]) for r in requests]  # type: ignore[misc]  # callers annotate each

    def explain(self, req: Request, allowed: bool, fired: list[str]) -> Decision:
        """Word a Cedar decision: `fired` are the ids of the policies that determined it."""
        c = self.compiled
        fired = sorted(fired) if fired else fired  # most denials have nothing to sort
        if allowed:
            reasons, agreements = [], []
            for pid in fired:
                if pid == OWNER_POLICY:
                    for party in c.chain(req.principal):
                        source = c.owners.get(req.asset, {}).get(party)
                        if source:
                            reasons.append(f"{self._name(party)} owns {req.asset} ({source})")
                elif pid in c.grants:
                    g = c.grants[pid]
                    agreements.append(g.agreement)
                    reasons.append(f"permitted by {g.agreement} v{g.version} "
                                   f"permitted[{g.term}]: {self._describe(g)}")
            return Decision(True, reasons, sorted(set(agreements)), list(fired))
        forbids = [c.prohibitions[p] for p in fired if p in c.prohibitions]
        if forbids:
            return Decision(False, [f"prohibited by {f.agreement} v{f.version}: {req.action} is "
                                    f"prohibited for {self._name(f.party)}" for f in forbids],
                            sorted({f.agreement for f in forbids}), list(fired))
        reasons, examined = self._why_not(req)
        reasons += self._owner_export(req)
        reasons.append("deny by default: no agreement term permits this")
        return Decision(False, reasons, examined, [])

    def _why_not(self, req: Request) -> tuple[list[str], list[str]]:
        chain = self._chain(req.principal)
        org = chain[-1]
        mine = self._by_org.get(org, [])
        if not mine:
            return [f"no agreement grants {self._name(org)} any rights"], []
        covering = self._by_org_asset.get((org, req.asset), [])
        if not covering:
            named = self._named_by_org[org]
            return [f"uncovered asset: {req.asset} is not covered by any agreement that grants "
                    f"{self._name(org)} rights ({', '.join(named)})"], list(named)
        reasons = []
        for g in covering:
            for why in self._failures(g, req, chain):
                reasons.append(f"{g.agreement} v{g.version} permitted[{g.term}]: {why}")
        cached = self._named_by_org_asset.get((org, req.asset))
        if cached is None:
            cached = self._named_by_org_asset[org, req.asset] = sorted(
                {g.agreement for g in covering})
        return reasons, list(cached)

    def _failures(self, g: Grant, req: Request, chain: list[str]) -> list[str]:
        out = []
        if req.action not in g.actions:
            out.append(f"action {req.action} is not permitted (permits {', '.join(g.actions)})")
        if g.principal not in chain:
            asked = self._name(req.principal)
            out.append(f"unpermitted team: only {self._name(g.principal)} may (asked as "
                       f"{asked}; name a permitted team)")
        if g.purposes is not None and req.purpose not in g.purposes:
            given = f"purpose {req.purpose!r}" if req.purpose else "no purpose given"
            out.append(f"unpermitted purpose: {given} (permits {', '.join(g.purposes)})")
        if req.at < g.effective:
            out.append(f"not yet effective: starts {g.effective.isoformat()}")
        if g.terminated_on is not None and req.at >= g.terminated_on:
            out.append(f"terminated on {g.terminated_on.isoformat()}")
        elif g.expires is not None and req.at > g.expires:
            out.append(f"expired on {g.expires.isoformat()}")
        out += self._export_failure(g, req)
        c = self.compiled
        if g.acknowledge and req.principal in c.persons and \
                g.agreement not in c.acknowledged.get(req.principal, ()):
            out.append(f"unacknowledged terms: {self._name(req.principal)} has not "
                       f"acknowledged the terms of {g.agreement} v{g.version}, which requires "
                       "it of every person it admits")
        return out or ["did not apply"]

    def _export_failure(self, g: Grant, req: Request) -> list[str]:
        control = self.compiled.export.get(req.asset)
        if control is None or req.action not in RELEASE_ACTIONS:
            return []
        country = self.compiled.countries.get(req.principal, "")
        if country not in control.destinations:
            return []
        where = f"to {country}" if country else \
            f"to {self._name(req.principal)}, whose country is unknown"
        needs = (f"export licence required: {req.asset} is classified {control.classification},"
                 f" which needs a licence {where} ({control.source})")
        if g.licence is None:
            return [f"{needs}; {g.agreement} records no export licence"]
        if g.licence_expires is not None and req.at > g.licence_expires:
            return [f"{needs}; export licence {g.licence} under {g.agreement} expired on "
                    f"{g.licence_expires.isoformat()}"]
        return []

    def _owner_export(self, req: Request) -> list[str]:
        """Why the owners' policy did not admit an owner: owning is no export licence."""
        owners = self.compiled.owners.get(req.asset, {})
        control = self.compiled.export.get(req.asset)
        owner = next((p for p in self._chain(req.principal) if p in owners), None)
        if owner is None or control is None or req.action not in RELEASE_ACTIONS:
            return []
        country = self.compiled.countries.get(req.principal, "")
        where = f"to {country}" if country else "to a party whose country is unknown"
        return [f"{self._name(owner)} owns {req.asset} ({owners[owner]}), but owning it is no "
                f"export licence: {req.asset} is classified {control.classification}, which "
                f"needs a licence {where} ({control.source})"]

    def _describe(self, g: Grant) -> str:
        span = f"{g.effective.isoformat()} to {g.last_day.isoformat() if g.last_day else 'open'}"
        purposes = f" for {', '.join(g.purposes)}" if g.purposes else " for any purpose"
        return f"{self._name(g.principal)} may {', '.join(g.actions)}{purposes}, {span}"

    def _name(self, party: str) -> str:
        return self.compiled.names.get(party, party)


def _cedar_request(req: Request) -> dict[str, Any]:
    # the context as the JSON text cedarpy passes on (it would json.dumps a dict per request)
    context = f'{{"date": {yyyymmdd(req.at)}'
    if req.purpose is not None:
        context += f', "purpose": {json.dumps(req.purpose)}'
    return {"principal": {"type": "Party", "id": req.principal},
            "action": {"type": "Action", "id": req.action},
            "resource": {"type": "Asset", "id": req.asset},
            "context": context + "}"}
