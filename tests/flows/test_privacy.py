"""Data rights end to end: /privacy, /mydata, /forget, /purge, retention, encrypted passports."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import text
from sqlmodel import SQLModel, select

from bot.app import build_bot, build_dispatcher
from bot.core.crypto import PassportCipher, mask, new_key
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.models import (
    AuditEntry,
    BotUser,
    DialogState,
    Question,
    QuestionReply,
    QuestionStatus,
    Registration,
    RegistrationStatus,
)
from bot.core.models.registration import fold
from bot.core.settings import SettingsError, load_settings
from bot.privacy.retention import RetentionJob
from bot.privacy.service import KEPT_COLUMNS, erased_values
from tests.support.app import (
    BEFORE_DEADLINE,
    PASSPORT_KEY,
    REDIS_TEST_URL,
    App,
    make_settings,
    sample_answers,
)
from tests.support.chat import Chat
from tests.support.walk import S, label_of, register, stored, translated

PASSPORT = "P1234567A"
USER = 987654321  # distinctive: searched for in every table after erasure
SAMPLE_ANSWERS = sample_answers(country="ID", visa_needed=True, nationality="PH", passport_number=PASSPORT)


async def register_with_visa(
    chat: Chat, language: str = "en", name: str = "Ana Reyes", organisation: str = "Akbayan"
) -> None:
    """A registration holding every kind of personal data, the passport number included."""
    await register(
        chat,
        language=f"lang:{language}",
        full_name=name,
        organisation=organisation,
        country="c:ID",  # from abroad: asked about a visa letter
        visa="yes",
        passport=PASSPORT,
    )


async def database_text(engine) -> str:
    """Every row of every table, as text: what someone with a copy of the database could read."""
    rows = []
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            result = await connection.execute(text(f'SELECT * FROM "{table.name}"'))
            rows += [f"{table.name}: {tuple(row)}" for row in result]
    return "\n".join(rows)


async def ask_a_question(engine, user_id: int) -> None:
    """A question typed in the chat, passed on to the organisers, and their reply."""
    async with create_session_factory(engine)() as session:
        question = Question(
            event_id="manila-2024",
            user_id=user_id,
            text="Ana Reyes here: is there a shuttle?",
            language="en",
            user_language="en",
            status=QuestionStatus.ANSWERED,
        )
        session.add(question)
        await session.flush()
        session.add(QuestionReply(question_id=question.id, organiser_id=900, text="Yes, at 8:00."))
        await session.commit()


# -- passport encryption ------------------------------------------------------------------


def test_cipher_round_trip_seal_mask_and_rotation():
    old, new = new_key(), new_key()
    cipher = PassportCipher([old])
    token = cipher.encrypt(PASSPORT)
    assert PASSPORT not in token and cipher.decrypt(token) == PASSPORT
    assert cipher.seal(token) == token, "a token is never encrypted twice"
    assert cipher.decrypt(cipher.seal(PASSPORT)) == PASSPORT and cipher.seal(None) is None
    assert cipher.masked(token) == "••••••67A" == mask(PASSPORT)
    rotated = PassportCipher([new, old])
    assert rotated.decrypt(token) == PASSPORT, "old numbers stay readable after adding a key"
    moved = rotated.rotate(token)
    assert PassportCipher([new]).decrypt(moved) == PASSPORT
    with pytest.raises(InvalidToken):
        PassportCipher([new]).decrypt(token)


def test_passport_key_setting_is_checked_and_required():
    with pytest.raises(SettingsError, match=r"^Invalid setting PASSPORT_KEY: .*key 2 is not a Fernet key"):
        load_settings(passport_key=f"{new_key()},not-a-key", _env_file=None)
    with pytest.raises(SettingsError, match=r"^Invalid setting PASSPORT_KEY: missing"):
        build_dispatcher(make_settings(passport_key=None))
    keys = f"{new_key()}, {new_key()}"
    assert load_settings(passport_key=keys, _env_file=None).passport_keys() == keys.replace(" ", "").split(
        ","
    )


async def test_passport_is_ciphertext_at_rest_and_masked_on_screen(app, engine):
    chat = app.chat(user_id=USER)
    await register(chat, until=S.review, country="c:ID")
    await chat.tap("f:visa_needed")
    await chat.tap("yes")
    await chat.tap("c:PH")
    await chat.send("REYES Ana")  # the name as in the passport
    await chat.send(PASSPORT)
    assert "••••••67A" in chat.last_text and PASSPORT not in chat.last_text, "review shows it masked"
    assert PASSPORT not in await database_text(engine), "the dialogue data holds it encrypted"
    await chat.tap("confirm")
    [registration] = await stored(engine)
    assert PassportCipher([PASSPORT_KEY]).decrypt(registration.passport_number) == PASSPORT
    assert PASSPORT not in await database_text(engine)
    await chat.send("/me")
    assert "••••••67A" in chat.last_text and PASSPORT not in chat.last_text


async def test_stored_numbers_unreadable_with_another_key(app, engine):
    await register_with_visa(app.chat(user_id=USER))
    other = build_dispatcher(make_settings(passport_key=new_key()), engine)
    assert await other["services"].privacy.unreadable_passports() == 1, "start-up refuses such a key"
    both = build_dispatcher(make_settings(passport_key=f"{new_key()},{PASSPORT_KEY}"), engine)
    assert await both["services"].privacy.unreadable_passports() == 0
    assert await both["services"].privacy.rotate_passports() == 1
    assert await other["services"].privacy.unreadable_passports() == 1
    assert await app.dp["services"].privacy.unreadable_passports() == 1, (
        "the old key alone no longer reads it"
    )


# -- /privacy and /mydata ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", ("Privacy", "Berlin", "October 29, 2024", "/forget")), ("fr", ("Berlin", "29 octobre 2024"))],
)
async def test_privacy_notice(app, language, expected):
    chat = app.chat(language_code=language)
    await chat.send("/privacy")
    for part in expected:
        assert part in chat.last_text


async def test_mydata_sends_everything_as_text_and_json(app, engine):
    chat = app.chat(user_id=USER, language_code="fr")
    await register_with_visa(chat, language="fr", organisation="<b>Ana</b> & Co")
    [registration] = await stored(engine)
    await ask_a_question(engine, USER)
    before = len(chat.fake.calls_of("sendMessage"))
    await chat.send("/mydata")
    readable = chat.fake.calls_of("sendMessage")[before].params["text"]
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; Co" in readable, "typed values are escaped"
    assert registration.code in readable and "••••••67A" in readable and PASSPORT not in readable
    assert "Français" in readable and str(USER) in readable
    assert label_of("full_name", "fr") == "Nom complet" and "Nom complet" in readable
    [document] = chat.fake.calls_of("sendDocument")
    assert document.params["chat_id"] == USER and "JSON" in document.params["caption"]
    data = json.loads(next(iter(document.files.values())))
    [exported] = data["registrations"]
    assert exported["passport_number"] == PASSPORT and exported["organisation"] == "<b>Ana</b> & Co"
    assert "search_name" not in exported, "the folded copies for /find are not data of their own"
    assert exported["code"] == registration.code and exported["email"] == "ana@example.org"
    assert data["bot_preferences"]["language"] == "fr" and data["telegram_user_id"] == USER
    [question] = data["questions"]
    assert question["text"].endswith("shuttle?") and question["replies"][0]["text"] == "Yes, at 8:00."
    assert chat.last_text.endswith(": Mon inscription"), "then the dialogue that was open is offered"


async def test_mydata_shows_answers_in_progress_and_comes_back_to_the_question(app):
    chat = app.chat(user_id=USER)
    await chat.send("/mydata")
    assert "stores nothing" in chat.last_text
    await register(chat, until=S.gender)
    question = chat.last_text
    await chat.send("/mydata")
    assert any("in progress: 4 answers" in text for text in chat.texts_since(chat.size - 3))
    data = json.loads(next(iter(chat.fake.calls_of("sendDocument")[-1].files.values())))
    [state] = data["dialogue_state"]
    assert state["dialog_data"]["answers"]["full_name"] == "Ana Reyes"
    assert chat.last_text == "↩ Continue: your registration, question 2 of 23"
    await chat.press("↩ Continue")
    assert chat.last_text == question


# -- /forget -------------------------------------------------------------------------------


async def test_forget_cancel_keeps_everything(app, engine):
    chat = app.chat(user_id=USER)
    await register(chat)
    await chat.send("/forget")
    assert "Erase your data?" in chat.last_text and (await stored(engine))[0].code in chat.last_text
    await chat.tap("cancel")
    assert any("Nothing was erased" in text for text in chat.texts_since(chat.size - 2))
    [registration] = await stored(engine)
    assert registration.status == RegistrationStatus.REGISTERED and registration.user_id == USER


async def test_forget_erases_personal_data_and_keeps_the_counts(app, engine):
    chat = app.chat(user_id=USER, language_code="fr")
    await register_with_visa(chat, language="fr")
    await register(app.chat(user_id=2002), full_name="Other Delegate")
    sessions = create_session_factory(engine)
    async with sessions() as session:  # checked in at the entrance
        for registration in (await session.exec(select(Registration))).all():
            registration.checked_in_at = datetime.fromisoformat("2024-07-30T08:30:00+08:00")
            session.add(registration)
        await session.commit()
    [mine] = [r for r in await stored(engine) if r.user_id == USER]
    await ask_a_question(engine, USER)

    await chat.send("/forget")
    await chat.tap("erase")
    assert chat.last.inline_keyboard == [] and "contact@progressive-alliance.info" in chat.last_text

    assert (mine.search_name, mine.search_email) == (fold(mine.full_name), fold(mine.email))
    dump = await database_text(engine)
    for personal in (
        str(USER),
        mine.code,
        mine.checkin_token,
        mine.passport_number,
        "Ana Reyes",
        mine.search_name,  # /find's folded copy goes too (the other delegate has the same email)
    ):
        assert personal not in dump
    registrations = await stored(engine)
    assert len(registrations) == 2, "the row stays for the counts"
    erased = next(r for r in registrations if r.id == mine.id)
    assert erased.status == RegistrationStatus.ERASED and erased.erased_at is not None
    assert erased.checked_in_at is not None, "check-in counts still add up"
    assert sum(r.checked_in_at is not None for r in registrations) == 2
    for column, value in erased_values().items():
        assert getattr(erased, column) == value, column
    assert erased.search_name is None and erased.search_email is None
    other = next(r for r in registrations if r.id != mine.id)
    assert other.full_name == "Other Delegate" and other.status == RegistrationStatus.REGISTERED

    await chat.send("/me")
    assert translated("You are not registered.", "fr") in chat.last_text
    await chat.tap("register")
    await register(chat, since=S.language, full_name="Ana Again")
    assert len(await stored(engine)) == 3, "registering again makes a new registration"


async def test_forget_in_the_middle_of_a_registration(app, engine):
    chat = app.chat(user_id=USER)
    await register(chat, until=S.gender)
    question = chat.last_text
    await chat.send("/forget")
    await chat.tap("cancel")
    assert chat.last_text == question, "cancel goes back to the question"
    await chat.send("/forget")
    await chat.tap("erase")
    async with create_session_factory(engine)() as session:
        assert (await session.exec(select(DialogState))).all() == []
        assert await session.get(BotUser, USER) is None
    assert "Ana Reyes" not in await database_text(engine)
    await chat.send("/start")
    assert "Welcome" in chat.last_text, "the answers in progress are gone"


def test_every_registration_column_is_kept_or_cleared():
    columns = {column.name for column in Registration.__table__.columns}
    assert KEPT_COLUMNS <= columns, KEPT_COLUMNS - columns
    assert set(erased_values()) == columns - KEPT_COLUMNS
    identifying = {"user_id", "code", "checkin_token", "full_name", "email", "phone", "passport_number"}
    assert identifying <= set(erased_values())


# -- retention -------------------------------------------------------------------------------


def test_retention_period(app, event):
    privacy = app.dp["services"].privacy
    assert privacy.kept_until == event.ends_on + timedelta(days=90)
    last_minute = datetime.fromisoformat("2024-10-29T23:59:00+08:00")
    assert not privacy.purge_due(last_minute) and privacy.purge_due(last_minute + timedelta(minutes=1))


async def test_retention_job_purges_once_the_period_is_over(fake, engine, settings):
    before = App(fake, build_dispatcher(settings, engine), build_bot(settings))
    await register_with_visa(before.chat(user_id=USER))
    abandoned = before.chat(user_id=2003)
    await register(abandoned, until=S.gender, language="lang:fr", full_name="Half Registered")

    early = build_dispatcher(
        make_settings(event_clock=datetime.fromisoformat("2024-10-29T12:00:00+08:00")), engine
    )
    await RetentionJob(early["services"].privacy, early["services"].clock).check()
    assert (await stored(engine))[0].status == RegistrationStatus.REGISTERED

    late = build_dispatcher(
        make_settings(event_clock=datetime.fromisoformat("2024-10-30T00:00:00+08:00")), engine
    )
    job = RetentionJob(late["services"].privacy, late["services"].clock, interval=3600)
    await job.start()  # checks at once, as the bot does at start-up
    try:
        for _ in range(200):
            dump = await database_text(engine)
            if not any(value in dump for value in ("Half Registered", str(USER), "2003")):
                break
            await asyncio.sleep(0.02)
    finally:
        await job.stop()
    [registration] = await stored(engine)
    assert registration.status == RegistrationStatus.ERASED
    assert not any(value in dump for value in ("Half Registered", str(USER), "2003"))
    await before.bot.session.close()


async def test_purge_for_admins_only_with_confirmation(app, engine):
    await register(app.chat(user_id=USER))
    delegate = app.chat(user_id=2002)
    await delegate.send("/purge")
    assert "do not know this command" in delegate.last_text

    admin = app.chat(user_id=900)
    await admin.send("/purge")
    assert "holding personal data: 1." in admin.last_text and "October 29, 2024" in admin.last_text
    await admin.tap("cancel")
    assert (await stored(engine))[0].status == RegistrationStatus.REGISTERED
    await admin.send("/purge")
    await admin.tap("purge")
    assert "1 registrations erased" in admin.last_text
    assert (await stored(engine))[0].status == RegistrationStatus.ERASED
    async with create_session_factory(engine)() as session:
        [entry] = (await session.exec(select(AuditEntry))).all()
    assert entry.action == "privacy.purge" and entry.actor_id == 900 and entry.details["registrations"] == 1


async def test_purge_command_line(tmp_path, capsys):
    """`python -m bot purge` refuses before the end of the retention period, unless forced."""
    from bot.__main__ import purge

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"
    after_event = datetime.fromisoformat("2024-08-01T10:00:00+08:00")
    settings = make_settings(database_url=database_url, event_clock=after_event)
    dp = build_dispatcher(settings)
    await upgrade_schema(dp["services"].engine)
    await dp["services"].registrations.register(USER, SAMPLE_ANSWERS, BEFORE_DEADLINE)
    with pytest.raises(SystemExit, match=r"ends after 2024-10-29 \(RETENTION_DAYS=90\); use --force"):
        await purge(settings, force=False)
    assert (await stored(dp["services"].engine))[0].status == RegistrationStatus.REGISTERED
    await purge(settings, force=True)
    assert "1 registrations erased" in capsys.readouterr().out
    assert (await stored(dp["services"].engine))[0].status == RegistrationStatus.ERASED
    await dp["services"].engine.dispose()


async def test_migration_encrypts_numbers_stored_in_clear(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade_schema(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO registration (event_id, user_id, code, checkin_token, status, language, "
                "consent_version, consent_at, full_name, gender, country, organisation, position, role, "
                "email, phone, hotel_needed, visa_needed, passport_number, created_at, updated_at) VALUES "
                "('manila-2024', 7, 'AAA-AAA', 'token', 'registered', 'en', 'v1', '2024-04-20 02:00:00', "
                "'Ana', 'woman', 'PH', 'Akbayan', 'Secretary', 'delegate', 'a@example.org', '+63917', "
                "0, 1, :number, '2024-04-20 02:00:00', '2024-04-20 02:00:00')"
            ),
            {"number": PASSPORT},
        )
    monkeypatch.delenv("PASSPORT_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(SettingsError, match="PASSPORT_KEY: missing"):
        await upgrade_schema(engine, "0007")
    monkeypatch.setenv("PASSPORT_KEY", PASSPORT_KEY)
    await upgrade_schema(engine, "0007")
    async with engine.connect() as connection:
        [token] = (await connection.execute(text("SELECT passport_number FROM registration"))).scalars()
    assert PassportCipher([PASSPORT_KEY]).decrypt(token) == PASSPORT
    await engine.dispose()


@pytest.mark.redis
@pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
async def test_mydata_and_forget_with_dialogues_in_redis(fake, engine):
    settings = make_settings(telegram_api_base=fake.base_url, redis_url=REDIS_TEST_URL)
    app = App(fake, build_dispatcher(settings, engine), build_bot(settings))
    redis = app.dp.storage.redis
    await redis.flushdb()
    chat = app.chat(user_id=USER)
    await register(chat, until=S.gender)
    await chat.send("/mydata")
    data = json.loads(next(iter(chat.fake.calls_of("sendDocument")[-1].files.values())))
    assert data["dialogue_state"][0]["dialog_data"]["answers"]["full_name"] == "Ana Reyes"
    assert await redis.keys(f"fsm:{USER}:*")
    await chat.send("/forget")
    await chat.tap("erase")
    assert [key for key in await redis.keys(f"fsm:{USER}:*") if not key.endswith(b":lock")] == []
    await app.dp.storage.close()
    await app.bot.session.close()
