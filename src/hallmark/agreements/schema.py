"""The agreement YAML schema (strict pydantic): validation errors name the field and its line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hallmark.agreements.yamlsrc import Source, shown
from hallmark.errors import InputError

# The models live in the public schemas; these names stay for the modules that import them here.
from hallmark.schemas.agreements import (
    AGREEMENT_TYPES,
    DURATION_RE,
    FUTURE_SUBJECTS,
    ID_RE,
    MAX_LIST,
    MAX_PARTIES,
    AgreementTerms,
    add_duration,
    parse_date,
    parse_duration,
    parse_share,
)
from hallmark.schemas.agreements import OwnershipTerm as Ownership
from hallmark.schemas.agreements import PermittedUse as Permit
from hallmark.schemas.agreements import RenewalTerms as Renewal

__all__ = ["AGREEMENT_TYPES", "DURATION_RE", "FUTURE_SUBJECTS", "ID_RE", "MAX_LIST",
           "MAX_PARTIES", "AgreementTerms", "Ownership", "Permit", "Renewal", "add_duration",
           "parse_date", "parse_duration", "parse_share", "validate_terms"]

# Which field a cross-field check belongs to, so its error can name a line.
_MODEL_CHECK_FIELDS = {"expires": "expires", "exactly one of": "owner", "add up to": "joint",
                       "`term`": "term"}


def validate_terms(source: Source) -> AgreementTerms:
    """Validate parsed YAML strictly; the first error names its field and line."""
    if not isinstance(source.data, dict):
        raise source.error((), "an agreement file is a mapping of fields")
    try:
        return AgreementTerms.model_validate(source.data)
    except ValidationError as exc:
        raise _first_error(exc, source) from None


def _first_error(exc: ValidationError, source: Source) -> InputError:
    errors = exc.errors(include_url=False)

    def locate(err: Any) -> tuple[str | int, ...]:
        # pydantic adds the union branch or validator name to the loc; keep field names only
        return tuple(p for p in err["loc"] if isinstance(p, int) or (
            p != "[key]" and not p.startswith(("function-", "literal[", "list[", "dict["))))

    err = min(errors, key=lambda e: source.line(locate(e)) or 0)
    loc = locate(err)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "literal_error":
        message = f"{message} (got {shown(err.get('input'))})"
    if not loc:
        for needle, fld in _MODEL_CHECK_FIELDS.items():
            if needle in message and isinstance(source.data, dict) and fld in source.data:
                loc = (fld,)
                break
    return source.error(loc, message)
