"""Deep links (`t.me/<bot>?start=<prefix>_<value>`): each feature registers its prefix in the
wiring, and /start hands the link to it without knowing the feature.

A link handler returns False when the link is not valid (unknown, expired, not for this user):
/start then says so in the same words for every feature, and shows where the user stands.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiogram.types import Message
from aiogram_dialog import DialogManager

LinkHandler = Callable[[Message, str, DialogManager], Awaitable[bool]]
# Telegram allows A-Z, a-z, 0-9, _ and - in deep-link payloads, up to 64 characters.
_PAYLOAD = re.compile(r"^(?P<prefix>[A-Za-z0-9]{1,8})_(?P<value>[A-Za-z0-9_-]{1,55})$")


class StartLinks:
    """Deep-link payloads routed by prefix to the feature that registered it."""

    def __init__(self) -> None:
        self._handlers: dict[str, LinkHandler] = {}

    def register(self, prefix: str, handler: LinkHandler) -> None:
        self._handlers[prefix] = handler

    def handler_for(self, payload: str) -> tuple[LinkHandler, str] | None:
        match = _PAYLOAD.match(payload)
        if not match or match["prefix"] not in self._handlers:
            return None
        return self._handlers[match["prefix"]], match["value"]
