"""Names a user or a partner chose are printed as text: markup in them is not obeyed and control
characters are shown as escapes, in every human output (messages as well as tables)."""

from __future__ import annotations

import json

from hallmark.vault import Vault

HOSTILE = "[link=https:evil.example]Evil\x1b[2J Org"


def test_party_names_with_markup_and_controls_print_literally(vault: Vault, cli) -> None:
    added = cli("party", "add", HOSTILE, "--kind", "organisation")
    assert added.exit_code == 0, added.stderr
    party_id = json.loads(cli("party", "list", "--json").stdout)["parties"][0]["id"]
    for args in (["party", "list"], ["party", "show", party_id]):
        shown = cli(*args)
        assert shown.exit_code == 0, shown.stderr
        assert "\x1b" not in shown.stdout and "\\x1b[2J" in shown.stdout
    assert "[link=https:evil.example]Evil\\x1b[2J Org" in cli("party", "show", party_id).stdout
    assert "[link=https:evil.example]Evil\\x1b[2J Org" in added.stdout
