"""Entry point: the Typer app, its command groups, and the error-to-exit-code edge."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any, Optional

import typer

from hallmark import __version__, contributions, problems, register
from hallmark.cli import plugin as builtin_commands
from hallmark.cli.common import err_console
from hallmark.cli.safe import safe_text
from hallmark.errors import HallmarkError, InputError


class _Deferred(type):
    """A class standing in for `module.name`, which loads on first use (a call, an attribute,
    an isinstance check)."""

    _where: tuple[str, str]

    def _real(cls) -> Any:
        module, name = cls._where
        return getattr(importlib.import_module(module), name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, attr: str) -> Any:
        return getattr(cls._real(), attr)

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._real())


# Typer's help renderer imports Rich's Markdown (and markdown-it) and Rich's Traceback (and
# Pygments) at its top, for a markup mode and pretty tracebacks this CLI never uses: ~0.06 s of
# every `--help`. While that one module loads, these two names are classes that load the real
# ones on first use; nothing else sees them, and the rendered text is the same.
_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _RichUtilsLoader:
    """Runs typer.rich_utils' own loader with `_DEFERRED` standing in for the real modules."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        stand_ins = {}
        for name, attr in _DEFERRED.items():
            if name not in sys.modules:
                stand_in = ModuleType(name)
                setattr(stand_in, attr, _Deferred(attr, (), {"_where": (name, attr)}))
                stand_ins[name] = stand_in
        sys.modules.update(stand_ins)
        try:
            self.loader.exec_module(module)
        finally:
            rich = sys.modules.get("rich")
            for name, stand_in in stand_ins.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
                if rich is not None and getattr(rich, name.split(".")[1], None) is stand_in:
                    delattr(rich, name.split(".")[1])


class _RichUtilsFinder:
    """Finds typer.rich_utils as the path finder does, with `_RichUtilsLoader` loading it."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname != "typer.rich_utils":
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _RichUtilsLoader(spec.loader)  # type: ignore[assignment]
        return spec


if "typer.rich_utils" not in sys.modules and _RichUtilsFinder not in sys.meta_path:
    sys.meta_path.insert(0, _RichUtilsFinder)  # type: ignore[arg-type]

app = typer.Typer(
    name="hallmark",
    help="Protect the IP of AI assets when you collaborate: know, prove, agree, share, trace.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hallmark {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    vault: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None, "--vault", envvar="HALLMARK_VAULT",
        help="The vault's folder (default: search upwards).",
    ),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version,
        help="Print Hallmark's version and exit.",
    ),
) -> None:
    ctx.obj = {"vault": vault}


# The built-in commands are a plugin of the CLI's own (hallmark.cli.plugin); installed plugins
# add theirs through the same hook, and one that fails is reported, not fatal.
register(builtin_commands, name="hallmark.cli.plugin")
contributions("hallmark_cli_commands", app=app)

# Top-level commands that never open a vault; every other command also takes --vault after its
# name, because users type `hallmark assets --vault DIR` as often as `hallmark --vault DIR assets`.
NO_VAULT = frozenset({"init", "demo", "review"})


def _takes_value(command: Any, token: str) -> int:
    """How many following tokens `token` consumes as its value(s) in `command` (0 for a flag)."""
    for param in command.params:
        if param.param_type_name == "option" and token in (*param.opts, *param.secondary_opts):
            return 0 if param.is_flag or param.count else max(param.nargs, 1)
    return 0


def vault_first(command: Any, args: Sequence[str]) -> list[str]:
    """`args` with a --vault given after a sub-command moved to the front, where the root
    option parses it; the last --vault wins, as click's own rule for a repeated option.

    Tokens are walked with each command's own options, so the value of another option (even
    one that reads "--vault") and anything after `--` stay where they are."""
    rest: list[str] = []
    vault: list[str] = []
    current, i, depth = command, 0, 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token.startswith("--vault=") and current is not None:
            vault, i = [token], i + 1
            continue
        if token == "--vault" and current is not None and i + 1 < len(args):
            vault, i = [token, args[i + 1]], i + 2
            continue
        width = 1 + (_takes_value(current, token) if current is not None and
                     token.startswith("-") and "=" not in token else 0)
        rest.extend(args[i:i + width])
        i += width
        subcommands = getattr(current, "commands", None)
        if current is not None and not token.startswith("-") and subcommands is not None:
            current = None if depth == 0 and token in NO_VAULT else subcommands.get(token)
            depth += 1
    return vault + rest


def leaf_command(command: Any, args: Sequence[str]) -> Any:
    """The (sub-)command that `args` invoke, walked the way `vault_first` walks them."""
    current, i = command, 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        if token.startswith("-"):
            i += 1 + (0 if "=" in token else _takes_value(current, token))
            continue
        subcommands = getattr(current, "commands", None)
        if subcommands is None or token not in subcommands:
            break
        current, i = subcommands[token], i + 1
    return current


# Where a service names an input differently from the command's own parameter (service field ->
# the Typer parameter's name). Every other field is looked up under its own name.
FIELD_ALIASES = {"budgets": "column_budget", "ranges": "column_range"}


def flag_for(command: Any, field: str | None) -> str | None:
    """How the command line spells a service's field: its --flag (the longest spelling), its
    ARGUMENT name, or the field itself when the command has no such parameter (a document's
    field, say). The one place a field becomes a flag."""
    if not field:
        return None
    base, sep, rest = field.partition(".")
    for name in (field, base):
        wanted = FIELD_ALIASES.get(name, name)
        for param in getattr(command, "params", []):
            if param.name == wanted:
                spelled = (max(param.opts, key=len) if param.param_type_name == "option"
                           else (param.metavar or str(param.name).upper()))
                return spelled if name == field else f"{spelled} {rest}"
    return field


def report_error(exc: HallmarkError, command: Any = None) -> int:
    """Print a typed error as one line on stderr, its field spelled as `command`'s flag;
    returns its exit code."""
    # A message can carry a scanned file's name: controls and markup in it are shown, not obeyed.
    text = exc.located(flag_for(command, exc.field))
    err_console.print(f"[red]error:[/red] {safe_text(text)}", highlight=False)
    return exc.exit_code


def _status(code: object) -> int:
    """The exit status a SystemExit(code) gives, as Python itself computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err_console.print(str(code), highlight=False, markup=False)
    return 1


def run(argv: Sequence[str] | None = None) -> int:
    """Run `hallmark ARGV` and return its exit code: the one place errors become exit codes."""
    command = typer.main.get_command(app)
    args = vault_first(command, sys.argv[1:] if argv is None else argv)
    for problem in problems():
        err_console.print(f"warning: {problem}", highlight=False, markup=False)
    try:
        command.main(args=args, prog_name="hallmark")  # standalone: always ends in SystemExit
    except SystemExit as exc:  # click's own usage errors (2) and typer.Exit(n) arrive here
        return _status(exc.code)
    except HallmarkError as exc:
        return report_error(exc, leaf_command(command, args))
    except OSError as exc:  # a path the user named that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        return report_error(InputError(f"{where}{exc.strerror or exc}"))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0


def main() -> None:
    """The `hallmark` program: run the CLI and exit with its code."""
    sys.exit(run())


if __name__ == "__main__":
    main()
