"""Run ids: short, unique and sortable by creation time.

An id is ``r-`` followed by 12 lowercase Crockford base32 characters: six for
the creation second (since 2020-01-01, good until 2054) and six random ones
(30 bits). Ids sort by creation second; the random part keeps ids from
concurrent processes apart and keeps short prefixes distinguishable.
"""

from __future__ import annotations

import secrets
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_EPOCH = 1577836800  # 2020-01-01T00:00:00Z
PREFIX = "r-"


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_run_id(now: float | None = None) -> str:
    """Return a fresh run id.

    Parameters
    ----------
    now : float, optional
        Creation time in seconds since the epoch (defaults to the clock).
    """
    seconds = int((time.time() if now is None else now) - _EPOCH)
    return PREFIX + _encode(max(seconds, 0), 6) + _encode(secrets.randbits(30), 6)


def normalize_prefix(text: str) -> str:
    """Turn what a user typed into an id prefix (adds ``r-``, lowercases)."""
    text = text.strip().lower()
    if not text.startswith(PREFIX):
        text = PREFIX + text
    return text
