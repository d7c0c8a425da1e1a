"""The registration form as a delegate answers it, in one place: `FORM` holds the questions in the
order the bot asks them and the answer each gets unless a test gives another; `register` plays it
through any delegate (a `Chat` in this process, a user of a bot process, the emulator's page, a
browser). A question added to the form is one more `Question` in `FORM`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from aiogram.fsm.state import State
from sqlmodel import select

from bot.core.db import create_session_factory
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.models import Registration
from bot.registration.form_dialog import registration_dialog
from bot.states import RegistrationSG
from tests.support.chat import Chat, widget_button
from tests.support.dialogue_state import current_state
from tests.support.fake_telegram import FakeTelegram

S = RegistrationSG


async def stored(engine) -> list[Registration]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(Registration))).all())


def translated(msgid: str, language: str) -> str:
    with get_i18n().use_locale(language):
        return _(msgid)


# -- what a delegate does -------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Tap:
    """The button of a dialogue widget by its data (`g:woman`), whatever the language."""

    widget: str


@dataclass(frozen=True)
class Press:
    """A button by its label, as a person finds it."""

    label: str


@dataclass(frozen=True)
class SharedContact:
    """The phone number shared with the share-contact button."""

    phone: str


Action = Typed | Tap | Press | SharedContact
Actions = tuple[Action, ...]  # a search then a pick, ticks then Done: one answer, several actions


class Delegate(Protocol):
    """What the walk needs of whoever plays it."""

    async def send(self, text: str) -> None: ...
    async def tap(self, widget: str) -> None: ...
    async def press(self, label: str) -> None: ...
    async def share_contact(self, phone: str) -> None: ...
    async def asked(self, state: State) -> None:
        """Returns once the bot asks the question of `state`; fails if it asks another."""


# -- the form -------------------------------------------------------------------------------


def _chosen(state: State, widget: str) -> Callable[[Mapping[State, Actions]], bool]:
    return lambda answers: answers.get(state, ())[-1:] == (Tap(widget),)


def _not_chosen(state: State, widget: str) -> Callable[[Mapping[State, Actions]], bool]:
    return lambda answers: not _chosen(state, widget)(answers)


def _always(_answers: Mapping[State, Actions]) -> bool:
    return True


@dataclass(frozen=True)
class Question:
    state: State
    answer: Action
    # Whether the bot asks it, given the answers before it (a travel without a transfer has no
    # time nor flight).
    asked: Callable[[Mapping[State, Actions]], bool] = _always


FORM: tuple[Question, ...] = (
    Question(S.language, Tap("lang:en")),
    Question(S.consent, Tap("agree")),
    Question(S.full_name, Typed("Ana Reyes")),
    Question(S.gender, Tap("g:woman")),
    Question(S.country, Tap("c:PH")),
    Question(S.organisation, Typed("Akbayan")),
    Question(S.position, Typed("International Secretary")),
    Question(S.role, Tap("r:delegate")),
    Question(S.email, Typed("ana@example.org")),
    Question(S.phone, Typed("+63 917 123 4567")),
    Question(S.arrival_date, Tap("d:2024-07-29")),
    Question(S.arrival_time, Typed("14:35"), _not_chosen(S.arrival_date, "none")),
    Question(S.arrival_flight, Typed("PR 431"), _not_chosen(S.arrival_date, "none")),
    Question(S.departure_date, Tap("none")),  # no transfer on departure
    Question(S.departure_time, Typed("18:50"), _not_chosen(S.departure_date, "none")),
    Question(S.departure_flight, Tap("unknown"), _not_chosen(S.departure_date, "none")),
    Question(S.hotel, Tap("no")),
    Question(S.visa, Tap("no")),
    Question(S.nationality, Tap("c:PH"), _chosen(S.visa, "yes")),
    Question(S.passport, Typed("P1234567A"), _chosen(S.visa, "yes")),
    Question(S.dietary, Tap("done")),  # no dietary needs
    Question(S.accessibility, Tap("none")),  # no accessibility needs
    Question(S.review, Tap("confirm")),
)
STATES = tuple(question.state for question in FORM)


@cache
def _prompts() -> dict[State, str]:
    """The msgid of the question asked at each state, read from the dialogue itself."""
    windows = registration_dialog().windows
    return {state: getattr(window.text, "texts", [window.text])[0].msgid for state, window in windows.items()}


def prompt(state: State, language: str) -> str:
    """The start of the question asked at `state` as the delegate reads it: tags gone, up to the
    first placeholder."""
    text = re.sub(r"<[^>]+>", "", translated(_prompts()[state], language))
    return text.split("{")[0].strip()[:40]


AnswerLike = str | Action | Actions | None


def _actions(question: Question, answer: AnswerLike) -> Actions:
    if isinstance(answer, str):  # the same kind of action as the form's own answer
        return (Tap(answer),) if isinstance(question.answer, Tap) else (Typed(answer),)
    if isinstance(answer, tuple):
        return answer
    return (answer,)


def plan(
    since: State = S.language, until: State | None = None, **answers: AnswerLike
) -> list[tuple[State, Actions]]:
    """The questions asked from `since` up to `until` (not answered; None: through the review,
    confirmed) and what is answered to each: the form's answers, or those given by state name (a
    string: the text typed or the widget tapped, as the form answers it; None: not asked here,
    e.g. the party of an invited delegate)."""
    unknown = set(answers) - {state.state.split(":")[1] for state in STATES}
    assert not unknown, f"no such question in the form: {unknown}"
    chosen: dict[State, Actions] = {}
    steps = []
    for question in FORM[STATES.index(since) :]:
        if question.state == until:
            break
        name = question.state.state.split(":")[1]
        answer = answers.get(name, question.answer)
        if answer is None or not question.asked(chosen):
            continue
        chosen[question.state] = _actions(question, answer)
        steps.append((question.state, chosen[question.state]))
    return steps


async def play(delegate: Delegate, actions: Actions) -> None:
    for action in actions:
        match action:
            case Typed(text):
                await delegate.send(text)
            case Tap(widget):
                await delegate.tap(widget)
            case Press(label):
                await delegate.press(label)
            case SharedContact(phone):
                await delegate.share_contact(phone)


async def register(
    delegate: Delegate | Chat,
    *,
    start: str = "/start",
    since: State | None = None,
    until: State | None = None,
    **answers: AnswerLike,
) -> None:
    """Register: `start` (unless `since`, the question the dialogue is at), then every question
    asked until `until` (see `plan`), each answered once the bot asks it."""
    if since is None:
        await delegate.send(start)
    for state, actions in plan(since or S.language, until, **answers):
        await asked(delegate, state)
        await play(delegate, actions)
    if until is not None:
        await asked(delegate, until)


async def asked(delegate: Delegate | Chat, state: State) -> None:
    """Returns once the bot asks the question of `state`; fails if it asks another. A `Chat`'s
    updates are handled before `feed` returns: its dialogue's state is read at once."""
    if not isinstance(delegate, Chat):
        await delegate.asked(state)
        return
    assert await current_state(delegate) == state.state, (
        f"the walk answers {state.state}, the bot asks: {delegate.last_text[:200]!r}"
    )


@dataclass
class BotProcessUser:
    """A user of a bot process that polls the fake Bot API: each action is an update pushed to
    the fake, each question waited for (in `language`, the one the user reads)."""

    fake: FakeTelegram
    user_id: int
    language: str = "en"
    seconds: float = 30  # a bot process just started takes a few seconds to poll

    async def send(self, text: str) -> None:
        self.fake.push_update(self.fake.message_update(self.user_id, text))

    async def tap(self, widget: str) -> None:
        await self.fake.wait_for(
            lambda: widget_button(self.fake, self.user_id, widget) is not None, self.seconds
        )
        button = widget_button(self.fake, self.user_id, widget)
        self.fake.push_update(self.fake.callback_update(self.user_id, *button))

    async def press(self, label: str) -> None:
        message, data = self.fake._find_button(self.user_id, label)
        self.fake.push_update(self.fake.callback_update(self.user_id, message.message_id, data))

    async def share_contact(self, phone: str) -> None:
        self.fake.push_update(self.fake.contact_update(self.user_id, phone))

    async def asked(self, state: State) -> None:
        question = prompt(state, self.language)

        def shown() -> bool:
            message = self.fake.last_message(self.user_id)
            return message is not None and question in (message.text or "")

        await self.fake.wait_for(shown, self.seconds)
