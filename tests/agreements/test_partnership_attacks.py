"""Red-team attacks on the partnership promises of issue 15 (export control, acknowledged
terms, the export rules file): each test is an attack written first; those that found a gap
are its regression test, the others are evidence that the promise holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hallmark import services
from hallmark.errors import HallmarkError, InputError
from hallmark.schemas import AccessDecision, AccessQuery
from hallmark.store import tables

from .conftest import ACTOR, DUA, World, add_agreement, add_party, set_fields

LICENCE = "{number: D1234567, authority: BIS, expires: 2026-09-30}"


def _check(world: World, party: str = "CloudCo", *, team: str | None = "research",
           action: str = "download", at: str = "2026-06-01", person: str | None = None,
           asset: str | None = None) -> AccessDecision:
    return services.access.check(world.vault, party, asset or world.dataset, action, team=team,
                                 purpose="diagnostics-research", at=at, person=person,
                                 actor=ACTOR)


def _log_size(world: World) -> int:
    with world.vault.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def _rules(world: World, text: str) -> Path:
    path = world.vault.dir / "export-rules.yaml"
    path.write_text(text)
    return path


def _rule(classification: str, *countries: str) -> str:
    listed = ", ".join(f'"{c}"' for c in countries)
    return (f'rules:\n  - classification: "{classification}"\n'
            f"    licence_required_for: [{listed}]\n")


@pytest.fixture
def abroad(world: World) -> World:
    """CloudCo in China under the DUA, Acme AI at home in the US, the dataset 4E091."""
    services.parties.set_fields(world.vault, "CloudCo", country="CN", actor=ACTOR)
    services.parties.set_fields(world.vault, "Acme AI", country="US", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="4E091")
    add_agreement(world.vault, world.write("dua.yaml", DUA))
    return world


# -- 1. export licences ---------------------------------------------------------------------

def test_joint_ownership_does_not_carry_a_controlled_asset_abroad(world: World) -> None:
    # gap: the owners' policy admitted every owner whatever the export rules said, so an
    # ownership term naming the foreign partner a joint owner released the asset unlicensed
    services.parties.set_fields(world.vault, "CloudCo", country="CN", actor=ACTOR)
    services.parties.set_fields(world.vault, "Acme AI", country="US", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="4E091")
    joint = DUA.replace("  - subject: improvements",
                        f"  - subject: {world.dataset}\n    joint: {{Acme AI: 50, CloudCo: 50}}\n"
                        "  - subject: improvements")
    add_agreement(world.vault, world.write("dua.yaml", joint))
    denied = _check(world, team=None)
    assert not denied.allowed, denied.reasons
    assert any("export licence required" in r and "to CN" in r for r in denied.reasons)
    assert _check(world, "Acme AI", team=None).allowed  # the owner at home still may
    assert _check(world, team=None, action="inference").allowed  # the asset stays with us


def test_a_register_owner_abroad_needs_the_licence_too(world: World) -> None:
    services.parties.set_fields(world.vault, "CloudCo", country="CN", actor=ACTOR)
    set_fields(world.vault, world.dataset, export_control="4E091", owner="CloudCo")
    assert not _check(world, team=None).allowed
    services.parties.set_fields(world.vault, "CloudCo", country="DE", actor=ACTOR)
    assert _check(world, team=None).allowed


def test_a_licence_recorded_by_another_agreement_does_not_cover_this_one(abroad: World) -> None:
    add_party(abroad.vault, "Lumen", "organisation", role="partner")
    services.parties.set_fields(abroad.vault, "Lumen", country="SG", actor=ACTOR)
    other = (DUA.replace("dua-cloudco", "dua-lumen")
             .replace("    teams: [CloudCo/research]          # omitted: any team of that party\n",
                      "").replace("CloudCo", "Lumen")
             .replace("renewal:", f"export_licence: {LICENCE}\nrenewal:"))
    add_agreement(abroad.vault, abroad.write("lumen.yaml", other))
    assert _check(abroad, "Lumen", team=None).allowed
    assert not _check(abroad).allowed  # CloudCo's agreement records none


def test_termination_amendment_and_dates_end_what_a_licence_allowed(abroad: World) -> None:
    licensed = DUA.replace("renewal:", f"export_licence: {LICENCE}\nrenewal:")
    services.agreements.amend(abroad.vault, "dua-cloudco", text=licensed, actor=ACTOR)
    assert _check(abroad).allowed
    assert not _check(abroad, at="2025-12-31").allowed  # before the agreement
    assert not _check(abroad, at="2026-10-01").allowed  # the licence has expired
    services.agreements.amend(abroad.vault, "dua-cloudco", text=DUA, actor=ACTOR)
    assert not _check(abroad).allowed  # the amendment dropped the licence
    services.agreements.amend(abroad.vault, "dua-cloudco", text=licensed, actor=ACTOR)
    services.agreements.terminate(abroad.vault, "dua-cloudco", "2026-05-01", actor=ACTOR)
    assert not _check(abroad).allowed


def test_share_batch_and_check_agree(abroad: World, tmp_path: Path) -> None:
    from hallmark.errors import PolicyDenied

    queries = [AccessQuery(party="CloudCo", asset=abroad.dataset, action=a, team="research",
                           purpose="diagnostics-research") for a in ("share", "download")]
    batch = services.access.check_batch(abroad.vault, queries, actor=ACTOR)
    assert [d.allowed for d in batch.decisions] == [False, False]
    file = tmp_path / "batch.jsonl"
    file.write_text("\n".join(q.model_dump_json(exclude_none=True) for q in queries))
    assert not any(d.allowed for d in services.access.check_batch(
        abroad.vault, file, actor=ACTOR).decisions)
    with pytest.raises(PolicyDenied):
        services.shares.share(abroad.vault, abroad.dataset, "CloudCo", tmp_path / "c.csv",
                              team="research", purpose="diagnostics-research", actor=ACTOR)


@pytest.mark.parametrize(("rule", "asset", "needed"), [
    ("5A002", "5A002.a.1", True),        # a rule for an entry covers its sub-paragraphs
    ("5A002.a.1", "5A002a1", True),      # EU spelling without dots is the same entry
    ("5a002a1", "5A002.a.1", True),
    ("5A002.a", "5A002.a.12", True),
    ("5A002.a.1", "5A002.a.12", False),  # a.12 is not a sub-paragraph of a.1
    ("5A002.a", "5A002.b", False),
    ("5A002*", "5A002", True),
    ("4E091", "4E091.a", True),
    ("4E091", "4E09", None),             # not a classification at all
])
def test_classification_spellings_and_sub_paragraphs(abroad: World, rule: str, asset: str,
                                                     needed: bool | None) -> None:
    # gap: a rule matched only the exact spelling, so 5A002.a.1 escaped a rule for 5A002, and
    # 5A002a1 one for 5A002.a.1
    _rules(abroad, _rule(rule, "CN"))
    if needed is None:
        with pytest.raises(InputError) as caught:
            set_fields(abroad.vault, abroad.dataset, export_control=asset)
        assert caught.value.field == "export_control"
        return
    set_fields(abroad.vault, abroad.dataset, export_control=asset)
    assert _check(abroad).allowed is not needed


def test_the_first_rule_wins_and_all_except_counts_unknown_countries(abroad: World) -> None:
    _rules(abroad, 'rules:\n  - classification: "4E091*"\n    all_except: [US]\n'
                   '  - classification: "4E091"\n    licence_required_for: ["IR"]\n')
    assert not _check(abroad).allowed
    services.parties.set_fields(abroad.vault, "CloudCo", country="US", actor=ACTOR)
    assert _check(abroad).allowed
    _rules(abroad, "rules: []\n")  # the vault says nothing is controlled: its choice
    services.parties.set_fields(abroad.vault, "CloudCo", country="CN", actor=ACTOR)
    assert _check(abroad).allowed


@pytest.mark.parametrize("text", [
    "",                                                        # empty file
    "rules:\n  - classification: 4E091\n    licence_required_for: [NO]\n",  # bare NO
    "rules:\n  - classification: \"4E*\"\n    all_except: [US]\n",  # wildcard too wide
    "rules:\n  - classification: \"4E091\"\n",                 # neither list
    "rules: &a [*a]\n",                                        # alias
    "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b]\n",
    "rules:\n" + "  - classification: \"4E091\"\n    all_except: [US]\n" * 1001,
    "rules: [" * 200 + "]" * 200,
    "\x00rules: []\n",
    "rules:\n  - classification: \"4E091\"\n    all_except: [XX]\n",
])
def test_a_bad_rules_file_never_allows(abroad: World, text: str) -> None:
    _rules(abroad, text)
    before = _log_size(abroad)
    with pytest.raises(InputError) as caught:
        _check(abroad)
    # the file's own field (rules[0].all_except[0]) or the parameter that brought it
    assert caught.value.field in ("export_rules", "rules") or str(
        caught.value.field).startswith("rules[")
    assert "export-rules.yaml" in str(caught.value)
    assert _log_size(abroad) == before


def test_a_huge_non_utf8_or_unreadable_rules_file_never_allows(abroad: World) -> None:
    path = abroad.vault.dir / "export-rules.yaml"
    path.write_bytes(b"rules: []\n" + b"#" * (2 << 20))
    with pytest.raises(InputError):
        _check(abroad)
    path.write_bytes(b"rules: []\n# \xff\xfe\n")
    with pytest.raises(InputError):
        _check(abroad)
    path.unlink()
    path.mkdir()
    with pytest.raises(HallmarkError):
        _check(abroad)
    path.rmdir()
    if os.geteuid() != 0:
        path.write_text("rules: []\n")
        path.chmod(0)
        with pytest.raises(HallmarkError):
            _check(abroad)
        path.chmod(0o600)


def test_a_dangling_rules_link_is_an_error_not_the_shipped_example(abroad: World,
                                                                     tmp_path: Path) -> None:
    # gap: a symlink to a file that is gone read as "no rules file" and fell back to the
    # shipped example, which allows what the vault's own rules may deny
    path = abroad.vault.dir / "export-rules.yaml"
    path.unlink()
    path.symlink_to(tmp_path / "gone.yaml")
    with pytest.raises(HallmarkError) as caught:
        _check(abroad)
    assert caught.value.field == "export_rules"
    path.unlink()  # a vault with no file at all: the shipped example, which denies this
    assert not _check(abroad).allowed


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(abroad: World) -> None:
    # gap: the parsed file was kept by size, inode and mtime, so an edit of the same size whose
    # mtime was restored (cp -p, touch -r, an editor that keeps times) was not seen
    path = _rules(abroad, _rule("4E091", "CN"))
    assert not _check(abroad).allowed
    stamp = path.stat()
    with path.open("r+") as fh:  # same inode, same size
        fh.write(_rule("4E091", "IR"))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert _check(abroad).allowed


def test_two_vaults_in_one_process_keep_their_own_rules(abroad: World, tmp_path: Path) -> None:
    from hallmark import Vault

    other_root = tmp_path / "other"
    other_root.mkdir()
    other = Vault.create(other_root) if hasattr(Vault, "create") else None
    if other is None:
        pytest.skip("no Vault.create")
    _rules(abroad, _rule("4E091", "CN"))
    (other.dir / "export-rules.yaml").write_text(_rule("4E091", "IR"))
    from hallmark.agreements.export import load_rules

    assert load_rules(abroad.vault.dir).rules[0].required_for == {"CN"}
    assert load_rules(other.dir).rules[0].required_for == {"IR"}
    assert not _check(abroad).allowed


def test_a_person_or_team_inherits_a_country_only_when_it_has_none(abroad: World) -> None:
    add_party(abroad.vault, "Wei Zhang", "person", member_of="CloudCo/research")
    assert not _check(abroad, person="Wei Zhang").allowed  # CN, from CloudCo
    services.parties.set_fields(abroad.vault, "CloudCo/research", country="DE", actor=ACTOR)
    assert _check(abroad, person="Wei Zhang").allowed  # the team is in Germany


# -- 2. acknowledged terms ------------------------------------------------------------------

REQUIRE = DUA.replace("renewal:", "require_acknowledgement: true\nrenewal:")


@pytest.fixture
def staffed(world: World) -> World:
    add_agreement(world.vault, world.write("dua.yaml", REQUIRE))
    add_party(world.vault, "Wei Zhang", "person", member_of="CloudCo/research")
    add_party(world.vault, "Wei Zhang Jr", "person", member_of="CloudCo/research")
    add_party(world.vault, "Other Org", "organisation")
    add_party(world.vault, "Ann Lee", "person", member_of="Other Org")
    return world


def _ack(world: World, person: str) -> None:
    services.acknowledgements.acknowledge(world.vault, "dua-cloudco", person, actor=ACTOR)


def test_an_acknowledgement_by_a_similar_name_does_not_count(staffed: World) -> None:
    _ack(staffed, "Wei Zhang Jr")
    assert not _check(staffed, person="Wei Zhang").allowed
    assert _check(staffed, person="Wei Zhang Jr").allowed


def test_an_old_version_acknowledged_does_not_admit_after_an_amendment(staffed: World) -> None:
    _ack(staffed, "Wei Zhang")
    assert _check(staffed, person="Wei Zhang").allowed  # and the snapshot is now cached
    services.agreements.amend(staffed.vault, "dua-cloudco",
                              text=REQUIRE.replace("3y", "4y"), actor=ACTOR)
    assert not _check(staffed, person="Wei Zhang").allowed
    _ack(staffed, "Wei Zhang")
    assert _check(staffed, person="Wei Zhang").allowed


def test_a_person_of_another_organisation_cannot_borrow_the_team(staffed: World) -> None:
    _ack(staffed, "Ann Lee")  # acknowledging the terms does not make Ann a member
    with pytest.raises(InputError) as caught:
        _check(staffed, person="Ann Lee")
    assert caught.value.field == "person"


def test_acknowledging_an_ended_agreement_or_as_a_team_is_refused(staffed: World) -> None:
    before = _log_size(staffed)
    for person, field in (("CloudCo/research", "person"), ("Nobody", "person")):
        with pytest.raises(HallmarkError) as caught:
            _ack(staffed, person)
        assert caught.value.field == field
    services.agreements.terminate(staffed.vault, "dua-cloudco", "2026-01-02", actor=ACTOR)
    after_termination = _log_size(staffed)
    assert after_termination == before + 1
    with pytest.raises(InputError) as ended:
        _ack(staffed, "Wei Zhang")
    assert ended.value.field == "agreement_id"
    assert _log_size(staffed) == after_termination


def test_a_person_party_to_the_agreement_must_acknowledge_too(world: World) -> None:
    add_party(world.vault, "Ida Novak", "person")  # a consultant, party in her own name
    terms = (REQUIRE.replace("[Acme AI, CloudCo]", "[Acme AI, Ida Novak]")
             .replace("  - party: CloudCo\n    teams: [CloudCo/research]"
                      "          # omitted: any team of that party\n",
                      "  - party: Ida Novak\n"))
    add_agreement(world.vault, world.write("dua.yaml", terms))
    assert not _check(world, "Ida Novak", team=None).allowed
    assert not _check(world, "Ida Novak", team=None, person="Ida Novak").allowed
    _ack(world, "Ida Novak")
    assert _check(world, "Ida Novak", team=None, person="Ida Novak").allowed
