"""Passport numbers encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

PASSPORT_KEY holds one or more keys, comma-separated: the first encrypts, every one decrypts
(MultiFernet), so a new key can be put first while numbers stored under the old one stay
readable until `python -m bot keys rotate` has re-encrypted them.

Passport numbers are ciphertext everywhere they are stored: in the registration table and in the
dialogue data of a registration in progress. They are decrypted only to be shown (masked) or
exported: use `PassportCipher.decrypt` (in the dispatcher's workflow data as `passports`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

MASK = "•"
VISIBLE = 3


def mask(number: str) -> str:
    """All but the last characters hidden: enough for the delegate to recognise their number."""
    return MASK * max(len(number) - VISIBLE, 0) + number[-VISIBLE:]


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> list[str]:
    """The keys of a PASSPORT_KEY value; ValueError names what is wrong (never the key itself)."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with `python -m bot keys new`"
            ) from None
    return keys


class PassportCipher:
    def __init__(self, keys: Iterable[str]):
        fernets = [Fernet(key) for key in keys]
        if not fernets:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet(fernets)

    def encrypt(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The passport number; InvalidToken when no configured key encrypted it."""
        return self._fernet.decrypt(token.encode()).decode()

    def is_encrypted(self, value: str) -> bool:
        try:
            self.decrypt(value)
        except InvalidToken:
            return False
        return True

    def seal(self, value: str | None) -> str | None:
        """Ciphertext for storage, whether given a number or a token (never encrypted twice).

        A passport number (5-20 letters and digits) can never pass for a token, whose HMAC the
        keys must verify.
        """
        if value is None or self.is_encrypted(value):
            return value
        return self.encrypt(value)

    def rotate(self, token: str) -> str:
        """The same number encrypted under the first key."""
        return self._fernet.rotate(token.encode()).decode()

    def masked(self, token: str | None) -> str | None:
        """The number with all but its last characters hidden, as the delegate reads it."""
        if token is None:
            return None
        try:
            number = self.decrypt(token)
        except InvalidToken:
            log.warning("a stored passport number cannot be decrypted: was a key removed from PASSPORT_KEY?")
            return MASK * 6
        return mask(number)

    def for_display(
        self, answers: dict[str, Any], keys: Iterable[str] = ("passport_number",)
    ) -> dict[str, Any]:
        """A copy of registration answers with the sensitive ones (`keys`) masked."""
        return {**answers, **{key: self.masked(answers[key]) for key in keys if answers.get(key)}}
