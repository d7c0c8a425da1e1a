"""End to end: answers and commands in the middle of a dialogue are followed by one continue line,
not by the whole window again; Close closes; a confirmed review loses its "tap to change"."""

from __future__ import annotations

from collections import Counter

from aiogram_dialog.utils import CB_SEP

from tests.support.chat import Chat
from tests.support.fake_telegram import StoredMessage
from tests.support.walk import S, register

# Commands and a typed question a delegate sends while a dialogue is open.
ASIDES = ("/programme", "/privacy", "/info", "/faq", "where is the hotel?", "/help", "/delegation")
LONG = 5  # text lines: a message longer than this must not be in the chat twice
GENDER = "What is your gender?"
CARD = "🎫 Your registration"


def live_bot_messages(chat: Chat) -> list[StoredMessage]:
    return [m for m in chat.fake.chat(chat.user_id) if m.from_bot and not m.deleted]


def text_of(message: StoredMessage) -> str:
    return message.text or message.caption or ""


def long_copies(chat: Chat) -> dict[str, int]:
    """Texts longer than `LONG` lines that live bot messages of the chat hold more than once."""
    texts = [text_of(m) for m in live_bot_messages(chat)]
    counts = Counter(text for text in texts if len(text.splitlines()) > LONG)
    return {text[:80]: count for text, count in counts.items() if count > 1}


def holding(chat: Chat, text: str) -> list[StoredMessage]:
    return [m for m in live_bot_messages(chat) if text in text_of(m)]


def continue_lines(chat: Chat) -> list[str]:
    return [text_of(m) for m in live_bot_messages(chat) if text_of(m).startswith("↩ Continue: ")]


def widgets_of(message: StoredMessage) -> list[str]:
    return [b.get("callback_data", "").split(CB_SEP, 1)[-1] for row in message.inline_keyboard for b in row]


async def tap_above(chat: Chat, widget: str) -> None:
    """Press a widget's button on the newest message that has it (the continue line may be below)."""
    for message in reversed(live_bot_messages(chat)):
        for row in message.inline_keyboard:
            for button in row:
                if button.get("callback_data", "").split(CB_SEP, 1)[-1] == widget:
                    update = chat.fake.callback_update(
                        chat.user_id, message.message_id, button["callback_data"]
                    )
                    await chat.feed(update)
                    return
    raise AssertionError(f"no button {widget!r} in the chat")


async def test_asides_in_a_registration_leave_no_long_message_twice(app, engine):
    chat = app.chat()
    await register(chat, until=S.gender)
    for aside in ASIDES:
        await chat.send(aside)
        assert GENDER not in chat.last_text, f"the question was sent again after {aside}"
    assert long_copies(chat) == {}
    # One live line, for the FAQ (open last): offering a new line deleted the previous ones.
    assert continue_lines(chat) == ["↩ Continue: frequently asked questions"]
    await tap_above(chat, "close")  # the question is short: it comes down, no line to tap
    assert continue_lines(chat) == []
    assert GENDER in chat.last_text and "o:woman" in widgets_of(chat.last)
    assert len(holding(chat, GENDER)) == 1, "the window came down: its copy above is deleted"
    await register(chat, since=S.gender)
    assert long_copies(chat) == {}
    assert len(holding(chat, CARD)) == 1


async def test_asides_in_my_registration_leave_no_long_message_twice(app, engine):
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    assert len(holding(chat, CARD)) == 1, "/me moves the card down: its copy above is deleted"
    for aside in ASIDES:
        await chat.send(aside)
        assert CARD not in chat.last_text, f"the card was sent again after {aside}"
    await tap_above(chat, "close")
    assert continue_lines(chat) == ["↩ Continue: My registration"]
    await chat.press("↩ Continue")
    assert CARD in chat.last_text and "change" in widgets_of(chat.last)
    await chat.tap("qr")  # the card moves below the ticket
    assert CARD in chat.last_text
    await chat.send("/start")
    assert CARD in chat.last_text
    assert long_copies(chat) == {}
    assert len(holding(chat, CARD)) == 1


async def test_one_session_sends_each_long_window_once(app, engine):
    """Asides in the registration, then the same in /me, in one chat: a long text is there twice
    only when it answers an aside asked twice (the privacy notice, the hotel), never a window."""
    chat = app.chat()
    answers: set[str] = set()

    async def asides() -> None:
        for aside in ASIDES:
            before = chat.size
            await chat.send(aside)
            answers.update(text for text in chat.texts_since(before) if not text.startswith("↩"))

    await register(chat, until=S.gender)
    await asides()
    await tap_above(chat, "close")
    await register(chat, since=S.gender)
    await chat.send("/me")
    await asides()
    assert set(long_copies(chat)) <= {text[:80] for text in answers}
    assert all(count == 2 for count in long_copies(chat).values())
    assert len(holding(chat, CARD)) == 1


async def test_saved_changes_leave_one_card(app, engine):
    chat = app.chat()
    await register(chat)
    [card] = holding(chat, CARD)
    assert "Hotel: No" in text_of(card)
    await chat.tap("change")  # on the card, above the ticket
    await chat.tap("f:hotel_needed")
    await chat.tap("yes")
    await chat.tap("save")
    assert chat.last_text == "✅ Your changes are saved."
    [card] = holding(chat, CARD)
    assert "Hotel: Yes" in text_of(card) and "change" in widgets_of(card)
    assert holding(chat, "Tap an item to change it.") == []


async def test_close_gives_the_window_just_above_its_buttons_back(app):
    chat = app.chat()
    await register(chat, until=S.gender)
    [question] = holding(chat, GENDER)
    await chat.send("/faq")
    assert widgets_of(question) == [], "the window under the FAQ has no buttons meanwhile"
    await tap_above(chat, "close")
    assert holding(chat, "Frequently asked questions") == [], "Close deletes the FAQ"
    assert continue_lines(chat) == [], "the window is just above: no line needed"
    assert chat.last.message_id == question.message_id and "o:woman" in widgets_of(question)
    await chat.tap("o:woman")
    assert "Which country" in chat.last_text


async def test_close_brings_a_short_question_down_once_the_way_is_clear(app):
    """Closed after other messages came below it: the question (short) comes down, its copy above
    goes, and no continue line is left to tap."""
    chat = app.chat()
    await register(chat, until=S.gender)
    await chat.send("/programme")
    await chat.send("where is the hotel?")  # an answer below the programme: not just above any more
    await tap_above(chat, "close")
    assert holding(chat, "Programme") == [], "Close deletes the programme"
    assert continue_lines(chat) == []
    [question] = holding(chat, GENDER)
    assert chat.last.message_id == question.message_id and "o:woman" in widgets_of(question)
    await chat.tap("o:woman")
    assert "Which country" in chat.last_text


async def test_close_of_an_answer_does_not_bring_the_card_back(app):
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    await chat.send("/faq")
    await chat.tap(widgets_of(chat.last)[0])  # the first question's answer
    await chat.send("/privacy")  # the answer is no longer just below the card
    await tap_above(chat, "close")
    assert CARD not in chat.last_text
    assert continue_lines(chat) == ["↩ Continue: My registration"]
    assert len(holding(chat, CARD)) == 1


async def test_a_wrong_answer_gets_the_short_question_again_not_the_long_card(app):
    chat = app.chat()
    await register(chat, until=S.gender)
    await chat.send_sticker()
    assert GENDER in chat.last_text, "a short question comes again below the explanation"
    await chat.send("off topic words that are no question")
    assert GENDER in chat.last_text
    assert len(holding(chat, GENDER)) == 1, "its copy above is deleted: one question in the chat"
    await chat.tap("o:woman")
    await register(chat, since=S.country)
    await chat.send("/me")
    await chat.send_sticker()
    assert "I can only read text here" in text_of(live_bot_messages(chat)[-2])
    assert continue_lines(chat) == ["↩ Continue: My registration"]
    assert len(holding(chat, CARD)) == 1


async def test_a_confirmed_review_loses_its_tap_to_change(app):
    chat = app.chat()
    await register(chat, until=S.review)
    review = chat.last
    assert "Tap an item to change it." in text_of(review)
    await chat.tap("confirm")
    assert "Tap an item to change it." not in text_of(review), "edited before the ticket"
    assert not any(widget.startswith("f:") for widget in widgets_of(review))
    assert CARD in text_of(review)
    assert holding(chat, "Tap an item to change it.") == []
    assert len(holding(chat, CARD)) == 1
    sent = [m for m in live_bot_messages(chat) if m.message_id > review.message_id]
    assert sent and sent[0].data.get("photo"), "the ticket comes below the card"
