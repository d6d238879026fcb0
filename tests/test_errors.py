"""Errors name fields, not flags: a Python caller reads "field: message", the CLI reads the
command's own --flag for that field, from one mapping in the CLI edge."""

from __future__ import annotations

import typer

from hallmark.cli.main import flag_for, report_error
from hallmark.errors import HallmarkError, InputError, NotFound, PolicyDenied


def _command() -> object:
    app = typer.Typer()

    @app.command()
    def share(asset: str, column_budget: list[str] = typer.Option([], "--column-budget"),
              budget: float = typer.Option(0.01, "-b", "--budget")) -> None:
        """A command to map fields against."""

    return typer.main.get_command(app)


def test_a_python_caller_reads_the_field_and_the_line() -> None:
    assert str(InputError("must lie in (0, 0.5]", field="budget")) == \
        "budget: must lie in (0, 0.5]"
    assert str(InputError("not a list", field="terms.purposes", line=12)) == \
        "terms.purposes (line 12): not a list"
    assert str(NotFound("no such asset")) == "no such asset"
    err = PolicyDenied("share denied", field="agreement")
    assert (err.message, err.field, err.line, err.exit_code) == ("share denied", "agreement",
                                                                 None, 3)
    assert isinstance(InputError("x"), HallmarkError)


def test_the_cli_spells_a_field_as_the_commands_flag() -> None:
    command = _command()
    assert flag_for(command, "budget") == "--budget"  # the long spelling, not -b
    assert flag_for(command, "budgets") == "--column-budget"  # a service's name for it
    assert flag_for(command, "asset") == "ASSET"  # an argument shows as its metavar
    assert flag_for(command, "budgets.age") == "--column-budget age"
    assert flag_for(command, "terms.purposes") == "terms.purposes"  # a document's own field
    assert flag_for(command, None) is None


def test_the_cli_prints_one_line_with_the_flag(capsys: object) -> None:
    code = report_error(InputError("must lie in (0, 0.5]", field="budget"), _command())
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert code == 2
    assert err.strip() == "error: --budget: must lie in (0, 0.5]"
