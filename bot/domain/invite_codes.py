"""Invite codes as people type them: ten letters and digits nobody misreads, forgiving of phone keyboards."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I/O/0/1: they are misread on paper and phones
CODE_LENGTH = 10
# Cyrillic letters that look like Latin ones: people type codes on Russian keyboards.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУЗ", "ABEKMHOPCTXY3")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(text: str) -> str | None:
    """The canonical code in `text`, or None when the text does not look like a code at all."""
    s = text.strip().upper().translate(_LOOKALIKES)
    s = "".join(ch for ch in s if ch not in " -_.\t")
    if len(s) == CODE_LENGTH and all(ch in ALPHABET for ch in s):
        return s
    return None


def hash_code(canonical: str, key: bytes) -> str:
    """A code as it is stored: keyed with the installation's secret, which is not in the database."""
    return "k1:" + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def legacy_hash(canonical: str) -> str:
    """How codes issued before the key were stored: looked up until they expire (`[invites] ttl_days`)."""
    return hashlib.sha256(f"sferum-invite:{canonical}".encode()).hexdigest()
