"""The database (or Redis) out of reach for a moment: the user is asked to try again.

Any failure while handling an update reaches the errors router, the database's too: aiogram's
own state middleware reads the storage before any handler. The errors router's handlers sit
behind aiogram-dialog's error middleware, which reads the dialogue storage first, so an outage
is answered by an outer middleware of the errors router (bot/runtime/errors.py), with nothing
that needs the database: the answer goes in the language Telegram reports when the user's chosen
one cannot be read. The engine pings pooled connections before use (`pool_pre_ping`), so the bot
recovers by itself once the server is back.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import redis.exceptions
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Update, User
from sqlalchemy import exc

from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n, match_language
from bot.core.i18n import gettext as _

log = logging.getLogger(__name__)

# A locked or unreachable SQLite file is transient; its other operational errors are bugs.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")
_UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    exc.TimeoutError,  # no pooled connection came free
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.ConnectionDoesNotExistError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_database_outage(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error.orig, sqlite3.Error):
            message = str(error.orig).lower()
            return isinstance(error, exc.OperationalError) and any(
                word in message for word in _SQLITE_TRANSIENT
            )
        return isinstance(error, exc.OperationalError)
    return isinstance(error, _UNREACHABLE)


def caused_by_outage(error: BaseException) -> bool:
    """The error, or one it was raised while handling, is an outage."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if is_database_outage(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def describe(error: BaseException) -> str:
    """The error's kind only: SQLAlchemy's messages include the statement's parameters."""
    cause = getattr(error, "orig", None)
    return type(error).__name__ + (f" ({type(cause).__name__})" if cause is not None else "")


async def database_outage(
    handler: Callable[[ErrorEvent, dict[str, Any]], Awaitable[Any]], error: ErrorEvent, data: dict[str, Any]
) -> Any:
    """Outer middleware of the errors router: answers an outage before anything that needs the
    database (aiogram-dialog's error middleware reads the dialogue storage)."""
    if not caused_by_outage(error.exception):
        return await handler(error, data)
    log.warning("update %s: database unavailable: %s", error.update.update_id, describe(error.exception))
    await apologise(error.update, data)
    return True


async def apologise(update: Update, data: dict[str, Any]) -> None:
    """Ask the user to try again, in their language if it can be known without the database."""
    outcome = data.get("update_outcome")
    if outcome is not None:
        outcome.failed = True  # webhook mode: Telegram delivers the update again later
    user: User | None = data.get("event_from_user")
    language = data.get("language") or match_language(user.language_code if user else None)
    with get_i18n().use_locale(language or DEFAULT_LANGUAGE):
        text = _("⏳ The bot cannot reach its records for a moment. Please try again in a minute.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(text)
    except TelegramAPIError as error:
        log.warning("could not tell the user to try again: %s", type(error).__name__)
