"""End to end: a delegate registers in a chat with the real bot through the fake Bot API."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.db import create_session_factory
from models import Registration, RegistrationStatus
from tests.chat import Chat


async def register(chat: Chat, *, language_button: str | None = None, name: str = "Ana Reyes") -> None:
    """Walk through every question with valid answers, up to the review screen."""
    await chat.send("/start")
    if language_button:
        await chat.press(language_button)
    else:
        await chat.press("✅")  # the language pre-selected from Telegram's language_code
    await chat.press("✅")  # consent
    await chat.send(name)
    await chat.press_first_button()  # gender: woman
    await chat.send("philippines")
    await chat.press("Philippines")
    await chat.send("Akbayan Citizens' Action Party")
    await chat.send("International Secretary")
    await chat.press_first_button()  # role: delegate
    await chat.send("ana@example.org")
    await chat.share_contact("+639171234567")
    await chat.send("29/07")
    await chat.send("14:35")
    await chat.send("PR 431")
    await chat.press_first_button()  # departure: first day offered
    await chat.send("18:50")
    await chat.send("pr432")
    await chat.press_first_button()  # hotel: yes
    await chat.press_first_button()  # visa: yes
    await chat.send("philippines")
    await chat.press("Philippines")
    await chat.send("P1234567A")
    await chat.press_first_button()  # dietary: tick the first option
    await chat.press_last_button_before_back()  # Done
    await chat.press_first_button()  # accessibility: no special needs... (typed below instead)


@pytest.fixture
def chat(app) -> Chat:
    return app.chat(language_code="en")


async def test_full_registration_in_english(app, chat, engine):
    await chat.send("/start")
    assert "Welcome" in chat.last_text and "Manila" in chat.last_text
    assert "English" in " ".join(chat.buttons())
    await chat.press("✅ English")
    assert "Your data" in chat.last_text and "Berlin" in chat.last_text
    await chat.press("I agree")
    assert "full name" in chat.last_text
    await chat.send("Ana Reyes")
    await chat.press("Woman")
    await chat.send("philipines")
    await chat.press("Philippines")
    await chat.send("Akbayan Citizens' Action Party")
    await chat.send("International Secretary")
    await chat.press("Delegate")
    await chat.send("ana@example.org")
    assert chat.fake.reply_keyboard(chat.user_id) is not None
    await chat.share_contact("+639171234567")
    await chat.send("29/07")
    await chat.send("14:35")
    await chat.send("PR 431")
    await chat.press("Thu")  # 1 August 2024
    await chat.send("18:50")
    await chat.press("I don't know yet")
    await chat.press("Yes")  # hotel
    await chat.press("Yes")  # visa
    await chat.press("Philippines")
    await chat.send("P1234567A")
    await chat.press("Halal")
    await chat.press("Done")
    await chat.press("No special needs")
    review = chat.last_text
    assert "Please check your answers" in review
    for expected in ("Ana Reyes", "Philippines", "ana@example.org", "+639171234567", "PR 431", "Halal"):
        assert expected in review
    await chat.press("Confirm")
    async with create_session_factory(engine)() as session:
        stored = (await session.exec(select(Registration))).all()
    assert len(stored) == 1
    registration = stored[0]
    assert registration.status == RegistrationStatus.REGISTERED
    assert registration.phone == "+639171234567" and registration.passport_number == "P1234567A"
    assert registration.arrival_flight == "PR 431" and registration.departure_flight is None
    assert registration.dietary == "halal" and registration.language == "en"
    photos = chat.fake.calls_of("sendPhoto")
    assert len(photos) == 1 and registration.code in photos[0].params["caption"]
    assert photos[0].files, "the QR code is uploaded as an image"
