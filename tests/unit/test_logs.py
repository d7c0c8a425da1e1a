"""Structured logs (LOG_FORMAT json or logfmt), and no personal data in them at INFO."""

from __future__ import annotations

import json
import logging
import sys

from bot.runtime.logs import FORMATTERS, JSONFormatter, LogfmtFormatter
from tests.support.walk import register

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
    answers = {"full_name": PERSONAL["name"], "organisation": PERSONAL["organisation"]}
    answers |= {"email": PERSONAL["email"], "phone": "0917 123 4567", "arrival_flight": PERSONAL["flight"]}
    # A visa: nationality and passport number too.
    await register(chat, **answers, visa="yes", passport=PERSONAL["passport"])
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
