"""End to end, what staff read: /staff names people and says plainly who could not be told, the
check-in card shows the stay and both journeys, and headcount pick-ups write times as the card."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.i18n import fmt_time
from tests.support.app import BEFORE_DEADLINE, App, sample_answers
from tests.support.chat import Chat

ADMIN = 900  # in the test settings' admins
NEVER_SEEN = 7000011  # an id typed by the admin: this person never opened the bot


async def open_picker(app: App) -> Chat:
    admin = app.chat(ADMIN, first_name="Olga")
    await admin.send("/staff")
    await admin.tap("add")
    return admin


async def test_a_person_who_never_opened_the_bot_is_granted_and_the_admin_told_they_were_not(app):
    admin = await open_picker(app)
    before = admin.size
    await admin.send(str(NEVER_SEEN))
    done = admin.texts_since(before)[0]
    assert await app.dp["services"].staff.is_staff(NEVER_SEEN)
    assert done.startswith("✅ someone who has not opened the bot yet (id 7000011) is now staff")
    assert "they have not been told" in done and "Ask them to open the bot and press Start" in done
    assert app.fake.chat(NEVER_SEEN) == [], "nothing is sent to someone the bot has never seen"

    await admin.send("/staff")
    listing = admin.last_text
    assert "#7000011" not in listing and "ADMIN_IDS" not in listing
    assert "Organisers with full rights (set by whoever runs the bot): you" in listing
    assert "Staff: someone who has not opened the bot yet (id 7000011)" in listing
    assert admin.buttons()[0] == "✖️ someone who has not opened the bot yet (id 7000011)"


async def test_a_person_who_blocked_the_bot_is_granted_and_not_told(app):
    await app.chat(1500, first_name="Bea").send("/start")
    await app.dp["services"].registrations.register(
        1500, sample_answers(full_name="Bea Santos"), BEFORE_DEADLINE
    )
    app.fake.blocked_chats.add(1500)
    admin = await open_picker(app)
    before = admin.size
    await admin.send("1500")
    done = admin.texts_since(before)[0]
    assert done.startswith("✅ Bea Santos is now staff, but they have not been told")
    assert await app.dp["services"].staff.is_staff(1500)


async def test_a_person_who_opened_the_bot_is_told_and_named(app):
    sam = app.chat(1600, first_name="Sam")
    await sam.send("/start")
    admin = await open_picker(app)
    before = admin.size
    await admin.send("1600")
    assert (
        admin.texts_since(before)[0]
        == "✅ someone with no registration (id 1600) is now staff. I have told them."
    )
    assert any("You are now part of the staff" in text for text in sam.texts_since(0))


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_check_in_card_and_the_headcount_write_the_same_times(app, language):
    """The pick-up and drop-off hours of the headcount, and the card's times: one format."""
    arrival, departure = time(14, 0), time(9, 0)
    travel = {"arrival_date": date(2024, 7, 29), "arrival_time": arrival, "hotel_needed": True}
    travel |= {"departure_date": date(2024, 8, 1), "departure_time": departure}
    services = app.dp["services"]
    registration, _new = await services.registrations.register(
        1001, sample_answers(**travel), BEFORE_DEADLINE
    )
    staff = app.chat(ADMIN, language_code=language)
    await staff.send(f"/checkin {registration.code}")
    card = staff.last_text
    assert "🏨" in card and "(3 " in card and "?" not in card and ":00:00" not in card

    before = staff.size
    await staff.send("/headcount")
    counts = "\n".join(staff.texts_since(before))
    for at in (arrival, departure):
        clock = fmt_time(at, language)
        assert f" {clock}\n" in card or card.endswith(f" {clock}"), (clock, card)
        assert f"{clock} 1" in counts, (clock, counts)
    assert ":00:00" not in counts
