"""End to end, as staff export: the /export question's buttons go once the file is sent."""

from __future__ import annotations

import csv
import io

from bot.staff.export import ExportCB
from bot.staff.export_service import ExportFormat
from tests.support.app import BEFORE_DEADLINE, sample_answers

ADMIN = 900  # in ADMIN_IDS (tests/support/app.py)
STAFF = 950


async def test_the_export_question_loses_its_buttons_once_the_file_is_sent(app):
    services = app.dp["services"]
    await services.staff.grant(ADMIN, STAFF)
    await services.registrations.register(1001, sample_answers(), BEFORE_DEADLINE)
    staff = app.chat(STAFF)
    await staff.send("/export")
    question = staff.last
    assert staff.button_data() == ["sexport:xlsx:0", "sexport:csv:0"]

    await staff.tap(ExportCB(format=ExportFormat.CSV).pack())
    documents = app.fake.calls_of("sendDocument")
    assert len(documents) == 1 and "1 registration" in documents[0].params["caption"]
    table = list(csv.reader(io.StringIO(next(iter(documents[0].files.values())).decode("utf-8-sig"))))
    assert table[1][table[0].index("Phone")] == '="+639171234567"'
    asked = next(m for m in app.fake.chat(STAFF) if m.message_id == question.message_id)
    assert asked.inline_keyboard == [] and not asked.deleted
    assert asked.text == question.text, "the question stays, answered"
    # What the person sees last: the file, no button left to press again.
    assert staff.last.inline_keyboard == [] and app.fake.calls_of("sendDocument")[-1] is documents[-1]

    # A press that was already on its way (the client had not redrawn yet) still gets its file,
    # and the buttons being gone already is no error.
    await staff.press_data(question.message_id, ExportCB(format=ExportFormat.XLSX).pack())
    assert len(app.fake.calls_of("sendDocument")) == 2


async def test_a_command_export_leaves_no_question_behind(app):
    services = app.dp["services"]
    await services.registrations.register(1001, sample_answers(), BEFORE_DEADLINE)
    admin = app.chat(ADMIN)
    await admin.send("/export xlsx")
    assert len(app.fake.calls_of("sendDocument")) == 1
    assert not any(m.inline_keyboard for m in app.fake.chat(ADMIN) if m.from_bot and not m.deleted)
