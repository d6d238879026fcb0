"""The CLI's edge (cli/main.py `run`): --vault anywhere, and every error kind to its exit code.

`cli(...)` goes through `run`, the function the `hallmark` program calls, so these assert the
mapping a user gets, not a copy of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hallmark.vault import Vault


def _flat(text: str) -> str:
    return " ".join(text.split())  # Rich wraps long lines at the terminal width


@pytest.fixture
def elsewhere(vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Work from a folder outside the vault, so only --vault can find it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    return str(vault.root)


@pytest.mark.parametrize("form", [
    ["--vault", "{v}", "assets", "--json"],
    ["assets", "--json", "--vault", "{v}"],
    ["assets", "--vault={v}", "--json"],
    ["ledger", "verify", "--vault", "{v}", "--json"],
    ["ledger", "--vault", "{v}", "verify", "--json"],
    ["export", "bom", "-o", "bom.json", "--vault", "{v}"],
    ["--vault", "nowhere", "assets", "--json", "--vault", "{v}"],  # the last one wins
])
def test_vault_works_after_the_command_as_before_it(cli, elsewhere: str, form: list[str]) -> None:
    result = cli(*(arg.replace("{v}", elsewhere) for arg in form))
    assert result.exit_code == 0, result.stderr
    if "--json" in form:
        json.loads(result.stdout)


def test_without_vault_outside_one_the_error_says_how(cli, elsewhere: str) -> None:
    result = cli("assets")
    assert result.exit_code == 2
    assert _flat(result.stderr) == (
        "error: not inside a Hallmark vault (run `hallmark init` or pass --vault)")
    result = cli("--vault", elsewhere, "assets", "--vault", "nowhere")
    assert result.exit_code == 2
    assert _flat(result.stderr) == "error: no Hallmark vault at nowhere"


def test_a_value_that_reads_vault_stays_the_value_of_its_option(cli, elsewhere: str) -> None:
    # `-o --vault` names an output file called "--vault"; it is not the vault option.
    result = cli("export", "bom", "-o", "--vault", "--vault", elsewhere)
    assert result.exit_code == 0, result.stderr
    assert Path("--vault").is_file()
    # a command that never opens a vault does not take one
    assert cli("review", "--vault", elsewhere).exit_code == 2


def test_the_installed_program_takes_vault_after_the_command(elsewhere: str) -> None:
    program = [sys.executable, "-c", "from hallmark.cli.main import main; main()"]
    done = subprocess.run([*program, "assets", "--json", "--vault", elsewhere],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"assets": []}
    usage = subprocess.run([*program, "assets", "--no-such-option"],
                           capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "No such option" in usage.stderr and "Traceback" not in usage.stderr


def test_each_kind_of_error_maps_to_its_documented_exit_code(cli, elsewhere: str,
                                                              tmp_path: Path) -> None:
    # usage error (click's own): 2
    usage = cli("assets", "--no-such-option")
    assert usage.exit_code == 2 and "No such option" in usage.stderr
    # an OSError from a path the user named: 2, one line naming it, no traceback
    long_name = "a" * 300
    os_error = cli("--vault", long_name, "assets")
    assert os_error.exit_code == 2
    assert _flat(os_error.stderr).replace(" ", "").endswith("hallmark.toml:Filenametoolong")
    assert "Traceback" not in os_error.stderr
    # IntegrityError: a verification failed, 1
    bogus = tmp_path / "att.json"
    bogus.write_text("{}")
    integrity = cli("verify-attestation", str(bogus), "--vault", elsewhere)
    assert integrity.exit_code == 1
    assert _flat(integrity.stderr).startswith("error: not a DSSE envelope")
    # PolicyDenied: 3
    data = tmp_path / "outside" / "people.csv"
    data.write_text("id,age\n" + "".join(f"{i},{20 + i % 50}\n" for i in range(200)))
    assert cli("scan", str(data), "--vault", elsewhere).exit_code == 0
    assert cli("party", "add", "Gamma", "--kind", "organisation", "--vault",
               elsewhere).exit_code == 0
    denied = cli("share", str(data), "--to", "Gamma", "-o", "out.csv", "--vault", elsewhere)
    assert denied.exit_code == 3, denied.stderr
    assert _flat(denied.stderr).startswith("error: share denied")
    assert not Path("out.csv").exists()


def test_after_a_double_dash_nothing_is_moved() -> None:
    import typer

    from hallmark.cli.main import app, vault_first

    command = typer.main.get_command(app)
    args = ["party", "add", "--", "--vault", "x"]
    assert vault_first(command, args) == args
    assert vault_first(command, ["party", "list", "--vault", "x"]) == [
        "--vault", "x", "party", "list"]
