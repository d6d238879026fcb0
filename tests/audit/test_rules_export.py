"""The export-control audit rules, each firing in the bad case and silent in the good one:
export-unclassified, export-licence-missing, screening-hit, party-country-unknown."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow.csv as pacsv
import pytest
from safetensors.numpy import save_file

from hallmark import Vault, services
from hallmark.audit import RULES
from marks.conftest import make_table

ACTOR = "export-tester"
DUA = """\
id: dua-export
type: data-use
title: Data-use agreement
parties: [Acme AI, CloudCo, Beta Labs]
discloser: Acme AI
effective: 2025-01-01
expires: 2035-12-31
covers: [customers.csv, weights.safetensors]
permitted:
  - party: CloudCo
    actions: [share, download]
  - party: Beta Labs
    actions: [inference, api-access]
governing_law: Delaware, USA
jurisdiction: Courts of Wilmington, Delaware
{licence}"""
LICENCE = "export_licence: {{number: D123456, authority: BIS, expires: {expires}}}\n"


@dataclass
class Partners:
    vault: Vault
    dataset: str
    model: str
    share: str

    def audit(self, cli, rule: str) -> list[dict]:  # type: ignore[no-untyped-def]
        done = cli("audit", "--json", "--rule", rule)
        assert done.exit_code == 0, done.stderr
        return [f for f in json.loads(done.stdout)["findings"] if f["rule"] == rule]

    def country(self, party: str, code: str) -> None:
        services.parties.set_fields(self.vault, party, country=code, actor=ACTOR)

    def classify(self, asset: str, cls: str) -> None:
        services.inventory.set_fields(self.vault, asset, export_control=cls, actor=ACTOR)

    def licence(self, expires: str) -> None:
        services.agreements.amend(self.vault, "dua-export", text=DUA.format(
            licence=LICENCE.format(expires=expires)), actor=ACTOR)


@pytest.fixture
def partners(vault: Vault) -> Partners:
    """Acme AI (US) shared customers.csv with CloudCo (DE) under a data-use agreement that also
    covers a model; Beta Labs (a partner, country unknown) may only run inference."""
    data = vault.root / "data"
    data.mkdir()
    pacsv.write_csv(make_table(1000), data / "customers.csv")
    save_file({"w": np.arange(8, dtype=np.float32)}, str(data / "weights.safetensors"))
    scanned = services.inventory.scan(vault, [data], actor=ACTOR)
    ids = {a.name: a.id for a in scanned.assets}
    services.parties.add(vault, "Acme AI", "organisation", country="US", actor=ACTOR)
    services.parties.add(vault, "CloudCo", "organisation", role="partner", country="DE",
                         actor=ACTOR)
    services.parties.add(vault, "Beta Labs", "organisation", role="partner", actor=ACTOR)
    services.agreements.add(vault, text=DUA.format(licence=""), actor=ACTOR)
    done = services.shares.share(vault, ids["customers.csv"], "CloudCo",
                                 vault.root / "cloudco.csv", actor=ACTOR)
    return Partners(vault, ids["customers.csv"], ids["weights.safetensors"], done.share)


def test_the_rules_are_registered() -> None:
    assert {"export-unclassified", "export-licence-missing", "screening-hit",
            "party-country-unknown"} <= set(RULES)


def test_export_unclassified_fires_for_a_cross_border_share(partners: Partners, cli) -> None:
    found = partners.audit(cli, "export-unclassified")
    assert [(f["asset"], f["subject"], f["severity"]) for f in found] == [
        (partners.dataset, "cloudco", "high")]
    assert "Germany (DE) from United States (US)" in found[0]["message"]
    assert partners.share in found[0]["message"]
    assert "--export-control" in found[0]["remedy"]
    partners.classify(partners.dataset, "EAR99")
    assert partners.audit(cli, "export-unclassified") == []


def test_export_unclassified_is_silent_at_home_and_fires_for_an_unknown_country(
        partners: Partners, cli) -> None:
    partners.country("CloudCo", "US")
    assert partners.audit(cli, "export-unclassified") == []
    _forget_country(partners.vault, "cloudco")  # a border cannot be ruled out
    found = partners.audit(cli, "export-unclassified")
    assert [(f["subject"], f["severity"]) for f in found] == [("cloudco", "medium")]
    assert "country is unknown" in found[0]["message"]


def _forget_country(vault: Vault, party: str) -> None:
    """As if the party had been registered before parties had countries."""
    from sqlalchemy import update

    from hallmark.store.tables import parties

    with vault.engine.begin() as conn:
        conn.execute(update(parties).where(parties.c.id == party).values(country=None))


def test_export_licence_missing_fires_for_a_share_and_a_permitted_transfer(
        partners: Partners, cli) -> None:
    assert partners.audit(cli, "export-licence-missing") == []  # nothing classified
    partners.country("CloudCo", "CN")
    partners.classify(partners.dataset, "3A090.a")
    partners.classify(partners.model, "4E091")
    found = partners.audit(cli, "export-licence-missing")
    by_asset = {f["asset"]: f for f in found}
    assert sorted(by_asset) == sorted([partners.dataset, partners.model])
    assert all(f["subject"] == "cloudco" and f["severity"] == "high" for f in found)
    assert f"was shared (share {partners.share})" in by_asset[partners.dataset]["message"]
    assert "China (CN)" in by_asset[partners.dataset]["message"]
    assert "15 CFR 742.6" in by_asset[partners.dataset]["message"]  # the rule's source
    assert "may be transferred under dua-export" in by_asset[partners.model]["message"]
    assert "export_licence" in by_asset[partners.model]["remedy"]


def test_a_recorded_unexpired_licence_silences_it_and_an_expired_one_does_not(
        partners: Partners, cli) -> None:
    partners.country("CloudCo", "CN")
    partners.classify(partners.model, "4E091")
    partners.licence("2099-12-31")
    assert partners.audit(cli, "export-licence-missing") == []
    partners.licence("2025-06-30")
    assert [f["asset"] for f in partners.audit(cli, "export-licence-missing")] == [
        partners.model]


def test_no_licence_needed_where_the_rules_need_none(partners: Partners, cli) -> None:
    partners.classify(partners.model, "4E091")  # CloudCo is in DE: licence-free under 4E091
    partners.classify(partners.dataset, "not-controlled")
    assert partners.audit(cli, "export-licence-missing") == []
    # Beta Labs (country unknown) may only run inference: not a transfer.
    partners.country("CloudCo", "FR")
    assert partners.audit(cli, "export-licence-missing") == []


def test_an_unreadable_rules_file_is_a_finding_not_a_crash(partners: Partners, cli) -> None:
    (partners.vault.dir / "export-rules.yaml").write_text("rules: [{classification: ZZZ}]\n")
    found = partners.audit(cli, "export-licence-missing")
    assert len(found) == 1 and "could not be read" in found[0]["message"]


def test_screening_hit_fires_for_a_listed_party(partners: Partners, cli) -> None:
    assert partners.audit(cli, "screening-hit") == []  # no list yet
    listed = partners.vault.root / "list.csv"
    listed.write_text("name,country,source\nCloudCo GmbH,CN,Entity List\n"
                      "Gamma Holdings,,Entity List\n")
    services.screening.import_list(partners.vault, listed, actor=ACTOR)
    found = partners.audit(cli, "screening-hit")
    assert [(f["subject"], f["severity"]) for f in found] == [("cloudco", "medium")]
    assert "CloudCo GmbH" in found[0]["message"] and "low confidence" in found[0]["message"]
    partners.country("CloudCo", "CN")  # the same country: higher confidence
    assert [f["severity"] for f in partners.audit(cli, "screening-hit")] == ["high"]
    listed.write_text("name\nGamma Holdings\n")
    services.screening.import_list(partners.vault, listed, actor=ACTOR)
    assert partners.audit(cli, "screening-hit") == []


def test_party_country_unknown_fires_for_a_counterparty(partners: Partners, cli) -> None:
    found = partners.audit(cli, "party-country-unknown")
    assert [(f["subject"], f["severity"]) for f in found] == [("beta-labs", "medium")]
    assert "--country" in found[0]["remedy"]
    partners.country("Beta Labs", "SE")
    assert partners.audit(cli, "party-country-unknown") == []


def test_party_country_unknown_is_high_for_a_recipient_of_shares(vault: Vault,
                                                                 partners: Partners,
                                                                 cli) -> None:
    services.parties.add(vault, "Delta", "organisation", role="partner", actor=ACTOR)
    _forget_country(vault, "cloudco")
    found = {f["subject"]: f["severity"] for f in partners.audit(cli, "party-country-unknown")}
    assert found == {"cloudco": "high", "beta-labs": "medium"}  # Delta is in no agreement
