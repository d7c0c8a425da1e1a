"""Tests of the fake Bot API server itself (tests/support/fake_telegram.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from tests.support.fake_telegram import FakeTelegram, check_telegram_html

TOKEN = "42:TEST-TOKEN"
USER = 1001


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(poll_timeout_cap=0.3) as server:
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    async with Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML")) as b:
        yield b


async def post(
    fake: FakeTelegram,
    method: str,
    payload: dict[str, Any] | None = None,
    *,
    form: aiohttp.FormData | None = None,
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}/bot{TOKEN}/{method}", json=payload, data=form) as response,
    ):
        return response.status, await response.json()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)] for text, data in buttons]
    )


# ---------------------------------------------------------------- accepted through aiogram


@pytest.mark.asyncio
async def test_get_me(bot: Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (42, True, "Test Bot", "test_bot")
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_send_message_with_html_and_inline_keyboard(bot: Bot, fake: FakeTelegram) -> None:
    fake.user(USER, first_name="Ana", language_code="pt")
    sent = await bot.send_message(
        USER,
        "<b>Hello</b> &amp; welcome",
        reply_markup=keyboard(("Register ✅", "reg"), ("Help", "help")),
    )
    assert sent.text == "Hello & welcome"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 5
    assert sent.chat.type == "private" and sent.chat.first_name == "Ana"
    assert sent.from_user.id == 42 and sent.reply_markup.inline_keyboard[1][0].text == "Help"

    call = fake.calls_of("sendmessage")[0]
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == USER and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "reg"

    assert fake.last_message(USER).message_id == sent.message_id
    assert fake.find_button(USER, "Register") == "reg"
    second = await bot.send_message(USER, "again")
    assert second.message_id == sent.message_id + 1
    assert fake.find_button(USER, "Help") == "help"  # still the latest inline keyboard
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_send_photo_upload_and_download(bot: Bot, fake: FakeTelegram) -> None:
    content = b"\x89PNG fake image"
    sent = await bot.send_photo(
        USER, BufferedInputFile(content, filename="qr.png"), caption="<i>Your badge</i>"
    )
    assert sent.caption == "Your badge" and sent.photo[-1].width > sent.photo[0].width
    call = fake.calls_of("sendPhoto")[0]
    assert call.params["photo"].startswith("attach://")
    assert list(call.files.values()) == [content]
    downloaded = await bot.download(sent.photo[-1].file_id)
    assert downloaded.read() == content
    resent = await bot.send_photo(USER, sent.photo[-1].file_id)
    assert resent.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_send_document_keeps_file_name(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_document(USER, BufferedInputFile(b"a,b\n", filename="export.csv"))
    assert sent.document.file_name == "export.csv"
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_edit_message_text_like_telegram(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Step 1", reply_markup=keyboard(("Next", "next")))
    edited = await bot.edit_message_text(
        "<b>Step 2</b>",
        chat_id=USER,
        message_id=sent.message_id,
        reply_markup=keyboard(("Back", "back")),
    )
    assert edited.text == "Step 2" and edited.edit_date is not None
    stored = fake.last_message(USER)
    assert stored.text == "Step 2" and len(stored.edits) == 1
    assert fake.find_button(USER, "Back") == "back"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<strong>Step 2</strong>",
            chat_id=USER,
            message_id=sent.message_id,
            reply_markup=keyboard(("Back", "back")),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    photo = await bot.send_photo(USER, "photo-file-id")
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=USER, message_id=photo.message_id)
    caption = await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id, caption="new caption")
    assert caption.caption == "new caption"
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_edit_reply_markup_and_delete(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard(("A", "a")))
    result = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert result.reply_markup is None and fake.last_message(USER).inline_keyboard == []
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)

    assert await bot.delete_message(USER, sent.message_id) is True
    assert fake.chat(USER)[-1].deleted and fake.last_message(USER) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id)
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_edit_message_media_with_aiogram_dialog_extra_markup(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "text first")
    markup = keyboard(("Ok", "ok"))
    # aiogram-dialog passes reply_markup into InputMedia*; tolerated, see _TOLERATED_FIELDS
    media = InputMediaPhoto(
        media=BufferedInputFile(b"img", "a.png"), caption="now a photo", reply_markup=markup
    )
    edited = await bot.edit_message_media(
        media, chat_id=USER, message_id=sent.message_id, reply_markup=markup
    )
    assert edited.photo and edited.caption == "now a photo" and edited.text is None
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_callback_query_and_answer(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.user(USER, first_name="Ben")
    await bot.send_message(USER, "Choose", reply_markup=keyboard(("Yes", "yes"), ("No", "no")))
    update = user.press("No")
    query = update["callback_query"]
    assert query["data"] == "no" and query["from"]["first_name"] == "Ben"
    assert query["message"]["text"] == "Choose"
    parsed = Update.model_validate(update, context={"bot": bot})
    assert parsed.callback_query.message.reply_markup.inline_keyboard[1][0].callback_data == "no"

    assert await bot.answer_callback_query(query["id"], text="Saved") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])  # answered twice
    with pytest.raises(AssertionError, match="has no button"):
        fake.callback_update(USER, parsed.callback_query.message.message_id, "forged")
    with pytest.raises(AssertionError, match=r"buttons: \[\('Yes', 'yes'\), \('No', 'no'\)\]"):
        fake.find_button(USER, "Maybe")
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_get_updates_queue_offset_and_long_poll(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.user(USER, first_name="Cleo", language_code="es")
    user.send("/start ref42")
    user.share_contact("+34600000000")
    user.send_sticker()
    user.send_photo(caption="me")
    updates = await bot.get_updates(timeout=5)
    assert [u.update_id for u in updates] == [1, 2, 3, 4]
    start = updates[0].message
    assert start.text == "/start ref42" and start.from_user.language_code == "es"
    assert (start.entities[0].type, start.entities[0].offset, start.entities[0].length) == (
        "bot_command",
        0,
        6,
    )
    assert updates[1].message.contact.user_id == USER
    assert updates[2].message.sticker.emoji == "👍"
    assert (await bot.download(updates[3].message.photo[-1].file_id)).read()
    assert [m.from_bot for m in fake.chat(USER)] == [False] * 4

    assert len(await bot.get_updates(offset=3)) == 2  # confirms 1 and 2
    assert [u.update_id for u in await bot.get_updates()] == [3, 4]
    assert await bot.get_updates(offset=5, limit=1) == []

    started = time.monotonic()
    assert await bot.get_updates(offset=5, timeout=30) == []
    assert 0.2 < time.monotonic() - started < 2  # capped long poll

    async def push_later() -> None:
        await asyncio.sleep(0.05)
        fake.push_update(fake.message_update(USER, "hi"))

    task = asyncio.create_task(push_later())
    updates = await bot.get_updates(offset=5, timeout=30)
    await task
    assert [u.message.text for u in updates] == ["hi"]
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_dispatcher_polling_end_to_end(bot: Bot, fake: FakeTelegram) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"You said <i>{message.text}</i>", reply_markup=keyboard(("Again", "again")))

    @dp.callback_query()
    async def again(query: CallbackQuery) -> None:
        await query.answer("Again!")
        await query.message.edit_text("Pressed")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30))
    try:
        user = fake.user(USER)
        user.send("hello")
        await fake.wait_for(lambda: fake.last_message(USER) is not None)
        assert fake.last_message(USER).text == "You said hello"
        user.press("Again")
        await fake.wait_for(lambda: fake.last_message(USER).text == "Pressed")
        assert fake.calls_of("answerCallbackQuery")[0].params["text"] == "Again!"
    finally:
        await dp.stop_polling()
        await polling
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_push_update_keeps_ids_increasing(fake: FakeTelegram) -> None:
    fake.push_update({"update_id": 100, "message": {}})
    assert fake.push_update({"message": {}})["update_id"] == 101


@pytest.mark.asyncio
async def test_reply_keyboard_tracking(bot: Bot, fake: FakeTelegram) -> None:
    reply = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share", request_contact=True)]], resize_keyboard=True
    )
    sent = await bot.send_message(USER, "Phone?", reply_markup=reply)
    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    assert fake.reply_keyboard(USER)["keyboard"][0][0]["request_contact"] is True
    await bot.send_message(USER, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert fake.reply_keyboard(USER) is None
    # "For simple text buttons, String can be used instead of this object" (KeyboardButton)
    status, _ = await post(
        fake,
        "sendMessage",
        {"chat_id": USER, "text": "Pick", "reply_markup": {"keyboard": [["Yes", "No"]]}},
    )
    assert status == 200 and fake.reply_keyboard(USER)["keyboard"] == [["Yes", "No"]]
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_groups_media_groups_and_copies(bot: Bot, fake: FakeTelegram) -> None:
    group = await bot.send_message(-1001234, "hello group")
    assert group.chat.type == "supergroup"
    album = await bot.send_media_group(
        USER,
        [
            InputMediaPhoto(media=BufferedInputFile(b"1", "1.png"), caption="one"),
            InputMediaPhoto(media="existing-photo-id"),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    copied = await bot.copy_message(-1001234, USER, album[0].message_id)
    assert fake.chat(-1001234)[copied.message_id - 1].caption == "one"
    venue = await bot.send_venue(USER, 38.7, -9.1, "Venue", "Main st. 1")
    assert venue.venue.title == "Venue" and venue.location.latitude == 38.7
    contact = await bot.send_contact(USER, "+351900000000", "Desk")
    assert contact.contact.first_name == "Desk"
    dice = await bot.send_dice(USER)  # any other Message-returning method
    assert dice.message_id == contact.message_id + 1
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_commands_round_trip(bot: Bot, fake: FakeTelegram) -> None:
    commands = [BotCommand(command="start", description="Start registration")]
    assert await bot.set_my_commands(commands, language_code="en") is True
    returned = await bot.get_my_commands(language_code="en")
    assert [c.model_dump() for c in returned] == [c.model_dump() for c in commands]
    assert await bot.get_my_commands() == []
    assert fake.my_commands(language_code="en")[0]["command"] == "start"
    assert await bot.delete_my_commands(language_code="en") is True
    assert await bot.get_my_commands(language_code="en") == []
    assert await bot.send_chat_action(USER, "typing") is True
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_fault_injection(bot: Bot, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(USER, "x")
    assert retry.value.retry_after == 7
    fake.fail_next("sendmessage", error_code=500, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")

    fake.blocked_chats.add(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_photo(USER, "file-id")
    assert len(fake.calls_of("sendMessage")) == 5  # failed calls are recorded too
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_set_result_for_other_methods(bot: Bot, fake: FakeTelegram) -> None:
    fake.set_result(
        "getChat",
        {
            "id": USER,
            "type": "private",
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        },
    )
    assert (await bot.get_chat(USER)).id == USER
    assert await bot.set_chat_menu_button(USER) is True
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_wait_for(fake: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="condition not met"):
        await fake.wait_for(lambda: bool(fake.calls), seconds=0.05)


# ---------------------------------------------------------------- rejected (raw requests)


@pytest.mark.asyncio
async def test_unknown_method_is_404_and_a_violation(fake: FakeTelegram) -> None:
    status, body = await post(fake, "sendMesage", {"chat_id": USER, "text": "x"})
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.violations == ["sendMesage: unknown Bot API method"]
    with pytest.raises(AssertionError, match="unknown Bot API method"):
        fake.assert_no_violations()


@pytest.mark.asyncio
async def test_method_names_are_case_insensitive(fake: FakeTelegram) -> None:
    status, body = await post(fake, "SENDMESSAGE", {"chat_id": USER, "text": "x"})
    assert status == 200 and body["result"]["text"] == "x"
    assert fake.calls[0].method == "sendMessage"


BAD_REQUESTS = [
    ({"text": "x"}, "sendMessage.chat_id: required field is missing"),
    ({"chat_id": USER, "text": "x", "colour": "red"}, "sendMessage.colour: unknown field"),
    ({"chat_id": [USER], "text": "x"}, "sendMessage.chat_id: expected Integer or String"),
    ({"chat_id": USER, "text": 5}, "sendMessage.text: expected String, got int"),
    (
        {"chat_id": USER, "text": "x", "disable_notification": "yes"},
        "sendMessage.disable_notification: expected Boolean",
    ),
    ({"chat_id": USER, "text": "   "}, "sendMessage.text: must be 1-4096 characters, got 0"),
    ({"chat_id": USER, "text": "a" * 4097}, "must be 1-4096 characters, got 4097"),
    (
        {"chat_id": USER, "text": "<b>" + "a" * 4097 + "</b>", "parse_mode": "HTML"},
        "must be 1-4096 characters after entities parsing, got 4097",
    ),
    (
        {"chat_id": USER, "text": "<div>x</div>", "parse_mode": "HTML"},
        'can\'t parse entities: Unsupported start tag "div" at byte offset 0',
    ),
    (
        {"chat_id": USER, "text": "<b>bold", "parse_mode": "HTML"},
        'Can\'t find end tag corresponding to start tag "b"',
    ),
    ({"chat_id": USER, "text": "x", "parse_mode": "html5"}, "unsupported parse_mode"),
    (
        {
            "chat_id": USER,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "Б", "callback_data": "я" * 33}]]},
        },
        "reply_markup.inline_keyboard[0][0].callback_data: must be 1-64 bytes, got 66",
    ),
    (
        {
            "chat_id": USER,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d", "colour": "red"}]]},
        },
        "reply_markup.inline_keyboard[0][0].colour: unknown field",
    ),
    (
        {"chat_id": USER, "text": "x", "reply_markup": {"keyboard": [[5]]}},
        "reply_markup.keyboard[0][0]: expected KeyboardButton",
    ),
    (
        {"chat_id": USER, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "t"}]]}},
        "reply_markup.inline_keyboard[0][0]: exactly one of the fields other than",
    ),
    (
        {
            "chat_id": USER,
            "text": "x",
            "reply_markup": {
                "inline_keyboard": [[{"text": "t", "url": "https://a.b", "callback_data": "c"}]]
            },
        },
        "must be used, got ['url', 'callback_data']",
    ),
    (
        {
            "chat_id": USER,
            "text": "x",
            "reply_markup": {
                "keyboard": [[{"text": "t", "request_contact": True, "request_location": True}]]
            },
        },
        "reply_markup.keyboard[0][0]: at most one of the fields other than",
    ),
    (
        {"chat_id": USER, "text": "x", "link_preview_options": {"is_disabled": 1}},
        "link_preview_options.is_disabled: expected Boolean, got int",
    ),
    (
        {"chat_id": USER, "text": "x", "reply_parameters": {"chat_id": USER}},
        "reply_parameters.message_id: required field is missing",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("payload", "violation"), BAD_REQUESTS)
async def test_bad_send_message_is_rejected(
    fake: FakeTelegram, payload: dict[str, Any], violation: str
) -> None:
    status, body = await post(fake, "sendMessage", payload)
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert len(fake.violations) == 1 and violation in fake.violations[0], fake.violations
    assert violation in body["description"]
    assert fake.calls[0].params == payload  # recorded even when rejected
    assert fake.chat(USER) == []


@pytest.mark.asyncio
async def test_html_limit_counts_text_after_parsing(fake: FakeTelegram) -> None:
    text = "<b>" + "a" * 4000 + "</b><i>" + "&lt;" * 96 + "</i>"
    status, body = await post(fake, "sendMessage", {"chat_id": USER, "text": text, "parse_mode": "HTML"})
    assert status == 200 and len(body["result"]["text"]) == 4096
    assert body["result"]["entities"] == [
        {"type": "bold", "offset": 0, "length": 4000},
        {"type": "italic", "offset": 4000, "length": 96},
    ]
    fake.assert_no_violations()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "payload", "violation"),
    [
        (
            "sendPhoto",
            {"chat_id": USER, "photo": "id", "caption": "c" * 1025},
            "sendPhoto.caption: must be 0-1024 characters, got 1025",
        ),
        (
            "sendPhoto",
            {
                "chat_id": USER,
                "photo": "id",
                "caption": "<b>" + "c" * 1025 + "</b>",
                "parse_mode": "HTML",
            },
            "after entities parsing, got 1025",
        ),
        (
            "answerCallbackQuery",
            {"callback_query_id": "1", "text": "t" * 201},
            "answerCallbackQuery.text: must be 0-200 characters, got 201",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": ""}]},
            "commands[0].description: must be 1-256 characters, got 0",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": "d" * 257}]},
            "got 257",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start"}]},
            "commands[0].description: required field is missing",
        ),
        (
            "setMyCommands",
            {"commands": [], "scope": {"type": "chat"}},
            "setMyCommands.scope.chat_id: required field is missing",
        ),
        (
            "sendMediaGroup",
            {"chat_id": USER, "media": [{"type": "photo", "media": "id"}]},
            "sendMediaGroup.media: must be 2-10 items, got 1",
        ),
        (
            "sendMediaGroup",
            {
                "chat_id": USER,
                "media": [{"type": "photo", "media": "a"}, {"type": "gif", "media": "b"}],
            },
            'sendMediaGroup.media[1].type: must be "',
        ),
        (
            "editMessageMedia",
            {
                "chat_id": USER,
                "message_id": 1,
                "media": {"type": "photo", "media": "attach://missing"},
            },
            "attach://missing names no uploaded file part",
        ),
        ("getUpdates", {"timeout": "soon"}, "getUpdates.timeout: expected Integer"),
    ],
)
async def test_bad_requests_of_other_methods(
    fake: FakeTelegram, method: str, payload: dict[str, Any], violation: str
) -> None:
    status, body = await post(fake, method, payload)
    assert status == 400 and body["description"].startswith("Bad Request: ")
    assert any(violation in v for v in fake.violations), fake.violations


@pytest.mark.asyncio
async def test_multipart_form_values_are_decoded(fake: FakeTelegram) -> None:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("chat_id", str(USER))
    form.add_field("photo", "attach://pic")
    form.add_field("has_spoiler", "true")
    form.add_field("reply_markup", json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}))
    form.add_field("pic", b"bytes", filename="pic.jpg")
    status, body = await post(fake, "sendPhoto", form=form)
    assert status == 200, body
    call = fake.calls[0]
    assert call.params["chat_id"] == USER and call.params["has_spoiler"] is True
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"
    assert call.files == {"pic": b"bytes"} and call.filenames == {"pic": "pic.jpg"}
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_multipart_reference_to_missing_file_part(fake: FakeTelegram) -> None:
    form = aiohttp.FormData({"chat_id": str(USER), "document": "attach://nothing"})
    status, _ = await post(fake, "sendDocument", form=form)
    assert status == 400
    assert fake.violations == ["sendDocument.document: attach://nothing names no uploaded file part"]


@pytest.mark.asyncio
async def test_urlencoded_and_file_route(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/bot{TOKEN}/sendMessage"
        async with http.post(url, data={"chat_id": "-5", "text": "hi"}) as response:
            body = await response.json()
        assert body["result"]["chat"] == {"id": -5, "type": "group", "title": "Test Group"}
        async with http.get(f"{fake.base_url}/file/bot{TOKEN}/files/nope") as response:
            assert response.status == 404
    fake.assert_no_violations()


@pytest.mark.asyncio
async def test_newer_aiogram_fields_are_tolerated(fake: FakeTelegram) -> None:
    status, _ = await post(
        fake,
        "sendMessage",
        {
            "chat_id": USER,
            "text": "x",
            "disable_web_page_preview": True,
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a", "disabled": True}]]},
        },
    )
    assert status == 200
    status, _ = await post(fake, "editEphemeralMessageText", {"chat_id": USER})
    assert status == 200
    fake.assert_no_violations()


# ---------------------------------------------------------------- HTML checker


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("plain text > and ' and \"", "plain text > and ' and \""),
        ("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>", "bsieun"),
        ("<s>s</s><strike>t</strike><del>d</del><tg-spoiler>x</tg-spoiler>", "stdx"),
        ('<span class="tg-spoiler">hidden</span>', "hidden"),
        ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ('<pre><code class="language-python">print(1 &lt; 2)</code></pre>', "print(1 < 2)"),
        ("<code>x</code> <pre>y</pre>", "x y"),
        ("<blockquote>q</blockquote><blockquote expandable>long</blockquote>", "qlong"),
        ("<b>bold <i>both</i></b> &lt;&gt;&amp;&quot; &#169; &#x1F600;", 'bold both <>&" © 😀'),
        ("<B>upper</B>", "upper"),
    ],
)
def test_check_telegram_html_accepts(html: str, plain: str) -> None:
    assert check_telegram_html(html) == (plain, None)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>block</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2 > 0", 'Unsupported start tag "" at byte offset 2'),
        ("é <b", "Unclosed start tag at byte offset 3"),
        ("Tom & Jerry", 'unescaped "&" (use &amp;) at byte offset 4'),
        ("&nbsp;", 'unescaped "&"'),
        ('<span class="other">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", "Invalid custom emoji identifier"),
        ("<b bold>x</b>", "Expected equal sign"),
    ],
)
def test_check_telegram_html_rejects(html: str, error: str) -> None:
    _, problem = check_telegram_html(html)
    assert problem is not None and problem.startswith("can't parse entities: ")
    assert error in problem
