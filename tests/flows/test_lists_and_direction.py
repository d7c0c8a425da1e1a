"""End to end: lists as people read them (pagers, the recipients' languages first, names in their
alphabet's order) and right-to-left readers' arrows."""

from __future__ import annotations

import icu
import pytest
from babel import Locale

from tests.support.broadcasting import register as register_delegate
from tests.support.broadcasting import registration_service
from tests.support.walk import S, register, translated

STAFF = 900  # in ADMIN_IDS of the test settings
PAGER = ["‹", "1/2", "›"]


async def open_language_versions(app, language: str = "en"):
    staff = app.chat(STAFF, language)
    await staff.send("/broadcast")
    await staff.tap("k:all")
    await staff.send("Venue changed")
    return staff


async def test_a_long_list_has_one_pager_and_a_short_one_none(app):
    staff = await open_language_versions(app)  # nobody registered: all 18 languages, 12 a page
    buttons = staff.buttons()
    pager = buttons[buttons.index("‹") : buttons.index("‹") + 3]
    assert pager == PAGER
    assert buttons.count("1") == 0 and "<" not in buttons and ">" not in buttons
    await staff.press("›")
    assert ["‹", "2/2", "›"] <= staff.buttons()
    await staff.press("›")  # after the last page comes the first
    assert "1/2" in staff.buttons()
    await staff.press("‹")
    assert "2/2" in staff.buttons()


async def test_a_list_of_one_page_has_no_pager(app, engine, event):
    await register_delegate(registration_service(engine, event), 1, language="fr")
    staff = await open_language_versions(app)
    assert not {"‹", "›", "1/1"} & set(staff.buttons())


async def test_the_pager_is_mirrored_for_right_to_left_readers(app):
    staff = await open_language_versions(app, "ur")
    row = next(row for row in staff.last.inline_keyboard if len(row) == 3 and row[1]["text"] == "1/2")
    # Reading from the right: the previous page first ("›", the last of two pages: round), the
    # next page on the left ("‹").
    assert [button["text"] for button in row] == ["‹", "1/2", "›"]
    assert [button["callback_data"].rsplit(":", 1)[-1] for button in row] == ["1", "0", "1"]
    await staff.press("‹")
    assert "2/2" in staff.buttons()


async def test_language_versions_offer_the_recipients_languages_first(app, engine, event):
    service = registration_service(engine, event)
    for user_id, language in enumerate(["en", "en", "fr", "fr", "fr", "ja"], start=1):
        await register_delegate(service, user_id, language=language)
    staff = await open_language_versions(app)
    assert staff.buttons()[:4] == [
        "➕ Français (3)",
        "➕ English (2)",
        "➕ 日本語 (1)",
        "🌐 Other languages (15)",
    ]
    await staff.tap("more")
    buttons = staff.buttons()
    assert buttons[:3] == ["➕ Français (3)", "➕ English (2)", "➕ 日本語 (1)"]
    others = [label.removeprefix("➕ ") for label in buttons[3:18]]
    assert len(others) == 15 and "Español" in others and "اردو" in others
    assert "🌐 Only the recipients' languages" in buttons
    # A version written for a language nobody reads yet stays in the short list.
    await staff.tap("l:es")
    await staff.send("Cambio de lugar")
    await staff.tap("fewer")
    assert staff.buttons()[:5] == [
        "➕ Français (3)",
        "➕ English (2)",
        "➕ 日本語 (1)",
        "✏️ Español",
        "🌐 Other languages (14)",
    ]


@pytest.mark.parametrize("language", ["ur", "ja", "fr", "en"])
async def test_country_buttons_read_in_the_alphabet_of_the_reader(app, event, language):
    chat = app.chat(1001, language)
    await register(chat, until=S.country, language=f"lang:{language}")
    countries = chat.buttons()[: len(event.usual_countries)]
    names = Locale.parse(language).territories
    assert sorted(countries) == sorted(names[code] for code in event.usual_countries)
    collator = icu.Collator.createInstance(icu.Locale(language))
    assert countries == sorted(countries, key=collator.getSortKey)
    if language == "ur":  # پ follows ب in the Urdu alphabet; by code point it comes near the end
        assert countries.index("پاکستان") == countries.index("بھارت") + 1


async def test_back_points_the_way_the_reader_reads(app):
    english = app.chat(1001, "en")
    await register(english, until=S.gender)
    assert "⬅️ Back" in english.buttons()
    urdu = app.chat(1002, "ur")
    await register(urdu, until=S.gender, language="lang:ur")
    arrows = [label for label in urdu.buttons() if label.startswith(("⬅️", "➡️"))]
    assert arrows == ["➡️ " + translated("Back", "ur")]
