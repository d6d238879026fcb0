"""Symmetric Tardos fingerprinting codes (Škorić, Katzenbeisser and Celik, 2008), keyed.

Pure maths, no I/O. Every position j of the (virtual, 2**64-long) code has a bias p_j drawn from
the cut-off arcsine density: p = sin^2(theta), theta uniform on [t', pi/2 - t'], t' = asin(sqrt(t)),
t = 1 / (300 c). Recipient i's bit is X_ij = [u_ij < p_j]. Both u_ij and the uniform behind p_j
come from AES-256 used as a pseudo-random function of the position, under keys derived with
HMAC-SHA256 from the vault's marking key, the asset id and the share id; so nothing per share is
stored but the public parameters, and a tracer with the key regenerates any codeword.

Symmetric score of recipient i against the observed sign sigma_j in [-1, 1] (+1: a 1 was seen):
    S_i = sum_j sigma_j * V_ij,   V_ij = sqrt((1-p_j)/p_j) if X_ij = 1 else -sqrt(p_j/(1-p_j)).
For an innocent recipient V_ij has mean 0 and variance 1 whatever sigma is (sigma is independent of
the innocent's bits), which is what `stats.py` bounds.

Code length for n recipients, c colluders and false-positive rate eps (Tardos' bound with the
symmetric constant): m = ceil(pi^2 * c^2 * ln(n / eps)) observed positions.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

DEFAULT_COLLUDERS = 5
DEFAULT_EPSILON = 1e-6
DEFAULT_RECIPIENTS = 1000

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TardosParams:
    """The public parameters of a code: capacity n, coalition size c, false-positive rate eps."""

    recipients: int = DEFAULT_RECIPIENTS
    colluders: int = DEFAULT_COLLUDERS
    epsilon: float = DEFAULT_EPSILON

    def __post_init__(self) -> None:
        if self.recipients < 1 or self.colluders < 1:
            raise ValueError("recipients and colluders must be at least 1")
        if not 0.0 < self.epsilon < 1.0:
            raise ValueError("epsilon must lie in (0, 1)")

    @property
    def cutoff(self) -> float:
        """The bias cut-off t = 1/(300 c): biases lie in [t, 1 - t]."""
        return 1.0 / (300.0 * self.colluders)

    @property
    def code_length(self) -> int:
        """Observed positions that guarantee c-collusion tracing: ceil(pi^2 c^2 ln(n/eps))."""
        return code_length(self.recipients, self.colluders, self.epsilon)

    def to_json(self) -> dict[str, Any]:
        """The parameters as stored with a share (all public)."""
        return {"recipients": self.recipients, "colluders": self.colluders,
                "epsilon": self.epsilon, "cutoff": self.cutoff, "code_length": self.code_length}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TardosParams:
        """Inverse of `to_json`."""
        return cls(int(doc["recipients"]), int(doc["colluders"]), float(doc["epsilon"]))


def code_length(recipients: int, colluders: int, epsilon: float) -> int:
    """m = ceil(pi^2 c^2 ln(n / eps)), the symmetric Tardos code length."""
    return math.ceil(math.pi ** 2 * colluders ** 2 * math.log(recipients / epsilon))


def derive_key(master: bytes, *parts: str) -> bytes:
    """A 256-bit sub-key: HMAC-SHA256(master, NUL-joined parts)."""
    if len(master) < 16:
        raise ValueError("the marking key is too short")
    message = b"\x00".join(p.encode("utf-8") for p in parts)
    return hmac.new(master, message, hashlib.sha256).digest()


def aes_blocks(key: bytes, blocks: bytes) -> bytes:
    """AES-256 applied block by block (a PRF on distinct 16-byte inputs)."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - PRF use
    return encryptor.update(blocks) + encryptor.finalize()


def aes_u64(key: bytes, blocks: npt.NDArray[Any], out: U64 | None = None) -> U64:
    """`aes_blocks` over an array of little-endian uint64 pairs, the same bytes as an (n, 2)
    uint64 array: encrypted straight from and into array memory, no bytes copies. `out`, a
    contiguous uint64 buffer of at least 2 n + 2 words that is not `blocks`, is written and a
    view of it returned (a new array without it)."""
    src = np.ascontiguousarray(blocks, dtype="<u8").reshape(-1)
    if out is None:
        out = np.empty(src.size + 2, dtype="<u8")  # update_into wants a block's slack
    elif out.size < src.size + 2 or not out.flags.c_contiguous or out.dtype != np.uint64:
        raise ValueError("the output buffer is too small or not contiguous uint64")
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - PRF use
    encryptor.update_into(src.view(np.uint8).data, out.view(np.uint8).data)
    encryptor.finalize()
    return out[: src.size].reshape(-1, 2).view(np.uint64)


class AesRows:
    """`aes_u64` under one key for many calls (one cipher context: ECB keeps no state between
    blocks, so the bytes are those of separate calls)."""

    def __init__(self, key: bytes) -> None:
        self._encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305

    def __call__(self, blocks: U64, out: U64) -> U64:
        """Encrypt contiguous uint64 `blocks` (2 m words) into `out` (at least 2 m + 2 words,
        not `blocks`); returns the (m, 2) view of `out` written."""
        src = blocks.reshape(-1)
        self._encryptor.update_into(src.view(np.uint8).data, out.view(np.uint8).data)
        return out[: src.size].reshape(-1, 2)


def floor_div_integral(values: np.ndarray, width: int) -> np.ndarray:
    """np.floor_divide(values, width) of integral floats, for comparisons and integer casts
    (a zero's sign aside): through int64 where that is exact (every value within 2**53, a
    positive width), many times faster than the float floor division."""
    if 0 < width < 2**62 and values.size and np.abs(values).max() <= 2.0 ** 53:
        return (values.astype(np.int64) // width).astype(np.float64)
    return np.asarray(np.floor_divide(values, width))


# rows per chunk of `keyed_race`: its buffers stay in a core's cache
RACE_CHUNK = 8192


def keyed_race(key: bytes, n: int, drawers: list[tuple[U64, U64, float]], single: bool
               ) -> tuple[F64, U64, F64]:
    """The exponential race of keyed draws over n rows: for each (row blocks (n, 2), tag
    (2,), -weight), AES-256(key, row xor tag) gives a 32-bit uniform u (low word's low half),
    a draw u (`single`) or log1p(-u) / -weight, a position (high word) and a dither (low
    word's high half / 2**32); returns the winning (smallest) draw, its position and dither
    per row (inf, 0, 0 where none wins). Earlier drawers win ties."""
    best = np.full(n, np.inf)
    positions = np.zeros(n, dtype=np.uint64)
    high = np.zeros(n, dtype=np.uint64)  # the winner's dither word, scaled once at the end
    size = max(1, min(n, RACE_CHUNK))
    # the tag repeated along a chunk, so the xor runs as one flat loop, not one per row
    racers = [(row, np.tile(tag, size), AesRows(key), neg_weight)
              for row, tag, neg_weight in drawers]
    # in chunks that stay in the core's cache, through buffers reused by every chunk and group
    # (a pass over fresh arrays of the whole batch costs more than the AES itself)
    tagged = np.empty((size, 2), dtype=np.uint64)
    out = np.empty(2 * size + 2, dtype=np.uint64)
    word = np.empty(size, dtype=np.uint64)
    draw = np.empty(size)
    mine = np.empty(size, dtype=bool)
    scale = 1.0 / 4294967296.0  # exact: multiplying by it is dividing by 2**32
    for start in range(0, n, size):
        stop = min(n, start + size)
        m = stop - start
        b, p, h = best[start:stop], positions[start:stop], high[start:stop]
        t, w, d, k = tagged[:m], word[:m], draw[:m], mine[:m]
        for first, (row, tags, aes, neg_weight) in enumerate(racers):
            np.bitwise_xor(np.ascontiguousarray(row[start:stop]).reshape(-1), tags[: 2 * m],
                           out=t.reshape(-1))
            drawn = aes(t, out)
            low = drawn[:, 1]
            np.bitwise_and(low, np.uint64(0xFFFFFFFF), out=w)
            if single:  # one group: the draw itself (as plans before groups)
                np.multiply(w, scale, out=d)  # u, exact: below 2**32 times a power of two
            else:
                # several: the race's time -log1p(-u) / weight, computed as
                # log1p(-u) / -weight (the same double: negation is exact, division symmetric)
                np.multiply(w, -scale, out=d)
                np.log1p(d, out=d)
                np.divide(d, neg_weight, out=d)
            np.less(d, b, out=k)  # this group's draw wins the cell
            if first == 0 and k.all():  # the first group's draws all win (always, but NaN)
                b[:] = d
                p[:] = drawn[:, 0]
                np.right_shift(low, np.uint64(32), out=h)
                continue
            # the selections without branches (a masked copy mispredicts on random masks):
            # fmin(b, d) is d where d < b and b elsewhere (NaN draws never win, b is never
            # NaN; ties keep b's value, the sign of a zero aside, which no comparison sees)
            np.fmin(b, d, out=b)
            p[:] = np.where(k, drawn[:, 0], p)
            np.right_shift(low, np.uint64(32), out=w)
            h[:] = np.where(k, w, h)
    dither = high.astype(np.float64)
    dither *= scale
    return best, positions, dither


def prf_u64(key: bytes, positions: U64, domain: int = 0) -> U64:
    """A keyed pseudo-random uint64 for each position (AES-256 of position || domain)."""
    positions = np.ascontiguousarray(positions, dtype=np.uint64)
    blocks = np.empty((positions.size, 2), dtype="<u8")
    blocks[:, 0] = positions
    blocks[:, 1] = np.uint64(domain)
    return np.ascontiguousarray(aes_u64(key, blocks)[:, 0])


def to_unit(values: U64) -> F64:
    """Uniform floats in [0, 1) from the top 53 bits of uint64s."""
    return (values >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def bias_from_unit(u: F64, cutoff: float) -> F64:
    """Map uniforms to the cut-off arcsine density on [t, 1 - t]."""
    lo = math.asin(math.sqrt(cutoff))
    theta = lo + u * (math.pi / 2 - 2 * lo)
    return np.sin(theta) ** 2


def score_weights(bits: Bools, bias: F64) -> F64:
    """V_ij: sqrt((1-p)/p) where the recipient holds a 1, -sqrt(p/(1-p)) where a 0."""
    return np.where(bits, np.sqrt((1.0 - bias) / bias), -np.sqrt(bias / (1.0 - bias)))


class Codebook:
    """The code of one asset under one marking key: biases and every share's codeword."""

    def __init__(self, marking_key: bytes, asset_id: str, params: TardosParams) -> None:
        self.params = params
        self._key = marking_key
        self._asset = asset_id
        self._bias_key = derive_key(marking_key, "hallmark/tardos/bias", asset_id)

    def bias(self, positions: U64) -> F64:
        """p_j for each position."""
        return bias_from_unit(to_unit(prf_u64(self._bias_key, positions)), self.params.cutoff)

    def bits(self, share_id: str, positions: U64, bias: F64 | None = None) -> Bools:
        """The share's codeword bits X_ij at the positions."""
        key = derive_key(self._key, "hallmark/tardos/code", self._asset, share_id)
        p = self.bias(positions) if bias is None else bias
        return to_unit(prf_u64(key, positions)) < p

    def score(self, share_id: str, positions: U64, sigma: F64, bias: F64) -> float:
        """The symmetric Tardos score S_i = sum_j sigma_j V_ij of one share."""
        weights = score_weights(self.bits(share_id, positions, bias), bias)
        return float(np.dot(sigma, weights))
