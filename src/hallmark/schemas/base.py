"""The base of every schema: a pydantic model whose JSON form is what `--json` prints and the
API returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Record"]


class Record(BaseModel):
    """A result or request body; unknown fields are refused, not dropped."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The JSON form (what `--json` prints and the API returns)."""
        return self.model_dump(mode="json")
