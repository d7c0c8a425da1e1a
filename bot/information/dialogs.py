"""/programme, /info (logistics), /venue and /faq: what delegates look up, as dialogues with buttons.

They open on top of whatever dialogue is under way (an unfinished registration, /me) and give it
back when closed. Texts come from the event file through bot/core/event_texts.py.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, FSInputFile
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import (
    Button,
    Row,
    Select,
    Start,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format

from bot.core import event_texts
from bot.core.event import Session, Topic, localized
from bot.core.i18n import N_, fmt_date, fmt_time
from bot.core.i18n import gettext as _
from bot.information.places import send_location
from bot.kit.resume import delete_message, remember_window, uncover_window
from bot.kit.services import Services, services_of
from bot.kit.widgets import UNEXPECTED_INPUT, T, back_text, choices, current_language
from bot.states import FaqSG, InfoSG, ProgrammeSG

_BROWSING = (ProgrammeSG, InfoSG, FaqSG)
_BUTTON_TITLE = 40  # characters of a session title or question on a button
T_NOW = N_("▶️ <b>Now</b>: {session}")
T_NEXT = N_("⏭ <b>Next</b>: {session}")


async def _close(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    """Close every browsing dialogue and its message. The dialogue underneath is not copied: its
    window above gets its buttons back, a short one (a question) comes down, and a long one (a
    registration card) is offered by the continue line (bot/kit/resume.py)."""
    while manager.has_context() and manager.current_context().state.group in _BROWSING:
        await manager.done(show_mode=ShowMode.NO_UPDATE)
    try:
        await callback.message.delete()
    except TelegramAPIError:
        await callback.message.edit_reply_markup(reply_markup=None)  # too old to delete
    if manager.has_context():
        await uncover_window(callback.message, manager)


CLOSE = Button(T(N_("✖️ Close")), id="close", on_click=_close)

# The logistics menu, in order: topic -> button label.
INFO_TOPICS = {
    Topic.VENUE: N_("📍 Venue"),
    Topic.DATES: N_("📅 Dates"),
    Topic.HOTEL: N_("🏨 Hotel"),
    Topic.AIRPORT_TRANSFER: N_("🚐 Airport transfer"),
    Topic.VISA: N_("🛂 Visa"),
    Topic.DOCUMENTS: N_("📄 Documents"),
    Topic.CONTACTS: N_("✉️ Contact"),
    Topic.DEADLINE: N_("⏳ Registration deadline"),
}


def _short(text: str, limit: int = _BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def open_browsing(manager: DialogManager, state: Any, data: dict | None = None) -> None:
    """Open a browsing dialogue above the current one, replacing any browsing dialogue already open
    (so that repeated commands never pile up dialogues)."""
    if not manager.has_context():
        await manager.start(state, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
        return
    if manager.current_context().state.group in _BROWSING:
        # The browsing window replaced is deleted; the window of a dialogue underneath stays.
        await _delete_window(manager)
    else:
        remember_window(manager)
    while manager.has_context() and manager.current_context().state.group in _BROWSING:
        await manager.done(show_mode=ShowMode.NO_UPDATE)
    mode = StartMode.NORMAL if manager.has_context() else StartMode.RESET_STACK
    await manager.start(state, data=data, mode=mode, show_mode=ShowMode.SEND)


async def _delete_window(manager: DialogManager) -> None:
    # Too old to delete: it stays above, its buttons removed as the new window is sent.
    await delete_message(manager, manager.current_stack().last_message_id)


# --- /programme -------------------------------------------------------------------------------


def _session_button(session: Session, language: str) -> tuple[str, str]:
    label = f"{fmt_time(session.starts_at, language)} {_short(localized(session.title, language))}"
    return session.id, label


async def _days_getter(services: Services, **_kw) -> dict:
    event = services.event
    language = current_language()
    now = services.clock.now()
    running = event_texts.event_running(event, now)
    highlights: list[tuple[str, str]] = []
    lines: list[str] = []
    if running:
        current, upcoming = event_texts.now_and_next(event, now)
        for _day, session in current:
            lines.append(_(T_NOW).format(session=event_texts.session_line(session, language)))
            highlights.append((session.id, "▶️ " + _short(localized(session.title, language))))
        if upcoming is not None:
            day, session = upcoming
            when = event_texts.session_line(session, language)
            if day != now.astimezone(event.tz).date():
                when = escape(fmt_date(day, language, "EEE d MMM")) + ", " + when
            lines.append(_(T_NEXT).format(session=when))
            highlights.append((session.id, "⏭ " + _short(localized(session.title, language))))
    days = [(day.date.isoformat(), fmt_date(day.date, language, "EEE d MMM")) for day in event.programme.days]
    return {
        "provisional": event_texts.provisional_note(event)
        if lines
        else event_texts.provisional_note(event).rstrip(),
        "now_next": "\n".join(lines),
        "running": bool(lines),
        "days": days,
        "highlights": highlights,
        "empty": not days,
    }


async def _day_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event = services.event
    language = current_language()
    wanted = dialog_manager.dialog_data.get("day")
    day = next((d for d in event.programme.days if d.date.isoformat() == wanted), None)
    if day is None:
        return {"heading": "", "lines": "", "sessions": [], "provisional": ""}
    return {
        "provisional": event_texts.provisional_note(event),
        "heading": event_texts.day_heading(day.date, language),
        "lines": "\n".join(event_texts.session_line(s, language) for s in day.sessions),
        "sessions": [_session_button(s, language) for s in day.sessions],
    }


async def _session_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event = services.event
    found = event.programme.session(dialog_manager.dialog_data.get("session", ""))
    if found is None:
        return {"details": ""}
    return {"details": event_texts.session_text(event, found[0], found[1], current_language())}


async def _on_day(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    event = services_of(manager).event
    if any(day.date.isoformat() == value for day in event.programme.days):
        manager.dialog_data["day"] = value
        await manager.switch_to(ProgrammeSG.day)


async def _on_session(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    event = services_of(manager).event
    found = event.programme.session(value)
    if found is not None:
        manager.dialog_data.update(session=value, day=found[0].isoformat())
        await manager.switch_to(ProgrammeSG.session)


def programme_dialog() -> Dialog:
    return Dialog(
        Window(
            T(N_("🗓 <b>Programme</b>")),
            Format("\n{provisional}{now_next}", when="running"),
            Format("\n{provisional}", when=lambda data, _w, _m: not data["running"] and data["provisional"]),
            T(N_("The programme is not published yet."), when="empty"),
            T(N_("Choose a day:"), when=lambda data, _w, _m: not data["empty"]),
            choices("now", "highlights", _on_session, width=1),
            choices("d", "days", _on_day),
            CLOSE,
            UNEXPECTED_INPUT,
            state=ProgrammeSG.days,
            getter=_days_getter,
        ),
        Window(
            Format("{provisional}{heading}\n\n{lines}"),
            choices("s", "sessions", _on_session, width=1),
            Row(SwitchTo(back_text(), id="back", state=ProgrammeSG.days), CLOSE),
            UNEXPECTED_INPUT,
            state=ProgrammeSG.day,
            getter=_day_getter,
        ),
        Window(
            Format("{details}"),
            Row(SwitchTo(back_text(), id="back", state=ProgrammeSG.day), CLOSE),
            UNEXPECTED_INPUT,
            state=ProgrammeSG.session,
            getter=_session_getter,
        ),
    )


# --- /info and /venue -------------------------------------------------------------------------


def _topic(manager: DialogManager) -> Topic | None:
    value = manager.dialog_data.get("topic") or (manager.start_data or {}).get("topic")
    return Topic(value) if value in INFO_TOPICS else None


async def _menu_getter(**_kw) -> dict:
    return {"topics": [(topic.value, _(label)) for topic, label in INFO_TOPICS.items()]}


async def _topic_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event = services.event
    language = current_language()
    topic = _topic(dialog_manager)
    if topic is None:
        return {"text": "", "mappable": False, "files": []}
    place = {Topic.VENUE: event.venue, Topic.HOTEL: event.hotel}.get(topic)
    files = [
        (document.id, "📎 " + _short(localized(document.title, language)))
        for document in event.documents
        if document.file and topic == Topic.DOCUMENTS
    ]
    return {
        "text": event_texts.topic_text(event, topic, language, services.clock.now()),
        "mappable": place is not None and place.has_location,
        "files": files,
    }


async def _on_topic(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    if value in INFO_TOPICS:
        manager.dialog_data["topic"] = value
        await manager.switch_to(InfoSG.topic)


async def _show_on_map(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    event = services_of(manager).event
    place = {Topic.VENUE: event.venue, Topic.HOTEL: event.hotel}.get(_topic(manager))
    if await send_location(callback.bot, callback.message.chat.id, place, current_language()):
        manager.show_mode = ShowMode.DELETE_AND_SEND  # the window moves below the pin, not copied


async def _send_file(callback: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    services = services_of(manager)
    event = services.event
    document = event.document(value)
    if document is None or not document.file:
        return
    path = services.settings.event_file.parent / document.file
    await callback.bot.send_document(
        callback.message.chat.id,
        FSInputFile(path),
        caption=escape(localized(document.title, current_language())),
    )
    manager.show_mode = ShowMode.DELETE_AND_SEND  # the window moves below the file, not copied


async def _back_to_menu(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    # /venue opens the topic directly: "back" then leads to the whole menu.
    manager.dialog_data["topic"] = None
    if manager.start_data:
        manager.start_data.pop("topic", None)
    await manager.switch_to(InfoSG.menu)


def info_dialog() -> Dialog:
    return Dialog(
        Window(
            T(N_("ℹ️ <b>Practical information</b>\nWhat would you like to know?")),
            choices("t", "topics", _on_topic),
            Row(
                Start(T(N_("🗓 Programme")), id="prog", state=ProgrammeSG.days),
                Start(T(N_("❓ Questions")), id="faq", state=FaqSG.list),
            ),
            CLOSE,
            UNEXPECTED_INPUT,
            state=InfoSG.menu,
            getter=_menu_getter,
        ),
        Window(
            Format("{text}"),
            Button(T(N_("🗺 Show on the map")), id="map", on_click=_show_on_map, when="mappable"),
            choices("f", "files", _send_file, width=1),
            Row(Button(back_text(), id="back", on_click=_back_to_menu), CLOSE),
            UNEXPECTED_INPUT,
            state=InfoSG.topic,
            getter=_topic_getter,
        ),
    )


# --- /faq -------------------------------------------------------------------------------------


async def _faq_list_getter(services: Services, **_kw) -> dict:
    language = current_language()
    return {
        "entries": [
            (entry.id, _short(localized(entry.question, language), 60)) for entry in services.event.faq
        ]
    }


async def _faq_answer_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event = services.event
    language = current_language()
    entry = event.faq_entry(dialog_manager.dialog_data.get("entry", ""))
    if entry is None:
        return {"question": "", "answer": ""}
    return {
        "question": escape(localized(entry.question, language)),
        "answer": event_texts.faq_answer(event, entry, language, services.clock.now()),
    }


async def _on_entry(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    event = services_of(manager).event
    if event.faq_entry(value) is not None:
        manager.dialog_data["entry"] = value
        await manager.switch_to(FaqSG.answer)


def faq_dialog() -> Dialog:
    return Dialog(
        Window(
            T(N_("❓ <b>Frequently asked questions</b>\nTap a question, or type your own in the chat.")),
            choices("q", "entries", _on_entry, width=1, height=8),
            CLOSE,
            UNEXPECTED_INPUT,
            state=FaqSG.list,
            getter=_faq_list_getter,
        ),
        Window(
            Format("<b>{question}</b>\n\n{answer}"),
            Row(SwitchTo(back_text(), id="back", state=FaqSG.list), CLOSE),
            UNEXPECTED_INPUT,
            state=FaqSG.answer,
            getter=_faq_answer_getter,
        ),
    )
