"""End to end: the organisers' side of typed questions. Every reply in their group reaches the
right delegate or tells the organiser how to answer; each listed question has its ✍️ button; a
post shows who answered and when; a second answer is sent only when confirmed. And text that is
no question (a name, a link, an email, a number) is not offered to the organisers at all."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql
from sqlmodel import select

from bot.core import event_texts
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.models import Question, QuestionReply, QuestionStatus
from tests.support.app import make_settings
from tests.support.chat import Chat
from tests.support.fake_telegram import FakeTelegram, StoredMessage

ORGANISERS = -1001234567890
OLGA, JONAS = 777, 778


@pytest.fixture
def settings(fake: FakeTelegram):
    return make_settings(telegram_api_base=fake.base_url, organiser_chat_id=ORGANISERS)


async def questions(engine) -> list[Question]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(Question).order_by(Question.id))).all())


async def replies(engine) -> list[QuestionReply]:
    async with create_session_factory(engine)() as session:
        return list((await session.exec(select(QuestionReply))).all())


class Organisers:
    """Organisers writing and pressing buttons in their group."""

    def __init__(self, app):
        self.app, self.fake = app, app.fake
        self.fake.user(OLGA, first_name="Olga", last_name="Petrova")
        self.fake.user(JONAS, first_name="Jonas")
        self.chat = Chat(app.fake, app.dp, app.bot, OLGA)

    async def write(self, user_id: int, text: str, reply_to: StoredMessage | None = None) -> None:
        reply_id = reply_to.message_id if reply_to else None
        await self.chat.feed(self.fake.group_message_update(ORGANISERS, user_id, text, reply_id))

    async def press(self, user_id: int, message: StoredMessage, button_text: str) -> None:
        [data] = [
            b["callback_data"] for row in message.inline_keyboard for b in row if b["text"] == button_text
        ]
        await self.chat.feed(self.fake.callback_update(user_id, message.message_id, data, chat_id=ORGANISERS))

    def posts(self) -> list[StoredMessage]:
        return [m for m in self.fake.chat(ORGANISERS) if m.from_bot]

    def message(self, message_id: int) -> StoredMessage:
        return next(m for m in self.fake.chat(ORGANISERS) if m.message_id == message_id)


async def ask(app, user_id: int, text: str) -> Chat:
    """A delegate types a question and taps "Ask the organisers"."""
    chat = app.chat(user_id)
    await chat.send(text)
    await chat.press("Ask the organisers")
    return chat


def relayed(chat: Chat) -> list[str]:
    return [text for text in chat.texts_since(0) if text.startswith("💬")]


async def test_a_reply_to_the_list_or_any_other_bot_message_says_how_to_answer(app, engine):
    delegate = await ask(app, 1001, "Is there a shuttle from the airport?")
    organisers = Organisers(app)
    await organisers.write(OLGA, "/questions")
    listing = organisers.posts()[-1]
    await organisers.write(OLGA, "Yes, at 8:00.", reply_to=listing)
    hint = organisers.posts()[-1].text
    assert "not passed on" in hint and "reply to its own post or tap its ✍️ button" in hint
    await organisers.write(OLGA, "/questions is handy", reply_to=listing)  # a command: no answer
    assert not relayed(delegate)
    [question] = await questions(engine)
    assert question.status == QuestionStatus.OPEN and not await replies(engine)


async def test_each_listed_question_has_its_button_which_asks_for_the_answer(app, engine):
    first = await ask(app, 1001, "Is there a shuttle from the airport?")
    second = await ask(app, 1002, "Can I bring my spouse to the dinner?")
    organisers = Organisers(app)
    await organisers.write(OLGA, "/questions")
    listing = organisers.posts()[-1]
    one, two = await questions(engine)
    assert [b["text"] for row in listing.inline_keyboard for b in row] == [
        f"✍️ Answer #{one.id}",
        f"✍️ Answer #{two.id}",
    ]
    await organisers.press(OLGA, listing, f"✍️ Answer #{two.id}")
    prompt = organisers.posts()[-1]
    assert prompt.text.startswith(f"✍️ Your answer to question #{two.id}") and "spouse" in prompt.text
    assert "Olga Petrova, reply to this message" in prompt.text
    force = app.fake.calls_of("sendMessage")[-1].params["reply_markup"]
    assert force["force_reply"] is True and force["selective"] is True
    assert {"type": "text_link", "url": f"tg://user?id={OLGA}"}.items() <= prompt.data["entities"][-1].items()

    await organisers.write(OLGA, "Yes, partners are welcome.", reply_to=prompt)
    [answer] = relayed(second)
    assert "partners are welcome" in answer and "spouse" in answer
    assert not relayed(first)
    assert "Sent to the delegate" in organisers.posts()[-1].text


async def test_an_answered_post_shows_who_answered_and_when(app, engine, event):
    await ask(app, 1001, "Is there a shuttle from the airport?")
    organisers = Organisers(app)
    [post] = organisers.posts()
    assert [b["text"] for row in post.inline_keyboard for b in row] == ["✍️ Answer"]
    await organisers.write(OLGA, "Yes, at 8:00.", reply_to=post)
    [question] = await questions(engine)
    assert question.status == QuestionStatus.ANSWERED
    assert question.answered_by == OLGA and question.answered_by_name == "Olga Petrova"
    moment = event_texts.sent_at_text(question.answered_at, event, "en")
    assert "10:00" in moment, "the event's time zone (Manila), not UTC"
    post = organisers.message(post.message_id)
    assert post.text.endswith(f"✅ Answered by Olga Petrova, {moment}") and "shuttle" in post.text
    assert not post.inline_keyboard, "its ✍️ button goes"
    await organisers.write(OLGA, "/questions")
    assert "No open questions" in organisers.posts()[-1].text


async def test_a_second_answer_is_sent_only_when_confirmed(app, engine):
    delegate = await ask(app, 1001, "Is there a shuttle from the airport?")
    organisers = Organisers(app)
    [post] = organisers.posts()
    await organisers.write(JONAS, "Yes, at 8:00.", reply_to=post)
    assert len(relayed(delegate)) == 1

    await organisers.write(OLGA, "And at 9:00 too.", reply_to=post)
    confirm = organisers.posts()[-1]
    [question] = await questions(engine)
    assert confirm.text.startswith(f"⚠️ #{question.id} was already answered.")
    assert "By Jonas at" in confirm.text and "send yours too?" in confirm.text
    assert len(relayed(delegate)) == 1, "nothing more sent before the organiser confirms"
    await organisers.press(OLGA, confirm, "✖️ Cancel")
    assert organisers.message(confirm.message_id).text == "✖️ Not sent."
    assert len(relayed(delegate)) == 1

    await organisers.write(OLGA, "And at 9:00 too.", reply_to=post)
    confirm = organisers.posts()[-1]
    await organisers.press(JONAS, confirm, "📤 Send")  # not his answer: he holds no draft of it
    assert (
        app.fake.calls_of("answerCallbackQuery")[-1].params.get("text") == "This button is no longer valid."
    )
    assert len(relayed(delegate)) == 1
    await organisers.press(OLGA, confirm, "📤 Send")
    assert len(relayed(delegate)) == 2 and "9:00" in relayed(delegate)[-1]
    assert "Sent to the delegate" in organisers.message(confirm.message_id).text
    [question] = await questions(engine)
    assert question.answered_by == OLGA and len(await replies(engine)) == 2
    assert "Answered by Olga Petrova" in organisers.message(post.message_id).text


async def test_an_answer_that_cannot_be_delivered_leaves_the_question_open(app, engine):
    await ask(app, 1001, "Is there a shuttle from the airport?")
    organisers = Organisers(app)
    [post] = organisers.posts()
    app.fake.blocked_chats.add(1001)
    await organisers.write(OLGA, "Yes, at 8:00.", reply_to=post)
    assert "Not delivered" in organisers.posts()[-1].text
    [question] = await questions(engine)
    assert question.status == QuestionStatus.OPEN and question.answered_by is None
    app.fake.blocked_chats.discard(1001)
    await organisers.write(OLGA, "Yes, at 8:00.", reply_to=post)
    assert "Sent to the delegate" in organisers.posts()[-1].text, "no confirmation: it was never answered"


async def test_text_that_is_no_question_at_a_button_step_is_not_offered_to_the_organisers(app, engine):
    chat = app.chat(language_code="fr")
    await chat.send("/start")
    await chat.tap("lang:fr")
    await chat.tap("agree")
    await chat.send("Ana Reyes")
    assert "o:woman" in chat.button_data()
    for typed in ("Ana Reyes", "https://example.org/page?id=3", "ana@example.org", "42"):
        before = chat.size
        await chat.send(typed)
        said = chat.texts_since(before)
        assert not any("askorg" in str(m.inline_keyboard) for m in chat.fake.chat(chat.user_id)[before:])
        assert "Veuillez répondre avec les boutons ci-dessous." in said[0], said
        assert "o:woman" in chat.button_data(), "the question comes again"
    assert not await questions(engine)
    await chat.send("Faut-il un visa pour les Philippines")  # a question, without its mark
    assert await questions(engine)


async def test_text_that_is_no_question_outside_a_dialogue_gets_a_short_pointer_to_help(app, engine):
    chat = app.chat()
    await chat.send("hello")
    assert chat.last_text.startswith("🤔 I did not understand that.") and "/help" in chat.last_text
    assert not chat.last.inline_keyboard and not await questions(engine)
    await chat.send("Is there a karaoke night?")
    assert chat.buttons() == ["🙋 Ask the organisers"]


async def test_migration_0009_keeps_who_answered_the_questions_answered_before(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade_schema(engine, "0008")
    async with engine.begin() as connection:
        for number, status in enumerate(("answered", "open"), start=1):
            await connection.execute(
                sql(
                    "INSERT INTO question (id, event_id, user_id, text, language, user_language, score, "
                    "status, created_at) VALUES (:id, 'manila-2024', 1001, 'Shuttle?', 'en', 'en', 0, "
                    ":status, '2024-04-20 02:00:00')"
                ),
                {"id": number, "status": status},
            )
        for organiser, sent_at in ((778, "2024-04-20 03:00:00"), (777, "2024-04-20 04:00:00")):
            await connection.execute(
                sql(
                    "INSERT INTO question_reply (question_id, organiser_id, text, sent_at) "
                    "VALUES (1, :organiser, 'Yes.', :sent_at)"
                ),
                {"organiser": organiser, "sent_at": sent_at},
            )
    await upgrade_schema(engine)
    answered, waiting = await questions(engine)
    assert answered.answered_by == 778 and answered.answered_at.isoformat() == "2024-04-20T03:00:00+00:00"
    assert answered.answered_by_name is None
    assert waiting.answered_by is None and waiting.answered_at is None
    await engine.dispose()
