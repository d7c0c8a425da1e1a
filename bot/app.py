"""Wiring: `build_bot` and `build_dispatcher`. Each call builds fresh routers and dialogues."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram_dialog import setup_dialogs
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.config import Settings
from bot.db import create_engine, create_session_factory
from bot.dialogs.language import language_dialog
from bot.dialogs.my_registration import my_registration_dialog
from bot.dialogs.registration import registration_dialog
from bot.event import load_event
from bot.handlers.errors import errors_router
from bot.handlers.start import StartPayloads, commands_router, fallback_router
from bot.i18n import DEFAULT_LANGUAGE, N_, get_i18n, supported_languages
from bot.i18n import gettext as _
from bot.middlewares import LanguageMiddleware
from bot.services.registrations import RegistrationService
from bot.services.staff import StaffService
from bot.services.users import UserService
from bot.storage import create_storage

log = logging.getLogger(__name__)

DELEGATE_COMMANDS = (
    ("start", N_("Register, or see where you are")),
    ("me", N_("My registration")),
    ("language", N_("Change the language")),
    ("help", N_("What this bot can do")),
)


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(settings.bot_token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_dispatcher(settings: Settings, engine: AsyncEngine | None = None) -> Dispatcher:
    event = load_event(settings.event_file)
    engine = engine or create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    storage = create_storage(settings.redis_url, sessions)
    isolation: BaseEventIsolation = (
        storage.create_isolation() if isinstance(storage, RedisStorage) else SimpleEventIsolation()
    )
    users = UserService(sessions)
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        engine=engine,
        conference=event,
        clock=Clock(settings.event_clock),
        users=users,
        registrations=RegistrationService(sessions, event),
        staff=StaffService(sessions, settings.admin_ids),
        start_payloads=StartPayloads(),
    )
    dp.update.outer_middleware(LanguageMiddleware(users))
    dp.include_routers(
        errors_router(),
        commands_router(),
        registration_dialog(),
        my_registration_dialog(),
        language_dialog(),
        fallback_router(),
    )
    setup_dialogs(dp, events_isolation=isolation)
    dp.startup.register(_set_commands)
    dp.shutdown.register(_dispose_engine)
    return dp


async def _set_commands(bot: Bot) -> None:
    """The command menu in each language Telegram users may have set."""
    i18n = get_i18n()
    for language in supported_languages():
        with i18n.use_locale(language):
            commands = [BotCommand(command=name, description=_(text)) for name, text in DELEGATE_COMMANDS]
        code = None if language == DEFAULT_LANGUAGE else language.split("_", 1)[0]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)


async def _dispose_engine(engine: AsyncEngine) -> None:
    await engine.dispose()
