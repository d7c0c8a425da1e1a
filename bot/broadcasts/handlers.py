"""/broadcast and the buttons of a broadcast's progress message (staff only).

Anyone else falls through to the delegate routers: the command gets the unknown-command answer,
and a forged button gets nothing.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode

from bot.broadcasts.outbox import JobAction, cancel_keyboard, progress_keyboard, progress_text
from bot.broadcasts.service import BroadcastService
from bot.core.event import Event
from bot.core.i18n import N_
from bot.core.i18n import gettext as _
from bot.core.models import BroadcastJob
from bot.kit.filters import PRIVATE_CHAT, StaffOnly
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.states import BroadcastSG

ANSWERS = {
    "pause": (N_("⏸ Paused."), N_("This broadcast is not sending.")),
    "resume": (N_("▶️ Sending again."), N_("This broadcast is not paused.")),
    "stop": (N_("🛑 Cancelled: nothing more is sent."), N_("This broadcast is already over.")),
}


async def show_progress(bot: Bot, job: BroadcastJob, broadcasts: BroadcastService, event: Event) -> None:
    """The job's progress message as the job is now, in the language of whoever pressed."""
    if job.progress_message_id is None:
        return
    progress = await broadcasts.progress(job.id)
    with suppress(TelegramBadRequest):  # unchanged (a second press), or deleted by the staff member
        await bot.edit_message_text(
            text=progress_text(job, progress, event, current_language()),
            chat_id=job.progress_chat_id,
            message_id=job.progress_message_id,
            reply_markup=progress_keyboard(job),
        )


async def start_broadcast(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(BroadcastSG.audience, show_mode=ShowMode.SEND)


async def job_action(callback: CallbackQuery, callback_data: JobAction, services: Services) -> None:
    """A button of the progress message: pause, resume, cancel (asks first), or keep sending."""
    broadcasts = services.broadcasts
    job_id, action = callback_data.job_id, callback_data.action
    job = await broadcasts.get(job_id)
    if job is None or action not in (*ANSWERS, "cancel", "keep"):
        await callback.answer(_("This button is no longer active."))
        return
    if action == "cancel":
        await callback.message.answer(
            _("Cancel broadcast #{id}? The messages not sent yet will not be sent.").format(id=job_id),
            reply_markup=cancel_keyboard(job),
        )
        await callback.answer()
        return
    if action == "keep":
        with suppress(TelegramBadRequest):
            await callback.message.edit_text(_("Broadcast #{id} goes on.").format(id=job_id))
        await callback.answer()
        return
    change = {"pause": broadcasts.pause, "resume": broadcasts.resume, "stop": broadcasts.cancel}[action]
    changed = await change(job_id)
    if changed:
        if action != "resume":
            services.outbox.halt(job_id)
        services.outbox.wake()  # to go on at once, or to report a cancelled job once nothing is in flight
        await services.staff.audit(
            callback.from_user.id, f"broadcast.{action}", subject=f"broadcast:{job_id}"
        )
    done, refused = ANSWERS[action]
    answer = _(done if changed else refused)
    if action == "stop":
        with suppress(TelegramBadRequest):
            await callback.message.edit_text(answer)
    await show_progress(callback.bot, await broadcasts.get(job_id), broadcasts, services.event)
    await callback.answer(answer)


def broadcast_router() -> Router:
    router = Router(name="broadcast")
    router.message.filter(PRIVATE_CHAT, StaffOnly())
    router.callback_query.filter(StaffOnly())
    router.message.register(start_broadcast, Command("broadcast"))
    router.callback_query.register(job_action, JobAction.filter())
    return router
