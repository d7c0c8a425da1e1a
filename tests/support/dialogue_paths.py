"""A path to every state of the bot's dialogues, from a fresh user: the fuzzer starts there, the
security tests collect the buttons each state shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.fsm.state import State

from bot.states import (
    BroadcastSG,
    DelegationsSG,
    FaqSG,
    ForgetSG,
    InfoSG,
    InviteSG,
    LanguageSG,
    MyRegistrationSG,
    ProgrammeSG,
    PurgeSG,
    RegistrationSG,
    StaffSG,
)
from tests.support.chat import Chat
from tests.support.walk import At, S, register

Step = Callable[[Chat], Awaitable[None]]
# Answers that lead through every question of the registration (a departure transfer, a visa).
EVERY_QUESTION = {"country": "c:ID", "departure_date": "d:2024-08-01", "visa": "yes"}
# A question asked in each window of the registration dialogue.
REGISTRATION_PLACES = {
    RegistrationSG.language: S.language,
    RegistrationSG.consent: S.consent,
    RegistrationSG.text: S.full_name,
    RegistrationSG.choice: S.gender,
    RegistrationSG.multi: S.dietary,
    RegistrationSG.yes_no: S.hotel,
    RegistrationSG.date: S.arrival_date,
    RegistrationSG.country: S.country,
    RegistrationSG.phone: S.phone,
    RegistrationSG.review: S.review,
}


def send(text: str) -> Step:
    return lambda chat: chat.send(text)


def tap(data: str) -> Step:
    return lambda chat: chat.tap(data)


def tap_first(prefix: str) -> Step:
    """The first item of a list of buttons (`d:` -> the first day), whatever it is today."""

    async def step(chat: Chat) -> None:
        await chat.tap(next(data for data in chat.button_data() if data.startswith(prefix)))

    return step


def steps(*path: Step) -> Callable[[Chat], Awaitable[None]]:
    async def run(chat: Chat) -> None:
        for step in path:
            await step(chat)

    return run


async def a_delegation_exists(chat: Chat) -> None:
    delegations = chat.dp["services"].delegations
    await delegations.create("Akbayan", "PH", None, 900, chat.dp["services"].clock.now())


async def someone_is_staff(chat: Chat) -> None:
    await chat.dp["services"].staff.grant(900, 5_555_555)


def registration_path(target: At) -> Step:
    return lambda chat: register(chat, until=target, **EVERY_QUESTION)


async def registered(chat: Chat) -> None:
    await register(chat)


async def withdraw_question(chat: Chat) -> None:
    await registered(chat)
    await chat.tap("withdraw")


async def forget_question(chat: Chat) -> None:
    await register(chat, until=S.country)  # with answers in progress underneath
    await chat.send("/forget")


B = BroadcastSG
BROADCAST_TEXT = steps(send("/broadcast"), tap("k:all"))
BROADCAST_VARIANTS = steps(BROADCAST_TEXT, send("Hello <b>everyone</b>"))
BROADCAST_PREVIEW = steps(BROADCAST_VARIANTS, tap("preview"))
BROADCAST_SCHEDULE = steps(BROADCAST_PREVIEW, tap("later"))
INVITE_SIZE = steps(send("/invite"), send("Akbayan"), send("Philippines"), tap("c:PH"))

# State -> (path, whether the user must be an admin).
PATHS: dict[State, tuple[Callable[[Chat], Awaitable[None]], bool]] = {
    **{state: (registration_path(place), False) for state, place in REGISTRATION_PLACES.items()},
    MyRegistrationSG.view: (registered, False),
    MyRegistrationSG.withdraw: (withdraw_question, False),
    LanguageSG.pick: (send("/language"), False),
    ForgetSG.confirm: (forget_question, False),
    ProgrammeSG.days: (send("/programme"), False),
    ProgrammeSG.day: (steps(send("/programme"), tap_first("d:")), False),
    ProgrammeSG.session: (steps(send("/programme"), tap_first("d:"), tap_first("s:")), False),
    InfoSG.menu: (send("/info"), False),
    InfoSG.topic: (steps(send("/info"), tap_first("t:")), False),
    FaqSG.list: (send("/faq"), False),
    FaqSG.answer: (steps(send("/faq"), tap_first("q:")), False),
    PurgeSG.confirm: (send("/purge"), True),
    B.audience: (send("/broadcast"), True),
    B.audience_value: (steps(send("/broadcast"), tap("k:country")), True),
    B.text: (BROADCAST_TEXT, True),
    B.variants: (BROADCAST_VARIANTS, True),
    B.variant_text: (steps(BROADCAST_VARIANTS, tap_first("l:")), True),
    B.preview: (BROADCAST_PREVIEW, True),
    B.schedule: (BROADCAST_SCHEDULE, True),
    B.schedule_confirm: (steps(BROADCAST_SCHEDULE, send("30/06 18:00")), True),
    InviteSG.party: (send("/invite"), True),
    InviteSG.country: (steps(send("/invite"), send("Akbayan")), True),
    InviteSG.size: (INVITE_SIZE, True),
    InviteSG.confirm: (steps(INVITE_SIZE, tap("nolimit")), True),
    InviteSG.done: (steps(INVITE_SIZE, tap("nolimit"), tap("create")), True),
    DelegationsSG.list: (send("/delegations"), True),
    DelegationsSG.detail: (steps(a_delegation_exists, send("/delegations"), tap_first("d:")), True),
    StaffSG.list: (send("/staff"), True),
    StaffSG.add: (steps(send("/staff"), tap("add")), True),
    StaffSG.revoke: (steps(someone_is_staff, send("/staff"), tap_first("r:")), True),
}
