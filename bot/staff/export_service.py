"""Registrations as a spreadsheet (XLSX) or CSV, streamed: rows are read from the database in
batches and written as they come, in a worker thread so that the bot keeps answering meanwhile.
The XLSX is written by rustpy-xlsxwriter (rust_xlsxwriter in Rust, constant memory): 100,000
rows in a tenth of XlsxWriter's time (README, Performance)."""

from __future__ import annotations

import asyncio
import csv
import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from rustpy_xlsxwriter import Format, write_worksheet
from sqlmodel import col, select

from bot.core.db import SessionFactory
from bot.core.event import Event, localized
from bot.core.i18n import N_, country_name, gettext, language_name, supported_languages, zone_name
from bot.core.labels import GENDERS, STATUSES, yes_no
from bot.core.models import Delegation, Registration

BATCH = 2000


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


# (column, header); the passport column is added only on an admin's explicit request.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", N_("Registration code")),
    ("status", N_("Status")),
    ("full_name", N_("Full name")),
    ("gender", N_("Gender")),
    ("country", N_("Country")),
    ("country_code", N_("Country code")),
    ("organisation", N_("Party or organisation")),
    ("position", N_("Position")),
    ("role", N_("Participation")),
    ("email", N_("Email")),
    ("phone", N_("Phone")),
    ("language", N_("Language")),
    ("delegation", N_("Delegation")),
    ("head", N_("Head of delegation")),
    ("arrival_date", N_("Arrival date")),
    ("arrival_time", N_("Arrival time")),
    ("arrival_flight", N_("Arrival flight")),
    ("departure_date", N_("Departure date")),
    ("departure_time", N_("Departure time")),
    ("departure_flight", N_("Departure flight")),
    ("hotel_needed", N_("Hotel")),
    ("visa_needed", N_("Visa letter")),
    ("nationality", N_("Nationality")),
    ("nationality_code", N_("Nationality code")),
    ("passport_number", N_("Passport number")),
    ("dietary", N_("Dietary needs")),
    ("dietary_notes", N_("Dietary notes")),
    ("accessibility", N_("Accessibility")),
    ("registered_at", N_("Registered at ({zone})")),
    ("checked_in_at", N_("Checked in at ({zone})")),
)

_QUERY_COLUMNS = (
    Registration.code,
    Registration.status,
    Registration.full_name,
    Registration.gender,
    Registration.country,
    Registration.organisation,
    Registration.position,
    Registration.role,
    Registration.email,
    Registration.phone,
    Registration.language,
    Delegation.party,
    Registration.delegation_head,
    Registration.arrival_date,
    Registration.arrival_time,
    Registration.arrival_flight,
    Registration.departure_date,
    Registration.departure_time,
    Registration.departure_flight,
    Registration.hotel_needed,
    Registration.visa_needed,
    Registration.nationality,
    Registration.passport_number,
    Registration.dietary,
    Registration.dietary_notes,
    Registration.accessibility,
    Registration.created_at,
    Registration.checked_in_at,
)

# The columns holding dates and times: a spreadsheet stores them as numbers in a date format.
_COLUMN_KINDS: dict[str, type] = {
    "arrival_date": date,
    "arrival_time": time,
    "departure_date": date,
    "departure_time": time,
    "registered_at": datetime,
    "checked_in_at": datetime,
}

# Spreadsheet programs run a cell that starts like a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class _Labels:
    """Everything translated, prepared in the staff member's language before writing starts."""

    headers: list[str]
    kinds: list[type | None]  # of the values of each column where it is a date or time
    statuses: dict[str, str]
    genders: dict[str, str]
    roles: dict[str, str]
    diets: dict[str, str]
    languages: dict[str, str]
    yes: str
    no: str
    language: str


class ExportsUnderWay:
    """Who has an export being written, so that a double press makes one file, not two."""

    def __init__(self) -> None:
        self._actors: set[int] = set()

    def begin(self, actor_id: int) -> bool:
        """False when this person's export is already being written."""
        if actor_id in self._actors:
            return False
        self._actors.add(actor_id)
        return True

    def end(self, actor_id: int) -> None:
        self._actors.discard(actor_id)


class ExportService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event
        # One per dispatcher, like the service: the exports of this bot's staff.
        self.under_way = ExportsUnderWay()

    def _labels(self, language: str, with_passports: bool) -> _Labels:
        zone = zone_name(self.event.tz, language)
        columns = [(key, header) for key, header in COLUMNS if with_passports or key != "passport_number"]
        return _Labels(
            headers=[gettext(header).format(zone=zone) for _key, header in columns],
            kinds=[_COLUMN_KINDS.get(key) for key, _header in columns],
            statuses={key: gettext(name) for key, name in STATUSES.items()},
            genders={key: gettext(name) for key, name in GENDERS.items()},
            roles={role.id: localized(role.label, language) for role in self.event.roles},
            diets={option.id: localized(option.label, language) for option in self.event.dietary_options},
            languages={code: language_name(code, language) for code in supported_languages()},
            yes=yes_no(True),
            no=yes_no(False),
            language=language,
        )

    async def write(
        self,
        path: Path,
        export_format: ExportFormat,
        language: str,
        reveal_passport: Callable[[str], str] | None = None,
    ) -> int:
        """Write every registration of the event to `path`; the number of rows written.

        Passport numbers are written only when `reveal_passport` is given (it turns the stored
        value into the number).
        """
        labels = self._labels(language, reveal_passport is not None)
        sheet_type = _XlsxSheet if export_format is ExportFormat.XLSX else _CsvSheet
        title = sheet_title(localized(self.event.name, language)) or sheet_title(self.event.id)
        sheet = sheet_type(path, labels.headers, labels.kinds, title)
        to_row = _RowMaker(labels, self.event.tz, reveal_passport)
        count = 0
        try:
            statement = (
                select(*_QUERY_COLUMNS)
                .outerjoin(Delegation, col(Delegation.id) == Registration.delegation_id)
                .where(Registration.event_id == self.event.id)
                .order_by(col(Registration.country), col(Registration.full_name), col(Registration.id))
                .execution_options(yield_per=BATCH)
            )
            async with self._sessions() as session:
                result = await session.stream(statement)
                async for batch in result.partitions(BATCH):
                    await sheet.write([to_row(row) for row in batch])
                    count += len(batch)
            await sheet.close()
        except BaseException:
            sheet.abandon()
            raise
        return count


class _RowMaker:
    """A row read from the database as the sheet's cells, in the staff member's language."""

    def __init__(self, labels: _Labels, zone: tzinfo, reveal_passport: Callable[[str], str] | None):
        self._labels = labels
        self._zone = zone
        self._reveal_passport = reveal_passport
        self._countries: dict[str, str] = {}  # each country's name looked up once per export

    def _local(self, moment: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: the event's local time, as its header says.
        return moment.astimezone(self._zone).replace(tzinfo=None, microsecond=0) if moment else None

    def _country(self, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self._countries:
            self._countries[code] = country_name(code, self._labels.language)
        return self._countries[code]

    def _yes_or_no(self, value: bool) -> str:
        return self._labels.yes if value else self._labels.no

    def __call__(self, row: Any) -> list[Any]:
        labels, country, yes_or_no = self._labels, self._country, self._yes_or_no
        (
            code,
            status,
            full_name,
            gender,
            country_code,
            organisation,
            position,
            role,
            email,
            phone,
            language,
            party,
            head,
            arrival_date,
            arrival_time,
            arrival_flight,
            departure_date,
            departure_time,
            departure_flight,
            hotel,
            visa,
            nationality,
            passport,
            dietary,
            dietary_notes,
            accessibility,
            created_at,
            checked_in_at,
        ) = row
        values = [
            code,
            labels.statuses.get(status, status),
            full_name,
            labels.genders.get(gender, gender),
            country(country_code),
            country_code,
            organisation,
            position,
            labels.roles.get(role, role),
            email,
            phone,
            labels.languages.get(language, language),
            party,
            yes_or_no(head) if party else None,
            arrival_date,
            arrival_time,
            arrival_flight,
            departure_date,
            departure_time,
            departure_flight,
            yes_or_no(hotel),
            yes_or_no(visa),
            country(nationality),
            nationality,
        ]
        if self._reveal_passport is not None:
            values.append(self._reveal_passport(passport) if passport else None)
        values += [
            ", ".join(labels.diets.get(option, option) for option in (dietary or "").split(",") if option)
            or None,
            dietary_notes,
            accessibility,
            self._local(created_at),
            self._local(checked_in_at),
        ]
        return values


# Characters XML 1.0 cannot hold: dropped from the text (tab, line feed and carriage return stay).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_DATE_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: "yyyy-mm-dd", time: "h:mm:ss"}
# What each format shows at its widest ("2024-07-29 14:35:00"), in characters.
_DATE_WIDTHS = {datetime: 19, date: 10, time: 8}
_SECONDS_PER_DAY = 86_400
# Column widths, in Excel's unit (the width of a digit). A column wider than the cap would push
# the others off the screen: its longer cells are cut, and shown whole in the formula bar.
MAX_COLUMN_WIDTH = 50
_CELL_PADDING = 2
_FILTER_BUTTON = 3  # the header's filter drop-down covers the end of its text

# Excel refuses a sheet name longer than 31 characters (UTF-16 code units), with any of
# []:*?/\ or starting or ending with an apostrophe.
SHEET_TITLE_LIMIT = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str) -> str:
    """A spreadsheet's sheet named after `name`: forbidden characters made spaces, cut at a word
    with an ellipsis when too long; empty when nothing is left."""
    title = " ".join(_SHEET_TITLE_FORBIDDEN.sub(" ", _ILLEGAL_CHARACTERS.sub("", name)).split()).strip("'")
    if _utf16_length(title) <= SHEET_TITLE_LIMIT:
        return title
    cut = title
    while _utf16_length(cut) > SHEET_TITLE_LIMIT - 1:
        cut = cut[:-1]
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return words.rstrip(" -–—,;.'") + "…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def display_width(text: str) -> int:
    """Characters as a spreadsheet column counts them: wide East Asian characters take two, marks
    that combine with the one before them none."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


class _ColumnWidths:
    """Each column's width fitted to its longest value, measured batch by batch as the rows are
    written (the writer reads the widths once the last row is written)."""

    def __init__(self, headers: list[str], kinds: list[type | None]):
        self.widths: list[float] = [
            min(MAX_COLUMN_WIDTH, max(display_width(header) + _FILTER_BUTTON, _DATE_WIDTHS.get(kind, 0)))
            + _CELL_PADDING
            for header, kind in zip(headers, kinds, strict=True)
        ]
        # The date and time columns have their format's width; the others hold text.
        self._text_columns = [index for index, kind in enumerate(kinds) if kind is None]

    def measure(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        widths = self.widths
        for index in self._text_columns:
            width = widths[index] - _CELL_PADDING
            if width >= MAX_COLUMN_WIDTH:
                continue
            texts = list(filter(None, columns[index]))
            if not texts:
                continue
            # len() runs in C. A text is at most twice as wide as long: where some are not ASCII,
            # only those that could be wider than the column are measured, character by character.
            if "".join(texts).isascii():
                longest = max(map(len, texts))
            else:
                longest = max((display_width(text) for text in texts if 2 * len(text) > width), default=0)
            widths[index] = max(widths[index], min(longest, MAX_COLUMN_WIDTH) + _CELL_PADDING)


class _Abandoned(Exception):
    """Stops the XLSX writer thread when the export is abandoned."""


class _XlsxSheet:
    """rustpy-xlsxwriter writes the whole sheet in one call, from an iterator of records: it runs
    in a worker thread from the start, and the rows are handed over batch by batch (two at most
    waiting, so memory stays flat whatever the size).

    The header row is bold and frozen, with a filter over every column. The writer's own autofit
    measures only the first rows in its constant-memory mode: the widths are measured here, and
    the writer reads its `column_widths` list after the last row (rustpy-xlsxwriter 0.8,
    src/worksheet.rs), so the list is filled in while the rows stream."""

    def __init__(self, path: Path, headers: list[str], kinds: list[type | None], title: str):
        self._keys = _distinct(headers)
        formats = [Format().set_num_format(_DATE_FORMATS[kind]) if kind else None for kind in kinds]
        self._widths = _ColumnWidths(headers, kinds)
        self._batches: queue.Queue[list[list[Any]] | None] = queue.Queue(maxsize=2)
        self._abandoned = threading.Event()
        self._writer = asyncio.ensure_future(
            asyncio.to_thread(
                write_worksheet,
                self._records(),
                str(path),
                sheet_name=title,
                column_formats=formats,
                column_widths=self._widths.widths,
                header_format=Format().set_bold(),
                freeze_row=1,
                autofilter=True,
            )
        )
        self._writer.add_done_callback(_consume_error)

    def _records(self) -> Iterator[dict[str, Any]]:
        keys, written = self._keys, False
        while (batch := self._next_batch()) is not None:
            self._widths.measure(batch)
            for row in batch:
                yield dict(zip(keys, map(_cell, row), strict=True))
                written = True
        if not written:  # the header row alone: its names come from a record's keys
            yield dict.fromkeys(keys)

    def _next_batch(self) -> list[list[Any]] | None:
        while True:
            if self._abandoned.is_set():
                raise _Abandoned
            try:
                return self._batches.get(timeout=0.1)
            except queue.Empty:
                continue

    async def write(self, rows: list[list[Any]]) -> None:
        await self._hand_over(rows)

    async def close(self) -> None:
        await self._hand_over(None)
        await self._writer

    async def _hand_over(self, rows: list[list[Any]] | None) -> None:
        while True:
            try:
                self._batches.put_nowait(rows)
                return
            except queue.Full:  # the writer is behind: wait for it, unless it stopped
                await asyncio.wait([self._writer], timeout=0.01)
                if self._writer.done():
                    self._writer.result()  # its error
                    raise RuntimeError("the XLSX writer stopped before the end of the rows") from None

    def abandon(self) -> None:
        self._abandoned.set()


def _cell(value: Any) -> Any:
    if type(value) is str:
        return _ILLEGAL_CHARACTERS.sub("", value)  # always text, never a formula
    if type(value) is time:  # a fraction of the day, shown by the column's time format
        return (value.hour * 3600 + value.minute * 60 + value.second) / _SECONDS_PER_DAY
    return value


def _distinct(headers: list[str]) -> list[str]:
    """The headers are the records' keys: a translation that gives two columns the same header
    must not merge them."""
    seen: set[str] = set()
    keys = []
    for header in headers:
        key, number = header, 1
        while key in seen:
            number += 1
            key = f"{header} ({number})"
        seen.add(key)
        keys.append(key)
    return keys


def _consume_error(writer: asyncio.Future[None]) -> None:
    """An abandoned writer's error is expected: retrieved here, so that asyncio does not log it."""
    if not writer.cancelled():
        writer.exception()


class _CsvSheet:
    """A CSV file as spreadsheet programs open it: Excel, LibreOffice and Google Sheets all read
    the formula `="…"` as the text in quotes, which keeps numbers written as text (phone and
    passport numbers) from turning into numbers that lose their "+" or leading zeros."""

    def __init__(self, path: Path, headers: list[str], _kinds: list[type | None], _title: str):
        # UTF-8 with a byte order mark: Excel then reads accents and scripts correctly.
        self.file = path.open("w", newline="", encoding="utf-8-sig")
        self.writer = csv.writer(self.file)
        self.headers: list[str] | None = headers

    async def write(self, rows: list[list[Any]]) -> None:
        await asyncio.to_thread(self._write, rows)

    def _write(self, rows: list[list[Any]]) -> None:
        if self.headers is not None:
            self.writer.writerow(self.headers)
            self.headers = None
        self.writer.writerows([[self._text(value) for value in row] for row in rows])

    @staticmethod
    def _text(value: Any) -> str:
        if value is None:
            return ""
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
        if _NUMBER_AS_TEXT.fullmatch(text):
            # Digits alone in the quotes: the only formula the export writes, a text literal.
            return f'="{text}"'
        if text.startswith(_FORMULA_START):
            return "'" + text
        return text

    async def close(self) -> None:
        await self.write([])
        self.file.close()

    def abandon(self) -> None:
        self.file.close()


# A text a spreadsheet would read as a number: phone numbers (E.164, checked when typed), passport
# numbers of digits.
_NUMBER_AS_TEXT = re.compile(r"\+?\d+")
