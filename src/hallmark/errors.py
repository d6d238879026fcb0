"""Typed errors; only the CLI/API edge turns them into exit codes or HTTP statuses."""


class HallmarkError(Exception):
    """Base of every error Hallmark raises on purpose."""

    exit_code = 2


class InputError(HallmarkError):
    """Bad input or usage: a file that does not parse, an option that makes no sense."""

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
