"""Questions typed by delegates: answered from the event file when the bot is sure, otherwise (or
on request) passed on to the organisers' chat, whose replies come back (bot/questions/organisers.py).

- `answer_typed_question` is what the other features call (`Services.answer_question`): for text
  outside any dialogue and for text typed where a dialogue expects a button; below an answer,
  the dialogue offers to continue (bot/kit/resume.py), and its question comes again when the bot
  did not understand.
- `questions_router` (private chats): the "Ask the organisers" button, and /questions for staff.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager

from bot.core import event_texts
from bot.core.event import Answerable, Topic
from bot.core.i18n import get_i18n, supported_languages
from bot.core.i18n import gettext as _
from bot.core.models import Question
from bot.kit.filters import PRIVATE_CHAT, PRIVATE_CHAT_BUTTON, StaffOnly
from bot.kit.resume import offer_to_continue, show_again
from bot.kit.services import Services, services_of
from bot.kit.widgets import current_language
from bot.questions.detection import looks_like_question
from bot.questions.guide import GuideTopic, guide_answer
from bot.questions.organisers import post_question
from bot.questions.texts import LISTED, open_questions_text

log = logging.getLogger(__name__)


class AskOrganisers(CallbackData, prefix="askorg"):
    question_id: int


def _answer_language(question_language: str, user_language: str) -> str:
    """The bot's own words follow the question's language when the bot speaks it, else the
    delegate's; event-file texts follow the question's language, else English."""
    return question_language if question_language in supported_languages() else user_language


async def answer_question(
    message: Message, services: Services, *, language: str, in_dialogue: bool = False
) -> bool:
    """Answer a typed question (both parts of a question about two things), or say honestly that
    the bot is not sure and offer the organisers. True when it was answered.

    `language` is the delegate's (the bot's language for them)."""
    text = message.text or ""
    # Off the event loop: matching by meaning takes some 20 ms of CPU, outside the GIL.
    result = await asyncio.to_thread(services.faq.search, text, language)
    now = services.clock.now()
    with get_i18n().use_locale(_answer_language(result.language, language)):
        parts = [_answer_text(services, answer, result.language, now) for answer in result.answers]
        answer = "\n\n".join(part for part in parts if part) or None
    # An answer speaks the question's language; "not sure" speaks the delegate's own (the text may
    # be no question at all, and its language a guess).
    speaking = _answer_language(result.language, language) if answer is not None else language
    if (answer is None or in_dialogue) and not looks_like_question(text, (language, result.language)):
        # A name, a link, a greeting: neither answered nor worth the organisers' time. Where a
        # dialogue expects a button, a word that matches an answer ("female" at the gender
        # question, near "female delegates") is still the answer typed, not a question.
        with get_i18n().use_locale(language):
            await message.answer(_not_a_question_text(in_dialogue))
        return False
    matched = "+".join(found.key for found in result.answers)[:64] if answer else None
    question = await services.questions.record(
        message.from_user.id,
        text,
        language=result.language,
        user_language=language,
        matched=matched,
        score=result.score,
        now=now,
    )
    log.info("question %s: %s (score %.2f)", question.id, question.matched or "not sure", result.score)
    can_ask = services.settings.organiser_chat_id is not None
    with get_i18n().use_locale(speaking):
        button = InlineKeyboardButton(
            text=_("🙋 Ask the organisers"), callback_data=AskOrganisers(question_id=question.id).pack()
        )
        ask = InlineKeyboardMarkup(inline_keyboard=[[button]]) if can_ask else None
        if answer is None:
            await message.answer(_not_sure_text(services, can_ask, in_dialogue), reply_markup=ask)
            return False
        await message.answer(answer, reply_markup=ask)
        if any(found.key == f"faq:{Topic.VENUE.value}" for found in result.answers):
            venue = services.event.venue
            await services.send_location(message.bot, message.chat.id, venue, result.language)
    return True


def _answer_text(services: Services, answer: Answerable, language: str, now: datetime) -> str | None:
    """The text of one answer in the current locale (event texts in `language`); None if the event
    file no longer has it."""
    if answer.kind == "guide":
        return guide_answer(GuideTopic(answer.id), services.event, language)
    return event_texts.answer_text(services.event, answer, language, now)


def _not_a_question_text(in_dialogue: bool) -> str:
    """What the bot says to text that is no question (bot/questions/detection.py)."""
    ask = _("To ask me something, type your question with a question mark.")
    if in_dialogue:  # most likely an answer typed where the buttons are
        return "⚠️ " + _("Please answer with the buttons below.") + "\n" + ask
    return "🤔 " + _("I did not understand that.") + " " + ask + "\n" + _("/help shows all I can do.")


def _not_sure_text(services: Services, can_ask: bool, in_dialogue: bool) -> str:
    """What the bot says when it does not know the answer, in the current language."""
    if in_dialogue:  # perhaps an answer typed instead of tapped, perhaps a question
        lines = [
            "⚠️ " + _("Please answer with the buttons below."),
            _("If that was a question: I am not sure I understood it, and I would rather not guess."),
        ]
    else:
        lines = [_("🤔 I am not sure I understood your question, and I would rather not guess.")]
    if can_ask:
        lines.append(_("Tap the button to ask the organisers: their answer will come here."))
    else:
        email = escape(services.event.contact_email)
        lines.append(_("Please write to the organisers: {email}").format(email=email))
    lines.append(_("You can also look it up with /info, /programme or /faq."))
    if not in_dialogue:
        lines.append(_("Send /start to register or see where you are, /help for all I can do."))
    return "\n\n".join(lines)


async def answer_typed_question(message: Message, manager: DialogManager, *, in_dialogue: bool) -> None:
    """Handed to the other features (`Services.answer_question`): text typed outside any dialogue,
    or where a dialogue expects a button (the dialogue then stays where it was). The delegate's
    language is the current one, set for the update by the language middleware."""
    services = services_of(manager)
    answered = await answer_question(message, services, language=current_language(), in_dialogue=in_dialogue)
    if not in_dialogue:
        return
    if answered:
        await offer_to_continue(message, manager)
    else:  # perhaps an answer typed where buttons are expected: the question again
        await show_again(message, manager)


async def ask_organisers(
    callback: CallbackQuery,
    callback_data: AskOrganisers,
    bot: Bot,
    services: Services,
    dialog_manager: DialogManager,
    language: str,
) -> None:
    """The "Ask the organisers" button below an answer: the question is posted in their chat."""
    question = await services.questions.get(callback_data.question_id)
    if question is None or question.user_id != callback.from_user.id:
        await callback.answer(_("This button is no longer valid."))
        return
    if question.sent_at is not None:
        await callback.answer(_("Your question was already sent to the organisers."))
        return
    email = escape(services.event.contact_email)
    if services.settings.organiser_chat_id is None:
        await callback.answer()
        await callback.message.answer(_("Please write to the organisers: {email}").format(email=email))
        return
    try:
        sent = await post_question(bot, services, question, callback.from_user)
    except TelegramAPIError as error:
        log.warning("could not post question %s to the organisers' chat: %s", question.id, error)
        await callback.answer()
        await callback.message.answer(
            _("Sorry, I could not reach the organisers just now. Please write to them: {email}").format(
                email=email
            )
        )
        return
    now = services.clock.now()
    await services.questions.mark_sent(question.id, sent.chat.id, sent.message_id, now)
    await callback.answer()
    try:
        await callback.message.edit_reply_markup(reply_markup=None)
    except TelegramAPIError:
        pass  # too old to edit: the button is refused above if pressed again
    await callback.message.answer(
        _("✅ Your question was sent to the organisers on {moment}. Their answer will come here.").format(
            moment=escape(event_texts.sent_at_text(now, services.event, language))
        )
    )
    await offer_to_continue(callback.message, dialog_manager)


async def list_open_questions(message: Message, services: Services) -> None:
    """/questions for staff in private: the open questions, answered in the organisers' chat; a
    button per question opens its post there (links to messages exist in supergroups only)."""
    found, total = await services.questions.open_questions(LISTED)
    links = [(question.id, _post_link(question)) for question in found]
    buttons = [[InlineKeyboardButton(text=f"↗ #{number}", url=url)] for number, url in links if url]
    await message.answer(
        await open_questions_text(found, total, services, in_organisers_chat=False),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
    )


def _post_link(question: Question) -> str | None:
    chat = str(question.organiser_chat_id or "")
    if not chat.startswith("-100") or question.organiser_message_id is None:
        return None
    return f"https://t.me/c/{chat.removeprefix('-100')}/{question.organiser_message_id}"


def questions_router() -> Router:
    """Private chats: the "Ask the organisers" button, and /questions for staff."""
    router = Router(name="questions")
    router.message.filter(PRIVATE_CHAT)
    router.callback_query.filter(PRIVATE_CHAT_BUTTON)
    router.callback_query.register(ask_organisers, AskOrganisers.filter())
    router.message.register(list_open_questions, Command("questions"), StaffOnly())
    return router
