"""The keys of an asset's marks, derived from the vault's marking key, and the key material a
worker (a thread or a remote Dask worker) derives them from."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from hallmark.marks.codes import Codebook, TardosParams, derive_key

__all__ = ["KeyMaterial", "Keys"]


@dataclass
class Keys:
    """The keys of one asset's marks, derived from the vault's marking key."""

    row: bytes = field(repr=False)
    cell: bytes = field(repr=False)
    values: bytes = field(repr=False)
    codebook: Codebook = field(repr=False)
    fingerprint: bytes = field(default=b"", repr=False)  # digests of folded category values
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def derive(cls, marking_key: bytes, asset_id: str, plan: dict[str, Any]) -> Keys:
        """Keys for `asset_id` under the plan's Tardos parameters."""
        return cls(derive_key(marking_key, "hallmark/rowkey", asset_id),
                   derive_key(marking_key, "hallmark/cell", asset_id),
                   derive_key(marking_key, "hallmark/rowvalue", asset_id),
                   Codebook(marking_key, asset_id, TardosParams.from_json(plan["tardos"])),
                   derive_key(marking_key, "hallmark/fingerprint"))

    def text_digest(self, text: str) -> bytes:
        """16 bytes per distinct normalised text value (cached, bounded)."""
        got = self._cache.get(text)
        if got is None:
            if len(self._cache) > 1 << 18:
                self._cache.clear()
            got = hmac.new(self.values, text.encode("utf-8", "replace"),
                           hashlib.sha256).digest()[:16]
            self._cache[text] = got
        return got


class KeyMaterial:
    """What a worker needs to derive an asset's Keys; the key never shows in its repr, and
    the derived Keys (with their text cache) are rebuilt per process, not pickled."""

    def __init__(self, marking_key: bytes, asset_id: str, plan: dict[str, Any]) -> None:
        self._state = (bytes(marking_key), asset_id, {"tardos": dict(plan["tardos"])})
        self._keys: Keys | None = None

    def keys(self) -> Keys:
        """The asset's Keys, derived once per process."""
        if self._keys is None:
            self._keys = Keys.derive(*self._state)
        return self._keys

    def __getstate__(self) -> tuple[bytes, str, dict[str, Any]]:
        return self._state

    def __setstate__(self, state: tuple[bytes, str, dict[str, Any]]) -> None:
        self._state, self._keys = state, None

    def __repr__(self) -> str:
        return f"KeyMaterial(asset={self._state[1]!r})"
