"""The registration form as a delegate answers it, in one place, for any form: `plan` reads the
event file's form and answers each question by its type (or as a test says), following its
conditions; `register` plays it through any delegate (a `Chat` in this process, a user of a bot
process, the emulator's page, a browser).

Places in the dialogue are `S.<question key>` (`S.gender`, `S.arrival_date`), with
`S.language`, `S.consent` and `S.review` around the form's questions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import select

from bot.core.db import create_session_factory
from bot.core.event import Event, load_event, localized
from bot.core.form import DateButtons, QuestionType, Step
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.models import Registration
from bot.core.summary import fill
from bot.registration.form_dialog import registration_dialog
from bot.states import RegistrationSG
from tests.support.chat import Chat, widget_button
from tests.support.dialogue_state import open_context
from tests.support.fake_telegram import FakeTelegram

MANILA = Path(__file__).resolve().parents[2] / "events" / "manila-2024.yaml"


async def stored(engine) -> list[Registration]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(Registration))).all())


def translated(msgid: str, language: str) -> str:
    with get_i18n().use_locale(language):
        return _(msgid)


@cache
def event_of(path: Path = MANILA) -> Event:
    return load_event(path)


# -- where the dialogue is ------------------------------------------------------------------


@dataclass(frozen=True)
class At:
    """A place in the registration dialogue: a question's key, or language, consent, review."""

    key: str


OPENING = ("language", "consent")
REVIEW = "review"
# Earlier names of questions, kept so that tests read as the delegate does ("hotel", "visa").
_ALIASES = {"hotel": "hotel_needed", "visa": "visa_needed", "passport": "passport_number"}


class _Places:
    def __getattr__(self, name: str) -> At:
        return At(_ALIASES.get(name, name))


S = _Places()


# -- what a delegate does -------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Tap:
    """The button of a dialogue widget by its data (`o:woman`), whatever the language."""

    widget: str


@dataclass(frozen=True)
class Press:
    """A button by its label, as a person finds it."""

    label: str


@dataclass(frozen=True)
class SharedContact:
    """The phone number shared with the share-contact button."""

    phone: str


@dataclass(frozen=True)
class Given:
    """An answer the delegate is not asked for, given already (an invitation's country): what the
    form's conditions read."""

    value: Any


Action = Typed | Tap | Press | SharedContact
Actions = tuple[Action, ...]  # a search then a pick, ticks then Done: one answer, several actions


class Delegate(Protocol):
    """What the walk needs of whoever plays it."""

    async def send(self, text: str) -> None: ...
    async def tap(self, widget: str) -> None: ...
    async def press(self, label: str) -> None: ...
    async def share_contact(self, phone: str) -> None: ...
    async def asked(self, place: At) -> None:
        """Returns once the bot asks the question of `place`; fails if it asks another."""


# -- the form's answers ---------------------------------------------------------------------

# Typed answers by question key, where the type's own would not do.
_TYPED = {
    "full_name": "Ana Reyes",
    "organisation": "Akbayan",
    "position": "International Secretary",
    "email": "ana@example.org",
    "phone": "+63 917 123 4567",
    "arrival_time": "14:35",
    "departure_time": "18:50",
}
# Tapped answers by key: a delegate arriving by plane, leaving without a transfer, no visa.
_TAPPED = {
    "gender": "o:woman",
    "arrival_date": "d:2024-07-29",
    "departure_date": "skip",
    "departure_flight": "skip",
}


def default_answer(step: Step, event: Event) -> Action | Actions:
    """What the walk answers to a question unless a test says otherwise: from its type."""
    question, key = step.question, step.key
    if key in _TAPPED:
        return Tap(_TAPPED[key])
    if key in _TYPED:
        return Typed(_TYPED[key])
    match question.type:
        case QuestionType.CHOICE:
            return Tap(f"o:{question.options[0].id}")
        case QuestionType.MULTI:
            return Tap("done") if not question.required else (Tap(f"m:{question.options[0].id}"), Tap("done"))
        case QuestionType.YES_NO:
            return Tap("no")
        case QuestionType.COUNTRY:
            return Tap(f"c:{event.usual_countries[0]}" if event.usual_countries else "c:PH")
        case QuestionType.DATE:  # unambiguous in any order; an end (a check-out) after its start
            day = event.ends_on if question.days is DateButtons.AFTER_END else event.starts_on
            return Typed(day.strftime("%b %d"))
        case QuestionType.TIME:
            return Typed("14:35")
        case QuestionType.NUMBER:
            return Typed(str(question.min if question.min is not None else 1))
        case QuestionType.NAME:
            return Typed("Ana Reyes")
        case QuestionType.EMAIL:
            return Typed("ana@example.org")
        case QuestionType.PHONE:
            return Typed("+63 917 123 4567")
        case QuestionType.FLIGHT:
            return Typed("PR 431")
        case QuestionType.DOCUMENT:
            return Typed("P1234567A")
    if not question.required or (step.first_of_group and not step.group.required):
        return Tap("skip")
    return Typed("Some answer")


def _value(actions: Actions) -> Any:
    """The answer actions give, as far as conditions read it."""
    last = actions[-1]
    if isinstance(last, Tap):
        if last.widget in ("yes", "no"):
            return last.widget == "yes"
        if last.widget == "skip":
            return None
        if last.widget == "done":
            return [
                action.widget.split(":", 1)[1]
                for action in actions
                if isinstance(action, Tap) and action.widget.startswith("m:")
            ]
        return last.widget.partition(":")[2] or last.widget
    return getattr(last, "text", getattr(last, "phone", getattr(last, "label", None)))


AnswerLike = str | Action | Actions | Given | None


def _actions(default: Action | Actions, answer: AnswerLike) -> Actions:
    if isinstance(answer, str):  # the same kind of action as the form's own answer
        first = default[0] if isinstance(default, tuple) else default
        return (Tap(answer),) if isinstance(first, Tap) else (Typed(answer),)
    if isinstance(answer, tuple):
        return answer
    return (answer,)


def _places(event: Event) -> list[str]:
    return [*OPENING, *(step.key for step in event.form.steps), REVIEW]


def plan(
    since: At = At("language"), until: At | None = None, *, event: Event | None = None, **answers: AnswerLike
) -> list[tuple[At, Actions]]:
    """The questions asked from `since` up to `until` (not answered; None: through the review,
    confirmed) and what is answered to each: by type, or as given by key (a string: the text typed
    or the widget tapped, as the default answer does it; None: not asked here, e.g. the party of
    an invited delegate). The form's conditions decide which questions are asked."""
    event = event or event_of()
    form = event.form
    answers = {_ALIASES.get(key, key): value for key, value in answers.items()}
    places = _places(event)
    unknown = set(answers) - set(places)
    assert not unknown, f"no such question in the form: {unknown}"
    opening: dict[str, Action | Actions] = {
        "language": Tap("lang:en"),
        "consent": Tap("agree"),
        REVIEW: Tap("confirm"),
    }
    given: dict[str, Any] = {}
    steps = []
    started = False
    for key in places:
        started = started or key == since.key
        if until is not None and key == until.key:
            break
        step = form.step(key)
        default = opening[key] if step is None else default_answer(step, event)
        if step is not None and not form.applies(step, given):
            continue
        answer = answers.get(key, default)
        if isinstance(answer, Given):
            given[key] = answer.value
            continue
        if answer is None:
            continue
        actions = _actions(default, answer)
        if step is not None:
            given[key] = _value(actions)
        if started:
            steps.append((At(key), actions))
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
    since: At | None = None,
    until: At | None = None,
    event: Event | None = None,
    **answers: AnswerLike,
) -> None:
    """Register: `start` (unless `since`, the question the dialogue is at), then every question
    asked until `until` (see `plan`), each answered once the bot asks it."""
    if since is None:
        await delegate.send(start)
    for place, actions in plan(since or At("language"), until, event=event, **answers):
        await asked(delegate, place)
        await play(delegate, actions)
    if until is not None:
        await asked(delegate, until)


async def current_place(chat: Chat) -> str | None:
    """Where the chat's registration dialogue is: a question's key, language, consent or review;
    the state of another dialogue; None without one."""
    context = await open_context(chat)
    if context is None:
        return None
    state = context.get("state") or ""
    group, _sep, name = state.partition(":")
    if group != RegistrationSG.__name__:
        return state
    if name in (*OPENING, REVIEW):
        return name
    return (context.get("dialog_data") or {}).get("at")


async def asked(delegate: Delegate | Chat, place: At) -> None:
    """Returns once the bot asks the question of `place`; fails if it asks another. A `Chat`'s
    updates are handled before `feed` returns: its dialogue's place is read at once."""
    if not isinstance(delegate, Chat):
        await delegate.asked(place)
        return
    assert await current_place(delegate) == place.key, (
        f"the walk answers {place.key}, the bot asks: {delegate.last_text[:200]!r}"
    )


@cache
def _opening_prompts() -> dict[str, str]:
    """The msgid of the language and consent windows, read from the dialogue itself."""
    windows = registration_dialog().windows
    return {
        state.state.split(":")[1]: getattr(window.text, "texts", [window.text])[0].msgid
        for state, window in windows.items()
        if state.state.split(":")[1] in (*OPENING, REVIEW)
    }


def label_of(key: str, language: str, event: Event | None = None) -> str:
    """A question's label (a group's: its own) as the delegate reads it on the review."""
    question = (event or event_of()).form.question(key)
    return localized(question.label, language)


def skip_of(key: str, language: str, event: Event | None = None) -> str:
    """The label of a question's skip button (a group's is on its first question)."""
    question = (event or event_of()).form.question(key)
    return localized(question.skip, language)


def prompt(place: At, language: str, event: Event | None = None) -> str:
    """The start of the question asked at `place` as the delegate reads it: tags gone, up to the
    first placeholder."""
    event = event or event_of()
    step = event.form.step(place.key)
    if step is None:
        text = translated(_opening_prompts()[place.key], language)
    else:
        with get_i18n().use_locale(language):
            text = fill(localized(step.question.text, language), event, language)
        text = text.replace("&amp;", "&")
    text = re.sub(r"<[^>]+>", "", text)
    return text.split("{")[0].strip()[:40]


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

    async def asked(self, place: At) -> None:
        question = prompt(place, self.language)

        def shown() -> bool:
            message = self.fake.last_message(self.user_id)
            return message is not None and question in (message.text or "")

        await self.fake.wait_for(shown, self.seconds)
