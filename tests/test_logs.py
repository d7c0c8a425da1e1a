"""Structured logs (LOG_FORMAT json or logfmt), and no personal data in them at INFO."""

from __future__ import annotations

import json
import logging
import sys

from bot.runtime.logs import FORMATTERS, JSONFormatter, LogfmtFormatter

PERSONAL = {
    "name": "Ana Reyes",
    "email": "ana.reyes@example.org",
    "phone": "9171234567",  # in every form: typed, E.164, shared contact
    "passport": "P7654321A",
    "flight": "PR 431",
    "organisation": "Akbayan Citizens",
}


async def test_a_registration_logs_no_personal_data_at_info(app, caplog):
    caplog.set_level(logging.INFO)
    chat = app.chat(language_code="en", first_name="Ana")
    await chat.send("/start")
    await chat.tap("lang:en")
    await chat.tap("agree")
    await chat.send(PERSONAL["name"])
    await chat.tap("g:woman")
    await chat.tap("c:PH")
    await chat.send(PERSONAL["organisation"])
    await chat.send("International Secretary")
    await chat.tap("r:delegate")
    await chat.send(PERSONAL["email"])
    await chat.send("0917 123 4567")
    await chat.tap("d:2024-07-29")
    await chat.send("14:35")
    await chat.send(PERSONAL["flight"])
    await chat.tap("none")
    await chat.tap("no")  # hotel
    await chat.tap("yes")  # visa: nationality and passport number
    await chat.tap("c:PH")
    await chat.send(PERSONAL["passport"])
    await chat.tap("done")
    await chat.tap("none")
    await chat.tap("confirm")
    assert chat.fake.calls_of("sendPhoto"), "registered"

    records = caplog.get_records("call")
    assert any(r.name == "aiogram.event" for r in records), "the INFO logs were captured"
    assert any(r.getMessage() == "registration stored" for r in records)
    for formatter in FORMATTERS.values():
        lines = "\n".join(formatter.format(record) for record in records)
        for what, value in PERSONAL.items():
            assert value not in lines, f"the {what} was logged at INFO"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("bot.runtime.webhook", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_json_lines_carry_the_extra_fields_and_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord(
            "bot", logging.ERROR, __file__, 1, "update %s failed", (7,), sys.exc_info()
        )
    line = json.loads(JSONFormatter().format(failed))
    assert line["level"] == "error" and line["logger"] == "bot" and line["msg"] == "update 7 failed"
    assert "ValueError: boom" in line["exc"] and line["time"].endswith("+00:00")
    extra = json.loads(JSONFormatter().format(record("registration stored", registration_id=12)))
    assert extra["registration_id"] == 12


def test_logfmt_quotes_what_needs_quoting():
    line = LogfmtFormatter().format(record('said "hi"\nthen left', registration_id=3))
    fields = line.split(" ", 3)
    assert fields[1:3] == ["level=warning", "logger=bot.runtime.webhook"]
    assert fields[3] == 'msg="said \\"hi\\"\\nthen left" registration_id=3'
    assert "\n" not in line, "one record, one line"
