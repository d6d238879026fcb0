"""Property tests: random strings, and tokens one character away from a real one, never
authenticate and never crash; every token the vault makes parses back to its id and secret."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallmark import Unauthenticated, Vault, services
from hallmark.services._tokens import SECRET_CHARS, TOKEN_CHARS, new_secret, parse_token

B64URL = string.ascii_letters + string.digits + "-_"
FIXTURE_OK = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.text(max_size=200))
def test_the_parser_never_crashes_and_only_accepts_the_format(text: str) -> None:
    found = parse_token(text)
    if found is not None:
        assert text == f"hm_{found[0]}_{found[1]}" and len(text) == TOKEN_CHARS


@given(st.integers(min_value=0, max_value=50))
def test_every_fresh_secret_parses_back(_: int) -> None:
    secret = new_secret()
    assert len(secret) == SECRET_CHARS and set(secret) <= set(B64URL)
    assert parse_token(f"hm_0123456789ab_{secret}") == ("0123456789ab", secret)


_MADE: dict[str, str] = {}  # vault folder -> its one admin token, made on first use


def _admin(vault: Vault) -> str:
    key = str(vault.dir)
    if key not in _MADE:
        _MADE[key] = services.tokens.create(vault, "admin", actor="tester").token
    return _MADE[key]


@FIXTURE_OK
@given(text=st.one_of(st.text(max_size=120),
                      st.from_regex(r"\Ahm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\Z")))
def test_random_strings_never_authenticate(vault: Vault, text: str) -> None:
    real = _admin(vault)
    if text.strip() == real:
        return
    with pytest.raises(Unauthenticated):
        services.tokens.authenticate(vault, text)


@FIXTURE_OK
@given(position=st.integers(min_value=0, max_value=TOKEN_CHARS - 1),
       char=st.sampled_from(B64URL))
def test_a_token_one_character_off_never_authenticates(vault: Vault, position: int,
                                                       char: str) -> None:
    real = _admin(vault)
    forged = real[:position] + char + real[position + 1:]
    if forged == real:
        assert services.tokens.authenticate(vault, real).role == "admin"
        return
    with pytest.raises(Unauthenticated):
        services.tokens.authenticate(vault, forged)
