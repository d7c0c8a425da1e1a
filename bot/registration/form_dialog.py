"""The registration dialogue: one question per window, a review screen, confirm.

Answers live in `dialog_data["answers"]` (JSON-safe, so they survive a restart in the dialogue
storage) until confirmed. The same dialogue changes an existing registration: it is then started
at the review screen with the stored answers and `registration_id`.
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
from aiogram_dialog.widgets.kbd import Button, Group, Multiselect, Row, Select
from aiogram_dialog.widgets.kbd.request import RequestContact
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Format
from babel.dates import format_interval

from bot.core import input_checks as parse
from bot.core.event import Event, localized
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
from bot.core.labels import GENDERS
from bot.core.summary import FIELD_LABELS, field_values, render_answers
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
from bot.registration.service import Answers, RegistrationClosed, registration_window
from bot.registration.service import Window as RegistrationWindow
from bot.registration.tickets import send_ticket
from bot.states import MyRegistrationSG, RegistrationSG

log = logging.getLogger(__name__)
S = RegistrationSG

# The question asked at each state, and the answer that state fills in.
FLOW: tuple[tuple[Any, str], ...] = (
    (S.language, "language"),
    (S.consent, "consent_at"),
    (S.full_name, "full_name"),
    (S.gender, "gender"),
    (S.country, "country"),
    (S.organisation, "organisation"),
    (S.position, "position"),
    (S.role, "role"),
    (S.email, "email"),
    (S.phone, "phone"),
    (S.arrival_date, "arrival_date"),
    (S.arrival_time, "arrival_time"),
    (S.arrival_flight, "arrival_flight"),
    (S.departure_date, "departure_date"),
    (S.departure_time, "departure_time"),
    (S.departure_flight, "departure_flight"),
    (S.hotel, "hotel_needed"),
    (S.visa, "visa_needed"),
    (S.nationality, "nationality"),
    (S.passport, "passport_number"),
    (S.dietary, "dietary"),
    (S.accessibility, "accessibility"),
)
STATES = tuple(state for state, _key in FLOW)

# Review field -> the state that asks it.
FIELD_STATES = {
    "language": S.language,
    "full_name": S.full_name,
    "gender": S.gender,
    "country": S.country,
    "organisation": S.organisation,
    "position": S.position,
    "role": S.role,
    "email": S.email,
    "phone": S.phone,
    "arrival": S.arrival_date,
    "departure": S.departure_date,
    "hotel_needed": S.hotel,
    "visa_needed": S.visa,
    "dietary": S.dietary,
    "accessibility": S.accessibility,
}


def _skipped(state: Any, answers: dict[str, Any]) -> bool:
    if state in (S.arrival_time, S.arrival_flight):
        return not answers.get("arrival_date")
    if state in (S.departure_time, S.departure_flight):
        return not answers.get("departure_date")
    if state in (S.nationality, S.passport):
        return not answers.get("visa_needed")
    return False


# Answers that depend on an earlier one and have no valid "none": asked whenever they apply.
_NEEDS_VALUE = frozenset({"arrival_time", "departure_time", "nationality", "passport_number"})


def _missing(state: Any, key: str, answers: dict[str, Any]) -> bool:
    return not _skipped(state, answers) and (
        key not in answers or (answers[key] is None and key in _NEEDS_VALUE)
    )


def _answers(manager: DialogManager) -> dict[str, Any]:
    return manager.dialog_data.setdefault("answers", {})


async def _advance(manager: DialogManager) -> None:
    """Next unanswered question; once the review was reached, back to it after each change."""
    answers = _answers(manager)
    editing = manager.dialog_data.get("editing", False)
    # Answers given by an invitation (party and country of a delegation) are not asked again.
    prefilled = manager.dialog_data.get("prefilled", ())
    index = STATES.index(manager.current_context().state)
    for state, key in FLOW[index + 1 :]:
        if _skipped(state, answers) or ((editing or key in prefilled) and not _missing(state, key, answers)):
            continue
        await manager.switch_to(state)
        return
    manager.dialog_data["editing"] = True
    if manager.dialog_data.get("registration_id") is not None:
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
    changed = [field for field in FIELD_LABELS if before.get(field) != after[field]]
    manager.dialog_data["just_saved"] = changed
    if changed:
        registration_id = manager.dialog_data["registration_id"]
        await services.registrations.update(
            registration_id, Answers.model_validate(answers), services.clock.now()
        )
        manager.dialog_data.update(saved=dict(answers), changed=True)


async def _remember(manager: DialogManager, **values: Any) -> None:
    _answers(manager).update(values)
    await _advance(manager)


async def _go_back(_event: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    if manager.dialog_data.get("editing"):
        await manager.switch_to(S.review)
        return
    answers = _answers(manager)
    index = STATES.index(manager.current_context().state)
    for state in reversed(STATES[:index]):
        if not _skipped(state, answers):
            await manager.switch_to(state)
            return


BACK = Button(back_text(), id="back", on_click=_go_back)


def _text_step(state: Any, prompt: str, on_text, *widgets: Any, getter=None, markup_factory=None) -> Window:
    """A window answered by typing; `on_text` parses the text and stores the answer."""

    async def _on_success(message: Message, widget: TextInput, manager: DialogManager, text: str) -> None:
        # TextInput keeps the raw text in the stored widget data: only the parsed answer is kept
        # (a passport number would otherwise sit there in clear).
        manager.current_context().widget_data.pop(widget.widget_id, None)
        try:
            await on_text(message, manager, text)
        except InvalidAnswer as error:
            await say_invalid(message, manager, error)

    extra = {"markup_factory": markup_factory} if markup_factory else {}
    return Window(
        T(prompt),
        TextInput(id="text", on_success=_on_success),
        *widgets,
        BACK,
        UNEXPECTED_INPUT,
        state=state,
        getter=getter,
        **extra,
    )


def _choice_step(state: Any, prompt: str, keyboard: Any, getter=None) -> Window:
    """A window answered with buttons."""
    return Window(T(prompt), keyboard, BACK, UNEXPECTED_INPUT, state=state, getter=getter)


def _store(key: str, parser):
    async def _on_text(_message: Message, manager: DialogManager, text: str) -> None:
        await _remember(manager, **{key: parser(text)})

    return _on_text


async def _store_email(_message: Message, manager: DialogManager, text: str) -> None:
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
    await _remember(manager, email=email)


async def _store_passport(_message: Message, manager: DialogManager, text: str) -> None:
    """Encrypted from the start: the dialogue data is stored too (bot/core/crypto.py)."""
    passports = services_of(manager).passports
    await _remember(manager, passport_number=passports.encrypt(parse.parse_passport(text)))


# --- language and consent ---------------------------------------------------------------


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


async def _on_language(callback: CallbackQuery, _widget: Select, manager: DialogManager, code: str) -> None:
    if await switch_language(callback, manager, code):
        await _remember(manager, language=code)


async def _consent_getter(services: Services, **_kw) -> dict:
    return {"notice": escape(localized(services.event.privacy.notice, current_language()))}


async def _on_consent(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    await _remember(
        manager, consent_version=services.event.privacy.version, consent_at=services.clock.now().isoformat()
    )


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


# --- choices ------------------------------------------------------------------------------


async def _gender_getter(**_kw) -> dict:
    return {"genders": [(key, _(label)) for key, label in GENDERS.items()]}


async def _on_gender(_c: CallbackQuery, _w: Select, manager: DialogManager, gender: str) -> None:
    if gender in GENDERS:
        await _remember(manager, gender=gender)


def _country_step(state: Any, key: str, prompt: str) -> Window:
    """Usual countries as buttons; typing part of a name (local language or English) lists matches."""
    matches_key = f"{key}_matches"

    async def _getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
        language = current_language()
        matches = dialog_manager.dialog_data.get(matches_key)
        usual = services.event.usual_countries
        countries = [(code, country_name(code, language)) for code in matches or usual]
        if not matches:  # search results stay best first; the usual list reads alphabetically
            name_key = collation_key(language)
            countries.sort(key=lambda country: name_key(country[1]))
        return {"countries": countries, "searching": bool(matches)}

    async def _on_text(_message: Message, manager: DialogManager, text: str) -> None:
        query = parse.clean_text(text)[:60]
        codes = search_countries(query, current_language())
        if not codes:
            raise InvalidAnswer(
                N_("I found no country called “{query}”. Try another spelling, or its English name."),
                query=query,
            )
        manager.dialog_data[matches_key] = codes

    async def _on_pick(_c: CallbackQuery, _w: Select, manager: DialogManager, code: str) -> None:
        if len(code) == 2 and code.isalpha() and code.isupper():
            manager.dialog_data.pop(matches_key, None)
            await _remember(manager, **{key: code})

    async def _show_usual(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
        manager.dialog_data.pop(matches_key, None)

    return _text_step(
        state,
        prompt,
        _on_text,
        choices("c", "countries", _on_pick),
        Button(T(N_("🌏 Back to the country list")), id="usual", on_click=_show_usual, when="searching"),
        getter=_getter,
    )


async def _role_getter(services: Services, **_kw) -> dict:
    language = current_language()
    return {"roles": [(role.id, localized(role.label, language)) for role in services.event.roles]}


async def _on_role(_c: CallbackQuery, _w: Select, manager: DialogManager, role: str) -> None:
    if services_of(manager).event.role(role):
        await _remember(manager, role=role)


# --- phone ---------------------------------------------------------------------------------


async def _store_phone(message: Message, manager: DialogManager, raw: str) -> None:
    phone = parse.parse_phone(raw, _answers(manager).get("country"))
    await answer_taking_keyboard_away(message, manager, _("📱 Saved: {phone}").format(phone=phone))
    await _remember(manager, phone=phone)


async def _on_contact(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    try:
        await _store_phone(message, manager, message.contact.phone_number)
    except InvalidAnswer as error:
        await say_invalid(message, manager, error)


async def _on_phone_text(message: Message, manager: DialogManager, text: str) -> None:
    await _store_phone(message, manager, text)


# --- travel --------------------------------------------------------------------------------


# The travel question a state asks: "arrival" or "departure" (its date, time and flight).
_TRAVEL = {
    state: prefix
    for prefix in ("arrival", "departure")
    for state in (getattr(S, f"{prefix}_date"), getattr(S, f"{prefix}_time"), getattr(S, f"{prefix}_flight"))
}


def _travel(manager: DialogManager) -> str:
    return _TRAVEL[manager.current_context().state]


def _travel_days(event: Event, prefix: str) -> list[date]:
    if prefix == "arrival":
        return [event.starts_on - timedelta(days=days) for days in range(3, -1, -1)]
    return [event.ends_on + timedelta(days=days) for days in range(4)]


async def _travel_date_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    days = _travel_days(services.event, _travel(dialog_manager))
    return {"days": [(day.isoformat(), fmt_date(day, language, "MMMEd")) for day in days]}


async def _store_travel_date(manager: DialogManager, day: date | None) -> None:
    prefix = _travel(manager)
    answers = _answers(manager)
    arrival = answers.get("arrival_date")
    if day is not None and prefix == "departure" and arrival and day < date.fromisoformat(arrival):
        raise InvalidAnswer(
            N_("Your departure must be on or after your arrival ({arrival})."),
            arrival=date.fromisoformat(arrival),
        )
    if day is None or answers.get(f"{prefix}_date") is None:
        # No transfer, or a first date: time and flight are asked afresh.
        answers.pop(f"{prefix}_time", None)
        answers.pop(f"{prefix}_flight", None)
    answers[f"{prefix}_date"] = day.isoformat() if day else None
    await _advance(manager)


async def _on_travel_day(callback: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return  # forged button data: the question is shown again
    try:
        await _store_travel_date(manager, day)
    except InvalidAnswer as error:
        await say_invalid(callback.message, manager, error)


async def _on_travel_date_text(_message: Message, manager: DialogManager, text: str) -> None:
    event = services_of(manager).event
    earliest, latest = parse.travel_window(event.starts_on, event.ends_on)
    await _store_travel_date(manager, parse.parse_date(text, earliest, latest, current_language()))


async def _no_transfer(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _store_travel_date(manager, None)


async def _no_flight(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _remember(manager, **{f"{_travel(manager)}_flight": None})


async def _on_travel_time(_message: Message, manager: DialogManager, text: str) -> None:
    await _remember(manager, **{f"{_travel(manager)}_time": parse.parse_time(text).strftime("%H:%M")})


async def _on_travel_flight(_message: Message, manager: DialogManager, text: str) -> None:
    await _remember(manager, **{f"{_travel(manager)}_flight": parse.parse_flight(text)})


def _travel_steps(prefix: str) -> list[Window]:
    arriving = prefix == "arrival"
    return [
        _text_step(
            getattr(S, f"{prefix}_date"),
            N_(
                "✈️ On which day do you <b>arrive</b> in {city}? Pick a day or type a date. "
                "We use it to meet you at the airport."
            )
            if arriving
            else N_("🛫 On which day do you <b>leave</b>? Pick a day or type a date."),
            _on_travel_date_text,
            choices("d", "days", _on_travel_day),
            Button(T(N_("🚫 No airport transfer needed")), id="none", on_click=_no_transfer),
            getter=_travel_date_getter,
        ),
        _text_step(
            getattr(S, f"{prefix}_time"),
            N_("🕑 At what time does your flight land? Local time in {city}, for example 14:35.")
            if arriving
            else N_("🕑 At what time does your flight leave? Local time in {city}, for example 18:50."),
            _on_travel_time,
        ),
        _text_step(
            getattr(S, f"{prefix}_flight"),
            N_("What is the flight number? For example PR 431."),
            _on_travel_flight,
            Button(T(N_("I don't know yet")), id="unknown", on_click=_no_flight),
        ),
    ]


# --- yes / no ------------------------------------------------------------------------------


def _yes_no_step(state: Any, key: str, prompt: str) -> Window:
    async def _yes(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
        await _remember(manager, **{key: True})

    async def _no(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
        await _remember(manager, **{key: False})

    return _choice_step(
        state,
        prompt,
        Row(Button(T(N_("Yes")), id="yes", on_click=_yes), Button(T(N_("No")), id="no", on_click=_no)),
    )


# --- needs ---------------------------------------------------------------------------------


async def _dietary_getter(services: Services, **_kw) -> dict:
    language = current_language()
    options = services.event.dietary_options
    return {"diets": [(option.id, localized(option.label, language)) for option in options]}


async def _on_dietary_text(_message: Message, manager: DialogManager, text: str) -> None:
    await _remember(
        manager, **_dietary_choice(manager), dietary_notes=parse.parse_free_text(text, parse.NOTE_MAX)
    )


async def _on_dietary_done(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    answers = _answers(manager)
    await _remember(manager, **_dietary_choice(manager), dietary_notes=answers.get("dietary_notes"))


def _dietary_choice(manager: DialogManager) -> dict[str, str | None]:
    chosen = manager.find("diet").get_checked()
    return {"dietary": ",".join(chosen) or None}


async def _no_accessibility(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _remember(manager, accessibility=None)


# --- review and confirm --------------------------------------------------------------------


async def _review_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    # /language may have changed it since the first question.
    _answers(dialog_manager)["language"] = language
    shown = services.passports.for_display(_answers(dialog_manager))
    summary = render_answers(shown, services.event, language)
    just_saved = dialog_manager.dialog_data.get("just_saved") or []
    if just_saved:
        saved = render_answers(shown, services.event, language, just_saved)
        summary = _("✅ Saved:") + "\n" + saved + "\n\n" + summary
    return {
        "summary": summary,
        "fields": [(field, "✏️ " + _(label)) for field, label in FIELD_LABELS.items()],
        "is_new": dialog_manager.dialog_data.get("registration_id") is None,
        "is_change": dialog_manager.dialog_data.get("registration_id") is not None,
    }


async def _on_change(_c: CallbackQuery, _w: Select, manager: DialogManager, field: str) -> None:
    manager.dialog_data.pop("just_saved", None)
    if field in FIELD_STATES:
        await manager.switch_to(FIELD_STATES[field])


async def _on_confirm(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    services = services_of(manager)
    now = services.clock.now()
    answers = Answers.model_validate(_answers(manager))
    registration_id = manager.dialog_data.get("registration_id")
    # Kept for the hooks: the dialogue's data is gone once it is done.
    dialog_data = dict(manager.dialog_data)
    try:
        if registration_id is None:
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
    them: an invitation gives `answers`, `prefilled` and `delegation_id`.
    """
    manager.dialog_data.update({"answers": {}, **(start_data or {})})
    if manager.dialog_data.get("registration_id") is not None:
        # What is stored, to save each change and say what it was.
        manager.dialog_data["saved"] = dict(manager.dialog_data["answers"])
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
    state = manager.current_context().state
    if state == S.review or manager.dialog_data.get("editing"):
        if manager.dialog_data.get("registration_id") is None:
            return _("your registration: your answers to check")
        return _("changes to your registration")
    answers = _answers(manager)
    prefilled = manager.dialog_data.get("prefilled", ())
    asked = [
        step
        for step, key in FLOW
        if step == state
        or not (_skipped(step, answers) or (key in prefilled and not _missing(step, key, answers)))
    ]
    language = current_language()
    return _("your registration, question {number} of {count}").format(
        number=fmt_number(asked.index(state) + 1, language), count=fmt_number(len(asked), language)
    )


name_place(RegistrationSG, _place)


def registration_dialog() -> Dialog:
    return Dialog(
        *_opening_windows(),
        *_about_you_windows(),
        *_travel_and_needs_windows(),
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
            BACK,
            UNEXPECTED_INPUT,
            state=S.consent,
            getter=_consent_getter,
        ),
    ]


def _about_you_windows() -> list[Window]:
    return [
        _text_step(
            S.full_name,
            N_("What is your <b>full name</b>, exactly as written in your passport?"),
            _store("full_name", parse.parse_name),
        ),
        _choice_step(
            S.gender,
            N_(
                "What is your <b>gender</b>? The organisers aim for delegations balanced between women and men."
            ),
            choices("g", "genders", _on_gender),
            getter=_gender_getter,
        ),
        _country_step(
            S.country,
            "country",
            N_("Which <b>country</b> do you come from? Pick it below or type its name."),
        ),
        _text_step(
            S.organisation,
            N_("Which <b>party or organisation</b> do you represent?"),
            _store("organisation", parse.parse_free_text),
        ),
        _text_step(
            S.position,
            N_(
                "What is your <b>position</b> in your party or organisation? For example: International Secretary."
            ),
            _store("position", parse.parse_free_text),
        ),
        _choice_step(
            S.role, N_("How will you take part?"), choices("r", "roles", _on_role), getter=_role_getter
        ),
        _text_step(
            S.email,
            N_("What is your <b>email address</b>? We send the programme and practical information there."),
            _store_email,
        ),
        _text_step(
            S.phone,
            N_(
                "What is your <b>mobile phone number</b>? Press the button below to share it, or type it "
                "with the country code."
            ),
            _on_phone_text,
            RequestContact(T(N_("📱 Share my phone number"))),
            MessageInput(_on_contact, content_types=[ContentType.CONTACT]),
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
        ),
    ]


def _travel_and_needs_windows() -> list[Window]:
    return [
        *_travel_steps("arrival"),
        *_travel_steps("departure"),
        _yes_no_step(S.hotel, "hotel_needed", N_("🏨 Do you need a hotel room booked by the organisers?")),
        _yes_no_step(S.visa, "visa_needed", N_("🛂 Do you need an invitation letter for your visa?")),
        _country_step(
            S.nationality,
            "nationality",
            N_(
                "For the visa letter: what is your <b>nationality</b>? Pick your country below or type its name."
            ),
        ),
        _text_step(
            S.passport,
            N_("For the visa letter: what is your <b>passport number</b>?"),
            _store_passport,
        ),
        _text_step(
            S.dietary,
            N_(
                "🍽 Do you have <b>dietary needs</b>? Tick all that apply, then press Done. For anything else, type it in a message (your ticks are kept)."
            ),
            _on_dietary_text,
            Group(
                Multiselect(
                    Format("✅ {item[1]}"),
                    Format("{item[1]}"),
                    id="diet",
                    item_id_getter=lambda d: d[0],
                    items="diets",
                ),
                width=2,
            ),
            Button(T(N_("Done")), id="done", on_click=_on_dietary_done),
            getter=_dietary_getter,
        ),
        _text_step(
            S.accessibility,
            N_(
                "♿ Do you have <b>accessibility needs</b> we should prepare for? Type them, or press the button."
            ),
            _store("accessibility", lambda text: parse.parse_free_text(text, parse.NOTE_MAX)),
            Button(T(N_("No special needs")), id="none", on_click=_no_accessibility),
        ),
    ]


def _review_window() -> Window:
    return Window(
        T(
            N_("📋 <b>Please check your answers</b>\n\n{summary}\n\nTap an item to change it."),
            when="is_new",
        ),
        T(N_("📋 <b>Your registration</b>\n\n{summary}\n\nTap an item to change it."), when="is_change"),
        choices("f", "fields", _on_change),
        Button(T(N_("✅ Confirm my registration")), id="confirm", on_click=_on_confirm, when="is_new"),
        Button(T(N_("✅ Done")), id="save", on_click=_on_confirm, when="is_change"),
        UNEXPECTED_INPUT,
        state=S.review,
        getter=_review_getter,
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
