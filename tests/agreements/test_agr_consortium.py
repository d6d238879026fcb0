"""A consortium agreement with tens or a hundred members validates, compiles to Cedar and
decides like a two-party one."""

from __future__ import annotations

import json

import pytest

from hallmark import services
from hallmark.agreements.schema import MAX_PARTIES
from hallmark.errors import InputError
from hallmark.schemas import AccessQuery

from .conftest import World, add_agreement, add_party


def _consortium(members: int, joint: int) -> str:
    names = [f"Member {i:03d}" for i in range(1, members)]
    # joint shares in whole percent that add up to 100: the remainder goes to the first
    base, rest = divmod(100, joint)
    shares = {"Acme AI": base + rest, **{n: base for n in names[:joint - 1]}}
    return "\n".join([
        "id: consortium",
        "type: collaboration",
        f"title: Consortium of {members}",
        "parties: [" + ", ".join(["Acme AI", *names]) + "]",
        "effective: 2026-01-01",
        "expires: 2028-12-31",
        "covers: [patients-v3.csv]",
        "permitted:",
        f"  - party: {names[-1]}",
        "    actions: [train, evaluate]",
        "    purposes: [research]",
        "  - party: Member 002",
        "    actions: [view]",
        "prohibited: [redistribute]",
        "ownership:",
        "  - subject: results",
        "    joint: {" + ", ".join(f"{n}: {s}" for n, s in shares.items()) + "}",
        "",
    ])


@pytest.mark.parametrize(("members", "joint"), [(30, 30), (100, 30)])
def test_a_consortium_agreement_works(world: World, cli, members: int, joint: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(1, members):
        add_party(world.vault, f"Member {i:03d}", "organisation", role="partner")
    ag = add_agreement(world.vault, world.write("consortium.yaml", _consortium(members, joint)))
    assert len(ag.parties) == members
    last = f"Member {members - 1:03d}"
    ask = {"asset": "patients-v3.csv", "at": "2026-06-01"}
    got = services.access.check_batch(world.vault, [
        AccessQuery(party=last, action="train", purpose="research", **ask),
        AccessQuery(party=last, action="redistribute", purpose="research", **ask),
        AccessQuery(party="Member 002", action="view", **ask),
        AccessQuery(party="Member 002", action="train", purpose="research", **ask),
        AccessQuery(party="Member 010", action="redistribute", **ask),
    ], actor="test", log=False).decisions
    assert [d.allowed for d in got] == [True, False, True, False, False]
    assert any("prohibited by consortium v1" in r for r in got[4].reasons), got[4].reasons
    out = cli("check", "--party", last, "--asset", "patients-v3.csv", "--action", "evaluate",
              "--purpose", "research", "--at", "2026-06-01", "--json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["agreements"] == ["consortium"]
    shown = cli("agreement", "show", "consortium", "--json")
    assert shown.exit_code == 0, shown.stderr
    owners = cli("ownership", "--json")
    assert owners.exit_code == 0, owners.stderr


def test_the_party_limit_is_a_clear_error(world: World) -> None:
    names = [f"m{i}" for i in range(MAX_PARTIES + 1)]
    text = ("type: nda\ntitle: Too many\nparties: [" + ", ".join(names) + "]\n"
            "effective: 2026-01-01\n")
    with pytest.raises(InputError, match=f"parties.*at most {MAX_PARTIES}"):
        add_agreement(world.vault, world.write("many.yaml", text))
