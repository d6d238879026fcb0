"""The close-out of an agreement revokes its partners' API tokens (and those of their teams and
people) in the same transaction, one `token.revoked` each, and keeps the token of a partner that
still has another agreement in force, saying why; other parties' and staff tokens stay valid."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from closeout.conftest import Partnership, log_size, logged, partnership, terminate
from hallmark import Unauthenticated, services

ACTOR = "tester"
__all__ = ["partnership"]  # the fixture, imported for its use here
OTHER = """\
id: nda-cloudco
type: nda
title: CloudCo follow-on
parties: [Acme AI, CloudCo]
effective: 2025-01-01
expires: 2030-12-31
covers: [customers.csv]
"""


def test_close_out_revokes_the_partners_tokens_only(partnership: Partnership,
                                                    cli: Callable[..., Any],
                                                    tmp_path: Path) -> None:
    vault = partnership.vault
    tokens = services.tokens
    services.parties.add(vault, "ML", "team", member_of="Beta Labs", actor=ACTOR)
    services.parties.add(vault, "Gamma", "organisation", actor=ACTOR)
    beta = tokens.create(vault, "partner", party="Beta Labs", note="Beta ETL", actor=ACTOR)
    beta_ml = tokens.create(vault, "partner", party="Beta Labs/ML", actor=ACTOR)
    cloudco = tokens.create(vault, "partner", party="CloudCo", actor=ACTOR)
    gamma = tokens.create(vault, "partner", party="Gamma", actor=ACTOR)
    admin = tokens.create(vault, "admin", actor=ACTOR)
    old = tokens.create(vault, "partner", party="Beta Labs", actor=ACTOR)
    tokens.revoke(vault, old.record.id, reason="rotated", actor=ACTOR)
    (tmp_path / "other.yaml").write_text(OTHER)
    assert cli("agreement", "add", str(tmp_path / "other.yaml")).exit_code == 0
    terminate(cli)
    before = log_size(vault)

    done = cli("agreement", "close-out", "dua-close", "-o", str(tmp_path / "r.html"), "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    revoked = sorted([beta.record.id, beta_ml.record.id])
    assert [t["token"] for t in report["tokens_revoked"]] == revoked
    assert {t["party"] for t in report["tokens_revoked"]} == {"beta-labs", "beta-labs/ml"}
    assert all(t["reason"] == "close-out of dua-close" for t in report["tokens_revoked"])
    [kept] = report["tokens_kept"]
    assert kept["token"] == cloudco.record.id
    assert kept["reason"] == "another agreement in force with cloudco: nda-cloudco"
    assert report["tokens_note"].startswith("2 Hallmark API tokens of the partner revoked; "
                                            "1 kept")
    # one token.revoked per token and the agreement.closed_out, in the same transaction
    assert log_size(vault) == before + 3
    events = [e for e in logged(vault, "token.revoked") if e["payload"]["token"] in revoked]
    assert sorted(e["payload"]["token"] for e in events) == revoked
    assert {e["payload"]["reason"] for e in events} == {"close-out of dua-close"}
    assert {e["payload"]["agreement"] for e in events} == {"dua-close"}
    [closed] = logged(vault, "agreement.closed_out")
    assert closed["payload"]["tokens_revoked"] == revoked
    assert closed["payload"]["tokens_kept"] == [cloudco.record.id]
    html = (tmp_path / "r.html").read_text()
    assert beta.record.id in html and "Beta ETL" in html and "kept: another agreement" in html

    for gone in (beta, beta_ml):
        with pytest.raises(Unauthenticated, match="revoked"):
            tokens.authenticate(vault, gone.token)
    for still in (cloudco, gamma, admin):
        assert tokens.authenticate(vault, still.token).token == still.record.id
    listed = json.loads(cli("token", "list", "--all", "--json").stdout)["tokens"]
    reasons = {t["id"]: t["revoked_reason"] for t in listed}
    assert reasons[beta.record.id] == "close-out of dua-close"
    assert reasons[old.record.id] == "rotated"  # revoked before: untouched


def test_a_close_out_with_no_partner_token_says_so(partnership: Partnership,
                                                   cli: Callable[..., Any],
                                                   tmp_path: Path) -> None:
    admin = services.tokens.create(partnership.vault, "admin", actor=ACTOR)
    terminate(cli)
    done = cli("agreement", "close-out", "dua-close", "-o", str(tmp_path / "r.html"), "--json")
    report = json.loads(done.stdout)["report"]
    assert report["tokens_revoked"] == [] and report["tokens_kept"] == []
    assert report["tokens_note"].startswith("the partner held no Hallmark API token")
    assert services.tokens.authenticate(partnership.vault, admin.token).role == "admin"


def test_a_refused_close_out_revokes_nothing(partnership: Partnership,
                                             cli: Callable[..., Any],
                                             tmp_path: Path) -> None:
    beta = services.tokens.create(partnership.vault, "partner", party="Beta Labs", actor=ACTOR)
    before = log_size(partnership.vault)
    refused = cli("agreement", "close-out", "dua-close", "-o", str(tmp_path / "r.html"))
    assert refused.exit_code == 2 and "still in force" in refused.stderr
    blocked = cli("agreement", "close-out", "dua-close", "--force", "-o",
                  str(tmp_path / "missing" / "r.html"))
    assert blocked.exit_code == 2
    assert log_size(partnership.vault) == before
    assert services.tokens.authenticate(partnership.vault, beta.token).party == "beta-labs"
