"""The fake Telegram Bot API server the tests talk to.

It lives in `emulator.botapi` (the local emulator of `make run` is built on it); this module keeps
the tests' import path. Usage::

    async with FakeTelegram() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot("42:TEST", session=session)
        ...
        fake.assert_no_violations()
"""

from emulator.botapi import (
    BLOCKED,
    BOT_USER,
    NOT_MODIFIED,
    QUERY_INVALID,
    SPEC_PATH,
    ApiError,
    Call,
    FakeTelegram,
    FakeUser,
    StoredMessage,
    check_telegram_html,
    load_spec,
    parse_telegram_html,
)

__all__ = [
    "BLOCKED",
    "BOT_USER",
    "NOT_MODIFIED",
    "QUERY_INVALID",
    "SPEC_PATH",
    "ApiError",
    "Call",
    "FakeTelegram",
    "FakeUser",
    "StoredMessage",
    "check_telegram_html",
    "load_spec",
    "parse_telegram_html",
]
