"""Questions typed in the chat: answered from the event file when the bot is sure, otherwise (or
on request) passed on to the organisers' chat, whose replies come back to the delegate.

- `answer_question` is called for text outside any dialogue and for text typed where a dialogue
  expects a button; the dialogue is shown again below the answer by its caller.
- `questions_router` (private chats): the "Ask the organisers" button, and /questions for staff.
- `organisers_router` (the ORGANISER_CHAT_ID chat): replies to the bot's posts, and /questions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from aiogram_dialog import DialogManager, ShowMode

from bot.core import event_texts
from bot.core.clock import Clock
from bot.core.event import Event, Place, Topic, localized
from bot.core.i18n import (
    DEFAULT_LANGUAGE,
    country_name,
    get_i18n,
    language_name,
    ngettext,
    supported_languages,
)
from bot.core.i18n import gettext as _
from bot.core.models import Question
from bot.core.settings import Settings
from bot.core.users import UserService
from bot.kit.filters import PRIVATE_CHAT, PRIVATE_CHAT_BUTTON, Inline, StaffOnly
from bot.questions.matcher import FaqMatcher
from bot.questions.service import QuestionService
from bot.registration.service import RegistrationService

log = logging.getLogger(__name__)

_LISTED = 10  # open questions shown by /questions
_QUOTE = 300  # characters of a question quoted back


class AskOrganisers(CallbackData, prefix="askorg"):
    question_id: int


def _answer_language(question_language: str, user_language: str) -> str:
    """The bot's own words follow the question's language when the bot speaks it, else the
    delegate's; event-file texts follow the question's language, else English."""
    return question_language if question_language in supported_languages() else user_language


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return escape(text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…")


async def answer_question(message: Message, data: Mapping[str, Any], in_dialogue: bool = False) -> None:
    """Answer a typed question, or say honestly that the bot is not sure and offer the organisers."""
    matcher: FaqMatcher = data["faq"]
    questions: QuestionService = data["questions"]
    event: Event = data["conference"]
    clock: Clock = data["clock"]
    settings: Settings = data["settings"]
    user_language: str = data.get("language", DEFAULT_LANGUAGE)
    text = message.text or ""
    result = matcher.search(text, hint_language=user_language)
    now = clock.now()
    answer = event_texts.answer_text(event, result.answer, result.language, now) if result.answer else None
    question = await questions.record(
        message.from_user.id,
        text,
        language=result.language,
        user_language=user_language,
        matched=result.answer.key if answer else None,
        score=result.score,
        now=now,
    )
    log.info("question %s: %s (score %.2f)", question.id, question.matched or "not sure", result.score)
    can_ask = settings.organiser_chat_id is not None
    # An answer speaks the question's language; "not sure" speaks the delegate's own (the text may
    # be no question at all, and its language a guess).
    speaking = _answer_language(result.language, user_language) if answer is not None else user_language
    with get_i18n().use_locale(speaking):
        button = InlineKeyboardButton(
            text=_("🙋 Ask the organisers"), callback_data=AskOrganisers(question_id=question.id).pack()
        )
        ask = InlineKeyboardMarkup(inline_keyboard=[[button]]) if can_ask else None
        if answer is not None:
            await message.answer(answer, reply_markup=ask)
            if result.answer.key == f"faq:{Topic.VENUE.value}":
                await send_location(message.bot, message.chat.id, event.venue, result.language)
            return
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
            lines.append(
                _("Please write to the organisers: {email}").format(email=escape(event.contact_email))
            )
        lines.append(_("You can also look it up with /info, /programme or /faq."))
        if not in_dialogue:
            lines.append(_("Send /start to register or see where you are, /help for all I can do."))
        await message.answer("\n\n".join(lines), reply_markup=ask)


async def answer_typed_question(message: Message, manager: DialogManager, *, in_dialogue: bool) -> None:
    """Handed to the other features (`Services.answer_question`): text typed outside any dialogue,
    or where a dialogue expects a button (the dialogue then stays where it was)."""
    await answer_question(message, manager.middleware_data, in_dialogue=in_dialogue)


async def send_location(bot: Bot, chat_id: int, place: Place | None, language: str) -> bool:
    """The place as a Telegram venue (a map pin with its name); False when it has no coordinates."""
    if place is None or not place.has_location:
        return False
    name = localized(place.name, language)
    await bot.send_venue(
        chat_id,
        latitude=place.latitude,
        longitude=place.longitude,
        title=name[:100],
        address=(localized(place.address, language) or name)[:100],
    )
    return True


def _delegate_name(user: User | None) -> str:
    if user is None:
        return "?"
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return name + (f" @{user.username}" if user.username else "")


async def _who(question: Question, registrations: RegistrationService, user: User | None) -> str:
    """Name, country and language of the delegate who asked, for the organisers (escaped)."""
    registration = await registrations.get_active(question.user_id)
    if registration is not None:
        name, country = registration.full_name, country_name(registration.country, DEFAULT_LANGUAGE)
    else:
        name, country = _delegate_name(user) if user else f"#{question.user_id}", _("not registered")
    languages = language_name(question.language, DEFAULT_LANGUAGE)
    if question.user_language != question.language:
        languages += " / " + _("bot in {language}").format(
            language=language_name(question.user_language, DEFAULT_LANGUAGE)
        )
    return f"<b>{escape(name)}</b> ({escape(country)}; {escape(languages)})"


def questions_router() -> Router:
    """Private chats: the "Ask the organisers" button, and /questions for staff."""
    router = Router(name="questions")
    router.message.filter(PRIVATE_CHAT)
    router.callback_query.filter(PRIVATE_CHAT_BUTTON)

    @router.callback_query(AskOrganisers.filter())
    async def ask_organisers(
        callback: CallbackQuery,
        callback_data: AskOrganisers,
        bot: Bot,
        questions: QuestionService,
        registrations: RegistrationService,
        conference: Event,
        clock: Clock,
        settings: Settings,
        dialog_manager: DialogManager,
        language: str,
    ) -> None:
        question = await questions.get(callback_data.question_id)
        if question is None or question.user_id != callback.from_user.id:
            await callback.answer(_("This button is no longer valid."))
            return
        if question.sent_at is not None:
            await callback.answer(_("Your question was already sent to the organisers."))
            return
        if settings.organiser_chat_id is None:
            await callback.answer()
            await callback.message.answer(
                _("Please write to the organisers: {email}").format(email=escape(conference.contact_email))
            )
            return
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            who = await _who(question, registrations, callback.from_user)
            post = _("❓ <b>Question #{number}</b> from {who}\n\n{text}").format(
                number=question.id, who=who, text=escape(question.text)
            )
            post += (
                "\n\n<i>" + _("Reply to this message to answer: your reply goes to the delegate.") + "</i>"
            )
        try:
            sent = await bot.send_message(settings.organiser_chat_id, post)
        except TelegramAPIError as error:
            log.warning("could not post question %s to the organisers' chat: %s", question.id, error)
            await callback.answer()
            await callback.message.answer(
                _("Sorry, I could not reach the organisers just now. Please write to them: {email}").format(
                    email=escape(conference.contact_email)
                )
            )
            return
        now = clock.now()
        await questions.mark_sent(question.id, sent.chat.id, sent.message_id, now)
        await callback.answer()
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramAPIError:
            pass  # too old to edit: the button is refused above if pressed again
        await callback.message.answer(
            _("✅ Your question was sent to the organisers on {moment}. Their answer will come here.").format(
                moment=escape(event_texts.sent_at_text(now, conference, language))
            )
        )
        if dialog_manager.has_context():
            await dialog_manager.show(ShowMode.SEND)

    @router.message(Command("questions"), StaffOnly())
    async def open_questions(
        message: Message, questions: QuestionService, registrations: RegistrationService
    ) -> None:
        await message.answer(await _open_questions_text(questions, registrations, in_organisers_chat=False))

    return router


async def _open_questions_text(
    questions: QuestionService, registrations: RegistrationService, in_organisers_chat: bool
) -> str:
    found, total = await questions.open_questions(_LISTED)
    if not found:
        return _("📭 No open questions: every question passed on to the organisers has an answer.")
    lines = [_("📬 <b>Open questions</b>: {count}").format(count=total)]
    for question in found:
        who = await _who(question, registrations, None)
        lines.append(f"\n<b>#{question.id}</b> · {who}\n{_quote(question.text)}")
    if total > len(found):
        lines.append(
            "\n"
            + ngettext("…and {count} more.", "…and {count} more.", total - len(found)).format(
                count=total - len(found)
            )
        )
    lines.append(
        "\n<i>"
        + (
            _("Reply to a question's post in this chat to answer it.")
            if in_organisers_chat
            else _("Answer them by replying to their posts in the organisers' chat.")
        )
        + "</i>"
    )
    return "\n".join(lines)


def organisers_router(settings: Settings) -> Router:
    """The organisers' chat: every member is an organiser. Replies to the bot's question posts go to
    the delegate; /questions lists the open ones. Group messages are in the default language."""
    router = Router(name="organisers-chat")
    router.message.filter(Inline(F.chat.id == settings.organiser_chat_id))

    @router.message(Command("questions"))
    async def open_questions(
        message: Message, questions: QuestionService, registrations: RegistrationService
    ) -> None:
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            await message.answer(
                await _open_questions_text(questions, registrations, in_organisers_chat=True)
            )

    @router.message(Inline(F.reply_to_message))
    async def reply_to_delegate(
        message: Message,
        bot: Bot,
        questions: QuestionService,
        users: UserService,
        conference: Event,
        clock: Clock,
    ) -> None:
        question = await questions.by_organiser_post(message.chat.id, message.reply_to_message.message_id)
        if question is None:
            return  # organisers talking among themselves
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            if not message.text:
                await message.reply(
                    _("Only text replies are passed on to the delegate. Please reply with text.")
                )
                return
            if message.text.startswith("/"):
                return
        now = clock.now()
        language = await users.language(question.user_id) or question.user_language
        with get_i18n().use_locale(language):
            relayed = _(
                "💬 <b>The organisers answered your question</b>\n<i>{question}</i>\n\n{answer}"
            ).format(question=_quote(question.text), answer=escape(message.text))
        try:
            await bot.send_message(question.user_id, relayed)
        except TelegramForbiddenError:
            with get_i18n().use_locale(DEFAULT_LANGUAGE):
                await message.reply(_("⚠️ Not delivered: the delegate has blocked the bot."))
            return
        await questions.add_reply(question.id, message.from_user.id, message.text, now)
        with get_i18n().use_locale(DEFAULT_LANGUAGE):
            await message.reply(
                _("✅ Sent to the delegate ({moment}).").format(
                    moment=escape(event_texts.sent_at_text(now, conference, DEFAULT_LANGUAGE))
                )
            )

    return router
