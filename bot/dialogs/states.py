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
