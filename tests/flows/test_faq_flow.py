"""End to end: /programme, /venue, /info, /faq, questions typed in the chat, and the round trip
through the organisers' group, with the real bot on the fake Bot API."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.app import build_bot, build_dispatcher
from bot.core.db import create_session_factory
from bot.core.models import Question, QuestionReply, QuestionStatus
from bot.core.settings import PROJECT_ROOT
from tests.support.app import EVENT_FILE, App, make_settings
from tests.support.chat import Chat
from tests.support.fake_telegram import FakeTelegram, StoredMessage
from tests.support.walk import S, register

ORGANISERS = -1001234567890
ORGANISER = 777
STAFF = 900  # an admin in make_settings


@pytest.fixture
def settings(fake: FakeTelegram):
    return make_settings(telegram_api_base=fake.base_url, organiser_chat_id=ORGANISERS)


async def rows(engine, model) -> list:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(model))).all())


def group_message(fake: FakeTelegram, user_id: int, text: str, reply_to: StoredMessage | None = None) -> dict:
    """A message an organiser writes in the organisers' group (a reply to one of the bot's posts)."""
    messages = fake.chat(ORGANISERS)
    data = {
        "message_id": len(messages) + 1,
        "date": int(time.time()),
        "chat": {"id": ORGANISERS, "type": "supergroup", "title": "Organisers"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Olga"},
        "text": text,
    }
    if text.startswith("/"):
        data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if reply_to is not None:
        data["reply_to_message"] = reply_to.data
    messages.append(StoredMessage(data, from_bot=False))
    return {"update_id": int(time.time_ns() % 2**31), "message": data}


def group_posts(fake: FakeTelegram) -> list[StoredMessage]:
    return [m for m in fake.chat(ORGANISERS) if m.from_bot]


# --- browsing ---------------------------------------------------------------------------------


async def test_programme_by_day_and_session(app):
    chat = app.chat()
    await chat.send("/programme")
    assert "Programme" in chat.last_text and "Provisional" in chat.last_text
    assert chat.button_data()[:2] == ["d:2024-07-30", "d:2024-07-31"]
    await chat.tap("d:2024-07-31")
    assert "Wednesday, July 31, 2024" in chat.last_text and "Closing session" in chat.last_text
    await chat.tap("s:closing")
    details = chat.last_text
    assert "Closing session" in details and "4:30" in details and "(local time, Manila)" in details
    assert "to be announced" in details and "Not final yet" in details
    await chat.tap("back")
    await chat.tap("close")
    await chat.send("/programme")
    await chat.send("/programme")  # repeated: one programme dialogue, not a pile of them
    await chat.tap("close")
    live = [m for m in chat.fake.chat(chat.user_id) if m.from_bot and not m.deleted]
    assert not any("Programme" in (m.text or "") for m in live), "Close deletes the programme"


async def test_programme_shows_now_and_next_during_the_event(fake, engine):
    during = datetime.fromisoformat("2024-07-30T10:00:00+08:00")
    settings = make_settings(telegram_api_base=fake.base_url, event_clock=during)
    app = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = app.chat()
    await chat.send("/programme")
    text = chat.last_text.replace("\u202f", " ")  # CLDR puts a narrow space before AM
    assert "Now: 9:30 AM–10:30 AM Opening session" in text
    assert "Next: 11:00 AM–1:00 PM Political parties" in text
    await chat.tap("now:opening")
    assert "Opening session" in chat.last_text and "Speakers" in chat.last_text
    await app.bot.session.close()


def venue_event_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(EVENT_FILE.read_text(encoding="utf-8"))
    data["venue"] = {
        "name": {"en": "Conference Hall <A&B>", "fr": "Salle de conférence <A&B>"},
        "address": {"en": "1 Roxas Boulevard, Pasay, Metro Manila"},
        "latitude": 14.5535,
        "longitude": 120.9822,
    }
    path = tmp_path / "venue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_venue_is_sent_as_a_telegram_venue_when_coordinates_are_known(fake, engine, tmp_path):
    settings = make_settings(telegram_api_base=fake.base_url, event_file=venue_event_file(tmp_path))
    app = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = app.chat(language_code="fr")
    await chat.send("/venue")
    [venue] = fake.calls_of("sendVenue")  # checked against the Bot API spec by the fake server
    assert venue.params["latitude"] == 14.5535 and venue.params["title"] == "Salle de conférence <A&B>"
    assert venue.params["address"] == "1 Roxas Boulevard, Pasay, Metro Manila"
    assert "Salle de conférence <A&B>" in chat.last_text  # escaped in HTML, shown as typed
    await chat.tap("map")
    assert len(fake.calls_of("sendVenue")) == 2
    fake.assert_no_violations()
    await app.bot.session.close()


async def test_venue_without_coordinates_gives_the_address(app):
    chat = app.chat()
    await chat.send("/venue")
    assert not app.fake.calls_of("sendVenue")
    assert "Venue to be announced" in chat.last_text and "Manila, Philippines" in chat.last_text
    assert "Jul 30" in chat.last_text and "map" not in chat.button_data()


async def test_info_menu_in_french(app):
    chat = app.chat(language_code="fr")
    await chat.send("/info")
    assert {
        "t:venue",
        "t:hotel",
        "t:airport_transfer",
        "t:visa",
        "t:documents",
        "t:contacts",
        "t:deadline",
    } <= set(chat.button_data())
    await chat.tap("t:visa")
    assert "ambassade" in chat.last_text
    await chat.tap("back")
    await chat.tap("t:contacts")
    assert "contact@progressive-alliance.info" in chat.last_text and "Machris" in chat.last_text
    await chat.tap("back")
    await chat.tap("t:deadline")
    assert "15 mai 2024" in chat.last_text
    await chat.tap("back")
    await chat.tap("t:documents")
    assert "Programme provisoire" in chat.last_text and "Informations techniques" in chat.last_text
    await chat.tap("back")
    await chat.tap("prog")
    assert "Programme" in chat.last_text


async def test_faq_lists_questions_and_answers_them(app):
    chat = app.chat(language_code="es")
    await chat.send("/faq")
    assert "q:gender_balance" in chat.button_data()
    await chat.tap("q:gender_balance")
    assert "participación equilibrada de mujeres y hombres" in chat.last_text
    await chat.tap("back")
    await chat.tap("q:dates")
    assert "Manila" in chat.last_text and "2024" in chat.last_text
    await chat.press_data(
        chat.last.message_id, chat.last.inline_keyboard[0][0]["callback_data"][:-4] + "zzzz"
    )
    assert "Manila" in chat.last_text  # a forged button changes nothing


# --- typed questions --------------------------------------------------------------------------


async def test_question_in_indonesian_is_answered_from_the_matching_entry(app, engine):
    chat = app.chat(language_code="fr")  # the bot speaks French to this delegate
    await chat.send("Kapan batas akhir pendaftaran?")
    [question] = await rows(engine, Question)
    assert question.language == "id" and question.matched == "faq:deadline"
    # No Indonesian text yet: the event file's English, the bot's words in the delegate's French.
    assert "15" in chat.last_text and "2024" in chat.last_text
    assert chat.buttons() == ["🙋 Demander à l'équipe d'organisation"] or chat.button_data()


async def test_question_is_answered_in_the_language_it_is_written_in(app, engine):
    chat = app.chat(language_code="en")
    await chat.send("Qui organise le dialogue ?")
    assert "L'Alliance progressiste organise le dialogue" in chat.last_text
    spanish = app.chat(1002, language_code="fr")
    await spanish.send("¿La delegación tiene que ser paritaria?")
    assert "participación equilibrada" in spanish.last_text


async def test_off_topic_question_gets_an_honest_handoff_offer(app, engine):
    chat = app.chat()
    await chat.send("What's the weather like in Berlin?")
    assert "not sure" in chat.last_text and "/info" in chat.last_text
    assert len(chat.button_data()) == 1 and chat.buttons()[0] == "🙋 Ask the organisers"
    [question] = await rows(engine, Question)
    assert question.matched is None and question.status == QuestionStatus.UNSENT


async def test_a_named_half_day_gets_its_sessions(app, engine):
    chat = app.chat(language_code="fr")
    await chat.send("Qu'est-ce qui est prévu mercredi après-midi ?")
    [question] = await rows(engine, Question)
    assert question.matched == "afternoon:2024-07-31"
    assert "mercredi 31 juillet 2024" in chat.last_text and "après-midi" in chat.last_text
    assert "Séance de clôture" in chat.last_text, "the afternoon's session"
    assert "09:00" not in chat.last_text, "not the morning's"


async def test_the_bots_own_features_are_answered_in_the_delegates_words(app, engine):
    chat = app.chat(language_code="fr")
    await chat.send("où est mon QR code ?")
    assert "« 🔳 Afficher mon QR code »" in chat.last_text or "🔳" in chat.last_text
    assert "/me" in chat.last_text
    [question] = await rows(engine, Question)
    assert question.matched == "guide:ticket"


@pytest.mark.xdist_group("embeddings")  # with the matcher's unit tests, which build them once
async def test_a_question_about_two_things_gets_both_answers_in_one_message(fake, engine):
    settings = make_settings(
        telegram_api_base=fake.base_url, semantic_answers=True, embeddings_dir=PROJECT_ROOT / "data" / "cache"
    )
    dp = build_dispatcher(settings, engine=engine)
    services = dp["services"]
    services.faq.start()
    assert services.faq.wait(timeout=600)
    app = App(fake, dp, build_bot(settings))
    chat = app.chat()
    before = chat.size
    await chat.send("Is there a hotel for delegates, and will someone pick us up at the airport?")
    [question] = await rows(engine, Question)
    assert set(question.matched.split("+")) == {"faq:hotel", "faq:airport_transfer"}
    [answer] = chat.texts_since(before)  # one message, both answers
    assert "Hotel" in answer and "Airport" in answer, answer
    await app.bot.session.close()


async def test_question_in_the_middle_of_registration_keeps_the_dialogue(app, engine):
    chat = app.chat()
    await register(chat, until=S.gender)
    assert "gender" in chat.last_text
    before = chat.size
    await chat.send("do i need a visa?")
    texts = chat.texts_since(before)
    assert any("Visa" in text and "embassy" in text for text in texts)
    assert chat.last_text == "↩ Continue: your registration, question 2 of 23", "not the question again"
    await chat.press("↩ Continue")
    assert "gender" in chat.last_text
    await chat.send("blablabla")  # not a question: the buttons are pointed at, then the question
    assert any("Please answer with the buttons below" in text for text in chat.texts_since(before))
    assert "gender" in chat.last_text
    await chat.tap("o:woman")
    assert "country" in chat.last_text  # the registration goes on where it was


async def test_question_typed_right_after_start(app):
    chat = app.chat()
    await chat.send("/start")
    await chat.send("when is the registration deadline?")
    assert any("May 15, 2024" in text for text in chat.texts_since(0))
    assert chat.last_text == "↩ Continue: your registration"
    await chat.press("↩ Continue")
    assert "lang:en" in chat.button_data(), "the language question comes back"


async def test_without_an_organisers_chat_the_email_is_offered(fake, engine):
    settings = make_settings(telegram_api_base=fake.base_url)
    app = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = app.chat()
    await chat.send("can you recommend a karaoke bar?")
    assert "contact@progressive-alliance.info" in chat.last_text and not chat.last.inline_keyboard
    await app.bot.session.close()


# --- the organisers ---------------------------------------------------------------------------


async def test_handoff_round_trip_through_the_organisers_group(app, engine):
    fake = app.fake
    chat = app.chat(1001, language_code="fr", first_name="<Ana>")
    await register(chat, language="lang:fr", full_name="Ana O'Reyes")
    before = chat.size
    await chat.send("Peut-on amener un conjoint au dîner ?")
    [offer] = [
        m for m in chat.fake.chat(chat.user_id)[before:] if m.from_bot and "askorg" in str(m.inline_keyboard)
    ]
    await chat.press_data(offer.message_id, offer.inline_keyboard[0][0]["callback_data"])
    [post] = group_posts(fake)
    assert "Ana O'Reyes" in post.text and "Philippines" in post.text and "French" in post.text
    assert "Peut-on amener un conjoint au dîner ?" in post.text
    assert any(text.startswith("✅") for text in chat.texts_since(before)), "the delegate is told it was sent"
    assert chat.last_text.endswith(": Mon inscription"), "and the /me view is offered below"
    [question] = await rows(engine, Question)
    assert question.status == QuestionStatus.OPEN and question.organiser_message_id == post.message_id

    # A second press (or a stale button) does not post twice.
    await chat.press_data(offer.message_id, f"askorg:{question.id}")
    assert len(group_posts(fake)) == 1

    # Organisers (and staff in private) see it among the open questions.
    organisers = Chat(fake, app.dp, app.bot, ORGANISER)
    await organisers.feed(group_message(fake, ORGANISER, "/questions"))
    listing = group_posts(fake)[-1].text
    assert "Open questions: 1" in listing and "conjoint" in listing
    staff = app.chat(STAFF)
    await staff.send("/questions")
    assert "conjoint" in staff.last_text

    # Talk among organisers is not relayed; a reply to the post is.
    await organisers.feed(group_message(fake, ORGANISER, "who knows this?"))
    await organisers.feed(
        group_message(fake, ORGANISER, "Oui, signalez-le à l'accueil <s.v.p.>", reply_to=post)
    )
    relayed = chat.last_text
    assert (
        relayed.startswith("💬") and "signalez-le à l'accueil <s.v.p.>" in relayed and "conjoint" in relayed
    )
    assert "Sent to the delegate" in group_posts(fake)[-1].text
    [reply] = await rows(engine, QuestionReply)
    assert reply.organiser_id == ORGANISER and reply.text.startswith("Oui")
    [question] = await rows(engine, Question)
    assert question.status == QuestionStatus.ANSWERED

    await organisers.feed(group_message(fake, ORGANISER, "/questions"))
    assert "No open questions" in group_posts(fake)[-1].text


async def test_questions_is_for_staff_only(app):
    delegate = app.chat(1005)
    await delegate.send("/questions")
    assert "I do not know this command" in delegate.last_text


async def test_someone_elses_question_button_is_refused(app, engine):
    asker = app.chat(1001)
    await asker.send("Is there a karaoke night?")
    [question] = await rows(engine, Question)
    other = app.chat(1002)
    await other.send("/help")
    await other.press_data(other.last.message_id, f"askorg:{question.id}")
    assert not group_posts(app.fake)
    assert (
        app.fake.calls_of("answerCallbackQuery")[-1].params.get("text") == "This button is no longer valid."
    )


async def test_a_reply_that_cannot_be_delivered_is_reported(app, engine):
    chat = app.chat(1001)
    await chat.send("Is there a karaoke night?")
    await chat.tap(chat.button_data()[0])
    [post] = group_posts(app.fake)
    app.fake.blocked_chats.add(1001)
    organisers = Chat(app.fake, app.dp, app.bot, ORGANISER)
    await organisers.feed(group_message(app.fake, ORGANISER, "No, sorry.", reply_to=post))
    assert "Not delivered" in group_posts(app.fake)[-1].text
    [question] = await rows(engine, Question)
    assert question.status == QuestionStatus.OPEN
