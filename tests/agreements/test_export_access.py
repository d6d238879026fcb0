"""Export control and acknowledged terms in access decisions (issue 15): `check` and `share`
deny a transfer that needs an export licence the agreement does not record, and a person who
has not acknowledged terms that require it; both with the reason, both decided by Cedar."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from hallmark import services
from hallmark.errors import InputError, NotFound
from hallmark.schemas import AccessDecision
from hallmark.store import tables
from hallmark.store.clock import utcnow

from .conftest import ACTOR, DUA, World, add_agreement, add_party, set_fields


def _check(world: World, *, party: str = "CloudCo", team: str | None = "research",
           action: str = "train", at: str = "2026-06-01", person: str | None = None,
           asset: str | None = None) -> AccessDecision:
    return services.access.check(world.vault, party, asset or world.dataset, action, team=team,
                                 purpose="diagnostics-research", at=at, person=person,
                                 actor=ACTOR)


def _licensed(text: str, licence: str) -> str:
    return text.replace("renewal:", f"export_licence: {licence}\nrenewal:")


def _log_size(world: World) -> int:
    with world.vault.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


@pytest.fixture
def abroad(world: World) -> World:
    """CloudCo in China, the dataset classified 4E091 (needs a licence outside the allies)."""
    services.parties.set_fields(world.vault, "CloudCo", country="CN", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="4e091")
    return world


def test_a_controlled_transfer_abroad_is_denied_without_a_licence_with_the_reason(
        abroad: World) -> None:
    add_agreement(abroad.vault, abroad.write("dua.yaml", DUA))
    decision = _check(abroad)
    assert not decision.allowed
    assert any("export licence required" in r and "4E091" in r and "to CN" in r
               and "dua-cloudco records no export licence" in r and "90 FR 4544" in r
               for r in decision.reasons), decision.reasons
    # the team inherits its organisation's country; inference keeps the asset on our side
    assert not _check(abroad, action="download").allowed


def test_a_recorded_licence_allows_it_until_it_expires(abroad: World) -> None:
    add_agreement(abroad.vault, abroad.write("dua.yaml", _licensed(
        DUA, "{number: D1234567, authority: BIS, expires: 2026-09-30}")))
    assert _check(abroad).allowed
    late = _check(abroad, at="2026-10-01")
    assert not late.allowed
    assert any("export licence D1234567 under dua-cloudco expired on 2026-09-30" in r
               for r in late.reasons), late.reasons


def test_an_allied_destination_or_an_uncontrolled_asset_needs_no_licence(world: World) -> None:
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    services.parties.set_fields(world.vault, "CloudCo", country="DE", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="4E091")
    assert _check(world).allowed
    services.parties.set_fields(world.vault, "CloudCo", country="CN", actor=ACTOR)
    assert not _check(world).allowed
    set_fields(world.vault, world.dataset, export_control="not-controlled")
    assert _check(world).allowed


def test_an_unknown_country_needs_the_licence_a_controlled_asset_needs(world: World) -> None:
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    set_fields(world.vault, world.dataset, export_control="EAR99")
    assert not _check(world).allowed  # CloudCo has no country
    reasons = " ".join(_check(world).reasons)
    assert "whose country is unknown" in reasons
    services.parties.set_fields(world.vault, "CloudCo", country="FR", actor=ACTOR)
    assert _check(world).allowed  # EAR99 needs a licence only for the embargoed destinations


def test_a_team_abroad_of_a_domestic_organisation_is_decided_by_its_own_country(
        world: World) -> None:
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    services.parties.set_fields(world.vault, "CloudCo", country="US", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="5A002.a.1")
    assert _check(world).allowed
    services.parties.set_fields(world.vault, "CloudCo/research", country="RU", actor=ACTOR)
    assert not _check(world).allowed


def test_share_is_denied_and_writes_nothing(abroad: World, tmp_path: Path) -> None:
    from hallmark.errors import PolicyDenied

    add_agreement(abroad.vault, abroad.write("dua.yaml", DUA))
    out = tmp_path / "copy.csv"
    with pytest.raises(PolicyDenied, match="export licence required"):
        services.shares.share(abroad.vault, abroad.dataset, "CloudCo", out, team="research",
                              purpose="diagnostics-research", actor=ACTOR)
    assert not out.exists()


def test_the_rules_file_is_read_and_a_change_is_seen_at_once(abroad: World) -> None:
    add_agreement(abroad.vault, abroad.write("dua.yaml", DUA))
    assert not _check(abroad).allowed
    rules = abroad.vault.dir / "export-rules.yaml"
    assert "4E091" in rules.read_text()  # seeded at init
    rules.write_text('rules:\n  - classification: "4E091"\n    licence_required_for: [IR]\n')
    assert _check(abroad).allowed
    import hashlib
    import json

    with abroad.vault.read() as conn:
        last = json.loads(conn.execute(select(tables.events.c.entry).where(
            tables.events.c.type == "access.decided").order_by(
            tables.events.c.seq.desc())).scalars().first())
    assert last["payload"]["export_rules_sha256"] == hashlib.sha256(
        rules.read_bytes()).hexdigest()  # each decision names the rules that decided it
    rules.write_text("rules: [oops\n")
    with pytest.raises(InputError, match="export-rules.yaml"):
        _check(abroad)


REQUIRE = DUA.replace("renewal:", "require_acknowledgement: true\nrenewal:")


@pytest.fixture
def staffed(world: World) -> World:
    add_party(world.vault, "Wei Zhang", "person", member_of="CloudCo/research")
    add_party(world.vault, "Ann Lee", "person", member_of="CloudCo/sales")
    add_party(world.vault, "Bo Li", "person", member_of="CloudCo")
    return world


def _acknowledge(world: World, person: str, version: int) -> None:
    # the acknowledgement command's row (issue 15 item 3), written as its service does
    with world.vault.transaction(ACTOR) as txn:
        seq = txn.log.append("terms.acknowledged", {"agreement": "dua-cloudco",
                                                    "person": person, "version": version},
                             ["dua-cloudco", person])
        txn.conn.execute(insert(tables.acknowledgements).values(
            agreement="dua-cloudco", person=person, version=version, kind="read", seq=seq,
            acknowledged=utcnow()))


def test_a_person_must_have_acknowledged_the_version_in_force(staffed: World) -> None:
    add_agreement(staffed.vault, staffed.write("dua.yaml", REQUIRE))
    assert _check(staffed).allowed  # the team itself: no person named
    denied = _check(staffed, person="Wei Zhang")
    assert not denied.allowed and denied.request.person == "wei-zhang"
    assert any("unacknowledged terms: Wei Zhang has not acknowledged the terms of dua-cloudco "
               "v1" in r for r in denied.reasons), denied.reasons
    _acknowledge(staffed, "wei-zhang", 1)
    assert _check(staffed, person="Wei Zhang").allowed
    services.agreements.amend(staffed.vault, "dua-cloudco", staffed.write("v2.yaml", REQUIRE),
                              actor=ACTOR)
    assert not _check(staffed, person="Wei Zhang").allowed  # v2 is not acknowledged yet
    _acknowledge(staffed, "wei-zhang", 2)
    assert _check(staffed, person="Wei Zhang").allowed


def test_without_the_requirement_a_person_is_decided_as_the_team(staffed: World) -> None:
    add_agreement(staffed.vault, staffed.write("dua.yaml", DUA))
    assert _check(staffed, person="Wei Zhang").allowed
    # a person outside the permitted team is not admitted by the team's permit
    assert not _check(staffed, team=None, person="Bo Li").allowed


def test_person_must_be_a_person_inside_the_party_or_team(staffed: World) -> None:
    add_agreement(staffed.vault, staffed.write("dua.yaml", REQUIRE))
    before = _log_size(staffed)
    for person, message in (("Ann Lee", "not a member of 'CloudCo/research'"),
                            ("CloudCo/sales", "is a team, not a person"),
                            ("Acme AI", "is an organisation, not a person")):
        with pytest.raises(InputError, match=message) as caught:
            _check(staffed, person=person)
        assert caught.value.field == "person"
    with pytest.raises(NotFound) as missing:
        _check(staffed, person="Nobody")
    assert missing.value.field == "person"
    assert _log_size(staffed) == before


def test_the_compiled_policies_still_validate_against_the_schema(staffed: World) -> None:
    import cedarpy

    from hallmark.agreements.access import Snapshot
    from hallmark.agreements.export import load_rules
    from hallmark.policy.compile import CEDAR_SCHEMA

    add_agreement(staffed.vault, staffed.write("dua.yaml", _licensed(
        REQUIRE, "{number: L-1, authority: BAFA, expires: 2027-01-01}")))
    set_fields(staffed.vault, staffed.dataset, export_control="4E091")
    with staffed.vault.read() as conn:
        compiled = Snapshot(conn, load_rules(staffed.vault.dir)).engine.compiled
    result = cedarpy.validate_policies(compiled.cedar(), CEDAR_SCHEMA)
    assert result.validation_passed, result.errors


def test_the_command_line_shows_the_reasons_and_exits_3(staffed: World, cli) -> None:  # type: ignore[no-untyped-def]
    add_agreement(staffed.vault, staffed.write("dua.yaml", REQUIRE))
    assert cli("party", "set", "CloudCo", "--country", "cn").exit_code == 0
    assert cli("asset", "set", "patients-v3.csv", "--export-control", "4E091").exit_code == 0
    base = ("check", "--party", "CloudCo", "--team", "research", "--asset", "patients-v3.csv",
            "--action", "train", "--purpose", "diagnostics-research", "--at", "2026-06-01")
    out = cli(*base, "--person", "Wei Zhang")
    assert out.exit_code == 3
    assert "deny wei-zhang train" in out.stdout
    assert "export licence required" in out.stdout and "unacknowledged terms" in out.stdout
    bad = cli("party", "set", "CloudCo", "--country", "XX")
    assert bad.exit_code == 2 and "--country" in bad.stderr and "ISO 3166-1" in bad.stderr
    bad = cli("asset", "set", "patients-v3.csv", "--export-control", "4E09")
    assert bad.exit_code == 2 and "--export-control" in bad.stderr
    shown = cli("asset", "show", "patients-v3.csv", "--json")
    assert '"export_control": "4E091"' in shown.stdout
