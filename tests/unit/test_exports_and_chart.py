"""Exports and the headcount chart as staff open them: XLSX columns fitted to their content under a
bold, frozen, filtered header on a sheet named after the event; a CSV that spreadsheet programs
read in any locale; a chart whose bars keep one thickness from 1 registration to 10,000."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from bot.core.crypto import PassportCipher
from bot.core.db import create_session_factory
from bot.core.event import Event
from bot.core.i18n import get_i18n
from bot.kit.charts import BAR_SLOT, BAR_THICKNESS, DPI, bar_charts_figure, can_draw, panel_texts
from bot.registration.service import RegistrationService
from bot.staff import export_service as export_module
from bot.staff.export_service import (
    MAX_COLUMN_WIDTH,
    SHEET_TITLE_LIMIT,
    ExportFormat,
    ExportService,
    display_width,
    sheet_title,
)
from bot.staff.headcount_service import Headcount
from bot.staff.views import chart_titles, headcount_panels
from tests.support.app import BEFORE_DEADLINE, PASSPORT_KEY, sample_answers

LONG_NAME = "Maria Concepcion Dela Cruz-Villanueva y Santos"
WIDE_NAME = "山田花子山田花子山田花子"  # 12 characters, 24 wide: as wide as 24 Latin letters
LONG_ORGANISATION = "Partido " * 20


class Exports:
    def __init__(self, engine, event: Event):
        sessions = create_session_factory(engine)
        self.registrations = RegistrationService(sessions, event, PassportCipher([PASSPORT_KEY]))
        self.exports = ExportService(sessions, event)
        self._next_user = 7000

    async def register(self, **answers) -> None:
        self._next_user += 1
        answers = {"email": f"delegate{self._next_user}@example.org", **answers}
        await self.registrations.register(self._next_user, sample_answers(**answers), BEFORE_DEADLINE)

    def keys(self) -> list[str]:
        """The export's columns, by answer key (no passport numbers: not revealed)."""
        return [key for key, _header in self.exports.columns("en")]

    async def write(self, path, export_format: ExportFormat, language: str = "en") -> int:
        with get_i18n().use_locale(language):
            return await self.exports.write(path, export_format, language)


@pytest.fixture
def people(engine, event) -> Exports:
    return Exports(engine, event)


# --- XLSX ---------------------------------------------------------------------------------------


async def test_xlsx_columns_fit_the_longest_value_even_in_the_last_batch(people, tmp_path, monkeypatch):
    """Widths are measured while the rows stream, batch by batch: the longest name comes in the
    last batch (sorted by country: Viet Nam after the Philippines) and still sets its column."""
    monkeypatch.setattr(export_module, "BATCH", 2)
    for number in range(4):
        await people.register(full_name=f"Ana {number}")
    await people.register(full_name=WIDE_NAME, country="TH")
    await people.register(
        full_name=LONG_NAME,
        country="VN",
        organisation=LONG_ORGANISATION,
        arrival_date=date(2024, 7, 29),
        arrival_time=time(14, 35),
    )
    path = tmp_path / "out.xlsx"
    assert await people.write(path, ExportFormat.XLSX) == 6
    sheet = load_workbook(path).active

    def width(key: str) -> float:
        return sheet.column_dimensions[get_column_letter(people.keys().index(key) + 1)].width

    assert width("full_name") >= len(LONG_NAME) > display_width(WIDE_NAME) == 24
    assert width("full_name") < len(LONG_NAME) + 5, "fitted, not merely wide"
    # Too long a text is cut at the cap (and read whole in the formula bar).
    assert MAX_COLUMN_WIDTH <= width("organisation") <= MAX_COLUMN_WIDTH + 3
    # Dates and times are as wide as their formats show them ("2024-07-29 14:35:00").
    assert width("arrival_date") >= len("2024-07-29")
    assert width("arrival_time") >= len("14:35:00")
    assert width("registered_at") >= len("2024-07-29 14:35:00")
    # A short column is as wide as its header and the header's filter button.
    assert len("Gender") + 3 <= width("gender") < len("Prefer not to say") + 5


async def test_xlsx_header_is_bold_frozen_and_filtered_on_a_sheet_named_after_the_event(
    people, event, tmp_path
):
    await people.register(full_name="Ana Reyes")
    await people.register(full_name="Ben Cruz", gender="man")
    path = tmp_path / "out.xlsx"
    await people.write(path, ExportFormat.XLSX)
    sheet = load_workbook(path).active
    assert sheet.title == sheet_title(event.name["en"]) == "Progressive Alliance – SDAP…"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(people.keys()))}3"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    # Dates and times stay numbers in date formats.
    assert (
        sheet.cell(row=2, column=people.keys().index("registered_at") + 1).number_format
        == "yyyy-mm-dd h:mm:ss"
    )

    # The sheet's name follows the staff member's language.
    french = tmp_path / "fr.xlsx"
    await people.write(french, ExportFormat.XLSX, "fr")
    assert load_workbook(french).active.title == sheet_title(event.name["fr"])
    assert load_workbook(french).active.title.startswith("Dialogue de l'Alliance")


def test_sheet_titles_are_what_excel_accepts():
    assert sheet_title("Congress 2024/25: [draft] *final?* \\ ok") == "Congress 2024 25 draft final ok"
    assert sheet_title("'Quoted'") == "Quoted"
    assert sheet_title("Short name") == "Short name"
    long = sheet_title("Progressive Alliance Asia-Pacific Dialogue on Social Democracy")
    assert long == "Progressive Alliance…" and len(long) <= SHEET_TITLE_LIMIT
    # Excel counts UTF-16 code units: an emoji counts two.
    emoji = sheet_title("🌏" * 20)
    assert len(emoji.encode("utf-16-le")) // 2 <= SHEET_TITLE_LIMIT and emoji.endswith("…")
    assert sheet_title("[]:*?/\\") == ""


async def test_an_event_whose_name_leaves_no_sheet_title_uses_its_id(engine, event, tmp_path):
    odd = event.model_copy(update={"name": {"en": "[???]"}})
    exports = ExportService(create_session_factory(engine), odd)
    path = tmp_path / "odd.xlsx"
    with get_i18n().use_locale("en"):
        await exports.write(path, ExportFormat.XLSX, "en")
    assert load_workbook(path).active.title == event.id


# --- CSV ----------------------------------------------------------------------------------------


def spreadsheet_reads(cell: str) -> str:
    """What Excel, LibreOffice and Google Sheets show for a CSV cell that is text: the literal of a
    `="…"` formula, a cell after its guarding apostrophe as typed; None where it would become a
    number (digits alone, with or without a sign)."""
    literal = re.fullmatch(r'="([^"]*)"', cell)
    if literal:
        return literal[1]
    assert not re.fullmatch(r"[+-]?\d+", cell), f"{cell!r} would be read as a number"
    return cell


async def test_csv_has_a_bom_and_keeps_phone_numbers_as_text(people, tmp_path):
    await people.register(full_name="Ana Reyes", phone="+639171234567")
    await people.register(full_name="=HYPERLINK(x)", email="@cmd@example.org", organisation="1969")
    path = tmp_path / "out.csv"
    await people.write(path, ExportFormat.CSV)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel in any locale"
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = table[0]
    by_name = {spreadsheet_reads(row[header.index("Full name")]): row for row in table[1:]}
    ana = by_name["Ana Reyes"]
    assert ana[header.index("Phone")] == '="+639171234567"'
    assert spreadsheet_reads(ana[header.index("Phone")]) == "+639171234567"
    # What a delegate typed that starts like a formula is still written as text, never run.
    typed = by_name["'=HYPERLINK(x)"]
    assert typed[header.index("Email")] == "'@cmd@example.org"
    assert spreadsheet_reads(typed[header.index("Party or organisation")]) == "1969"
    # Every cell reads as text where it should: no phone or code turned into a number.
    for row in table[1:]:
        for cell in row:
            spreadsheet_reads(cell)


# --- the headcount chart ----------------------------------------------------------------------


def _one_registration() -> Headcount:
    return Headcount(
        statuses={"registered": 1},
        active=1,
        genders=[("woman", 1)],
        countries=[("PH", 1)],
        roles=[("delegate", 1)],
        languages=[("en", 1)],
        hotel_guests=1,
        hotel_nights=[(date(2024, 7, 29), 1)],
        pickups=[(date(2024, 7, 29), 14, 1)],
    )


def _ten_thousand(event: Event) -> Headcount:
    countries = ["PH", "ID", "MY", "TH", "VN", "KH", "MM", "SG", "JP", "KR", "IN", "NP", "DE"]
    nights = [(event.starts_on + timedelta(days=day), 1000 + day) for day in range(-3, 5)]
    return Headcount(
        statuses={"registered": 9500, "pending": 300, "withdrawn": 200},
        active=9800,
        checked_in=4000,
        genders=[("woman", 4900), ("man", 4800), ("another", 100)],
        countries=[(code, 9800 // len(countries)) for code in countries],
        roles=[(role.id, 1000) for role in event.roles],
        languages=[("en", 5000), ("fr", 2000), ("es", 2800)],
        hotel_guests=8000,
        hotel_nights=nights,
        pickups=[(day, 10, count) for day, count in nights[:4]],
    )


NOW = datetime(2024, 7, 30, 6, 5, tzinfo=UTC)  # 14:05 in Manila


def _drawn(headcount: Headcount, event: Event):
    with get_i18n().use_locale("en"):
        title, subtitle = chart_titles(event, "en", NOW)
        panels = headcount_panels(headcount, event, "en")
    figure = bar_charts_figure(title, panels, subtitle)
    figure.canvas.draw()
    return figure, panels


def _bar_heights_in_pixels(figure) -> set[float]:
    return {round(bar.get_window_extent().height, 1) for ax in figure.axes for bar in ax.patches}


def test_bars_keep_one_thickness_from_one_registration_to_ten_thousand(event):
    one, _panels = _drawn(_one_registration(), event)
    many, _panels = _drawn(_ten_thousand(event), event)
    expected = round(BAR_THICKNESS * BAR_SLOT * DPI, 1)
    assert _bar_heights_in_pixels(one) == {expected} == _bar_heights_in_pixels(many)
    # The figure grows with the bars instead.
    assert many.get_figheight() > one.get_figheight() + 3 * BAR_SLOT


def test_chart_says_which_event_and_when_and_shows_the_hotel_nights(event):
    figure, panels = _drawn(_ten_thousand(event), event)
    texts = [text.get_text() for text in figure.texts]
    assert texts[0] == event.name["en"]
    assert "Headcount" in texts[1] and "Jul 30" in texts[1] and "2:05" in texts[1] and "Manila" in texts[1]
    nights = next(panel for panel in panels if panel.title == "Hotel nights")
    assert nights.bars[0] == ("Sat, Jul 27", 997) and len(nights.bars) == 8
    assert "Hotel nights" in [ax.get_title(loc="left") for ax in figure.axes]
    assert can_draw(panel_texts(texts[0], panels, texts[1]))
