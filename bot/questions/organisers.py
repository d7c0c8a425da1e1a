"""The organisers' chat (ORGANISER_CHAT_ID): every member is an organiser. Replies to the bot's
question posts (bot/questions/delegates.py) go to the delegate; /questions lists the open ones.
Group messages are in the default language."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import Message

from bot.core import event_texts
from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.core.i18n import gettext as _
from bot.core.settings import Settings
from bot.kit.filters import Inline
from bot.kit.services import Services
from bot.questions.texts import open_questions_text, quote


async def list_open_questions(message: Message, services: Services) -> None:
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        await message.answer(await open_questions_text(services, in_organisers_chat=True))


async def reply_to_delegate(message: Message, bot: Bot, services: Services) -> None:
    """A reply to a question's post: relayed to the delegate who asked, in their language."""
    question = await services.questions.by_organiser_post(
        message.chat.id, message.reply_to_message.message_id
    )
    if question is None:
        return  # organisers talking among themselves
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        if not message.text:
            await message.reply(_("Only text replies are passed on to the delegate. Please reply with text."))
            return
        if message.text.startswith("/"):
            return
    now = services.clock.now()
    language = await services.users.language(question.user_id) or question.user_language
    with get_i18n().use_locale(language):
        relayed = _("💬 <b>The organisers answered your question</b>\n<i>{question}</i>\n\n{answer}").format(
            question=quote(question.text), answer=escape(message.text)
        )
    try:
        await bot.send_message(question.user_id, relayed)
    except TelegramForbiddenError:
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            await message.reply(_("⚠️ Not delivered: the delegate has blocked the bot."))
        return
    await services.questions.add_reply(question.id, message.from_user.id, message.text, now)
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        await message.reply(
            _("✅ Sent to the delegate ({moment}).").format(
                moment=escape(event_texts.sent_at_text(now, services.event, DEFAULT_LANGUAGE))
            )
        )


def organisers_router(settings: Settings) -> Router:
    """The organisers' chat, `settings.organiser_chat_id`: only its messages reach these handlers."""
    router = Router(name="organisers-chat")
    router.message.filter(Inline(F.chat.id == settings.organiser_chat_id))
    router.message.register(list_open_questions, Command("questions"))
    router.message.register(reply_to_delegate, Inline(F.reply_to_message))
    return router
