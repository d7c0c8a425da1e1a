"""Data rights: /privacy, /mydata and /forget for everyone; /purge for admins."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram_dialog import DialogManager, ShowMode

from bot.core.crypto import mask
from bot.core.event import Event, localized
from bot.core.i18n import fmt_date, fmt_number, language_name, ngettext
from bot.core.i18n import gettext as _
from bot.core.labels import STATUSES_FOR_DELEGATES
from bot.core.summary import render_answers
from bot.kit.filters import PRIVATE_CHAT, AdminOnly
from bot.kit.resume import offer_to_continue
from bot.kit.services import Services
from bot.kit.widgets import current_language
from bot.privacy.service import PrivacyService
from bot.states import ForgetSG, PurgeSG


def privacy_text(event: Event, privacy: PrivacyService) -> str:
    language = current_language()
    return _(
        "🔒 <b>Privacy</b>\n\n{notice}\n\n<b>What this bot stores about you</b>\n"
        "• your answers to the registration questions (the passport number encrypted)\n"
        "• your registration code, its status and when you registered, changed or withdrew\n"
        "• the language you chose\n"
        "• the answers of a registration you have not finished\n"
        "• the questions you ask in this chat, and the organisers' replies\n\n"
        "All of it is kept until {kept_until}, then erased.\n\n"
        "/mydata – see everything stored about you\n"
        "/forget – erase your data\n"
        "Questions: {email}"
    ).format(
        notice=escape(localized(event.privacy.notice, language)),
        kept_until=fmt_date(privacy.kept_until, language, "long"),
        email=escape(event.contact_email),
    )


def _day(iso: str) -> str:
    return fmt_date(datetime.fromisoformat(iso).date(), current_language(), "long")


def _registration_text(data: dict[str, Any], event: Event) -> str:
    """One registration as `PrivacyService.personal_data` gives it, for the delegate to read."""
    language = current_language()
    this_event = data["event_id"] == event.id
    lines = [
        _("<b>Registration {code}</b> ({status}) for {event_name}").format(
            code=escape(data["code"] or ""),
            status=_(STATUSES_FOR_DELEGATES[data["status"]]),
            event_name=escape(localized(event.name, language) if this_event else data["event_id"]),
        ),
        _("Registered on {created}, last changed on {updated}.").format(
            created=_day(data["created_at"]), updated=_day(data["updated_at"])
        ),
        _("You agreed to the privacy notice (version {version}) on {date}.").format(
            version=escape(data["consent_version"]), date=_day(data["consent_at"])
        ),
    ]
    if data["withdrawn_at"]:
        lines.append(_("Withdrawn on {date}.").format(date=_day(data["withdrawn_at"])))
    if this_event:  # the answers read with this event's form
        custom = data.get("custom_answers") or {}
        answers = {**data, **custom}
        for key in ("passport_number", *event.form.sensitive_keys):
            if isinstance(answers.get(key), str):
                answers[key] = mask(answers[key])
        lines += ["", render_answers(answers, event, language)]
        # Answers to questions the form no longer asks are kept, and shown as stored.
        lines += [
            _("<b>{label}:</b> {value}").format(label=escape(key), value=escape(str(value)))
            for key, value in custom.items()
            if value is not None and key not in event.form.answer_keys
        ]
    return "\n".join(lines)


def personal_data_text(data: dict[str, Any], event: Event) -> str:
    parts = [
        _("🗂 <b>What this bot stores about you</b>"),
        _("Your Telegram account number: {user_id}").format(user_id=data["telegram_user_id"]),
    ]
    preferences = data["bot_preferences"]
    if preferences and preferences["language"]:
        parts.append(
            _("Language you chose: {language}").format(language=language_name(preferences["language"]))
        )
    parts += [_registration_text(registration, event) for registration in data["registrations"]]
    for record in data["dialogue_state"]:
        answers = (record.get("dialog_data") or {}).get("answers")
        if isinstance(answers, dict):
            parts.append(
                ngettext(
                    "A registration in progress: {count} answer given so far.",
                    "A registration in progress: {count} answers given so far.",
                    len(answers),
                ).format(count=fmt_number(len(answers), current_language()))
            )
    if data["questions"]:
        parts.append(
            _("Questions you asked in this chat: {count}.").format(
                count=fmt_number(len(data["questions"]), current_language())
            )
        )
    if data["messages_from_organisers"]:
        parts.append(
            _("Messages from the organisers sent to you: {count}.").format(
                count=len(data["messages_from_organisers"])
            )
        )
    parts.append(_("The attached file holds all of it, passport number included (JSON)."))
    return "\n\n".join(parts)


def stores_anything(data: dict[str, Any]) -> bool:
    return any(value for key, value in data.items() if key != "telegram_user_id")


async def show_privacy(message: Message, dialog_manager: DialogManager, services: Services) -> None:
    await message.answer(privacy_text(services.event, services.privacy))
    await offer_to_continue(message, dialog_manager)


async def show_my_data(message: Message, dialog_manager: DialogManager, services: Services) -> None:
    data = await services.privacy.personal_data(message.from_user.id)
    if not stores_anything(data):
        await message.answer(_("This bot stores nothing about you."))
    else:
        await message.answer(personal_data_text(data, services.event))
        document = json.dumps(data, ensure_ascii=False, indent=2).encode()
        await message.answer_document(
            BufferedInputFile(document, filename=f"my-data-{services.event.id}.json"),
            caption=_("Everything this bot stores about you, as a file (JSON)."),
        )
    await offer_to_continue(message, dialog_manager)


async def start_forget(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(ForgetSG.confirm, show_mode=ShowMode.SEND)


async def start_purge(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(PurgeSG.confirm, show_mode=ShowMode.SEND)


def privacy_router() -> Router:
    router = Router(name="privacy")
    router.message.filter(PRIVATE_CHAT)
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(show_my_data, Command("mydata"))
    router.message.register(start_forget, Command("forget"))
    return router


def privacy_admin_router() -> Router:
    """/purge; anyone else gets the unknown-command answer from the delegate routers."""
    router = Router(name="privacy-admin")
    router.message.filter(PRIVATE_CHAT, AdminOnly())
    router.message.register(start_purge, Command("purge"))
    return router
