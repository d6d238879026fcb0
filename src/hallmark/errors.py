"""Typed errors; only the CLI/API edge turns them into exit codes or HTTP statuses.

An error names the input it is about by `field` (a service parameter such as "budget", or a
dotted path into a document such as "terms.purposes"), and for YAML by `line`; its `message`
never mentions how an edge spells that field. The CLI maps a field to its --flag, the API to a
JSON pointer; `str(error)` reads "field: message" for a Python caller.
"""

from __future__ import annotations


class HallmarkError(Exception):
    """Base of every error Hallmark raises on purpose."""

    exit_code = 2

    def __init__(self, message: object = "", *, field: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.line = line

    def located(self, name: str | None) -> str:
        """The message prefixed with `name` (how the edge spells the field) and the line."""
        where = name or ""
        if self.line is not None:
            where = f"{where} (line {self.line})" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return self.located(self.field)


class InputError(HallmarkError):
    """Bad input or usage: a file that does not parse, an argument that makes no sense."""

    exit_code = 2


class NotFound(InputError):
    """A named thing (asset, vault, entry) does not exist."""

    exit_code = 2


class PolicyDenied(HallmarkError):
    """The access decision said no."""

    exit_code = 3


class IntegrityError(HallmarkError):
    """A verification failed: the log, a bundle or a signature does not check."""

    exit_code = 1


class Unauthenticated(HallmarkError):
    """A credential (an API token) is unknown, malformed, forged, revoked or expired: the API
    answers 401. Its message never repeats the credential."""

    exit_code = 3
