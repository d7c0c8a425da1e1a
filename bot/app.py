"""Wiring: `build_bot` and `build_dispatcher`. Each call builds fresh routers and dialogues."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram_dialog import setup_dialogs
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.broadcasts.audiences import AudienceService
from bot.broadcasts.dialog import broadcast_dialog
from bot.broadcasts.handlers import broadcast_router
from bot.broadcasts.outbox import OutboxWorker
from bot.broadcasts.ratelimit import RateLimiter
from bot.broadcasts.reminders import ReminderService
from bot.broadcasts.service import BroadcastService
from bot.core.access import StaffService
from bot.core.clock import Clock
from bot.core.crypto import PassportCipher
from bot.core.db import create_engine, create_session_factory
from bot.core.event import Event, load_event
from bot.core.i18n import DEFAULT_LANGUAGE, N_, get_i18n, supported_languages, telegram_language_code
from bot.core.i18n import gettext as _
from bot.core.settings import Settings
from bot.core.users import UserService
from bot.delegations.dialogs import INVITE_PREFIX, delegations_dialog, invite_dialog
from bot.delegations.handlers import delegation_router, open_invitation
from bot.delegations.membership import DelegationMembership
from bot.delegations.service import DelegationService
from bot.information.dialogs import faq_dialog, info_dialog, programme_dialog
from bot.information.handlers import info_router
from bot.information.places import send_location
from bot.kit.dialog_ids import install as install_dialog_ids
from bot.kit.menus import CommandMenus
from bot.kit.resume import resume_router
from bot.kit.services import Services
from bot.kit.start_links import StartLinks
from bot.privacy.forget_dialog import forget_dialog
from bot.privacy.handlers import privacy_admin_router, privacy_router
from bot.privacy.purge_dialog import purge_dialog
from bot.privacy.retention import RetentionJob
from bot.privacy.service import PrivacyService
from bot.questions.delegates import answer_typed_question, questions_router
from bot.questions.matcher import FaqMatcher
from bot.questions.organisers import organisers_router
from bot.questions.service import QuestionService
from bot.registration.form_dialog import registration_dialog
from bot.registration.hooks import RegistrationHooks
from bot.registration.language_dialog import language_dialog
from bot.registration.me_dialog import my_registration_dialog
from bot.registration.service import RegistrationService
from bot.registration.start import commands_router, fallback_router, show_home
from bot.registration.tickets import CHECKIN_PREFIX
from bot.runtime.api_session import BotApiSession
from bot.runtime.errors import errors_router
from bot.runtime.isolation import ReleaseLocksLeft, UpdateIsolation
from bot.runtime.middlewares import LanguageMiddleware
from bot.runtime.retry import InteractiveUpdates, RetryRequests
from bot.runtime.shutdown import InFlightUpdates
from bot.runtime.storage import SQLStorage, StateWrites, create_storage
from bot.staff.checkin import open_checkin_link
from bot.staff.checkin_service import CheckinService
from bot.staff.commands import ADMIN_COMMANDS, STAFF_COMMANDS, staff_router
from bot.staff.export_service import ExportService
from bot.staff.find_service import SearchService
from bot.staff.headcount_service import HeadcountService
from bot.staff.roles import staff_dialog

log = logging.getLogger(__name__)

DELEGATE_COMMANDS = (
    ("start", N_("Register, or see where you are")),
    ("me", N_("My registration")),
    ("language", N_("Change the language")),
    ("programme", N_("The programme, and what is on now")),
    ("info", N_("Venue, hotel, transfer, visa, contact")),
    ("venue", N_("Where it takes place, on the map")),
    ("faq", N_("Frequently asked questions")),
    ("privacy", N_("How your data is used")),
    ("mydata", N_("Everything stored about you")),
    ("forget", N_("Erase your data")),
    ("help", N_("What this bot can do")),
)


def build_bot(settings: Settings) -> Bot:
    session = BotApiSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    session.middleware(RetryRequests())
    return Bot(settings.bot_token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_dispatcher(settings: Settings, engine: AsyncEngine | None = None) -> Dispatcher:
    """A dispatcher with every feature, its own services and storage: fresh for every call."""
    engine = engine or create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    storage = create_storage(settings.redis_url, sessions)
    isolation: BaseEventIsolation = (
        storage.create_isolation() if isinstance(storage, RedisStorage) else UpdateIsolation()
    )
    services = build_services(settings, engine, sessions, storage)
    dp = Dispatcher(storage=storage, events_isolation=isolation, services=services)
    _install_middlewares(dp, services, isolation, storage)
    dp.include_routers(*_routers(settings))
    install_dialog_ids()
    setup_dialogs(dp, events_isolation=isolation)
    _register_jobs(dp, services)
    return dp


_matchers: dict[tuple[object, ...], FaqMatcher] = {}


def _question_matcher(settings: Settings, event: Event) -> FaqMatcher:
    """The matcher of this event file: its index takes half a second to build (and the embeddings
    a background thread), so dispatchers built in one process for the same unchanged file (the
    tests build one per test) share it. It is read-only once built."""
    path = settings.event_file
    key = (path, path.stat().st_mtime_ns, settings.semantic_answers, settings.embeddings_dir)
    if key not in _matchers:
        _matchers[key] = FaqMatcher(
            event, semantic=settings.semantic_answers, cache_dir=settings.embeddings_dir
        )
    return _matchers[key]


def build_services(
    settings: Settings, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], storage: BaseStorage
) -> Services:
    """Every service, built once, each given what it needs; then the hooks between features."""
    event = load_event(settings.event_file)
    # A bot without Redis is the only process using its database (docs/operations.md, "Several
    # processes"): it may keep each user's language and staff rights for a minute instead of
    # reading them on every update.
    users = UserService(sessions, keep_seconds=0.0 if settings.redis_url else 60.0)
    passports = PassportCipher(settings.passport_keys())
    clock = Clock(settings.event_clock)
    audiences = AudienceService(sessions, event)
    broadcasts = BroadcastService(sessions, audiences, event)
    staff = StaffService(sessions, settings.admin_ids, users)
    delegations = DelegationService(sessions, event)
    start_links = StartLinks()
    start_links.register(CHECKIN_PREFIX, open_checkin_link)
    start_links.register(INVITE_PREFIX, open_invitation)
    registration_hooks = RegistrationHooks()
    registration_hooks.started.append(audiences.registration_started)
    registration_hooks.declined.append(audiences.registration_declined)
    registration_hooks.completed.append(DelegationMembership(delegations, event).join_after_registration)
    return Services(
        settings=settings,
        engine=engine,
        event=event,
        clock=clock,
        users=users,
        staff=staff,
        passports=passports,
        menus=CommandMenus(staff, users, DELEGATE_COMMANDS, STAFF_COMMANDS, ADMIN_COMMANDS),
        start_links=start_links,
        answer_question=answer_typed_question,
        send_location=send_location,
        delegate_home=show_home,
        registrations=RegistrationService(sessions, event, passports),
        registration_hooks=registration_hooks,
        delegations=delegations,
        faq=_question_matcher(settings, event),
        questions=QuestionService(sessions, event.id),
        privacy=PrivacyService(sessions, event, passports, storage, users, settings.retention_days),
        headcounts=HeadcountService(sessions, event),
        search=SearchService(sessions, event),
        exports=ExportService(sessions, event),
        checkins=CheckinService(sessions, event),
        audiences=audiences,
        broadcasts=broadcasts,
        outbox=OutboxWorker(
            broadcasts,
            ReminderService(broadcasts, event),
            RateLimiter(settings.broadcast_rate, settings.broadcast_per_chat_interval),
            clock,
        ),
    )


def _install_middlewares(
    dp: Dispatcher, services: Services, isolation: BaseEventIsolation, storage: BaseStorage
) -> None:
    """On `dp.update`, so that background dialogue updates (`manager.bg()`) get them too."""
    # Registered first: on shutdown the updates in progress finish before anything closes.
    in_flight = InFlightUpdates()
    dp.update.outer_middleware(in_flight)
    dp.shutdown.register(in_flight.drain)
    if isinstance(isolation, UpdateIsolation):
        dp.update.outer_middleware(ReleaseLocksLeft())
    if isinstance(storage, SQLStorage):
        dp.update.outer_middleware(StateWrites(storage))
    dp.update.outer_middleware(InteractiveUpdates())
    dp.update.outer_middleware(LanguageMiddleware(services.users, services.staff))


def _routers(settings: Settings) -> list[Router]:
    """Every feature's routers and dialogues, in the order updates try them."""
    return [
        organisers_router(settings),
        privacy_admin_router(),
        privacy_router(),
        broadcast_router(),
        staff_router(),
        delegation_router(),
        info_router(),
        questions_router(),
        resume_router(),
        commands_router(),
        registration_dialog(),
        my_registration_dialog(),
        language_dialog(),
        programme_dialog(),
        info_dialog(),
        faq_dialog(),
        forget_dialog(),
        purge_dialog(),
        broadcast_dialog(),
        invite_dialog(),
        delegations_dialog(),
        staff_dialog(),
        fallback_router(),
        # Last: an error goes through the routers in this order too, and this one takes any error
        # the features' own error handlers (stale buttons) left.
        errors_router(),
    ]


def _register_jobs(dp: Dispatcher, services: Services) -> None:
    dp.startup.register(_set_commands)
    dp.startup.register(services.menus.install)
    retention = RetentionJob(services.privacy, services.clock)
    dp.startup.register(retention.start)
    dp.shutdown.register(retention.stop)
    dp.startup.register(services.outbox.start)
    dp.startup.register(services.faq.start)
    dp.shutdown.register(services.outbox.stop)
    dp.shutdown.register(_dispose_engine)


@asynccontextmanager
async def privacy_service(settings: Settings) -> AsyncIterator[PrivacyService]:
    """The privacy service alone, for `python -m bot purge` and `keys rotate`: no dispatcher."""
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    storage = create_storage(settings.redis_url, sessions)
    users = UserService(sessions, keep_seconds=0.0)
    passports = PassportCipher(settings.passport_keys())
    event = load_event(settings.event_file)
    try:
        yield PrivacyService(sessions, event, passports, storage, users, settings.retention_days)
    finally:
        await storage.close()
        await engine.dispose()


async def _set_commands(bot: Bot) -> None:
    """The command menu in each language Telegram users may have set."""
    i18n = get_i18n()
    for language in supported_languages():
        with i18n.use_locale(language):
            commands = [BotCommand(command=name, description=_(text)) for name, text in DELEGATE_COMMANDS]
        # English is the menu of every language without its own; Telegram takes ISO 639-1 codes
        # (`fil` -> `tl`, `zh_Hant` -> `zh`), and a language without one keeps the English menu.
        code = None if language == DEFAULT_LANGUAGE else telegram_language_code(language)
        if language == DEFAULT_LANGUAGE or code is not None:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)


async def _dispose_engine(services: Services) -> None:
    await services.engine.dispose()
