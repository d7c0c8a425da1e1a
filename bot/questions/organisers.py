"""The organisers' chat (ORGANISER_CHAT_ID): every member is an organiser. Group messages are in the
default language.

- A question's post (`post_question`) carries a ✍️ button; /questions lists the open ones, each
  with its own ✍️ button. The button asks the organiser for the answer (a message they reply to,
  `_ask_for_answer`).
- A reply to a question's post or to such a request is the answer: relayed to the delegate, in
  their language, and the post is edited to show who answered and when. A question answered
  already asks first ("send yours too?"): the delegate gets a second answer only when confirmed.
- A reply to any other message of the bot is not an answer: the organiser is told how to answer.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.core import event_texts
from bot.core.i18n import DEFAULT_LANGUAGE, get_i18n
from bot.core.i18n import gettext as _
from bot.core.models import Question, QuestionStatus
from bot.core.settings import Settings
from bot.kit.filters import Inline
from bot.kit.services import Services
from bot.questions.texts import LISTED, answered_text, open_questions_text, quote, who_asked

log = logging.getLogger(__name__)

# The bot's messages about one question (the request for an answer, the "send yours too?") name
# it as "#12" on their first line, which holds no text typed by anyone.
_QUESTION_NUMBER = re.compile(r"#(\d+)")
_DRAFTS = "answer_drafts"  # organiser's FSM data: question id -> answer waiting for confirmation


class AnswerQuestion(CallbackData, prefix="qans"):
    question_id: int


class SecondAnswer(CallbackData, prefix="qans2"):
    question_id: int
    send: bool


def _answer_button(question_id: int, with_number: bool) -> InlineKeyboardButton:
    text = _("✍️ Answer #{number}").format(number=question_id) if with_number else _("✍️ Answer")
    return InlineKeyboardButton(text=text, callback_data=AnswerQuestion(question_id=question_id).pack())


async def post_text(question: Question, services: Services, user: User | None) -> str:
    """A question's post in the organisers' chat: who asked, the question, and whether (by whom,
    when) it was answered. `user` names a delegate who is not registered (None: their number)."""
    who = await who_asked(question, services, user)
    post = _("❓ <b>Question #{number}</b> from {who}\n\n{text}").format(
        number=question.id, who=who, text=escape(question.text)
    )
    if question.status == QuestionStatus.ANSWERED:
        return post + "\n\n" + answered_text(question, services)
    return post + (
        "\n\n<i>"
        + _("Reply to this message, or tap ✍️ Answer, to answer: your answer goes to the delegate.")
        + "</i>"
    )


async def post_question(bot: Bot, services: Services, question: Question, user: User) -> Message:
    """Post a delegate's question in the organisers' chat, with its ✍️ button."""
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        text = await post_text(question, services, user)
        answer = InlineKeyboardMarkup(inline_keyboard=[[_answer_button(question.id, with_number=False)]])
    return await bot.send_message(services.settings.organiser_chat_id, text, reply_markup=answer)


async def list_open_questions(message: Message, services: Services) -> None:
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        found, total = await services.questions.open_questions(LISTED)
        buttons = [[_answer_button(question.id, with_number=True)] for question in found]
        await message.answer(
            await open_questions_text(found, total, services, in_organisers_chat=True),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
        )


async def _asked_in_this_chat(question_id: int, chat_id: int, services: Services) -> Question | None:
    question = await services.questions.get(question_id)
    if question is None or question.event_id != services.questions.event_id:
        return None
    return question if question.organiser_chat_id == chat_id else None


async def ask_for_answer(callback: CallbackQuery, callback_data: AnswerQuestion, services: Services) -> None:
    """A ✍️ button: the bot asks the organiser for the answer, in a message they reply to."""
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        question = await _asked_in_this_chat(callback_data.question_id, callback.message.chat.id, services)
        if question is None:
            await callback.answer(_("This button is no longer valid."))
            return
        await callback.answer()
        organiser = callback.from_user
        lines = [
            "✍️ " + _("<b>Your answer to question #{number}</b>").format(number=question.id),
            await who_asked(question, services, None),
            f"<i>{quote(question.text)}</i>",
        ]
        if question.status == QuestionStatus.ANSWERED:
            lines.append(answered_text(question, services))
        lines.append(
            "\n"
            + _("{organiser}, reply to this message with your answer: it goes to the delegate.").format(
                organiser=organiser.mention_html(organiser.full_name)
            )
        )
        await callback.message.answer(
            "\n".join(lines),
            reply_markup=ForceReply(
                selective=True,
                input_field_placeholder=_("Your answer to #{number}").format(number=question.id),
            ),
        )


async def _question_replied_to(message: Message, services: Services) -> Question | None:
    """The question a reply answers: the question's own post, or a message of the bot about one
    question (its first line names it)."""
    replied = message.reply_to_message
    question = await services.questions.by_organiser_post(message.chat.id, replied.message_id)
    if question is not None:
        return question
    first_line = (replied.text or "").split("\n", 1)[0]
    number = _QUESTION_NUMBER.search(first_line)
    if number is None:
        return None
    return await _asked_in_this_chat(int(number.group(1)), message.chat.id, services)


async def reply_to_bot(message: Message, bot: Bot, services: Services, state: FSMContext) -> None:
    """A reply to one of the bot's messages: the answer to a question when it can be told which,
    else how to answer. Replies to other organisers are their own talk."""
    author = message.reply_to_message.from_user
    if author is None or author.id != (await bot.me()).id:
        return
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        question = await _question_replied_to(message, services)
        if question is None:
            await message.reply(
                _(
                    "ℹ️ This message is not a question's post: your reply was not passed on. To answer a "
                    "question, reply to its own post or tap its ✍️ button (/questions lists the open ones)."
                )
            )
            return
        if not message.text:
            await message.reply(_("Only text replies are passed on to the delegate. Please reply with text."))
            return
        if message.text.startswith("/"):
            return
        organiser = message.from_user
        now = services.clock.now()
        if not await services.questions.claim_answer(question.id, organiser.id, organiser.full_name, now):
            await _confirm_second_answer(message, question, services, state)
            return
        if await _send_answer(bot, services, question, message.text, organiser, now):
            await message.reply(_sent_text(services, now))
        else:
            await services.questions.release_answer(question.id, organiser.id, now)
            await message.reply(_("⚠️ Not delivered: the delegate has blocked the bot."))


async def _confirm_second_answer(
    message: Message, question: Question, services: Services, state: FSMContext
) -> None:
    """An answer to a question answered already waits in the organiser's state for Send/Cancel."""
    question = await services.questions.get(question.id) or question
    drafts = (await state.get_data()).get(_DRAFTS, {})
    await state.update_data({_DRAFTS: {**drafts, str(question.id): message.text}})
    moment = event_texts.sent_at_text(question.answered_at, services.event, DEFAULT_LANGUAGE)
    buttons = [
        [
            InlineKeyboardButton(
                text=_("📤 Send"), callback_data=SecondAnswer(question_id=question.id, send=True).pack()
            ),
            InlineKeyboardButton(
                text=_("✖️ Cancel"), callback_data=SecondAnswer(question_id=question.id, send=False).pack()
            ),
        ]
    ]
    await message.reply(
        "⚠️ "
        + _("#{number} was already answered.").format(number=question.id)
        + "\n"
        + _("By {name} at {moment}: send yours too?").format(
            name=escape(question.answered_by_name or _("an organiser")), moment=escape(moment)
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


async def decide_second_answer(
    callback: CallbackQuery, callback_data: SecondAnswer, bot: Bot, services: Services, state: FSMContext
) -> None:
    """Send or Cancel under "send yours too?": only the organiser who wrote the answer holds it."""
    with get_i18n().use_locale(DEFAULT_LANGUAGE):
        drafts = dict((await state.get_data()).get(_DRAFTS, {}))
        text = drafts.pop(str(callback_data.question_id), None)
        question = await _asked_in_this_chat(callback_data.question_id, callback.message.chat.id, services)
        if text is None or question is None:
            await callback.answer(_("This button is no longer valid."))
            return
        await state.update_data({_DRAFTS: drafts})
        await callback.answer()
        if not callback_data.send:
            await _edit_quietly(callback.message, _("✖️ Not sent."))
            return
        now = services.clock.now()
        if await _send_answer(bot, services, question, text, callback.from_user, now):
            await _edit_quietly(callback.message, _sent_text(services, now))
        else:
            await _edit_quietly(callback.message, _("⚠️ Not delivered: the delegate has blocked the bot."))


async def _edit_quietly(message: Message, text: str) -> None:
    try:
        await message.edit_text(text, reply_markup=None)
    except TelegramAPIError as error:
        log.warning("could not edit a message in the organisers' chat: %s", error)


def _sent_text(services: Services, now: datetime) -> str:
    return _("✅ Sent to the delegate ({moment}).").format(
        moment=escape(event_texts.sent_at_text(now, services.event, DEFAULT_LANGUAGE))
    )


async def _send_answer(
    bot: Bot, services: Services, question: Question, text: str, organiser: User, now: datetime
) -> bool:
    """Relay an answer to the delegate in their language, keep it, and show it on the question's
    post; False when the delegate has blocked the bot."""
    language = await services.users.language(question.user_id) or question.user_language
    with get_i18n().use_locale(language):
        relayed = _("💬 <b>The organisers answered your question</b>\n<i>{question}</i>\n\n{answer}").format(
            question=quote(question.text), answer=escape(text)
        )
    try:
        await bot.send_message(question.user_id, relayed)
    except TelegramForbiddenError:
        return False
    answered = await services.questions.add_reply(question.id, organiser.id, organiser.full_name, text, now)
    try:
        await bot.edit_message_text(
            await post_text(answered, services, None),
            chat_id=answered.organiser_chat_id,
            message_id=answered.organiser_message_id,
            reply_markup=None,
        )
    except TelegramAPIError as error:  # the post was deleted: the answer went all the same
        log.warning("could not mark question %s answered on its post: %s", question.id, error)
    return True


def organisers_router(settings: Settings) -> Router:
    """The organisers' chat, `settings.organiser_chat_id`: only its messages reach these handlers."""
    router = Router(name="organisers-chat")
    router.message.filter(Inline(F.chat.id == settings.organiser_chat_id))
    router.callback_query.filter(Inline(F.message.chat.id == settings.organiser_chat_id))
    router.message.register(list_open_questions, Command("questions"))
    router.message.register(reply_to_bot, Inline(F.reply_to_message))
    router.callback_query.register(ask_for_answer, AnswerQuestion.filter())
    router.callback_query.register(decide_second_answer, SecondAnswer.filter())
    return router
