"""Property-based fuzzing of every dialogue state through the real dispatcher and the fake Bot API.

Each example takes a fresh user to a state of a dialogue by a scripted path, checks that the
state was reached, then sends a generated sequence of updates: any text (HTML and markup
characters, right-to-left and zero-width characters, emoji, up to 10,000 characters), commands,
button presses with random or forged data (another user's intent ids included), stickers,
photos, voice messages, locations, documents, contacts, and edits of earlier messages.

Properties, checked after every update:
- nothing logged at ERROR (no unhandled exception reached the errors router);
- no request broke the Bot API spec (the fake's `violations`);
- the user got an answer: at least one request to their chat or to their callback query. Edits
  of earlier messages are the exception: Telegram sends them as `edited_message`, which the bot
  deliberately ignores (an answer was already given to the original message);
- the other user's registration, whose buttons are forged, is never changed.

States come from the dispatcher's dialogue registry: `test_every_state_has_a_path` fails for a
state without a scripted path in `PATHS` (tests/support/dialogue_paths.py), so a new dialogue is fuzzed as soon as it has one.

Profiles: `ci` (default; bounded to keep the suite under two minutes) and `long`
(`HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/flows/test_fuzz.py`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.state import State
from aiogram_dialog.setup import collect_dialogs
from aiogram_dialog.utils import CB_SEP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.app import build_bot, build_dispatcher
from bot.core.form import QuestionType
from bot.core.settings import PROJECT_ROOT
from bot.registration.form_dialog import WINDOW_OF
from bot.states import RegistrationSG
from tests.support.app import App, make_settings
from tests.support.chat import Chat, buttons_of, keyboards
from tests.support.dialogue_paths import EVERY_QUESTION, PATHS, registered
from tests.support.dialogue_state import current_state
from tests.support.fake_telegram import FakeTelegram
from tests.support.walk import MANILA, At, event_of, register, stored

settings.register_profile(
    "ci",
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce locally
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

UPDATE_TIMEOUT = 60  # seconds, generous for a loaded CI machine
VICTIM = 6_999_999  # a registered delegate whose buttons attackers forge
_ids = itertools.count(6_000_000)


def registry_states() -> list[State]:
    """Every state of the bot's dialogues (not aiogram-dialog's own "about" dialogue)."""
    dp = build_dispatcher(make_settings())
    return [
        state
        for dialog in collect_dialogs(dp)
        if not dialog.states_group().__module__.startswith("aiogram_dialog")
        for state in dialog.states()
    ]


STATES = registry_states()


def test_every_state_has_a_path():
    assert not [state.state for state in STATES if state not in PATHS], "add a path to PATHS"


# The typed questions share one window (RegistrationSG.text), fuzzed above at the name: each
# other type of question is fuzzed at a question of its type too, from the Manila form or else
# the summer school's (a number: the age).
SUMMER_SCHOOL = PROJECT_ROOT / "events" / "example-summer-school.yaml"
SUMMER_OPEN = "2025-05-30T10:00:00+07:00"


def typed_places() -> dict[QuestionType, tuple[Path, str]]:
    places: dict[QuestionType, tuple[Path, str]] = {}
    for path in (MANILA, SUMMER_SCHOOL):
        for step in event_of(path).form.steps:
            if step.question.type not in WINDOW_OF and step.question.type is not QuestionType.NAME:
                places.setdefault(step.question.type, (path, step.key))
    return places


TYPED_PLACES = typed_places()


def test_every_typed_question_type_is_fuzzed():
    window_types = set(WINDOW_OF) | {QuestionType.NAME, QuestionType.GROUP}
    assert set(TYPED_PLACES) == set(QuestionType) - window_types


# -- generated updates ---------------------------------------------------------------------

_NASTY = [
    "<b>bold</b>",
    "</b>",
    "<a href='tg://user?id=1'>x</a>",
    "<script>alert(1)</script>",
    "&amp; &lt; & &#0; &#x110000;",
    "{name} {0} {} %s %(x)s",
    "*_`[]()~>#+-=|{}.!\\",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\u2060\ufeff",
    "مرحبا بالعالم",
    "שלום",
    "👩\u200d👩\u200d👧\u200d👦🏳️\u200d🌈",
    "\x00\x01\x1b[31m",
    " ",
    "\n\n\n",
    "/",
    "@test_bot",
]
_MARKUP = "<>&\"'*_`[]()~#+-=|{}.!\\/\u200b\u200d\u200e\u200f\u202b\u202e\u2067\u2069\ufeff\n"
texts = st.one_of(
    st.sampled_from(_NASTY),
    st.text(alphabet=st.sampled_from(_MARKUP) | st.characters(codec="utf-8"), max_size=60),
    st.text(max_size=300),
    st.builds(
        lambda unit, count: (unit * count)[:10_000],
        st.sampled_from(["a", "é", "👍", "<b>", "&", "\u200b", "مر", "ก"]),
        st.integers(1000, 10_000),
    ),
)
commands = st.one_of(
    st.sampled_from(
        [
            "/start",
            "/me",
            "/language",
            "/help",
            "/privacy",
            "/mydata",
            "/forget",
            "/purge",
            "/start@test_bot",
            "/start ci_AAAAAAAAAAAAAAAAAAAAAA",
            "/start inv_AAAAAAAAAAAAAAAAAAAAAA",
            "/frobnicate",
        ]
    ),
    st.builds(lambda word, rest: f"/{word} {rest}", st.from_regex(r"[a-z_]{1,12}", fullmatch=True), texts),
)
callback_data = st.one_of(
    st.text(min_size=1, max_size=64).filter(lambda data: len(data.encode()) <= 64),
    st.binary(min_size=1, max_size=64).map(lambda raw: raw.decode("latin-1")),
)

Action = tuple[str, Any]
actions: st.SearchStrategy[Action] = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("command"), commands),
    st.tuples(st.just("button"), st.integers(0, 30)),  # a button of the current keyboard
    st.tuples(st.just("forged"), callback_data),  # the current intent id, any widget data
    st.tuples(st.just("random"), callback_data),  # any data at all
    st.tuples(st.just("foreign"), st.integers(0, 30)),  # a button of the victim's keyboard
    st.tuples(st.just("stale"), st.integers(0, 30)),  # a button of an older message
    st.tuples(
        st.just("media"),
        st.sampled_from(["sticker", "photo", "voice", "location", "document", "contact", "contact_other"]),
    ),
    st.tuples(st.just("edit"), texts),
)


def any_message_id(chat: Chat) -> int:
    """A live message of the chat to attach a forged press to (Telegram requires one)."""
    live = [m for m in chat.fake.chat(chat.user_id) if not m.deleted and m.from_bot]
    return live[-1].message_id


async def perform(chat: Chat, action: Action) -> bool:
    """Send the update; False when nothing is expected in return (an edit)."""
    kind, value = action
    fake, user = chat.fake, chat.user_id
    if kind in ("text", "command"):
        await chat.send(value)
    elif kind == "button" and keyboards(chat):
        message = keyboards(chat)[0]
        datas = buttons_of(message)
        await chat.feed(fake.callback_update(user, message.message_id, datas[value % len(datas)]))
    elif kind == "forged" and keyboards(chat):
        message = keyboards(chat)[0]
        intent = buttons_of(message)[0].split(CB_SEP, 1)[0]
        data = f"{intent}{CB_SEP}{value}"[:64]
        await chat.feed(fake.callback_update(user, message.message_id, data, check_button=False))
    elif kind == "random":
        await chat.feed(fake.callback_update(user, any_message_id(chat), value, check_button=False))
    elif kind == "foreign" and keyboards(chat, VICTIM):
        datas = buttons_of(keyboards(chat, VICTIM)[0])
        data = datas[value % len(datas)]
        await chat.feed(fake.callback_update(user, any_message_id(chat), data, check_button=False))
    elif kind == "stale" and len(keyboards(chat)) > 1:
        message = keyboards(chat)[1 + value % (len(keyboards(chat)) - 1)]
        datas = buttons_of(message)
        await chat.feed(fake.callback_update(user, message.message_id, datas[value % len(datas)]))
    elif kind == "media":
        builders = {
            "sticker": lambda: fake.sticker_update(user),
            "photo": lambda: fake.photo_update(user, caption="<b>caption</b>"),
            "voice": lambda: fake.voice_update(user),
            "location": lambda: fake.location_update(user, 14.5995, 120.9842),
            "document": lambda: fake.document_update(user, "passport.pdf", b"%PDF-1.4"),
            "contact": lambda: fake.contact_update(user, "+63 917 123 4567"),
            "contact_other": lambda: fake.contact_update(user, "not a number"),
        }
        await chat.feed(builders[value]())
    elif kind == "edit":
        mine = [m for m in fake.chat(user) if not m.from_bot and "text" in m.data]
        if mine:
            await chat.feed(fake.edited_message_update(user, mine[-1].message_id, value or "x"))
        return False
    else:  # nothing to press in this state: a press on the last message instead
        await chat.feed(fake.callback_update(user, any_message_id(chat), "x", check_button=False))
    return True


def answered(calls: list[Any], user_id: int) -> bool:
    return any(call.params.get("chat_id") == user_id or "callback_query_id" in call.params for call in calls)


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
async def fuzz_app(migrated_engine) -> AsyncIterator[App]:
    """One bot for the whole module (every example has its own user), on SQLite."""
    async with migrated_engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(text(f'DELETE FROM "{table.name}"'))
    async with FakeTelegram() as fake:
        config = make_settings(telegram_api_base=fake.base_url)
        app = App(fake, build_dispatcher(config, engine=migrated_engine), build_bot(config))
        yield app
        await app.bot.session.close()


@pytest.fixture(scope="module")
async def summer_app(fuzz_app) -> AsyncIterator[App]:
    """The summer school's bot beside Manila's, on the same database and fake Telegram."""
    config = make_settings(
        telegram_api_base=fuzz_app.fake.base_url, event_file=SUMMER_SCHOOL, event_clock=SUMMER_OPEN
    )
    app = App(
        fuzz_app.fake, build_dispatcher(config, engine=fuzz_app.dp["services"].engine), build_bot(config)
    )
    yield app
    await app.bot.session.close()


@pytest.fixture(scope="module")
async def victim(fuzz_app) -> Chat:
    chat = fuzz_app.chat(VICTIM)
    await registered(chat)
    return chat


@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("state", STATES, ids=lambda state: state.state)
@given(script=st.lists(actions, min_size=1, max_size=4))
async def test_fuzz(fuzz_app, victim, state, script):
    app = fuzz_app
    path, admin = PATHS[state]
    chat = app.chat(next(_ids), language_code="en")
    staff = app.dp["services"].staff
    admins = staff.admin_ids
    if admin:  # an organiser of ADMIN_IDS for this example only: the staff list stays short
        staff.admin_ids = admins | {chat.user_id}
    try:
        await asyncio.wait_for(path(chat), UPDATE_TIMEOUT)
        await fuzz(app, chat, state, script)
    finally:
        staff.admin_ids = admins


@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", sorted(TYPED_PLACES), ids=str)
@given(script=st.lists(actions, min_size=1, max_size=4))
async def test_fuzz_typed_question(fuzz_app, summer_app, victim, kind, script):
    path, key = TYPED_PLACES[kind]
    app = fuzz_app if path == MANILA else summer_app
    chat = app.chat(next(_ids), language_code="en")
    answers = EVERY_QUESTION if path == MANILA else {}
    await asyncio.wait_for(register(chat, until=At(key), event=event_of(path), **answers), UPDATE_TIMEOUT)
    await fuzz(app, chat, RegistrationSG.text, script)


async def fuzz(app: App, chat: Chat, state: State, script: list[Action]) -> None:
    assert await current_state(chat) == state.state, "the scripted path reaches the state"
    [before] = [r for r in await stored(app.dp["services"].engine) if r.user_id == VICTIM]
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        for action in script:
            calls = len(app.fake.calls)
            # A hung handler fails the example rather than the whole run.
            expects_answer = await asyncio.wait_for(perform(chat, action), UPDATE_TIMEOUT)
            assert not app.fake.violations, app.fake.violations
            assert not errors.records, [record.getMessage() for record in errors.records]
            if expects_answer:
                assert answered(app.fake.calls[calls:], chat.user_id), f"no answer to {action!r}"
    finally:
        logging.getLogger().removeHandler(errors)
    [after] = [r for r in await stored(app.dp["services"].engine) if r.id == before.id]
    assert after == before, "forged buttons changed another delegate's registration"
