"""What the bot answers about itself: how to withdraw, where the QR code is, how to change the
language, what is kept about a delegate, where to give dietary and accessibility needs.

These are the same for every event, so they are not in the event file: the answers are catalog
messages, and the questions that recognise them (in every language the bot speaks) are in
`guide.yaml` beside this module. Registering and changing an answer stay FAQ entries of the event
file, whose answers name the event's own deadlines.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from html import escape
from pathlib import Path

import yaml

from bot.core.event import SAFE_LOADER, Event, localized
from bot.core.i18n import gettext as _

GUIDE_FILE = Path(__file__).with_name("guide.yaml")


class GuideTopic(StrEnum):
    WITHDRAW = "withdraw"
    TICKET = "ticket"
    LANGUAGE = "language"
    PRIVACY = "privacy"
    DIETARY = "dietary"
    ACCESSIBILITY = "accessibility"


@cache
def guide_data() -> dict:
    """guide.yaml: `questions` (topic → language → examples) and `when` (day and part-of-day words)."""
    return yaml.load(GUIDE_FILE.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def guide_questions() -> dict[GuideTopic, dict[str, list[str]]]:
    return {GuideTopic(topic): examples for topic, examples in guide_data()["questions"].items()}


def guide_answer(topic: GuideTopic, event: Event, language: str) -> str:
    """The answer in the current catalog language; event texts (privacy notice, dietary options) in
    `language`."""
    email = escape(event.contact_email)
    if topic is GuideTopic.WITHDRAW:
        return _(
            "🗑 To withdraw your registration, send /me and tap “🗑 Withdraw my registration”. "
            "If you change your mind, /start registers you again while registration is open."
        )
    if topic is GuideTopic.TICKET:
        return _(
            "🔳 Your QR code came in this chat when you completed your registration. To see it again, "
            "send /me and tap “🔳 Show my QR code”. Show it at the entrance to check in."
        )
    if topic is GuideTopic.LANGUAGE:
        return _(
            "🌐 To change the language of this chat, send /language and choose yours. "
            "You can type questions in any language: I answer in the language of the question."
        )
    if topic is GuideTopic.PRIVACY:
        notice = escape(localized(event.privacy.notice, language))
        return (
            "🔒 "
            + notice
            + "\n\n"
            + _("Send /mydata to see everything stored about you, and /forget to erase it.")
        )
    if topic is GuideTopic.DIETARY:
        options = ", ".join(escape(localized(option.label, language)) for option in event.dietary_options)
        text = _("🍽 The registration asks about your dietary needs; the kitchen is told.")
        if options:
            text += "\n" + _("Options: {options}, or type your own.").format(options=options)
        return text + "\n" + _("To change your answer, send /me and tap it.")
    return _(
        "♿ The registration asks about accessibility needs (wheelchair access, sign language, a "
        "companion…), and the organisers prepare for them. To change your answer, send /me and tap it. "
        "For anything to discuss, write to {email}."
    ).format(email=email)
