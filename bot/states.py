from aiogram.fsm.state import State, StatesGroup


class RegistrationSG(StatesGroup):
    language = State()
    consent = State()
    full_name = State()
    gender = State()
    country = State()
    organisation = State()
    position = State()
    role = State()
    email = State()
    phone = State()
    arrival_date = State()
    arrival_time = State()
    arrival_flight = State()
    departure_date = State()
    departure_time = State()
    departure_flight = State()
    hotel = State()
    visa = State()
    nationality = State()
    passport = State()
    dietary = State()
    accessibility = State()
    review = State()


class MyRegistrationSG(StatesGroup):
    view = State()
    withdraw = State()


class LanguageSG(StatesGroup):
    pick = State()


class ForgetSG(StatesGroup):
    confirm = State()


class PurgeSG(StatesGroup):
    confirm = State()


class BroadcastSG(StatesGroup):
    audience = State()
    audience_value = State()
    text = State()
    variants = State()
    variant_text = State()
    preview = State()
    schedule = State()
    schedule_confirm = State()


class InviteSG(StatesGroup):
    party = State()
    country = State()
    size = State()
    confirm = State()
    done = State()


class DelegationsSG(StatesGroup):
    list = State()
    detail = State()


class StaffSG(StatesGroup):
    list = State()
    add = State()
    revoke = State()


class ProgrammeSG(StatesGroup):
    days = State()
    day = State()
    session = State()


class InfoSG(StatesGroup):
    menu = State()
    topic = State()


class FaqSG(StatesGroup):
    list = State()
    answer = State()
