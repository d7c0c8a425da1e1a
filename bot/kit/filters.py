"""Filters: magic filters checked in the event loop, and access filters for staff and admins.

A user who fails the access filters falls through to the delegate routers, where a staff command
gets the same answer as any unknown command: nothing tells them the command exists.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import BaseFilter, Filter
from aiogram.types import TelegramObject, User
from aiogram_dialog import Dialog
from magic_filter import MagicFilter

from bot.kit.services import Services


class Inline(Filter):
    """A magic filter (`F...`) checked in the event loop.

    aiogram runs a filter that is a plain callable, `F` included, in a worker thread
    (`asyncio.to_thread`): for router filters checked on every update, the thread hops and their
    queue were a large part of each update's time under load (bench/dialogue.py).
    tests/test_filters.py checks that no filter or handler of the bot runs in a thread.
    """

    def __init__(self, magic: MagicFilter):
        self._magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self._magic.resolve(event)


PRIVATE_CHAT = Inline(F.chat.type == "private")
PRIVATE_CHAT_BUTTON = Inline(F.message.chat.type == "private")


class StaffOnly(BaseFilter):
    async def __call__(
        self,
        _event: TelegramObject,
        event_from_user: User | None,
        services: Services,
        is_staff: bool | None = None,
    ) -> bool:
        if event_from_user is None:
            return False
        if is_staff is not None:  # looked up once for the update by LanguageMiddleware
            return is_staff
        return await services.staff.is_staff(event_from_user.id)


class AdminOnly(BaseFilter):
    async def __call__(
        self, _event: TelegramObject, event_from_user: User | None, services: Services
    ) -> bool:
        return event_from_user is not None and services.staff.is_admin(event_from_user.id)


def staff_only(dialog: Dialog) -> Dialog:
    """Only staff reach the dialogue (a role revoked meanwhile ends its use)."""
    dialog.message.filter(StaffOnly())
    dialog.callback_query.filter(StaffOnly())
    return dialog
