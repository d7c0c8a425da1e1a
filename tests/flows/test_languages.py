"""Every delegate in their own language, end to end through the fake Bot API (which checks every
request: Telegram's HTML, text and button limits): every dialogue window rendered in every
language, a whole registration in each of the 18 languages, `/language` from any window, the
localized command menus, and right-to-left Urdu.

"No English leaked" means: no English text of a catalog message (or of an event text) shows where
the delegate's language has its own translation. Untranslated messages are the catalog test's
business (tests/unit/test_i18n.py); proper nouns and what the delegate typed are allowed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import pytest
from aiogram.fsm.state import State
from aiogram.types import Chat as TelegramChat
from aiogram.types import User
from aiogram_dialog import ShowMode, StartMode
from aiogram_dialog.api.entities import DialogAction, DialogStartEvent, DialogUpdate, DialogUpdateEvent
from aiogram_dialog.api.entities.stack import DEFAULT_STACK_ID
from aiogram_dialog.manager.updater import Updater
from aiogram_dialog.setup import collect_dialogs
from babel.messages.pofile import read_po

from bot.app import _set_commands, build_dispatcher
from bot.core.answers import Answers
from bot.core.event import localized
from bot.core.i18n import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    FSI,
    LOCALES_DIR,
    PDI,
    PLACEHOLDER,
    get_i18n,
    is_right_to_left,
    paragraph_direction,
    supported_languages,
    telegram_language_code,
    zone_name,
)
from bot.core.i18n import gettext as _
from bot.core.i18n_check import catalog_paths, extract, localized_texts
from bot.core.models import RegistrationStatus
from bot.kit.widgets import T
from bot.states import RegistrationSG
from tests.support.app import BEFORE_DEADLINE, EVENT_FILE, make_settings, sample_answers
from tests.support.chat import Chat
from tests.support.dialogue_paths import REGISTRATION_PLACES
from tests.support.fake_telegram import StoredMessage, check_telegram_html
from tests.support.walk import S, SharedContact, asked, label_of, plan, play, register, stored

LANGUAGES = supported_languages()
# What Telegram sends as `language_code` for a user whose app or phone is in that language.
TELEGRAM_TAGS = {
    "en": "en",
    "fr": "fr",
    "es": "es",
    "fil": "tl",
    "id": "id",
    "ms": "ms",
    "th": "th",
    "vi": "vi",
    "km": "km",
    "my": "my",
    "mn": "mn",
    "ne": "ne",
    "hi": "hi",
    "bn": "bn",
    "ur": "ur",
    "ja": "ja",
    "ko": "ko",
    "zh_Hant": "zh-hant",
}
ORGANISER = 900  # ADMIN_IDS in the test settings: staff windows render for them
# Values a delegate types; they may be in any script, English included.
TYPED = ("Ana Reyes", "Akbayan", "International Secretary", "ana@example.org", "PR 431", "PR 432")
# Every question answered, as the dialogue keeps answers (JSON values).
FULL_ANSWERS: dict[str, Any] = {
    **sample_answers().model_dump(mode="json", exclude_none=True),
    "country": "ID",  # from abroad: asked about a visa letter
    "arrival_date": "2024-07-29",
    "arrival_time": "14:35",
    "arrival_flight": "PR 431",
    "departure_date": "2024-08-01",
    "departure_time": "18:50",
    "departure_flight": "PR 432",
    "hotel_needed": True,
    "visa_needed": True,
    "nationality": "PH",  # the passport number is added encrypted, as the dialogue keeps it
    "dietary": "halal,no_pork",
    "accessibility": None,
}
STAFF_MEMBER = 901


async def render_needs(app) -> dict[str, dict[str, Any]]:
    """What a window needs that the earlier windows of its dialogue would have set, per states
    group: `start` data, and `dialog` data put in place before it is shown. The organiser who
    looks at every window is registered, has invited a delegation and appointed a staff member.
    A new dialogue whose windows need data adds it here."""
    answers = {**FULL_ANSWERS, "passport_number": app.dp["services"].passports.encrypt("P1234567A")}
    registrations, delegations = app.dp["services"].registrations, app.dp["services"].delegations
    await registrations.register(ORGANISER, Answers.model_validate(answers), BEFORE_DEADLINE)
    delegation = await delegations.create("Akbayan", "PH", 4, ORGANISER, BEFORE_DEADLINE)
    await app.dp["services"].staff.grant(ORGANISER, STAFF_MEMBER)
    event = app.dp["services"].event
    first_day = event.programme.days[0]
    return {
        "RegistrationSG": {"start": {"answers": answers, "editing": True}},
        "BroadcastSG": {
            "dialog": {
                "kind": "country",
                "audience": {"kind": "country", "value": "PH"},
                "text": "<b>Mabuhay!</b>",
                "variants": {"fr": "Bonjour"},
                "variant": "fr",
                "send_at": "2024-07-01T10:00:00+08:00",
            }
        },
        "InviteSG": {
            "dialog": {
                "party": "Akbayan",
                "country": "PH",
                "max_size": 4,
                "token": delegation.token,
                "delegation_id": delegation.id,
            }
        },
        "DelegationsSG": {"dialog": {"open": delegation.id}},
        "StaffSG": {"dialog": {"revoke": STAFF_MEMBER}},
        "ProgrammeSG": {"dialog": {"day": first_day.date.isoformat(), "session": first_day.sessions[-1].id}},
        "InfoSG": {"dialog": {"topic": "hotel"}},
        "FaqSG": {"dialog": {"entry": event.faq[0].id}},
    }


BUTTON_MAX = 40  # characters of a translated button label: a phone shows about that on one line
SHOWN_BUTTON_MAX = 64  # any button (event texts and names included, shortened by the bot)

sqlite_only = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)


# --------------------------------------------------------------------------- English leaks

_PIECES = re.compile(r"\{[^{}]*\}|<[^<>]*>|&[a-z]+;|\n|[.:?!;()“”\"«»]|\s[–-]\s")


def _pieces(text: str) -> set[str]:
    found = set()
    for piece in _PIECES.split(text):
        piece = "".join(char for char in piece if unicodedata.category(char) != "So").strip(" ,/\u200d\ufe0f")
        if len(piece) >= 4 and any(char.isalpha() for char in piece):
            found.add(piece)
    return found


@cache
def _english() -> dict[str, str]:
    """Every message of the code as English readers see it (the English catalog's wording)."""
    template = extract(LOCALES_DIR / f".{DOMAIN}.languages.check.pot")
    wording = _catalog(DEFAULT_LANGUAGE)
    return {m.id: wording.get(m.id) or m.id for m in template if m.id and isinstance(m.id, str)}


@cache
def _catalog(language: str) -> dict[str, str]:
    [path] = [path for path in catalog_paths([language])]
    with path.open("rb") as file:
        return {m.id: m.string for m in read_po(file, locale=language) if m.id and isinstance(m.id, str)}


@cache
def _event_texts() -> tuple[dict[str, str], ...]:
    from bot.core.event import load_event

    return tuple(texts for _where, texts in localized_texts(load_event(EVENT_FILE), ""))


@cache
def english_fragments(language: str) -> tuple[str, ...]:
    """English a screen in `language` must not show: pieces of the catalog messages and event
    texts that the language has its own words for, less anything the language's own texts
    contain too (proper nouns, "Email", "Halal")."""
    if language == DEFAULT_LANGUAGE:
        return ()
    english, own = _english(), _catalog(language)
    sources = [english[msgid] for msgid, string in own.items() if string and english.get(msgid)]
    sources += [texts["en"] for texts in _event_texts() if texts.get(language)]
    from bot.core.event import load_event

    # CLDR's name of the event's city in the language (the time zone's city) is its own too.
    city = zone_name(load_event(EVENT_FILE).tz, language)
    own_text = "\n".join([*own.values(), *(texts.get(language, "") for texts in _event_texts()), city])
    return tuple(sorted({piece for source in sources for piece in _pieces(source) if piece not in own_text}))


@cache
def untranslated_texts(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The English texts `language` has no translation for yet, as shown (HTML parsed, values
    anywhere in them), each with its first words: messages the catalog test reports, and event
    texts that fall back to English (`make i18n` lists them). This test looks past them."""
    if language == DEFAULT_LANGUAGE:
        return ()
    english, own = _english(), _catalog(language)
    fallbacks = [texts["en"] for texts in _event_texts() if not texts.get(language)]
    found = []
    for text in [english[msgid] for msgid in english if not own.get(msgid)] + fallbacks:
        plain, _error = check_telegram_html(PLACEHOLDER.sub("\x00", text))
        pieces = plain.strip("\x00").split("\x00")
        found.append((pieces[0], re.compile(r"[\s\S]*?".join(re.escape(piece) for piece in pieces))))
    return tuple(sorted(found, key=lambda item: -len(item[1].pattern)))


def english_leak(language: str, text: str) -> str | None:
    """The first English fragment `text` shows in `language`, if any."""
    for typed in TYPED:
        text = text.replace(typed, "")
    for first, pattern in untranslated_texts(language):
        if first in text:  # a cheap test before the pattern
            text = pattern.sub("", text)
    for fragment in english_fragments(language):
        if fragment in text and re.search(rf"(?<![^\W\d_]){re.escape(fragment)}(?![^\W\d_])", text):
            return fragment
    return None


def shown_texts(message: StoredMessage) -> list[str]:
    """What the delegate reads of a message: its text or caption, and its buttons."""
    texts = [message.text or message.caption or ""]
    markup = message.reply_markup or {}
    for row in markup.get("inline_keyboard", []) + markup.get("keyboard", []):
        texts += [button["text"] if isinstance(button, dict) else button for button in row]
    return texts


def assert_no_english(language: str, messages: list[StoredMessage]) -> None:
    for message in messages:
        for text in shown_texts(message):
            leak = english_leak(language, text)
            assert leak is None, f"{language}: English {leak!r} in {text!r}"


def visible_length(text: str) -> int:
    """Characters a reader sees: combining marks and invisible format characters not counted."""
    return sum(1 for char in text if unicodedata.category(char) not in ("Mn", "Mc", "Me", "Cf"))


# --------------------------------------------------------------------------- every window


def dialogue_windows(dp) -> list[State]:
    """Every window of every dialogue the dispatcher serves (aiogram-dialog's own left out)."""
    return [
        state
        for dialog in collect_dialogs(dp)
        if dialog.states_group().__module__.startswith("bot.")
        for state in dialog.windows
    ]


async def render(app, user_id: int, state: State, language: str, needs: dict[str, Any]) -> StoredMessage:
    """Open `state` afresh for a user whose Telegram is in `language`, as a dialogue start would
    (with the data it `needs`), and return what the bot sent."""
    before = len(app.fake.chat(user_id))
    user = User(id=user_id, is_bot=False, first_name="Ana", language_code=TELEGRAM_TAGS[language])
    where = {
        "from_user": user,
        "chat": TelegramChat(id=user_id, type="private"),
        "intent_id": None,
        "stack_id": DEFAULT_STACK_ID,
        "thread_id": None,
        "business_connection_id": None,
    }
    events: list[DialogUpdateEvent] = [
        DialogStartEvent(
            action=DialogAction.START,
            data=needs.get("start"),
            new_state=state,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.NO_UPDATE if "dialog" in needs else ShowMode.SEND,
            **where,
        )
    ]
    if "dialog" in needs:
        events.append(
            DialogUpdateEvent(
                action=DialogAction.UPDATE, data=needs["dialog"], show_mode=ShowMode.SEND, **where
            )
        )
    for event in events:
        update = DialogUpdate(aiogd_update=event.as_(app.bot)).as_(app.bot)
        await Updater(app.dp).notify_task(bot=app.bot, update=update)
    sent = [
        message for message in app.fake.chat(user_id)[before:] if message.from_bot and not message.deleted
    ]
    assert sent, f"{state} sent nothing in {language}"
    return sent[-1]


def button_msgids(widget: Any) -> set[str]:
    """The messages of the buttons in a window's keyboard (groups, rows, columns walked through)."""
    found = set()
    text = getattr(widget, "text", None)
    if isinstance(text, T):
        found.add(text.msgid)
    for child in getattr(widget, "buttons", ()):
        found |= button_msgids(child)
    return found


def test_translated_buttons_stay_short():
    dp = build_dispatcher(make_settings())
    windows = [window for dialog in collect_dialogs(dp) for window in dialog.windows.values()]
    msgids = {msgid for window in windows for msgid in button_msgids(window.keyboard)}
    assert {"Back", "✅ Confirm my registration", "📱 Share my phone number"} <= msgids
    too_long = [
        f"{language}: {_catalog(language)[msgid]!r}"
        for language in LANGUAGES
        for msgid in sorted(msgids)
        if visible_length(_catalog(language).get(msgid) or "") > BUTTON_MAX
    ]
    assert not too_long, too_long


@sqlite_only
async def test_every_dialogue_window_in_every_language(app, engine):
    """Discovered from the dispatcher, so new dialogues are covered without listing them here."""
    app.chat(ORGANISER, language_code="en")
    needs = await render_needs(app)
    windows = dialogue_windows(app.dp)
    assert {RegistrationSG.review, RegistrationSG.phone, RegistrationSG.multi} <= set(windows)
    for language in LANGUAGES:
        for state in windows:
            state_needs = needs.get(state.group.__name__, {})
            if state in REGISTRATION_PLACES:  # the question each kind of window asks
                state_needs = {"start": {**state_needs["start"], "at": REGISTRATION_PLACES[state].key}}
            message = await render(app, ORGANISER, state, language, state_needs)
            texts = shown_texts(message)
            assert texts[0].strip(), f"{state} is empty in {language}"
            for label in texts[1:]:
                assert visible_length(label) <= SHOWN_BUTTON_MAX, f"{language}: button too long: {label!r}"
            assert_no_english(language, [message])
            if is_right_to_left(language):
                assert_right_to_left(language, texts[0])
    app.fake.assert_no_violations()


def assert_right_to_left(language: str, text: str) -> None:
    """Each line written mostly in right-to-left letters is laid out right to left. (A list of
    Latin party names with a country in Urdu reads left to right, as English not translated yet.)"""
    for _first, pattern in untranslated_texts(language):
        text = pattern.sub("", text)
    for line in text.split("\n"):
        outside = re.sub(f"{FSI}[^{PDI}]*{PDI}", "", line)
        kinds = [unicodedata.bidirectional(char) for char in outside]
        if kinds.count("AL") + kinds.count("R") > kinds.count("L"):
            assert paragraph_direction(line) == "R", line


# --------------------------------------------------------------------------- a whole registration


@sqlite_only
@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_delegate_registers_entirely_in_their_language(app, engine, language):
    chat = app.chat(language_code=TELEGRAM_TAGS[language])
    await chat.send("/start")
    picker = dict(zip(chat.button_data(), chat.buttons(), strict=True))
    assert picker[f"lang:{language}"].startswith("✅"), "the language Telegram sent is ticked"
    await register(chat, since=S.language, until=S.review, language=f"lang:{language}")
    assert label_of("full_name", language) in chat.last_text
    await chat.tap("confirm")
    await chat.send("/me")
    [registration] = await stored(engine)
    assert registration.language == language and registration.status == RegistrationStatus.REGISTERED
    caption = chat.fake.calls_of("sendPhoto")[0].params["caption"]
    assert registration.code in caption
    messages = [message for message in chat.fake.chat(chat.user_id) if message.from_bot]
    assert_no_english(language, messages)
    if language != DEFAULT_LANGUAGE:
        assert localized(app.dp["services"].event.city, language) in "\n".join(m.text or "" for m in messages)


@sqlite_only
async def test_unknown_language_gets_english_and_the_picker(app, engine):
    chat = app.chat(language_code="pt-BR")
    await chat.send("/start")
    assert "Welcome" in chat.last_text
    assert {f"lang:{language}" for language in LANGUAGES} <= set(chat.button_data())
    assert "✅ English" in chat.buttons()


# --------------------------------------------------------------------------- /language anywhere


async def switch_language(chat: Chat, language: str) -> None:
    await chat.send("/language")
    await chat.tap(f"lang:{language}")


@sqlite_only
async def test_language_changes_from_every_registration_window_and_the_window_rerenders(app, engine):
    """At each question, the review screen included: /language → French shows the same window in
    French (the phone question with its share-contact keyboard too); back in English it reads
    exactly as before."""
    chat = app.chat(language_code="en")
    await chat.send("/start")
    steps = plan(until=S.review, phone=SharedContact("+639171234567"), hotel="yes", visa="yes")
    windows = 0
    for state, actions in [*steps, (S.review, ())]:
        await asked(chat, state)
        english, english_keyboard = chat.last_text, chat.fake.reply_keyboard(chat.user_id)
        await switch_language(chat, "fr")
        french = chat.last
        assert french.text != english, f"not re-rendered in French: {english!r}"
        assert_no_english("fr", [french])
        if english_keyboard is not None:
            keyboard = chat.fake.reply_keyboard(chat.user_id)
            assert keyboard and keyboard["keyboard"][0][0]["text"] == "📱 Partager mon numéro"
        await switch_language(chat, "en")
        assert chat.last_text == english, "the same window, in English again"
        windows += 1
        await play(chat, actions)
    assert "Please check your answers" in chat.last_text and windows == len(steps) + 1
    await switch_language(chat, "ja")
    assert "回答をご確認ください" in chat.last_text and "言語" in chat.last_text
    await chat.tap("confirm")
    [registration] = await stored(engine)
    assert registration.language == "ja", "the language chosen last is the registration's"


@sqlite_only
async def test_language_outside_any_dialogue_is_confirmed_in_the_new_language(app, engine):
    chat = app.chat(language_code="en")
    await chat.send("/language")
    picker = chat.last
    await chat.tap("lang:ja")
    assert chat.last.message_id == picker.message_id, "the picker becomes the confirmation"
    assert chat.last_text == "✅ 言語：日本語" and not chat.last.inline_keyboard
    await chat.send("/start")
    assert "ようこそ" in chat.last_text


@sqlite_only
async def test_language_changes_from_the_me_view_and_the_withdraw_question(app, engine):
    chat = app.chat(language_code="en")
    await register(chat)
    await chat.send("/me")
    await switch_language(chat, "ko")
    assert "내 등록" in chat.last_text
    await chat.tap("withdraw")
    await switch_language(chat, "th")
    assert "ยกเลิกการลงทะเบียน" in chat.last_text
    await chat.tap("no")
    assert "การลงทะเบียนของคุณ" in chat.last_text


# --------------------------------------------------------------------------- command menus


@sqlite_only
async def test_command_menus_in_every_language(app):
    await _set_commands(app.bot)
    default = app.fake.my_commands({"type": "default"})
    assert {command["command"] for command in default} >= {"start", "me", "language", "help"}
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        code = telegram_language_code(language)
        menu = app.fake.my_commands({"type": "default"}, language_code=code)
        with get_i18n().use_locale(language):
            expected = {command["command"]: _(text) for command, text in _english_menu(default)}
        assert {command["command"]: command["description"] for command in menu} == expected
        assert_no_english(language, [StoredMessage({"text": c["description"]}, True) for c in menu])
    codes = [call.params.get("language_code") for call in app.fake.calls_of("setMyCommands")]
    assert all(code is None or re.fullmatch("[a-z]{2}", code) for code in codes), codes


def _english_menu(default: list[dict[str, str]]) -> list[tuple[dict[str, str], str]]:
    english = {string: msgid for msgid, string in _catalog(DEFAULT_LANGUAGE).items()}
    return [(command, english.get(command["description"], command["description"])) for command in default]


# --------------------------------------------------------------------------- right to left


@sqlite_only
async def test_urdu_review_isolates_latin_values(app, engine):
    chat = app.chat(language_code="ur")
    await register(chat, until=S.review, language="lang:ur")
    sent = chat.fake.calls_of("editMessageText")[-1].params["text"]
    for value in ("ana@example.org", "+639171234567", "Ana Reyes", "Akbayan"):
        assert f"{FSI}{value}{PDI}" in sent, value
    plain, error = check_telegram_html(sent)
    assert error is None and "\u200f" in plain
    # Placeholders are intact in the catalog itself: isolation happens when catalogs are loaded.
    assert not any(FSI in string for string in _catalog("ur").values())
    assert PLACEHOLDER.search(_catalog("ur")["📱 Saved: {phone}"])
