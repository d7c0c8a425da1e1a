"""Registration codes: what delegates read aloud at the desk and staff type (`ABC-123`)."""

from __future__ import annotations

import re
import secrets

# Read aloud without confusion: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6


def new_registration_code() -> str:
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{letters[:3]}-{letters[3:]}"


def normalize_code(text: str) -> str | None:
    """`abc123`, `ABC 123`, `abc-123` -> `ABC-123`; None when it cannot be a registration code."""
    letters = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    if len(letters) != CODE_LENGTH:
        return None
    half = CODE_LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}"
