"""How questions read in the organisers' chat and in /questions: who asked, and the open ones."""

from __future__ import annotations

from html import escape

from aiogram.types import User

from bot.core import event_texts
from bot.core.i18n import DEFAULT_LANGUAGE, country_name, fmt_number, get_i18n, language_name, ngettext
from bot.core.i18n import gettext as _
from bot.core.models import Question
from bot.kit.services import Services

LISTED = 10  # open questions shown by /questions
_QUOTE = 300  # characters of a question quoted back


def quote(text: str) -> str:
    """A question's text on one line, shortened and escaped, to quote it back."""
    text = " ".join(text.split())
    return escape(text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…")


def _telegram_name(user: User) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return name + (f" @{user.username}" if user.username else "")


async def who_asked(question: Question, services: Services, user: User | None) -> str:
    """Name, country and language of the delegate who asked, for the organisers (escaped)."""
    registration = await services.registrations.get_active(question.user_id)
    if registration is not None:
        name, country = registration.full_name, country_name(registration.country, DEFAULT_LANGUAGE)
    else:
        name, country = _telegram_name(user) if user else f"#{question.user_id}", _("not registered")
    languages = language_name(question.language, DEFAULT_LANGUAGE)
    if question.user_language != question.language:
        languages += " / " + _("bot in {language}").format(
            language=language_name(question.user_language, DEFAULT_LANGUAGE)
        )
    return f"<b>{escape(name)}</b> ({escape(country)}; {escape(languages)})"


def answered_text(question: Question, services: Services) -> str:
    """Who answered the question last, and when (event time zone), as the organisers read it."""
    name = question.answered_by_name or _("an organiser")
    return _("✅ Answered by {name}, {moment}").format(
        name=escape(name),
        moment=escape(event_texts.sent_at_text(question.answered_at, services.event, DEFAULT_LANGUAGE)),
    )


async def open_questions_text(
    found: list[Question], total: int, services: Services, in_organisers_chat: bool
) -> str:
    """The oldest open questions (sent to the organisers, not answered yet), and how to answer."""
    if not found:
        return _("📭 No open questions: every question passed on to the organisers has an answer.")
    lines = [
        _("📬 <b>Open questions</b>: {count}").format(count=fmt_number(total, get_i18n().current_locale))
    ]
    for question in found:
        who = await who_asked(question, services, None)
        lines.append(f"\n<b>#{question.id}</b> · {who}\n{quote(question.text)}")
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
            _("To answer a question, tap its ✍️ button below, or reply to its own post in this chat.")
            if in_organisers_chat
            else _("Answer them in the organisers' chat: reply to their posts there, or tap their ✍️ buttons.")
        )
        + "</i>"
    )
    return "\n".join(lines)
