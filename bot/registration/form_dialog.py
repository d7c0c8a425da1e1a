"""The registration dialogue, driven by the event file's form (bot/core/form.py): one question per
window, a review screen, confirm.

A window per kind of question (`RegistrationSG`): the question asked is `dialog_data["at"]`, its
key in the form. Answers live in `dialog_data["answers"]` by key (JSON-safe, so they survive a
restart in the dialogue storage) until confirmed. The same dialogue changes an existing
registration: it is then started at the review screen with the stored answers and
`registration_id`, and saves each change as soon as it is complete.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache
from html import escape
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Row
from aiogram_dialog.widgets.kbd.request import RequestContact
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Format
from babel.dates import format_interval

from bot.core import input_checks as parse
from bot.core.answers import Answers, answers_of
from bot.core.event import Event, localized
from bot.core.form import DateButtons, Form, QuestionType, Step, counted_values
from bot.core.i18n import (
    N_,
    babel_locale,
    collation_key,
    country_name,
    fmt_date,
    fmt_number,
    search_countries,
)
from bot.core.i18n import gettext as _
from bot.core.input_checks import InvalidAnswer
from bot.core.models import Registration
from bot.core.summary import LANGUAGE_FIELD, answer_lines, field_labels, field_values, fill, question_text
from bot.kit.resume import name_place
from bot.kit.services import Services, services_of
from bot.kit.widgets import (
    UNEXPECTED_INPUT,
    T,
    answer_taking_keyboard_away,
    back_text,
    choices,
    current_language,
    language_choices,
    say_invalid,
)
from bot.registration.language_dialog import switch_language
from bot.registration.service import RegistrationClosed, registration_window
from bot.registration.service import Window as RegistrationWindow
from bot.registration.tickets import send_ticket
from bot.states import MyRegistrationSG, RegistrationSG

log = logging.getLogger(__name__)
S = RegistrationSG
Q = QuestionType

# The window that asks each kind of question; the others are typed (S.text).
WINDOW_OF = {
    Q.CHOICE: S.choice,
    Q.MULTI: S.multi,
    Q.YES_NO: S.yes_no,
    Q.DATE: S.date,
    Q.COUNTRY: S.country,
    Q.PHONE: S.phone,
}


def _form(manager: DialogManager) -> Form:
    return services_of(manager).event.form


def _answers(manager: DialogManager) -> dict[str, Any]:
    return manager.dialog_data.setdefault("answers", {})


# The question asked left the form while the dialogue was open (the event file changed): its
# window says so and Back goes on with the questions still to answer.
GONE = N_("This question is no longer asked. Please press Back.")


def _current(manager: DialogManager) -> Step | None:
    return _form(manager).step(manager.dialog_data.get("at") or "")


def _step(manager: DialogManager) -> Step:
    step = _current(manager)
    if step is None:
        raise InvalidAnswer(GONE)
    return step


async def _ask(manager: DialogManager, step: Step) -> None:
    data = manager.dialog_data
    data["at"] = step.key
    data.pop("matches", None)
    if step.question.type is Q.MULTI:
        data["ticks"] = counted_values(_answers(manager).get(step.key), Q.MULTI)
    await manager.switch_to(WINDOW_OF.get(step.question.type, S.text))


async def _advance(manager: DialogManager, after: str | None) -> None:
    """The next question after `after` (None: the first) that is asked; once the review was
    reached, only unanswered ones, then back to the review."""
    form, answers, data = _form(manager), _answers(manager), manager.dialog_data
    editing = data.get("editing", False)
    # Answers given by an invitation (party and country of a delegation) are not asked again.
    prefilled = data.get("prefilled", ())
    step = form.step(after) if after else None
    steps = form.steps[form.steps.index(step) + 1 :] if step else form.steps
    for candidate in steps:
        if not form.applies(candidate, answers):
            continue
        if (editing or candidate.key in prefilled) and not form.missing(candidate, answers):
            continue
        await _ask(manager, candidate)
        return
    data["editing"] = True
    data.pop("at", None)
    if data.get("registration_id") is not None:
        await _save_change(manager)
    await manager.switch_to(S.review)


async def _save_change(manager: DialogManager) -> None:
    """A change to a stored registration is saved as soon as it is complete (with the questions it
    brought, e.g. the flight after a new arrival day): leaving the review loses nothing. The
    review then says what was saved."""
    services = services_of(manager)
    answers = _answers(manager)
    language = current_language()
    before = field_values(manager.dialog_data.get("saved", {}), services.event, language)
    after = field_values(answers, services.event, language)
    changed = [field for field in after if before.get(field) != after[field]]
    manager.dialog_data["just_saved"] = changed
    if changed:
        registration_id = manager.dialog_data["registration_id"]
        stored = Answers.of_dialogue(answers, services.event.form)
        await services.registrations.update(registration_id, stored, services.clock.now())
        manager.dialog_data.update(saved=dict(answers), changed=True)


async def _answer(manager: DialogManager, value: Any, **more: Any) -> None:
    """The current question's answer (and `more`, e.g. a multi's typed other), then the next."""
    step = _current(manager)
    if step is None:
        await _go_on_after_a_change(manager)
        return
    answers = _answers(manager)
    if step.first_of_group and (value is None or answers.get(step.key) is None):
        # A skipped group, or one answered for the first time: its other questions afresh.
        for other in _form(manager).steps_of(step.group.id)[1:]:
            answers.pop(other.key, None)
    answers[step.key] = value
    answers.update(more)
    await _advance(manager, step.key)


async def _go_back(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    if manager.dialog_data.get("editing"):
        await manager.switch_to(S.review)
        return
    form, answers = _form(manager), _answers(manager)
    at = _current(manager)
    if at is None and manager.dialog_data.get("at"):
        await _go_on_after_a_change(manager)
        return
    earlier = form.steps[: form.steps.index(at)] if at else ()
    for step in reversed(earlier):
        if form.applies(step, answers):
            await _ask(manager, step)
            return
    await manager.switch_to(S.consent)


async def _go_on_after_a_change(manager: DialogManager) -> None:
    """The first question still to answer, else the review (saving a stored registration's
    change, as every other way to the review does)."""
    manager.dialog_data["editing"] = True
    await _advance(manager, None)


BACK = Button(back_text(), id="back", on_click=_go_back)


async def _skip(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _answer(manager, None)


def _question_window(state: Any, *widgets: Any, getter: Any = None, **extra: Any) -> Window:
    """A question's window: where it is in the form, its text and help, its widgets, its skip
    button when it is optional."""
    return Window(
        Format("{question}"),
        *widgets,
        Button(Format("{skip}"), id="skip", on_click=_skip, when="skip"),
        BACK,
        UNEXPECTED_INPUT,
        state=state,
        getter=[_question_getter, getter] if getter else _question_getter,
        **extra,
    )


async def _question_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event, language = services.event, current_language()
    step = _current(dialog_manager)
    if step is None:
        return {"question": "⚠️ " + _(GONE), "skip": None, "own_phone": False}
    question = step.question
    number, count = _position(dialog_manager)
    lines = [
        "<i>" + _("Question {number} of {count}").format(number=number, count=count) + "</i>",
        question_text(question, event, language),
    ]
    if question.help:
        lines.append("<i>" + fill(localized(question.help, language), event, language) + "</i>")
    skip = None
    if step.first_of_group and not step.group.required:
        skip = fill(localized(step.group.skip, language), event, language) if step.group.skip else _("Skip")
    elif not question.required and question.type is not Q.MULTI:
        skip = fill(localized(question.skip, language), event, language) if question.skip else _("Skip")
    return {"question": "\n\n".join(lines), "skip": skip, "own_phone": step.key == "phone"}


def _position(manager: DialogManager) -> tuple[str, str]:
    """The question's number among those asked (given the answers so far), and how many."""
    form, answers = _form(manager), _answers(manager)
    at = manager.dialog_data.get("at")
    prefilled = manager.dialog_data.get("prefilled", ())
    asked = [
        step.key
        for step in form.may_ask(answers)
        if step.key == at or not (step.key in prefilled and not form.missing(step, answers))
    ]
    language = current_language()
    number = asked.index(at) + 1 if at in asked else len(asked)
    return fmt_number(number, language), fmt_number(len(asked), language)


# --- typed answers ---------------------------------------------------------------------------


async def _on_text(message: Message, widget: TextInput, manager: DialogManager, text: str) -> None:
    # TextInput keeps the raw text in the stored widget data: only the parsed answer is kept
    # (a passport number would otherwise sit there in clear).
    manager.current_context().widget_data.pop(widget.widget_id, None)
    try:
        await _on_typed(message, manager, text)
    except InvalidAnswer as error:
        await say_invalid(message, manager, error)


async def _on_typed(message: Message, manager: DialogManager, text: str) -> None:
    step = _step(manager)
    question = step.question
    match question.type:
        case Q.NAME:
            value: Any = parse.parse_latin_name(text) if question.latin else parse.parse_name(text)
        case Q.LONG_TEXT:
            value = parse.parse_free_text(text, parse.NOTE_MAX)
        case Q.EMAIL:
            value = _checked_email(manager, text)
        case Q.TIME:
            value = parse.parse_time(text).strftime("%H:%M")
        case Q.NUMBER:
            value = parse.parse_number(text, question.min, question.max)
        case Q.FLIGHT:
            value = parse.parse_flight(text)
        case Q.DOCUMENT:
            value = parse.parse_passport(text)
        case Q.DATE:
            event = services_of(manager).event
            earliest, latest = parse.travel_window(event.starts_on, event.ends_on)
            await _store_date(manager, parse.parse_date(text, earliest, latest, current_language()))
            return
        case Q.COUNTRY:
            _find_countries(manager, text)
            return
        case Q.PHONE:
            await _store_phone(message, manager, text)
            return
        case Q.MULTI if not question.other:
            raise InvalidAnswer(N_("Please tick what applies, then press Done."))
        case Q.MULTI:
            await _answer(
                manager,
                _ticks(manager, step),
                **{step.other_key: parse.parse_free_text(text, parse.NOTE_MAX)},
            )
            return
        case _:
            value = parse.parse_free_text(text)
    if step.sensitive:
        # Encrypted from the start: the dialogue data is stored too (bot/core/crypto.py).
        value = services_of(manager).passports.encrypt(value)
    await _answer(manager, value)


def _checked_email(manager: DialogManager, text: str) -> str:
    """A likely typo of a common provider (gmial.com) is asked about once: the same address typed
    again is kept as it is."""
    email = parse.parse_email(text)
    suggestion = parse.likely_email_typo(email)
    if suggestion is not None and manager.dialog_data.get("email_doubt") != email:
        manager.dialog_data["email_doubt"] = email
        raise InvalidAnswer(
            N_(
                "Did you mean {suggestion}? Please type your address again: corrected, or the same to keep it."
            ),
            suggestion=suggestion,
        )
    manager.dialog_data.pop("email_doubt", None)
    return email


# --- language and consent ---------------------------------------------------------------------


async def _language_getter(services: Services, **_kw) -> dict:
    event, language = services.event, current_language()
    return {
        "languages": language_choices(),
        "event_name": escape(localized(event.name, language)),
        "dates": escape(_event_dates(event, language)),
        "city": escape(localized(event.city, language)),
        "deadline": fmt_date(event.registration_deadline.date(), language, "long"),
    }


def _event_dates(event: Event, language: str) -> str:
    return _date_interval(event.starts_on, event.ends_on, language)


@cache  # shown on the first window of every registration
def _date_interval(starts_on: date, ends_on: date, language: str) -> str:
    return format_interval(starts_on, ends_on, "yMMMd", locale=babel_locale(language))


async def _on_language(callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str) -> None:
    if await switch_language(callback, manager, code):
        _answers(manager)[LANGUAGE_FIELD] = code
        if manager.dialog_data.get("editing"):
            await _advance(manager, None)
        else:
            await manager.switch_to(S.consent)


async def _consent_getter(services: Services, **_kw) -> dict:
    return {"notice": escape(localized(services.event.privacy.notice, current_language()))}


async def _on_consent(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    _answers(manager).update(
        consent_version=services.event.privacy.version, consent_at=services.clock.now().isoformat()
    )
    await _advance(manager, None)


async def _on_decline(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    await callback.message.answer(
        _(
            "Without your consent we cannot register you. If you have questions about your data, "
            "write to {email}. You can change your mind at any time with /start."
        ).format(email=escape(services.event.contact_email))
    )
    await services.registration_hooks.registration_declined(callback.from_user.id)
    await manager.done(show_mode=ShowMode.NO_UPDATE)


# --- choices -----------------------------------------------------------------------------------


async def _options_getter(dialog_manager: DialogManager, **_kw) -> dict:
    language = current_language()
    step = _current(dialog_manager)
    if step is None:
        return {"options": [], "ticks": []}
    question = step.question
    ticked = set(dialog_manager.dialog_data.get("ticks") or ())
    return {
        "options": [(option.id, localized(option.label, language)) for option in question.options],
        "ticks": [
            (option.id, ("✅ " if option.id in ticked else "") + localized(option.label, language))
            for option in question.options
        ],
    }


async def _on_option(_c: CallbackQuery, _w: Any, manager: DialogManager, option_id: str) -> None:
    step = _current(manager)
    if step is not None and step.question.option(option_id):  # not a forged or stale button
        await _answer(manager, option_id)


async def _on_tick(_c: CallbackQuery, _w: Any, manager: DialogManager, option_id: str) -> None:
    step = _current(manager)
    if step is None or not step.question.option(option_id):
        return
    ticks = manager.dialog_data.setdefault("ticks", [])
    if option_id in ticks:
        ticks.remove(option_id)
    else:
        ticks.append(option_id)


def _ticks(manager: DialogManager, step: Step) -> list[str] | None:
    """The ticked options in the form's order (None: none ticked)."""
    ticked = set(manager.dialog_data.get("ticks") or ())
    return [option.id for option in step.question.options if option.id in ticked] or None


async def _on_ticks_done(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    step = _current(manager)
    if step is None:
        await _go_on_after_a_change(manager)
        return
    ticks = _ticks(manager, step)
    if ticks is None and step.question.required:
        await say_invalid(
            callback.message, manager, InvalidAnswer(N_("Please tick at least one, then press Done."))
        )
        return
    await _answer(
        manager,
        ticks,
        **({step.other_key: _answers(manager).get(step.other_key)} if step.question.other else {}),
    )


async def _on_yes(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _answer(manager, True)


async def _on_no(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _answer(manager, False)


# --- countries ---------------------------------------------------------------------------------


async def _countries_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    """Usual countries as buttons; typing part of a name (local language or English) lists matches."""
    language = current_language()
    matches = dialog_manager.dialog_data.get("matches")
    usual = services.event.usual_countries
    countries = [(code, country_name(code, language)) for code in matches or usual]
    if not matches:  # search results stay best first; the usual list reads alphabetically
        name_key = collation_key(language)
        countries.sort(key=lambda country: name_key(country[1]))
    return {"countries": countries, "searching": bool(matches)}


def _find_countries(manager: DialogManager, text: str) -> None:
    query = parse.clean_text(text)[:60]
    codes = search_countries(query, current_language())
    if not codes:
        raise InvalidAnswer(
            N_("I found no country called “{query}”. Try another spelling, or its English name."), query=query
        )
    manager.dialog_data["matches"] = codes


async def _on_country(_c: CallbackQuery, _w: Any, manager: DialogManager, code: str) -> None:
    if len(code) == 2 and code.isalpha() and code.isupper():
        manager.dialog_data.pop("matches", None)
        await _answer(manager, code)


async def _show_usual(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("matches", None)


# --- phone -------------------------------------------------------------------------------------


async def _store_phone(message: Message, manager: DialogManager, raw: str) -> None:
    country = _answers(manager).get("country") or services_of(manager).event.country
    phone = parse.parse_phone(raw, country)
    await answer_taking_keyboard_away(message, manager, _("📱 Saved: {phone}").format(phone=phone))
    await _answer(manager, phone)


async def _on_contact(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        await _store_phone(message, manager, message.contact.phone_number)
    except InvalidAnswer as error:
        await say_invalid(message, manager, error)


# --- dates -------------------------------------------------------------------------------------


def _button_days(event: Event, days: DateButtons | None) -> list[date]:
    match days:
        case DateButtons.BEFORE_START:
            return [event.starts_on - timedelta(days=before) for before in range(3, -1, -1)]
        case DateButtons.AFTER_END:
            return [event.ends_on + timedelta(days=after) for after in range(4)]
        case DateButtons.EVENT:
            return [
                event.starts_on + timedelta(days=day)
                for day in range((event.ends_on - event.starts_on).days + 1)
            ]
    return []


async def _days_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    step = _current(dialog_manager)
    days = _button_days(services.event, step.question.days) if step else []
    return {"days": [(day.isoformat(), fmt_date(day, language, "MMMEd")) for day in days]}


# The built-in pairs of dates: an end before its start is a typo. (start key, nights between them
# at least, what the delegate is told)
_ENDS = {
    "departure_date": ("arrival_date", 0, N_("Your departure must be on or after your arrival ({arrival}).")),
    "hotel_check_out": ("hotel_check_in", 1, N_("Your check-out must be after your check-in ({arrival}).")),
}


async def _store_date(manager: DialogManager, day: date) -> None:
    end = _ENDS.get(_step(manager).key)
    if end is not None:
        start_key, nights, message = end
        start = _answers(manager).get(start_key)
        if start and (day - date.fromisoformat(start)).days < nights:
            raise InvalidAnswer(message, arrival=date.fromisoformat(start))
    await _answer(manager, day.isoformat())


async def _on_day(callback: CallbackQuery, _w: Any, manager: DialogManager, value: str) -> None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return  # forged button data: the question is shown again
    try:
        await _store_date(manager, day)
    except InvalidAnswer as error:
        await say_invalid(callback.message, manager, error)


# --- review and confirm ------------------------------------------------------------------------


async def _review_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    event, language = services.event, current_language()
    answers = _answers(dialog_manager)
    # /language may have changed it since the first question.
    answers[LANGUAGE_FIELD] = language
    shown = services.passports.for_display(answers, event.form.sensitive_keys)
    values, labels = field_values(shown, event, language), field_labels(event, language)
    summary = answer_lines(values, labels)
    just_saved = dialog_manager.dialog_data.get("just_saved") or []
    if just_saved:
        summary = _("✅ Saved:") + "\n" + answer_lines(values, labels, just_saved) + "\n\n" + summary
    return {
        "summary": summary,
        "fields": [(field, "✏️ " + labels[field]) for field in values],
        "is_new": dialog_manager.dialog_data.get("registration_id") is None,
        "is_change": dialog_manager.dialog_data.get("registration_id") is not None,
    }


async def _on_change(_c: CallbackQuery, _w: Any, manager: DialogManager, field: str) -> None:
    manager.dialog_data.pop("just_saved", None)
    if field == LANGUAGE_FIELD:
        await manager.switch_to(S.language)
        return
    steps = _form(manager).steps_of(field)
    if steps:
        await _ask(manager, steps[0])


async def _on_confirm(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    now = services.clock.now()
    registration_id = manager.dialog_data.get("registration_id")
    # Kept for the hooks: the dialogue's data is gone once it is done.
    dialog_data = dict(manager.dialog_data)
    try:
        if registration_id is None:
            answers = Answers.of_dialogue(_answers(manager), services.event.form)
            registration, created = await services.registrations.register(callback.from_user.id, answers, now)
        # A stored registration's changes were saved one by one (`_save_change`).
    except RegistrationClosed:
        await callback.message.answer(_closed_text(services.event))
        await manager.done(show_mode=ShowMode.NO_UPDATE)
        return
    await manager.done(show_mode=ShowMode.NO_UPDATE)
    # The review becomes the registration card in place, before the ticket: its "tap an item to
    # change it" and field buttons go, and the answers are not shown twice.
    await manager.start(MyRegistrationSG.view, mode=StartMode.RESET_STACK, show_mode=ShowMode.EDIT)
    if registration_id is None and created:
        log.info("registration stored", extra={"registration_id": registration.id})
        await send_ticket(callback.bot, callback.message.chat.id, registration, services.event)
        # E.g. the delegation of an invitation joins it (bot/delegations/membership.py).
        await services.registration_hooks.registration_completed(callback.bot, registration, dialog_data)
    elif dialog_data.get("changed"):
        await callback.message.answer(_("✅ Your changes are saved."))


async def _common_getter(services: Services, **_kw) -> dict:
    return {"city": escape(localized(services.event.city, current_language()))}


async def _on_start(start_data: dict | None, manager: DialogManager) -> None:
    """A new registration, or a stored one to change (started at the review with `registration_id`).

    Whoever starts a new one (/start, /me, an invitation's link through `RegistrationSG.language`)
    may give answers already known in the start data, with the keys of `dialog_data` that go with
    them: an invitation gives `answers`, `prefilled` and `delegation_id`. A stored registration
    started with `missing` asks the questions it has not answered (added to the form since).
    """
    missing = (start_data or {}).pop("missing", False)
    manager.dialog_data.update({"answers": {}, **(start_data or {})})
    if manager.dialog_data.get("registration_id") is not None:
        # What is stored, to save each change and say what it was.
        manager.dialog_data["saved"] = dict(manager.dialog_data["answers"])
        if missing:
            await _advance(manager, None)
        return
    services = services_of(manager)
    # The chat, not `manager.event`: from a stale button that is an error event without a user.
    # (`event_chat` and `bot` are aiogram's own data, not services.)
    chat_id = manager.middleware_data["event_chat"].id
    now = services.clock.now()
    if registration_window(services.event, now) is RegistrationWindow.CLOSED:
        await manager.middleware_data["bot"].send_message(chat_id, _closed_text(services.event))
        await manager.done(show_mode=ShowMode.NO_UPDATE)
        return
    # Remembered for the "unfinished registrations" audience and the deadline reminders.
    await services.registration_hooks.registration_started(chat_id, current_language(), now)


def _place(manager: DialogManager) -> str:
    """Where the delegate is in the form, for the continue line (bot/kit/resume.py)."""
    if manager.current_context().state in (S.language, S.consent):
        return _("your registration")
    if manager.current_context().state == S.review or manager.dialog_data.get("editing"):
        if manager.dialog_data.get("registration_id") is None:
            return _("your registration: your answers to check")
        return _("changes to your registration")
    number, count = _position(manager)
    return _("your registration, question {number} of {count}").format(number=number, count=count)


name_place(RegistrationSG, _place)


def registration_dialog() -> Dialog:
    return Dialog(
        *_opening_windows(),
        *_question_windows(),
        _review_window(),
        on_start=_on_start,
        getter=_common_getter,
    )


def _opening_windows() -> list[Window]:
    """The language, then the privacy notice to agree to."""
    return [
        Window(
            T(
                N_(
                    "👋 Welcome! This bot registers you for <b>{event_name}</b>, {dates}, {city}.\n"
                    "Registration is open until {deadline}.\n\nPlease choose your language:"
                )
            ),
            choices("lang", "languages", _on_language),
            UNEXPECTED_INPUT,
            state=S.language,
            getter=_language_getter,
        ),
        Window(
            T(N_("🔒 <b>Your data</b>\n\n{notice}\n\nDo you agree?")),
            Row(
                Button(T(N_("✅ I agree")), id="agree", on_click=_on_consent),
                Button(T(N_("✖️ I do not agree")), id="decline", on_click=_on_decline),
            ),
            Button(back_text(), id="back", on_click=_back_to_language),
            UNEXPECTED_INPUT,
            state=S.consent,
            getter=_consent_getter,
        ),
    ]


async def _back_to_language(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await manager.switch_to(S.language)


def _typed() -> TextInput:
    return TextInput(id="text", on_success=_on_text)


def _question_windows() -> list[Window]:
    return [
        _question_window(S.text, _typed()),
        _question_window(S.choice, choices("o", "options", _on_option), getter=_options_getter),
        _question_window(
            S.multi,
            _typed(),
            choices("m", "ticks", _on_tick),
            Button(T(N_("Done")), id="done", on_click=_on_ticks_done),
            getter=_options_getter,
        ),
        _question_window(
            S.yes_no,
            Row(
                Button(T(N_("Yes")), id="yes", on_click=_on_yes),
                Button(T(N_("No")), id="no", on_click=_on_no),
            ),
        ),
        _question_window(S.date, _typed(), choices("d", "days", _on_day), getter=_days_getter),
        _question_window(
            S.country,
            _typed(),
            choices("c", "countries", _on_country),
            Button(T(N_("🌏 Back to the country list")), id="usual", on_click=_show_usual, when="searching"),
            getter=_countries_getter,
        ),
        _question_window(
            S.phone,
            _typed(),
            # The delegate's own number: not for someone else's (an emergency contact).
            RequestContact(T(N_("📱 Share my phone number")), when="own_phone"),
            MessageInput(_on_contact, content_types=[ContentType.CONTACT]),
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
        ),
    ]


def _review_window() -> Window:
    return Window(
        T(N_("📋 <b>Please check your answers</b>\n\n{summary}\n\nTap an item to change it."), when="is_new"),
        T(N_("📋 <b>Your registration</b>\n\n{summary}\n\nTap an item to change it."), when="is_change"),
        choices("f", "fields", _on_change),
        Button(T(N_("✅ Confirm my registration")), id="confirm", on_click=_on_confirm, when="is_new"),
        Button(T(N_("✅ Done")), id="save", on_click=_on_confirm, when="is_change"),
        UNEXPECTED_INPUT,
        state=S.review,
        getter=_review_getter,
    )


async def change_registration(
    manager: DialogManager, registration: Registration, *, missing: bool = False
) -> None:
    """The dialogue on a stored registration: at its review, or (`missing`) at the questions it
    has not answered."""
    data = {"answers": answers_of(registration), "registration_id": registration.id, "editing": True}
    await manager.start(
        S.review,
        data={**data, "missing": missing},
        mode=StartMode.RESET_STACK if missing else StartMode.NORMAL,
    )


async def begin_registration(message: Message, manager: DialogManager) -> None:
    """Start a new registration, or say politely that registration is closed.

    Closed: said here, where the user stays where they are (the dialogue would say it too, but
    only after leaving the dialogues they had open).
    """
    event = services_of(manager).event
    if registration_window(event, services_of(manager).clock.now()) is RegistrationWindow.CLOSED:
        await message.answer(_closed_text(event))
        return
    await manager.start(S.language, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


def _closed_text(event: Event) -> str:
    return _(
        "Registration for {event_name} closed on {deadline}. If you still wish to take part, please write to {email}."
    ).format(
        event_name=escape(localized(event.name, current_language())),
        deadline=fmt_date(event.registration_deadline.date(), current_language(), "long"),
        email=escape(event.contact_email),
    )
