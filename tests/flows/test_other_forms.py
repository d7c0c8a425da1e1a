"""Another event, another form: the summer school's event file (events/example-summer-school.yaml)
asks its own questions (age, workshop, T-shirt size, an emergency contact, photo consent) and no
travel, hotel or visa. A participant registers through it in two languages, and staff see its
questions in the headcount and the export. Also: the form changing while registration is open."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import yaml

from bot.app import build_bot, build_dispatcher
from bot.core.crypto import PassportCipher, new_key
from bot.core.event import load_event
from bot.core.settings import PROJECT_ROOT
from bot.registration.service import FormChanged
from bot.staff.export_service import ExportFormat
from tests.support.app import PASSPORT_KEY, App, make_settings
from tests.support.walk import S, Tap, Typed, event_of, register, stored

SUMMER_SCHOOL = PROJECT_ROOT / "events" / "example-summer-school.yaml"
# Registration is open: a month before its deadline.
OPEN = datetime.fromisoformat("2025-05-30T10:00:00+07:00")
ADMIN = 900


@pytest.fixture
async def summer(fake, engine, caplog):
    settings = make_settings(telegram_api_base=fake.base_url, event_file=SUMMER_SCHOOL, event_clock=OPEN)
    bot = build_bot(settings)
    yield App(fake, build_dispatcher(settings, engine=engine), bot)
    await bot.session.close()


async def test_a_participant_registers_through_another_form_in_thai_and_in_french(summer, engine):
    event = event_of(SUMMER_SCHOOL)
    thai = summer.chat(2001, language_code="th")
    await thai.send("/start")
    assert "Bangkok" in thai.last_text or "กรุงเทพ" in thai.last_text
    await register(
        thai,
        since=S.language,
        event=event,
        language="lang:th",
        full_name="Somchai Jaidee",
        age=Typed("๑๙"),  # Thai digits
        workshop="o:climate",
        tshirt="o:l",
        emergency_name="Malee Jaidee",
        emergency_phone="+66 81 234 5678",
        photo_consent="no",
        photo_notes=Typed("Please no photos online"),
    )
    french = summer.chat(2002, language_code="fr")
    await french.send("/start")
    await register(
        french,
        since=S.language,
        event=event,
        language="lang:fr",
        full_name="Camille Martin",
        pronouns="o:they_them",
        gender="o:another",
        country="c:VN",
        age="34",
        workshop="o:media",
        tshirt="o:s",
        emergency_name="Jean Martin",
        emergency_phone="+33 6 12 34 56 78",
        photo_consent="yes",
        dietary=(Tap("m:vegan"), Tap("done")),
    )
    somchai, camille = sorted(await stored(engine), key=lambda r: r.full_name, reverse=True)
    assert somchai.full_name == "Somchai Jaidee" and somchai.language == "th"
    assert somchai.custom_answers == {
        "pronouns": "she_her",  # the walk's answer: the first option
        "age": 19,
        "workshop": "climate",
        "tshirt": "l",
        "emergency_name": "Malee Jaidee",
        "emergency_phone": "+66812345678",
        "photo_consent": False,
        "photo_notes": "Please no photos online",
    }
    assert somchai.position is None and somchai.arrival_date is None and not somchai.visa_needed
    assert (
        camille.custom_answers["photo_consent"] is True and camille.custom_answers.get("photo_notes") is None
    )
    assert camille.custom_answers["pronouns"] == "they_them" and camille.dietary == "vegan"
    # The card shown after confirming reads the form's own questions in French.
    await french.send("/me")
    card = french.last_text
    assert "Atelier" in card or "atelier" in card, card
    assert "S" in card and "34" in card and "Jean Martin" in card


async def test_staff_see_the_forms_own_questions_in_headcount_and_export(summer, engine):
    event = event_of(SUMMER_SCHOOL)
    for user, workshop, size in ((2101, "climate", "m"), (2102, "climate", "l"), (2103, "labour", "m")):
        await register(summer.chat(user), event=event, workshop=f"o:{workshop}", tshirt=f"o:{size}")
    staff = summer.chat(ADMIN)
    await staff.send("/headcount")
    headcount = "\n".join(staff.texts_since(0))
    assert "Workshop\nClimate justice 2 · Young workers and unions 1" in headcount
    assert "T-shirt size\nM 2 · L 1" in headcount and "Photo consent\nNo 3" in headcount
    assert (
        "Airport pick-ups" not in headcount and "Visa letters" not in headcount and "Hotel" not in headcount
    )
    await staff.send("/export csv")
    document = summer.fake.calls_of("sendDocument")[-1]
    lines = list(csv.reader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    header = lines[0]
    assert {"Workshop", "T-shirt size", "Age"} <= set(header), header
    assert "Arrival date" not in header and "Passport number" not in header
    workshops = sorted(row[header.index("Workshop")] for row in lines[1:])
    assert workshops == ["Climate justice", "Climate justice", "Young workers and unions"]


async def test_a_question_added_to_the_form_is_asked_of_registered_delegates(fake, engine, tmp_path):
    """A new required question: asked the next time a registered delegate opens the bot; /me
    shows it missing until then."""
    first = make_settings(telegram_api_base=fake.base_url)
    bot = build_bot(first)
    before = App(fake, build_dispatcher(first, engine=engine), bot)
    ana = before.chat(1001)
    await register(ana)
    raw = yaml.safe_load((PROJECT_ROOT / "events" / "manila-2024.yaml").read_text(encoding="utf-8"))
    raw["form"].append(
        {
            "id": "session_choice",
            "type": "choice",
            "text": {"en": "Which parallel session will you join?"},
            "label": {"en": "Parallel session"},
            "options": [
                {"id": "economy", "label": {"en": "Fair economy"}},
                {"id": "climate", "label": {"en": "Climate"}},
            ],
        }
    )
    changed = tmp_path / "manila-changed.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    after = App(
        fake,
        build_dispatcher(make_settings(telegram_api_base=fake.base_url, event_file=changed), engine=engine),
        bot,
    )
    ana = after.chat(1001)
    await ana.send("/me")
    assert "Parallel session: ❗ not answered yet" in ana.last_text
    await ana.send("/start")
    assert "added a question" in "\n".join(ana.texts_since(ana.size - 3))
    assert "Which parallel session" in ana.last_text
    await ana.tap("o:climate")
    [registration] = await stored(engine)
    assert registration.custom_answers["session_choice"] == "climate"
    assert "Parallel session: Climate" in ana.last_text
    await bot.session.close()


async def test_an_incompatible_type_change_stops_start_up(engine, tmp_path):
    dp = build_dispatcher(make_settings(event_file=SUMMER_SCHOOL, event_clock=OPEN), engine=engine)
    await dp["services"].registrations.record_form()
    raw = yaml.safe_load(SUMMER_SCHOOL.read_text(encoding="utf-8"))
    age = next(question for question in raw["form"] if question["id"] == "age")
    age.update(type="text", min=None, max=None)
    del age["min"], age["max"]
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    other = build_dispatcher(make_settings(event_file=changed, event_clock=OPEN), engine=engine)
    with pytest.raises(FormChanged, match="age was of type number and is now of type text"):
        await other["services"].registrations.record_form()


async def test_a_removed_question_keeps_its_answers_in_the_export(summer, engine, tmp_path):
    event = event_of(SUMMER_SCHOOL)
    await summer.dp["services"].registrations.record_form()
    await register(summer.chat(2201), event=event, tshirt="o:xl")
    raw = yaml.safe_load(SUMMER_SCHOOL.read_text(encoding="utf-8"))
    raw["form"] = [question for question in raw["form"] if question["id"] != "tshirt"]
    changed = tmp_path / "without-tshirt.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings = make_settings(telegram_api_base=summer.fake.base_url, event_file=changed, event_clock=OPEN)
    after = App(summer.fake, build_dispatcher(settings, engine=engine), summer.bot)
    staff = after.chat(ADMIN)
    await staff.send("/export csv")
    document = summer.fake.calls_of("sendDocument")[-1]
    lines = list(csv.reader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    assert "T-shirt size" not in lines[0] and lines[1][lines[0].index("tshirt")] == "xl"


async def test_a_question_removed_while_a_delegate_is_at_it(fake, engine, tmp_path):
    """The event file changed under an open registration: the window says the question is no
    longer asked, and Back goes on with the questions still to answer."""
    first = make_settings(telegram_api_base=fake.base_url)
    bot = build_bot(first)
    ana = App(fake, build_dispatcher(first, engine=engine), bot).chat(1001)
    await register(ana, until=S.position)
    raw = yaml.safe_load((PROJECT_ROOT / "events" / "manila-2024.yaml").read_text(encoding="utf-8"))
    raw["form"] = [question for question in raw["form"] if question["id"] != "position"]
    changed = tmp_path / "without-position.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings = make_settings(telegram_api_base=fake.base_url, event_file=changed)
    ana = App(fake, build_dispatcher(settings, engine=engine), bot).chat(1001)
    await ana.send("Secretary")
    assert "no longer asked" in "\n".join(ana.texts_since(ana.size - 2))
    await ana.tap("back")
    assert "How will you take part?" in ana.last_text, "the next question still to answer"
    await bot.session.close()


async def test_a_sensitive_question_of_the_forms_own_stays_sealed_once_it_leaves_the_form(
    fake, engine, tmp_path
):
    """Encrypted at rest like a passport number; after the question is removed, exported only
    when revealed, re-encrypted by key rotation; and it cannot silently become non-sensitive."""
    raw = yaml.safe_load(SUMMER_SCHOOL.read_text(encoding="utf-8"))
    raw["form"].append(
        {
            "id": "student_id",
            "type": "document",
            "sensitive": True,
            "text": {"en": "Your student card number?"},
        }
    )
    with_id = tmp_path / "with-id.yaml"
    with_id.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings = make_settings(telegram_api_base=fake.base_url, event_file=with_id, event_clock=OPEN)
    bot = build_bot(settings)
    app = App(fake, build_dispatcher(settings, engine=engine), bot)
    await app.dp["services"].registrations.record_form()
    await register(app.chat(2301), event=load_event(with_id), student_id=Typed("S1234567"))
    [registration] = await stored(engine)
    sealed = registration.custom_answers["student_id"]
    assert sealed != "S1234567" and PassportCipher([PASSPORT_KEY]).decrypt(sealed) == "S1234567"

    raw["form"].pop()
    without = tmp_path / "without-id.yaml"
    without.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    after = build_dispatcher(make_settings(event_file=without, event_clock=OPEN), engine=engine)
    await after["services"].registrations.record_form()
    exports = after["services"].exports
    for reveal, expected in ((None, None), (after["services"].passports.decrypt, "S1234567")):
        path = tmp_path / "export.csv"
        await exports.write(path, ExportFormat.CSV, "en", reveal)
        header, row = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert (row[header.index("student_id")] if "student_id" in header else None) == expected

    [mine] = (await after["services"].privacy.personal_data(2301))["registrations"]
    assert mine["custom_answers"]["student_id"] == "S1234567", "/mydata shows it in clear"

    new = new_key()
    rotated = build_dispatcher(
        make_settings(event_file=without, event_clock=OPEN, passport_key=f"{new},{PASSPORT_KEY}"),
        engine=engine,
    )
    assert await rotated["services"].privacy.rotate_passports() == 1
    [registration] = await stored(engine)
    assert PassportCipher([new]).decrypt(registration.custom_answers["student_id"]) == "S1234567"

    raw["form"].append({**raw_question(with_id, "student_id"), "sensitive": False})
    in_clear = tmp_path / "in-clear.yaml"
    in_clear.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    changed = build_dispatcher(make_settings(event_file=in_clear, event_clock=OPEN), engine=engine)
    with pytest.raises(FormChanged, match="student_id was sensitive and is now not sensitive"):
        await changed["services"].registrations.record_form()
    await bot.session.close()


def raw_question(path, question_id: str) -> dict:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(question for question in raw["form"] if question["id"] == question_id)
