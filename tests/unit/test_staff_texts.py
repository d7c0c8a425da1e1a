"""What staff read: the delegate's card (hotel nights, arrival and departure), one clock-time format
for cards and headcounts, moments without seconds and with their zone, and no setting names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from bot.core.i18n import fmt_datetime, fmt_time, get_i18n, in_zone
from bot.core.i18n_check import KEYWORDS
from bot.core.models import Registration, RegistrationStatus
from bot.core.settings import PROJECT_ROOT, Settings
from bot.staff.headcount_service import Headcount
from bot.staff.views import delegate_card, headcount_sections

NOW = datetime(2024, 7, 29, 6, 5, 7, tzinfo=UTC)  # 14:05:07 in Manila


def registration(**changes: object) -> Registration:
    values: dict[str, object] = {
        "id": 1,
        "event_id": "manila-2024",
        "user_id": 1001,
        "code": "ABC-123",
        "status": RegistrationStatus.REGISTERED,
        "language": "en",
        "consent_version": "2024-04-10",
        "consent_at": datetime(2024, 4, 20, 2, 0, tzinfo=UTC),
        "full_name": "Ana Reyes",
        "gender": "woman",
        "country": "PH",
        "organisation": "Akbayan",
        "role": "delegate",
        "email": "ana@example.org",
        "phone": "+639171234567",
    }
    values.update(changes)
    return Registration(**values)


def test_the_card_shows_the_hotel_nights_and_the_departure_as_the_arrival(event):
    card = delegate_card(
        registration(
            hotel_needed=True,
            arrival_date=date(2024, 7, 29),
            arrival_time=time(14, 35),
            arrival_flight="PR 431",
            departure_date=date(2024, 8, 1),
            departure_time=time(9, 10),
            departure_flight="PR 432",
        ),
        None,
        event,
        "en",
    )
    assert "🏨 Hotel: Mon, Jul 29 → Thu, Aug 1 (3 nights)" in card
    assert "🛬 Mon, Jul 29 2:35\u202fPM PR 431" in card
    assert "🛫 Thu, Aug 1 9:10\u202fAM PR 432" in card
    assert "?" not in card


def test_a_hotel_stay_without_dates_says_so(event):
    card = delegate_card(registration(hotel_needed=True, arrival_date=date(2024, 7, 29)), None, event, "en")
    assert "🏨 Hotel: yes, dates not given yet" in card
    assert "?" not in card and "🛫" not in card
    one_night = registration(
        hotel_needed=True, arrival_date=date(2024, 7, 29), departure_date=date(2024, 7, 30)
    )
    assert "(1 night)" in delegate_card(one_night, None, event, "en")
    assert "🏨 Hotel: no" in delegate_card(registration(), None, event, "en")
    # No airport transfer: the hotel's own dates, the check-out asked as no departure was given.
    own_dates = registration(
        hotel_needed=True,
        arrival_date=date(2024, 7, 29),
        hotel_check_out=date(2024, 7, 31),
    )
    assert "🏨 Hotel: Mon, Jul 29 → Wed, Jul 31 (2 nights)" in delegate_card(own_dates, None, event, "en")


def test_the_card_shows_a_form_answer_asked_by_a_built_in_one(event):
    """`passport_name` is asked when a visa letter is wanted (a column): the card shows it."""
    visa = registration(visa_needed=True, custom_answers={"passport_name": "REYES Ana"})
    assert "<b>Name as in passport:</b> REYES Ana" in delegate_card(visa, None, event, "en")


@pytest.mark.parametrize("language", ["en", "fr", "ja", "ko", "ur", "my"])
def test_headcount_pick_ups_write_times_as_the_card_does(event, language):
    at = time(14, 0)
    card = delegate_card(registration(arrival_date=date(2024, 7, 29), arrival_time=at), None, event, language)
    counts = Headcount(pickups=[(date(2024, 7, 29), 14, 3)], dropoffs=[(date(2024, 8, 1), 9, 2)])
    text = "\n".join(headcount_sections(counts, event, language, NOW))
    clock = fmt_time(at, language)
    assert clock in card
    assert f"{clock} <b>3</b>" in text
    assert f"{fmt_time(time(9, 0), language)} <b>2</b>" in text


@pytest.mark.parametrize("language", ["en", "fr", "ja", "my"])
def test_moments_have_no_seconds_and_the_headcount_says_its_zone(event, language):
    moment = fmt_datetime(NOW, language, event.tz, "medium")
    assert fmt_time(time(14, 5), language) in moment
    assert "14:05:07" not in moment and ":07" not in moment
    heading = headcount_sections(Headcount(), event, language, NOW)[0]
    assert ":07" not in heading
    assert heading.endswith(in_zone(fmt_datetime(NOW, language, event.tz, "MMMd"), event.tz, language))


def test_in_zone_names_the_event_city(event):
    assert in_zone("3:00\u202fPM", event.tz, "en") == "3:00\u202fPM (Manila time)"


# Upper-case words with an underscore (ADMIN_IDS, ORGANISER_CHAT_ID...) and every setting's name.
SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def _named_settings(msgid: str) -> set[str]:
    words = set(re.findall(r"\b[A-Z][A-Z0-9_]*\b", msgid))
    return set(SETTING_NAME.findall(msgid)) | (words & SETTING_NAMES)


def test_no_message_people_read_names_a_setting():
    """Every msgid in the code (the English catalog is extracted from them): organisers read
    "set by whoever runs the bot", never the name of an environment variable."""
    keywords = {**DEFAULT_KEYWORDS, **{keyword: None for keyword in KEYWORDS}}
    msgids = {
        part
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / "bot", [("**.py", "python")], keywords=keywords
        )
        for part in (message if isinstance(message, tuple) else (message,))
        if part
    }
    assert "ADMIN_IDS" in SETTING_NAMES and len(msgids) > 100, "the scan sees the settings and the messages"
    named = {msgid: _named_settings(msgid) for msgid in msgids}
    assert {msgid: names for msgid, names in named.items() if names} == {}


@pytest.mark.parametrize("language", ["my", "ne", "bn"])
def test_a_headcount_writes_every_number_in_the_digits_of_its_language(event, language):
    """Counts, dates and times alike: Burmese, Nepali and Bengali have digits of their own (CLDR),
    and one message never mixes them with Latin ones."""
    counts = Headcount(
        statuses={"registered": 12, "pending": 3},
        active=15,
        checked_in=4,
        genders=[("woman", 8), ("man", 7)],
        countries=[
            (code, 1)
            for code in ("PH", "ID", "MY", "TH", "VN", "KH", "MM", "MN", "NP", "IN", "BD", "PK", "JP")
        ],
        hotel_guests=10,
        hotel_nights=[(date(2024, 7, 29), 10), (date(2024, 7, 30), 12)],
        hotel_dates_unknown=2,
        pickups=[(date(2024, 7, 29), 14, 3)],
        visa_letters=5,
        accessibility=1,
    )
    with get_i18n().use_locale(language):
        text = "\n".join(headcount_sections(counts, event, language, NOW))
    visible = re.sub(r"<[^>]*>", "", text)
    assert not re.findall(r"[0-9]+", visible), visible
