"""Every dialogue's states (how one feature opens another's dialogue), each group with what the
continue line calls it (bot/kit/resume.py: "↩ Continue: the programme")."""

from aiogram.fsm.state import State, StatesGroup

from bot.core.i18n import N_
from bot.kit.resume import name_place


class RegistrationSG(StatesGroup):
    """The form's questions are the event file's: a state per kind of window, the question asked
    in the dialogue's data (bot/registration/form_dialog.py names its place: "question 5 of 16")."""

    language = State()
    consent = State()
    text = State()  # any typed answer: text, name, email, time, number, flight, document
    choice = State()
    multi = State()
    yes_no = State()
    date = State()
    country = State()
    phone = State()
    review = State()


class MyRegistrationSG(StatesGroup):
    view = State()
    withdraw = State()


name_place(MyRegistrationSG, N_("My registration"))


class LanguageSG(StatesGroup):
    pick = State()


name_place(LanguageSG, N_("choosing your language"))


class ForgetSG(StatesGroup):
    confirm = State()


name_place(ForgetSG, N_("erasing your data"))


class PurgeSG(StatesGroup):
    confirm = State()


name_place(PurgeSG, N_("erasing old data"))


class BroadcastSG(StatesGroup):
    audience = State()
    audience_value = State()
    text = State()
    variants = State()
    variant_text = State()
    preview = State()
    schedule = State()
    schedule_confirm = State()


name_place(BroadcastSG, N_("your broadcast"))


class InviteSG(StatesGroup):
    party = State()
    country = State()
    size = State()
    confirm = State()
    done = State()


name_place(InviteSG, N_("the invitation link"))


class DelegationsSG(StatesGroup):
    list = State()
    detail = State()


name_place(DelegationsSG, N_("the delegations"))


class StaffSG(StatesGroup):
    list = State()
    add = State()
    revoke = State()


name_place(StaffSG, N_("the staff list"))


class ProgrammeSG(StatesGroup):
    days = State()
    day = State()
    session = State()


name_place(ProgrammeSG, N_("the programme"))


class InfoSG(StatesGroup):
    menu = State()
    topic = State()


name_place(InfoSG, N_("practical information"))


class FaqSG(StatesGroup):
    list = State()
    answer = State()


name_place(FaqSG, N_("frequently asked questions"))
