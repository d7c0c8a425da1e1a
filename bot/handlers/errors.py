"""Errors that reach the dispatcher: stale buttons, and anything unexpected."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.handlers.start import show_home
from bot.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.i18n import gettext as _
from bot.services.registrations import RegistrationService

log = logging.getLogger(__name__)


async def _in_user_language(handler, error: ErrorEvent, data: dict):
    with get_i18n().use_locale(data.get("language", DEFAULT_LANGUAGE)):
        return await handler(error, data)


def errors_router() -> Router:
    router = Router(name="errors")
    router.errors.middleware(_in_user_language)

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
    async def unexpected(error: ErrorEvent) -> None:
        log.exception("update %s failed", error.update.update_id, exc_info=error.exception)
        update = error.update
        text = _("Sorry, something went wrong on our side. Please try again in a moment.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)

    return router
