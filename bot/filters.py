"""Access filters for staff and admin routers.

A user who fails them falls through to the delegate routers, where a staff command gets the same
answer as any unknown command: nothing tells them the command exists.
"""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject, User

from bot.services.staff import StaffService


class StaffOnly(BaseFilter):
    async def __call__(
        self,
        _event: TelegramObject,
        event_from_user: User | None,
        staff: StaffService,
        is_staff: bool | None = None,
    ) -> bool:
        if event_from_user is None:
            return False
        if is_staff is not None:  # looked up once for the update by LanguageMiddleware
            return is_staff
        return await staff.is_staff(event_from_user.id)


class AdminOnly(BaseFilter):
    async def __call__(
        self, _event: TelegramObject, event_from_user: User | None, staff: StaffService
    ) -> bool:
        return event_from_user is not None and staff.is_admin(event_from_user.id)
