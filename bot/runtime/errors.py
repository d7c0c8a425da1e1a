"""Errors that reach the dispatcher: the database out of reach, and anything unexpected."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.core.i18n import gettext as _
from bot.runtime.outage import database_outage

log = logging.getLogger(__name__)


@dataclass
class UpdateOutcome:
    """Given with each update in webhook mode: a failed update is answered non-2xx, so that
    Telegram delivers it again (the user was told to try again; the retry may well succeed)."""

    failed: bool = False


async def in_user_language(handler, error: ErrorEvent, data: dict):
    """Errors are handled outside the language middleware (aiogram handles them around every
    middleware): the messages they send speak the language it left in the data."""
    with get_i18n().use_locale(data.get("language", DEFAULT_LANGUAGE)):
        return await handler(error, data)


async def report_unexpected(error: ErrorEvent, update_outcome: UpdateOutcome | None = None) -> None:
    """Anything else: logged, and the user asked to try again (a webhook update is retried)."""
    log.exception("update %s failed", error.update.update_id, exc_info=error.exception)
    if update_outcome is not None:
        update_outcome.failed = True
    update = error.update
    text = _("Sorry, something went wrong on our side. Please try again in a moment.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)


def errors_router() -> Router:
    """The last stop of an error; stale buttons are handled by the registration feature, which
    knows where to bring the user back (`show_home_after_stale_button`)."""
    router = Router(name="errors")
    router.errors.outer_middleware(database_outage)
    router.errors.middleware(in_user_language)
    router.errors.register(report_unexpected)
    return router
