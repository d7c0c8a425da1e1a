"""End to end: delegates register in a chat with the real bot through the fake Bot API."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.crypto import PassportCipher
from bot.core.models import RegistrationStatus
from tests.support.app import AFTER_DEADLINE, PASSPORT_KEY, make_settings
from tests.support.chat import scan_ticket
from tests.support.fake_telegram import BOT_USER
from tests.support.walk import Press, S, Tap, Typed, label_of, register, stored


def decrypt(token: str) -> str:
    return PassportCipher([PASSPORT_KEY]).decrypt(token)


async def test_full_registration_in_english(app, engine):
    chat = app.chat(language_code="en")
    await chat.send("/start")
    assert "Welcome" in chat.last_text and "Manila" in chat.last_text and "Jul 30" in chat.last_text
    await chat.press("✅ English")
    assert "Your data" in chat.last_text and "Berlin" in chat.last_text
    await chat.press("I agree")
    assert "full name" in chat.last_text
    english = {
        "gender": Press("Woman"),
        "country": (Typed("indonesa"), Press("Indonesia")),  # typo: the search still finds it
        "organisation": "Akbayan Citizens' Action Party",
        "role": Press("Delegate"),
    }
    await register(chat, since=S.full_name, until=S.phone, **english)
    assert chat.fake.reply_keyboard(chat.user_id) is not None
    await chat.share_contact("+639171234567")
    assert chat.fake.reply_keyboard(chat.user_id) is None, "the share-contact keyboard is removed"
    assert "📱 Saved: +639171234567" in chat.texts_since(chat.size - 3)
    assert all(m.text != "..." for m in chat.fake.chat(chat.user_id)), "no bare '...' message"
    travel_and_needs = {
        "arrival_date": Typed("29/07"),
        "departure_date": Press("Thu"),  # 1 August 2024
        "departure_flight": Press("I don't know yet"),
        "hotel": Press("Yes"),
        "visa": "yes",
        "nationality": Press("Philippines"),
        "dietary": (Press("Halal"), Press("Done")),
        "accessibility": Press("No special needs"),
    }
    # From Indonesia: the visa letter is asked about (not of nationals of the host country).
    await register(chat, since=S.arrival_date, until=S.review, country=Tap("c:ID"), **travel_and_needs)
    review = chat.last_text
    assert "Please check your answers" in review
    for expected in ("Ana Reyes", "Philippines", "ana@example.org", "+639171234567", "PR 431", "Halal"):
        assert expected in review
    await chat.press("Confirm")
    [registration] = await stored(engine)
    assert registration.status == RegistrationStatus.REGISTERED
    assert registration.phone == "+639171234567" and decrypt(registration.passport_number) == "P1234567A"
    assert registration.arrival_flight == "PR 431" and registration.departure_flight is None
    assert registration.dietary == "halal" and registration.language == "en"
    assert registration.consent_version == "2024-04-10" and registration.consent_at is not None
    photos = chat.fake.calls_of("sendPhoto")
    assert len(photos) == 1 and registration.code in photos[0].params["caption"]
    assert (
        scan_ticket(chat.fake) == f"https://t.me/{BOT_USER['username']}?start=ci_{registration.checkin_token}"
    )
    # The review became the /me view, above the ticket.
    [view] = [m for m in chat.fake.chat(chat.user_id) if m.from_bot and (m.text or "").startswith("🎫")]
    assert registration.code in view.text and "Ana Reyes" in view.text and not view.deleted


async def test_a_hotel_without_airport_transfer_asks_its_own_dates(app, engine):
    """No travel dates to count the nights from: the hotel's check-in and check-out are asked,
    and a check-out not after the check-in is refused with the same question again."""
    chat = app.chat()
    no_transfer = {"arrival_date": Tap("skip"), "hotel": "yes", "hotel_check_in": Typed("30/07")}
    await register(chat, until=S.hotel_check_out, **no_transfer)
    await chat.send("30/07")
    assert "must be after your check-in (July 30, 2024)" in "\n".join(chat.texts_since(chat.size - 3))
    assert "check out" in chat.last_text
    await register(chat, since=S.hotel_check_out, **no_transfer, hotel_check_out=Typed("Aug 1"))
    [registration] = await stored(engine)
    assert registration.arrival_date is None and registration.hotel_needed
    assert (registration.hotel_check_in, registration.hotel_check_out) == (
        date(2024, 7, 30),
        date(2024, 8, 1),
    )


async def test_travel_dates_make_the_hotel_dates_unasked(app, engine):
    chat = app.chat()
    await register(chat, hotel="yes")  # arrives on 29 July, leaves without a transfer
    [registration] = await stored(engine)
    assert registration.arrival_date == date(2024, 7, 29) and registration.hotel_check_in is None
    # The departure was skipped: only the check-out is asked.
    assert registration.hotel_check_out == date(2024, 7, 31)


@pytest.mark.parametrize(
    ("language", "welcome", "notice_word"),
    [("fr", "Bienvenue", "Alliance progressiste"), ("es", "bienvenida", "Alianza Progresista")],
)
async def test_full_registration_in_french_and_spanish(app, engine, language, welcome, notice_word):
    chat = app.chat(language_code=language)
    await chat.send("/start")
    assert welcome in chat.last_text
    assert (
        f"lang:{language}" in chat.button_data()
        and "✅" in chat.buttons()[chat.button_data().index(f"lang:{language}")]
    )
    await chat.tap(f"lang:{language}")
    assert notice_word in chat.last_text
    await register(chat, since=S.consent, until=S.review)
    review = chat.last_text
    for key in ("full_name", "country", "arrival"):
        assert label_of(key, language) in review and label_of(key, language) != label_of(key, "en")
    assert {"fr": "Philippines", "es": "Filipinas"}[language] in review
    await chat.tap("confirm")
    [registration] = await stored(engine)
    assert registration.language == language and registration.phone == "+639171234567"
    assert registration.code in chat.fake.calls_of("sendPhoto")[0].params["caption"]


async def test_change_after_registering(app, engine):
    chat = app.chat()
    await register(chat, country="c:ID")
    await chat.send("/me")
    await chat.tap("change")
    await chat.tap("f:position")
    assert "position" in chat.last_text
    await chat.send("Secretary General")
    assert "Secretary General" in chat.last_text  # back on the review screen
    await chat.tap("f:visa_needed")
    await chat.tap("yes")
    await chat.tap("c:PH")  # nationality, asked only now
    await chat.send("Ана Рейес")  # the name for the visa letter: as the passport spells it
    assert "in Latin letters" in chat.texts_since(chat.size - 2)[0]
    await chat.send("REYES Ana")
    await chat.send("P7654321")
    await chat.tap("save")
    [registration] = await stored(engine)
    assert (
        registration.position == "Secretary General" and decrypt(registration.passport_number) == "P7654321"
    )
    assert registration.custom_answers["passport_name"] == "REYES Ana"
    assert any("changes are saved" in text for text in chat.texts_since(0))
    assert chat.fake.calls_of("sendPhoto").__len__() == 1, "no second ticket for a change"


async def test_a_change_in_me_is_saved_at_once_and_named(app, engine):
    """Issue: an edit in /me was lost without a word when the delegate left the review without
    "Save changes". Each change is saved as soon as it is complete, and the review names it."""
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    await chat.tap("change")
    await chat.tap("f:email")
    await chat.send("ana.reyes@example.org")
    assert "✅ Saved:" in chat.last_text and "Email: ana.reyes@example.org" in chat.last_text.split("\n\n")[1]
    [registration] = await stored(engine)
    assert registration.email == "ana.reyes@example.org", "saved before leaving the review"
    await chat.tap("f:departure")  # none before: the new day brings the time and the flight
    day = next(data for data in chat.button_data() if data.startswith("d:"))
    await chat.tap(day)
    assert (await stored(engine))[0].departure_date is None, "not before its time and flight"
    await chat.send("18:40")
    await chat.send("PR 102")
    [registration] = await stored(engine)
    assert (registration.departure_date.isoformat(), registration.departure_flight) == (day[2:], "PR 102")
    await chat.send("/me")  # leaves the review without "Done"
    assert "ana.reyes@example.org" in chat.last_text and "PR 102" in chat.last_text


async def test_done_without_a_change_says_nothing_was_saved(app, engine):
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    await chat.tap("change")
    before = chat.size
    await chat.tap("save")
    assert not any("changes are saved" in text for text in chat.texts_since(before))


async def test_a_likely_email_typo_is_asked_about_once(app, engine):
    chat = app.chat()
    await register(chat, until=S.email)
    await chat.send("ana@gmial.com")
    assert any("Did you mean ana@gmail.com?" in text for text in chat.texts_since(chat.size - 3))
    assert "email address" in chat.last_text, "the same question again"
    await chat.send("ana@gmial.com")  # the same again: kept as typed
    assert "phone" in chat.last_text
    await register(chat, since=S.phone)
    assert (await stored(engine))[0].email == "ana@gmial.com"


async def test_a_corrected_email_is_taken_at_once(app, engine):
    chat = app.chat()
    await register(chat, until=S.email)
    await chat.send("ana@gmial.com")
    await chat.send("ana@gmail.com")
    assert "phone" in chat.last_text


async def test_withdraw_then_register_again(app, engine):
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    await chat.tap("withdraw")
    await chat.tap("no")
    assert (await stored(engine))[0].status == RegistrationStatus.REGISTERED
    await chat.tap("withdraw")
    await chat.tap("yes")
    [registration] = await stored(engine)
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert "withdrawn" in chat.last_text
    await chat.send("/start")
    assert "Welcome" in chat.last_text
    await register(chat, since=S.language)
    [again] = await stored(engine)
    assert again.status == RegistrationStatus.REGISTERED and again.code == registration.code


async def test_repeated_start_resumes_and_never_duplicates(app, engine):
    chat = app.chat()
    await register(chat, until=S.gender)
    await chat.send("/start")
    assert "gender" in chat.last_text, "resumes at the same question"
    await register(chat, since=S.gender, until=S.organisation)
    assert "party or organisation" in chat.last_text
    await chat.send("/start")
    await register(chat, since=S.organisation, until=S.position)
    assert "position" in chat.last_text
    await register(chat, since=S.position, arrival_date="skip")
    await chat.send("/start")
    await chat.send("/start")
    assert len(await stored(engine)) == 1
    assert "Your registration" in chat.last_text


async def test_double_confirm_stores_one(app, engine):
    chat = app.chat()
    await register(chat, until=S.review)
    review = chat.last
    confirm = next(
        b["callback_data"]
        for row in review.inline_keyboard
        for b in row
        if b["callback_data"].endswith("confirm")
    )
    await chat.press_data(review.message_id, confirm)
    await chat.press_data(review.message_id, confirm)
    assert len(await stored(engine)) == 1
    assert len(chat.fake.calls_of("sendPhoto")) == 1
    answers = [call.params.get("text") for call in chat.fake.calls_of("answerCallbackQuery")]
    assert "This button is no longer active." in answers
    assert "Your registration" in chat.last_text


@pytest.mark.parametrize(
    ("step", "bad", "complaint"),
    [
        (S.full_name, "12345", "full name in letters"),
        (S.email, "ana@@example", "email address"),
        (S.phone, "12", "phone number"),
        (S.arrival_date, "31/02", "no such date as 31/02"),
        (S.arrival_date, "01/01/2025", "date between"),
        (S.arrival_time, "25:99", "hours:minutes"),
    ],
    ids=lambda value: value.state if hasattr(value, "state") else None,
)
async def test_invalid_answers_get_a_reason_and_the_same_question(app, engine, step, bad, complaint):
    chat = app.chat()
    await register(chat, until=step)
    question = chat.last_text
    before = chat.size
    await chat.send(bad)
    texts = chat.texts_since(before)
    assert any(complaint in text and text.startswith("⚠️") for text in texts), texts
    assert chat.last_text == question, "the same question is asked again"
    assert await stored(engine) == []


async def test_stickers_photos_and_long_text_where_a_name_is_expected(app):
    chat = app.chat()
    await register(chat, until=S.full_name)
    question = chat.last_text
    await chat.send_sticker()
    assert "only read text" in chat.texts_since(chat.size - 2)[0]
    assert chat.last_text == question
    await chat.send_photo()
    assert chat.last_text == question
    await chat.send("A" * 5000)
    assert any("too long" in text for text in chat.texts_since(chat.size - 3))
    assert chat.last_text == question
    await chat.send("Ana Reyes")
    assert "gender" in chat.last_text


async def test_text_where_buttons_are_expected(app):
    chat = app.chat()
    await register(chat, until=S.gender)
    await chat.send("female")
    assert any("buttons" in text for text in chat.texts_since(chat.size - 3))
    assert "gender" in chat.last_text


async def test_a_word_that_names_an_answer_is_taken_as_typed_where_buttons_are_expected(app):
    # "hotel" alone matches the hotel answer; at the gender question it is no question.
    chat = app.chat()
    await register(chat, until=S.gender)
    await chat.send("hotel")
    assert any("buttons" in text for text in chat.texts_since(chat.size - 3))
    assert not any("hotel room" in text for text in chat.texts_since(chat.size - 3))
    await chat.send("hotel?")  # asked: answered, with the way back to the question
    assert any("hotel room" in text for text in chat.texts_since(chat.size - 3))
    assert "Continue" in chat.last_text


async def test_html_in_an_answer_is_shown_escaped(app, engine):
    chat = app.chat()
    await register(chat, organisation="<b>Ana</b> & <i>Co</i>")
    assert (await stored(engine))[0].organisation == "<b>Ana</b> & <i>Co</i>"
    view = chat.fake.calls_of("editMessageText")[-1].params["text"]  # the review became the /me view
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; &lt;i&gt;Co&lt;/i&gt;" in view
    await chat.send("/me")
    assert "<b>Ana</b>" in chat.last_text  # the delegate reads exactly what they typed


async def test_forged_and_stale_buttons_never_raise(app, engine):
    chat = app.chat()
    await chat.send("/start")
    first_screen = chat.last
    await register(chat, since=S.language, until=S.full_name)
    question = chat.last_text
    await chat.press_data(chat.last.message_id, "nonsense")
    await chat.press_data(chat.last.message_id, "x" * 64)
    await chat.press_data(first_screen.message_id, "badintent\x1dlang:en")
    assert chat.last_text == question
    assert await stored(engine) == []


async def test_deadline_passed(fake, engine):
    from bot.app import build_bot, build_dispatcher
    from tests.support.app import App

    settings = make_settings(telegram_api_base=fake.base_url, event_clock=AFTER_DEADLINE)
    app = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = app.chat(language_code="fr")
    await chat.send("/start")
    assert "contact@progressive-alliance.info" in chat.last_text
    assert "15 mai 2024" in chat.last_text
    assert await stored(engine) == []
    await app.bot.session.close()


async def test_unknown_start_payload(app):
    chat = app.chat()
    await chat.send("/start ci_unknown-token")
    assert any("not valid" in text for text in chat.texts_since(0))
    await chat.send("/start " + "x" * 80)
    assert "Welcome" in chat.last_text


async def test_unknown_command_and_help(app):
    chat = app.chat()
    await chat.send("/frobnicate")
    assert "do not know this command" in chat.last_text and "/me" in chat.last_text
    await chat.send("hello?")
    assert "/start" in chat.last_text
