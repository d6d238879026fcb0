"""The base of every schema: a pydantic model whose JSON form is what `--json` prints and the
API returns. A caller never meets a pydantic ValidationError: a constructor refuses a bad
value with an InputError naming the field (a dotted path for a nested one)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hallmark.errors import InputError

__all__ = ["Record"]


def refused(exc: ValidationError) -> InputError:
    """A pydantic refusal as the InputError a caller gets: the first problem, named by field."""
    first = exc.errors(include_url=False)[0]
    # pydantic adds a union branch or validator name to the loc: keep the field names only
    loc = [str(p) for p in first.get("loc", ()) if isinstance(p, int) or (
        p != "[key]" and not str(p).startswith(("function-", "literal[", "list[", "dict[")))]
    field = ".".join(loc) or None
    return InputError(str(first.get("msg", "is not valid")).removeprefix("Value error, "),
                      field=field)


class Record(BaseModel):
    """A result or request body; unknown fields are refused, not dropped."""

    model_config = ConfigDict(extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise refused(exc) from None

    # Pydantic validates a nested record without this constructor (as for its own), so that
    # the refusal of a nested field names its whole dotted path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def to_json(self) -> dict[str, Any]:
        """The JSON form (what `--json` prints and the API returns)."""
        return self.model_dump(mode="json")
