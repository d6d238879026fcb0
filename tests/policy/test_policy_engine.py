"""The compiled Cedar policies decide exactly what a plain reading of the terms says, the
policies validate against the Cedar schema, and every decision carries its reasons."""

from __future__ import annotations

from datetime import date, timedelta

import cedarpy
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.policy.compile import (
    ACTIONS,
    CEDAR_SCHEMA,
    AgreementInput,
    PermitTerm,
    compile_policies,
)
from hallmark.policy.decide import Engine, Request, _cedar_request

ORGS = ["acme", "cloudco", "nova"]
PARENTS: dict[str, str | None] = {
    "acme": None, "cloudco": None, "nova": None, "cloudco/research": "cloudco",
    "cloudco/sales": "cloudco", "nova/lab": "nova", "jane": "cloudco/research", "raj": "nova"}
ASSETS = ["a1", "a2", "a3"]
PURPOSES = ["research", "marketing"]
ACTS = ["share", "train", "redistribute", "download"]
BASE = date(2026, 1, 1)


def chain(party: str) -> list[str]:
    out = [party]
    while PARENTS[out[-1]] is not None:
        out.append(PARENTS[out[-1]])  # type: ignore[arg-type]
    return out


@st.composite
def agreements(draw: st.DrawFn, n: int) -> AgreementInput:
    other = draw(st.sampled_from(ORGS[1:]))
    teams = [p for p in PARENTS if PARENTS[p] == other and p not in ORGS]
    start = BASE + timedelta(days=draw(st.integers(0, 300)))
    expires = draw(st.none() | st.integers(0, 400).map(lambda d: start + timedelta(days=d)))
    ended = draw(st.none() | st.integers(0, 400).map(lambda d: start + timedelta(days=d)))
    permits = tuple(PermitTerm(
        other,
        draw(st.none() | st.lists(st.sampled_from(teams), min_size=1, unique=True).map(tuple))
        if teams else None,
        tuple(draw(st.lists(st.sampled_from(ACTS), min_size=1, unique=True))),
        draw(st.none() | st.lists(st.sampled_from(PURPOSES), min_size=1, unique=True).map(tuple)),
    ) for _ in range(draw(st.integers(0, 2))))
    return AgreementInput(
        f"ag{n}", 1, "data-use", ("acme", other), "acme", start, expires, ended,
        frozenset(draw(st.lists(st.sampled_from(ASSETS), unique=True))), permits,
        tuple(draw(st.lists(st.sampled_from(ACTS), unique=True, max_size=2))))


def reference(ags: list[AgreementInput], owners: dict[str, set[str]], r: Request) -> bool:
    """The terms read plainly: a prohibition binding the requester wins; else a permit or
    ownership allows; else deny."""
    mine = set(chain(r.principal))
    for ag in ags:
        if r.asset in ag.covers and r.action in ag.prohibited and \
                mine & (set(ag.parties) - {ag.discloser}):
            return False
    if mine & owners.get(r.asset, set()):
        return True
    for ag in ags:
        end = min([d for d in (ag.expires, ag.terminated_on and ag.terminated_on
                                - timedelta(days=1)) if d is not None], default=None)
        if r.asset not in ag.covers or r.at < ag.effective or (end and r.at > end):
            continue
        for p in ag.permitted:
            if (r.action in p.actions and mine & set(p.teams or (p.party,))
                    and (p.purposes is None or r.purpose in p.purposes)):
                return True
    return False


WORLDS = st.integers(1, 4).flatmap(lambda k: st.tuples(*[agreements(i) for i in range(k)]))
OWNERS = st.dictionaries(st.sampled_from(ASSETS), st.sets(st.sampled_from(ORGS), max_size=1))
REQUESTS = st.lists(st.builds(Request, st.sampled_from(sorted(PARENTS)), st.sampled_from(ASSETS),
                              st.sampled_from(ACTS),
                              st.integers(-10, 800).map(lambda d: BASE + timedelta(days=d)),
                              st.none() | st.sampled_from(PURPOSES)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(WORLDS, OWNERS, REQUESTS)
def test_decisions_match_a_plain_reading(ags, owners, requests) -> None:  # type: ignore[no-untyped-def]
    ags = list(ags)
    owner_map = {a: {p: "asset register" for p in ps} for a, ps in owners.items()}
    engine = Engine(compile_policies(ags, PARENTS, {}, owner_map, ASSETS))
    decisions = engine.decide(requests)
    unsliced = cedarpy.is_authorized_batch(
        [_cedar_request(r) for r in requests],
        cedarpy.PolicySet.from_str(engine.compiled.cedar()), engine.entities)
    for r, d, whole in zip(requests, decisions, unsliced, strict=True):
        assert d.allowed == reference(ags, owners, r) == whole.allowed, (r, d)
        assert d.reasons
        if d.allowed:
            assert d.policies
        if not d.allowed and not d.policies:
            assert d.reasons[-1] == "deny by default: no agreement term permits this"


def test_policies_validate_against_the_schema() -> None:
    ag = AgreementInput("dua", 2, "data-use", ("acme", "cloudco"), "acme", BASE,
                        date(2027, 12, 31), None, frozenset({"a1", "a2"}),
                        (PermitTerm("cloudco", ("cloudco/research", "cloudco/sales"),
                                    ("share", "train"), ("research",)),),
                        ("redistribute", "sublicense"))
    compiled = compile_policies([ag], PARENTS, {}, {"a1": {"acme": "asset register"}}, ASSETS)
    result = cedarpy.validate_policies(compiled.cedar(), CEDAR_SCHEMA)
    assert result.validation_passed, [str(e) for e in result.errors]
    assert compiled.cedar().count("permit(") == 3 and compiled.cedar().count("forbid(") == 1
    assert set(ACTIONS) >= set(ACTS)


def test_batch_equals_single_and_duplicates_are_answered_once() -> None:
    ag = AgreementInput("dua", 1, "data-use", ("acme", "cloudco"), "acme", BASE, None, None,
                        frozenset({"a1"}), (PermitTerm("cloudco", None, ("share",), None),), ())
    engine = Engine(compile_policies([ag], PARENTS, {}, {}, ASSETS))
    reqs = [Request(p, "a1", "share", BASE) for p in ("jane", "raj", "jane", "cloudco/sales")]
    batch = engine.decide(reqs)
    assert [d.allowed for d in batch] == [True, False, True, True]
    assert [engine.decide([r])[0].allowed for r in reqs] == [d.allowed for d in batch]
    assert batch[0] is not batch[2]


@settings(max_examples=40, deadline=None)
@given(WORLDS, OWNERS, st.lists(REQUESTS.map(lambda rs: rs + rs[:2]), min_size=1, max_size=3))
def test_batched_decisions_equal_one_by_one(ags, owners, batches) -> None:  # type: ignore[no-untyped-def]
    """Grouping, caching and duplicate handling in a batch change no decision and no reason."""
    owner_map = {a: {p: "asset register" for p in ps} for a, ps in owners.items()}
    compiled = compile_policies(list(ags), PARENTS, {}, owner_map, ASSETS)
    batched = Engine(compiled)
    for requests in batches:  # several batches on one engine: its caches are warm after the first
        for r, d in zip(requests, batched.decide(requests), strict=True):
            assert d == Engine(compiled).decide([r])[0], r  # a fresh engine: no cache shared
