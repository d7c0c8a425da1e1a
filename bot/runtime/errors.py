"""Errors that reach the dispatcher: stale buttons, and anything unexpected."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.core.i18n import gettext as _
from bot.registration.service import RegistrationService
from bot.registration.start import show_home
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


def errors_router() -> Router:
    router = Router(name="errors")
    router.errors.outer_middleware(database_outage)
    router.errors.middleware(in_user_language)

    @router.errors(ExceptionTypeFilter(UnknownIntent, UnknownState, OutdatedIntent))
    async def stale_button(
        error: ErrorEvent, dialog_manager: DialogManager, registrations: RegistrationService
    ) -> None:
        """A button from an old message, or from before a restart: say so, show where they are."""
        update = error.update
        log.info("stale dialogue event: %s", type(error.exception).__name__)
        if update.callback_query is not None:
            await update.callback_query.answer(_("This button is no longer active."))
            message = update.callback_query.message
        else:
            message = update.message
        if message is not None:
            await show_home(message, dialog_manager, registrations)

    @router.errors()
    async def unexpected(error: ErrorEvent, update_outcome: UpdateOutcome | None = None) -> None:
        log.exception("update %s failed", error.update.update_id, exc_info=error.exception)
        if update_outcome is not None:
            update_outcome.failed = True
        update = error.update
        text = _("Sorry, something went wrong on our side. Please try again in a moment.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)

    return router
