"""What other features do when a delegate starts, declines or completes a registration.

Each feature registers its own reaction in the wiring (`bot/app.py`), so the registration
dialogue calls them without importing those features.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram import Bot

from bot.core.models import Registration

# (chat id, language, when)
StartedHook = Callable[[int, str, datetime], Awaitable[None]]
# (user id)
DeclinedHook = Callable[[int], Awaitable[None]]
# (bot, the stored registration, the dialogue's data: e.g. the delegation of an invitation)
CompletedHook = Callable[[Bot, Registration, dict[str, Any]], Awaitable[None]]


@dataclass
class RegistrationHooks:
    started: list[StartedHook] = field(default_factory=list)
    declined: list[DeclinedHook] = field(default_factory=list)
    completed: list[CompletedHook] = field(default_factory=list)

    async def registration_started(self, chat_id: int, language: str, now: datetime) -> None:
        for hook in self.started:
            await hook(chat_id, language, now)

    async def registration_declined(self, user_id: int) -> None:
        for hook in self.declined:
            await hook(user_id)

    async def registration_completed(
        self, bot: Bot, registration: Registration, dialog_data: dict[str, Any]
    ) -> None:
        for hook in self.completed:
            await hook(bot, registration, dialog_data)
