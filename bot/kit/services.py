"""The services handlers and dialogues use, as one typed object in the dispatcher's workflow data.

The wiring (`bot/app.py`) builds it once per dispatcher. Handlers and getters receive it by name,
`services: Services`, like any workflow data; dialogue callbacks, which aiogram-dialog calls with
the manager only, take it from the manager with `services_of(manager)`.

The feature services are named here for the type checker only. The kit sits under the features
and must not import them (`.importlinter`); it is the wiring, above the features, that binds each
field to a concrete service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import Message
    from aiogram_dialog import DialogManager
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.broadcasts.audiences import AudienceService
    from bot.broadcasts.outbox import OutboxWorker
    from bot.broadcasts.service import BroadcastService
    from bot.core.access import StaffService
    from bot.core.clock import Clock
    from bot.core.crypto import PassportCipher
    from bot.core.event import Event, Place
    from bot.core.settings import Settings
    from bot.core.users import UserService
    from bot.delegations.service import DelegationService
    from bot.kit.menus import CommandMenus
    from bot.kit.start_links import StartLinks
    from bot.privacy.service import PrivacyService
    from bot.questions.matcher import FaqMatcher
    from bot.questions.service import QuestionService
    from bot.registration.hooks import RegistrationHooks
    from bot.registration.service import RegistrationService
    from bot.staff.checkin_service import CheckinService
    from bot.staff.export_service import ExportService
    from bot.staff.find_service import SearchService
    from bot.staff.headcount_service import HeadcountService


class QuestionAnswerer(Protocol):
    async def __call__(self, message: Message, manager: DialogManager, *, in_dialogue: bool) -> None: ...


class LocationSender(Protocol):
    async def __call__(self, bot: Bot, chat_id: int, place: Place | None, language: str) -> bool: ...


class DelegateHome(Protocol):
    async def __call__(self, message: Message, manager: DialogManager, services: Services) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    event: Event
    clock: Clock
    users: UserService
    staff: StaffService
    passports: PassportCipher
    menus: CommandMenus
    start_links: StartLinks
    # Answers a typed question (bot/questions): text sent outside any dialogue, or typed where a
    # dialogue expects a button (`in_dialogue`, bot/kit/widgets.py), so the dialogue stays put.
    answer_question: QuestionAnswerer
    # Shows a place of the event file on the map (bot/information/places.py): the questions
    # feature sends the venue below a typed question's answer about it.
    send_location: LocationSender
    # Where the person stands as a delegate (bot/registration/start.py): their registration, the
    # question they were at, or a new registration; the staff home's button opens it (bot/staff).
    delegate_home: DelegateHome
    registrations: RegistrationService
    registration_hooks: RegistrationHooks
    delegations: DelegationService
    faq: FaqMatcher
    questions: QuestionService
    privacy: PrivacyService
    headcounts: HeadcountService
    search: SearchService
    exports: ExportService
    checkins: CheckinService
    audiences: AudienceService
    broadcasts: BroadcastService
    outbox: OutboxWorker


def services_of(manager: DialogManager) -> Services:
    """The services, for a dialogue callback (aiogram-dialog hands those the manager only)."""
    return manager.middleware_data["services"]
