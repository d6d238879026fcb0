"""`hallmark token create|list|revoke` and `services.tokens.authenticate`: a token is printed
once and authenticates; the vault keeps only its secret's hash, and neither the token nor the
hash is in the log or a listing; revoked, expired, malformed and forged tokens are refused; a
bad request stores and logs nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from closeout.conftest import log_size, logged
from hallmark import InputError, NotFound, Unauthenticated, Vault, services
from hallmark.store.tables import api_tokens, metadata, parties

ACTOR = "tester"


def _dump(vault: Vault) -> str:
    """Every row of every table, as text (the whole database, on either backend)."""
    out = []
    with vault.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def _files(vault: Vault) -> bytes:
    """Every file under the vault folder (the SQLite database, blobs, config), concatenated."""
    return b"".join(p.read_bytes() for p in sorted(vault.dir.rglob("*")) if p.is_file())


def _tokens_in_db(vault: Vault) -> int:
    with vault.engine.connect() as conn:
        return len(list(conn.execute(select(api_tokens.c.id))))


@pytest.fixture
def beta(vault: Vault) -> Vault:
    services.parties.add(vault, "Beta Labs", "organisation", role="partner", actor=ACTOR)
    return vault


def test_create_prints_a_token_once_that_authenticates(beta: Vault,
                                                       cli: Callable[..., Any]) -> None:
    made = cli("token", "create", "--role", "partner", "--party", "Beta Labs", "--note",
               "Beta's pipeline")
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("hm_") and len(token) == 59 and "\n" not in token
    assert "will not be shown again" in made.stderr and token not in made.stderr
    who = services.tokens.authenticate(beta, token)
    assert (who.role, who.party, who.party_name) == ("partner", "beta-labs", "Beta Labs")
    assert who.token == token.split("_")[1]
    # listed without the secret or its hash
    listed = cli("token", "list", "--json")
    assert listed.exit_code == 0
    [record] = json.loads(listed.stdout)["tokens"]
    assert record["id"] == who.token and record["status"] == "active"
    assert record["party"] == "beta-labs" and record["note"] == "Beta's pipeline"
    assert record["created_by"] == beta.actor
    assert record["expires"] == (date.today() + timedelta(days=90)).isoformat()
    assert "secret_sha256" not in record
    assert "hm_" not in cli("token", "list").stdout


def test_the_vault_keeps_only_the_hash_never_the_token(beta: Vault,
                                                       cli: Callable[..., Any]) -> None:
    made = json.loads(cli("token", "create", "--role", "admin", "--json").stdout)
    token, token_id = made["token"], made["record"]["id"]
    secret = token.split("_", 2)[2]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with beta.engine.connect() as conn:
        stored = conn.execute(select(api_tokens.c.secret_sha256)
                              .where(api_tokens.c.id == token_id)).scalar_one()
    assert stored == digest
    assert cli("token", "revoke", token_id, "--reason", "rotated").exit_code == 0
    dump = _dump(beta)
    assert secret not in dump and token not in dump
    assert secret.encode() not in _files(beta)
    [created] = logged(beta, "token.created")
    [revoked] = logged(beta, "token.revoked")
    for entry in (created, revoked):
        text = json.dumps(entry)
        assert secret not in text and digest not in text
    assert created["payload"]["token"] == token_id and created["payload"]["role"] == "admin"
    assert revoked["payload"]["reason"] == "rotated"
    listing = cli("token", "list", "--all", "--json").stdout
    assert secret not in listing and digest not in listing


def test_revoked_expired_malformed_and_forged_tokens_are_refused(
        beta: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = services.tokens
    revoked = tokens.create(beta, "engineer", actor=ACTOR)
    brief = tokens.create(beta, "auditor", expires="1d", actor=ACTOR)
    good = tokens.create(beta, "counsel", expires=None, actor=ACTOR)
    tokens.revoke(beta, revoked.record.id, actor=ACTOR)
    with pytest.raises(Unauthenticated, match="revoked") as caught:
        tokens.authenticate(beta, revoked.token)
    assert caught.value.field == "token" and caught.value.exit_code == 3
    assert tokens.authenticate(beta, brief.token).role == "auditor"
    monkeypatch.setattr("hallmark.services.tokens.today",
                        lambda: date.today() + timedelta(days=1))
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.authenticate(beta, brief.token)
    statuses = {t.id: t.status for t in tokens.list_tokens(beta, include_revoked=True).tokens}
    assert statuses == {revoked.record.id: "revoked", brief.record.id: "expired",
                        good.record.id: "active"}
    # forged: the right id, another secret (and a secret of another token)
    prefix, token_id, secret = good.token.split("_", 2)
    other_secret = brief.token.split("_", 2)[2]
    flipped = ("A" if secret[0] != "A" else "B") + secret[1:]
    for forged in (f"hm_{token_id}_{flipped}", f"hm_{token_id}_{other_secret}",
                   f"hm_{'0' * 12}_{secret}"):
        with pytest.raises(Unauthenticated, match="unknown token") as caught:
            tokens.authenticate(beta, forged)
        assert secret not in str(caught.value)
    for malformed in ("", "hm_", good.token + "x", good.token[:-1], good.token.upper(),
                      "Bearer " + good.token, "x" * 10_000, good.token.replace("_", "-")):
        with pytest.raises(Unauthenticated, match="not a Hallmark API token"):
            tokens.authenticate(beta, malformed)
    with pytest.raises(InputError) as caught:
        tokens.authenticate(beta, b"hm_" + good.token.encode())  # type: ignore[arg-type]
    assert caught.value.field == "token"
    assert tokens.authenticate(beta, f"  {good.token}\n").role == "counsel"


def test_a_token_whose_party_is_gone_is_refused(beta: Vault) -> None:
    made = services.tokens.create(beta, "partner", party="Beta Labs", actor=ACTOR)
    with beta.engine.begin() as conn:  # no service removes a party: a restored database might
        conn.execute(delete(parties).where(parties.c.id == "beta-labs"))
    with pytest.raises(Unauthenticated, match="no longer exists"):
        services.tokens.authenticate(beta, made.token)


@pytest.mark.parametrize(("args", "flag", "message"), [
    (["--role", "wizard"], "--role", "must be one of admin, counsel, engineer, auditor"),
    (["--role", "partner"], "--party", "a partner token is bound to one party"),
    (["--role", "admin", "--party", "Beta Labs"], "--party", "only a partner token"),
    (["--role", "partner", "--party", "Nobody Inc"], "--party", "unknown party"),
    (["--role", "admin", "--expires", "yesterday"], "--expires", "expected a duration"),
    (["--role", "admin", "--expires", "2020-01-01"], "--expires", "is not after today"),
    (["--role", "admin", "--expires", "0d"], "--expires", "expected a duration"),
    (["--role", "admin", "--expires", "9999y"], "--expires", "beyond the calendar"),
    (["--role", "admin", "--expires", "2026-02-30"], "--expires", "expected a duration"),
    (["--role", "admin", "--note", "x" * 301], "--note", "at most 300 characters"),
    (["--role", "admin", "--note", "a\x00b"], "--note", "without NUL"),
])
def test_bad_requests_store_and_log_nothing(beta: Vault, cli: Callable[..., Any],
                                            args: list[str], flag: str, message: str) -> None:
    before = log_size(beta)
    made = cli("token", "create", *args, "--json")
    assert made.exit_code == 2, made.stdout
    assert made.stdout == ""
    [line] = made.stderr.strip().splitlines()
    assert line.startswith(f"error: {flag}: ") and message in line
    assert log_size(beta) == before and _tokens_in_db(beta) == 0


def test_revoking_twice_or_an_unknown_id_is_refused(beta: Vault,
                                                    cli: Callable[..., Any]) -> None:
    made = json.loads(cli("token", "create", "--role", "partner", "--party", "beta-labs",
                          "--json").stdout)
    token_id = made["record"]["id"]
    done = cli("token", "revoke", token_id, "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "revoked" and out["revoked_by"] == beta.actor
    before = log_size(beta)
    again = cli("token", "revoke", token_id)
    assert again.exit_code == 2
    assert again.stderr.strip() == (f"error: ID: token {token_id} was already revoked on "
                                    f"{out['revoked'][:10]}")
    unknown = cli("token", "revoke", "0123456789ab")
    assert unknown.exit_code == 2 and "no token 0123456789ab" in unknown.stderr
    pasted = cli("token", "revoke", made["token"])  # the whole token, by mistake
    assert pasted.exit_code == 2 and "12 hex digits" in pasted.stderr
    assert made["token"] not in pasted.stderr and made["token"].split("_")[2] not in (
        pasted.stderr)
    assert log_size(beta) == before
    with pytest.raises(NotFound):
        services.tokens.revoke(beta, "fedcba987654", actor=ACTOR)


def test_list_filters_by_party_and_hides_revoked_unless_asked(beta: Vault,
                                                              cli: Callable[..., Any]) -> None:
    services.parties.add(beta, "Gamma", "organisation", actor=ACTOR)
    a = services.tokens.create(beta, "partner", party="Beta Labs", actor=ACTOR).record.id
    b = services.tokens.create(beta, "partner", party="Gamma", actor=ACTOR).record.id
    c = services.tokens.create(beta, "admin", actor=ACTOR).record.id
    services.tokens.revoke(beta, c, reason="left the team", actor=ACTOR)

    def ids(*args: str) -> set[str]:
        out = cli("token", "list", *args, "--json")
        assert out.exit_code == 0, out.stderr
        return {t["id"] for t in json.loads(out.stdout)["tokens"]}

    assert ids() == {a, b}
    assert ids("--all") == {a, b, c}
    assert ids("--party", "Gamma") == {b}
    unknown = cli("token", "list", "--party", "Nobody")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: --party: ")
    human = cli("token", "list", "--all").stdout
    assert "revoked: left the team" in human


def test_a_token_created_with_a_date_expires_on_that_day(beta: Vault, tmp_path: Path) -> None:
    day = date.today() + timedelta(days=30)
    made = services.tokens.create(beta, "engineer", expires=day.isoformat(), actor=ACTOR)
    assert made.record.expires == day.isoformat()
    same = services.tokens.create(beta, "engineer", expires=day, actor=ACTOR)
    assert same.record.expires == day.isoformat()
