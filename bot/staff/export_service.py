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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from rustpy_xlsxwriter import Format, write_worksheet
from sqlmodel import col, select

from bot.core.db import SessionFactory
from bot.core.event import Event, localized
from bot.core.form import COLUMN_KEYS, QuestionType, Step
from bot.core.i18n import N_, country_name, gettext, language_name, supported_languages, zone_name
from bot.core.labels import STATUSES, yes_no
from bot.core.models import Delegation, FormQuestion, Registration
from bot.core.summary import as_date, as_time, step_label

BATCH = 2000


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


# Columns before and after the form's: what the bot itself knows of a registration.
_LEADING: tuple[tuple[str, str], ...] = (("code", N_("Registration code")), ("status", N_("Status")))
_TRAILING: tuple[tuple[str, str], ...] = (
    ("language", N_("Language")),
    ("delegation", N_("Delegation")),
    ("head", N_("Head of delegation")),
    ("registered_at", N_("Registered at ({zone})")),
    ("checked_in_at", N_("Checked in at ({zone})")),
)
_FIXED_QUERY = (
    Registration.code,
    Registration.status,
    Registration.language,
    Delegation.party,
    Registration.delegation_head,
    Registration.created_at,
    Registration.checked_in_at,
    Registration.custom_answers,
)

# The value kinds a spreadsheet stores as numbers in a date format.
_DATE_KINDS: dict[QuestionType, type] = {QuestionType.DATE: date, QuestionType.TIME: time}

# Spreadsheet programs run a cell that starts like a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = Callable[[Any], Any]


@dataclass(frozen=True)
class _Column:
    key: str  # the answer's key; a country's code: `<key>_code`
    header: str
    kind: type | None  # date or time: written as such
    cell: Cell  # the value written, from the query's row


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


class _Columns:
    """The sheet's columns, from the event's form, in the staff member's language: a column per
    question (a country's name and code, a multiple choice's ticks and what was typed), the
    sensitive ones only when revealed. Each value is read from the row by index, from its own
    column for the built-in kinds, from the JSON column for the others."""

    def __init__(
        self,
        event: Event,
        language: str,
        reveal: Callable[[str], str] | None,
        removed: Iterable[FormQuestion] = (),
    ):
        self.language = language
        self.query: list[Any] = list(_FIXED_QUERY)
        self.columns: list[_Column] = []
        self._countries: dict[str, str] = {}  # each country's name looked up once per export
        yes, no = yes_no(True), yes_no(False)
        self._yes_no = {True: yes, False: no}
        zone = zone_name(event.tz, language)
        statuses = {key: gettext(name) for key, name in STATUSES.items()}
        languages = {code: language_name(code, language) for code in supported_languages()}
        local = _local_time(event.tz)
        code, status, language_column, party, head, created_at, checked_in_at = range(7)
        self._add("code", gettext(_LEADING[0][1]), None, lambda row: row[code])
        self._add("status", gettext(_LEADING[1][1]), None, lambda row: statuses.get(row[status], row[status]))
        for step in event.form.steps:
            if step.sensitive and reveal is None:
                continue
            self._add_step(step, event, reveal)
        # Questions the form no longer asks keep their stored answers, under their key.
        for question in removed:
            read = self._reader(question.key)
            if not question.sensitive:
                self._add(question.key, question.key, None, read)
            elif reveal is not None:
                self._add(
                    question.key, question.key, None, lambda row, read=read: _revealed(read(row), reveal)
                )
        trailing = dict(_TRAILING)
        self._add(
            "language", gettext(trailing["language"]), None, lambda row: languages.get(row[language_column])
        )
        self._add("delegation", gettext(trailing["delegation"]), None, lambda row: row[party])
        self._add(
            "head",
            gettext(trailing["head"]),
            None,
            lambda row: self._yes_no[bool(row[head])] if row[party] else None,
        )
        self._add(
            "registered_at",
            gettext(trailing["registered_at"]).format(zone=zone),
            datetime,
            lambda row: local(row[created_at]),
        )
        self._add(
            "checked_in_at",
            gettext(trailing["checked_in_at"]).format(zone=zone),
            datetime,
            lambda row: local(row[checked_in_at]),
        )

    def _add(self, key: str, header: str, kind: type | None, cell: Cell) -> None:
        self.columns.append(_Column(key, header, kind, cell))

    def _reader(self, key: str) -> Cell:
        """How the answer of `key` is read from a row: its own column, or the JSON column."""
        if key in COLUMN_KEYS:
            self.query.append(getattr(Registration, key))
            index = len(self.query) - 1
            return lambda row: row[index]
        return lambda row: (row[_CUSTOM] or {}).get(key)

    def _add_step(self, step: Step, event: Event, reveal: Callable[[str], str] | None) -> None:
        question, language = step.question, self.language
        header = step_label(step, event, language)
        read = self._reader(step.key)
        kind = question.type
        if step.sensitive:
            self._add(step.key, header, None, lambda row: _revealed(read(row), reveal))
        elif kind is QuestionType.COUNTRY:
            self._add(step.key, header, None, lambda row: self._country(read(row)))
            self._add(f"{step.key}_code", gettext(N_("{label} (code)")).format(label=header), None, read)
        elif kind in (QuestionType.CHOICE, QuestionType.MULTI):
            names = {option.id: localized(option.label, language) for option in question.options}
            self._add(step.key, header, None, lambda row: _choices(read(row), names))
            if question.other:
                other = gettext(N_("{label}: other")).format(label=header)
                self._add(step.other_key, other, None, self._reader(step.other_key))
        elif kind is QuestionType.YES_NO:
            self._add(step.key, header, None, lambda row: self._yes_no.get(read(row)))
        elif kind in _DATE_KINDS:
            parse = as_date if kind is QuestionType.DATE else as_time
            self._add(step.key, header, _DATE_KINDS[kind], lambda row: parse(read(row)))
        else:
            self._add(step.key, header, None, read)

    def _country(self, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self._countries:
            self._countries[code] = country_name(code, self.language)
        return self._countries[code]


_CUSTOM = len(_FIXED_QUERY) - 1  # the JSON column's place in the row


def _same(value: Any) -> Any:
    return value


def _local_time(zone: tzinfo) -> Callable[[datetime | None], datetime | None]:
    def local(moment: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: the event's local time, as its header says.
        return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None

    return local


def _choices(value: Any, names: dict[str, str]) -> str | None:
    chosen = value.split(",") if isinstance(value, str) else value or []
    return ", ".join(names.get(option, option) for option in chosen if option) or None


def _revealed(value: Any, reveal: Callable[[str], str] | None) -> Any:
    return reveal(value) if value and reveal else None


class ExportService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event
        # One per dispatcher, like the service: the exports of this bot's staff.
        self.under_way = ExportsUnderWay()

    def columns(self, language: str, revealed: bool = False) -> list[tuple[str, str]]:
        """The export's (key, header) columns, in the current locale; the sensitive ones when
        `revealed`."""
        reveal = _same if revealed else None
        return [(column.key, column.header) for column in _Columns(self.event, language, reveal).columns]

    async def _removed_questions(self) -> list[FormQuestion]:
        """The form's own questions that were asked once and left the form since (as remembered
        by RegistrationService.record_form)."""
        async with self._sessions() as session:
            rows = await session.exec(
                select(FormQuestion).where(FormQuestion.event_id == self.event.id).order_by(FormQuestion.key)
            )
            return [
                row
                for row in rows
                if row.key not in self.event.form.answer_keys and row.key not in COLUMN_KEYS
            ]

    async def write(
        self,
        path: Path,
        export_format: ExportFormat,
        language: str,
        reveal_passport: Callable[[str], str] | None = None,
    ) -> int:
        """Write every registration of the event to `path`; the number of rows written.

        Sensitive answers (the passport number) are written only when `reveal_passport` is given
        (it turns the stored value into the clear one).
        """
        columns = _Columns(self.event, language, reveal_passport, await self._removed_questions())
        headers = [column.header for column in columns.columns]
        kinds = [column.kind for column in columns.columns]
        sheet_type = _XlsxSheet if export_format is ExportFormat.XLSX else _CsvSheet
        title = sheet_title(localized(self.event.name, language)) or sheet_title(self.event.id)
        sheet = sheet_type(path, headers, kinds, title)
        cells = [column.cell for column in columns.columns]
        count = 0
        try:
            statement = (
                select(*columns.query)
                .outerjoin(Delegation, col(Delegation.id) == Registration.delegation_id)
                .where(Registration.event_id == self.event.id)
                .order_by(col(Registration.country), col(Registration.full_name), col(Registration.id))
                .execution_options(yield_per=BATCH)
            )
            async with self._sessions() as session:
                result = await session.stream(statement)
                async for batch in result.partitions(BATCH):
                    await sheet.write([[cell(row) for cell in cells] for row in batch])
                    count += len(batch)
            await sheet.close()
        except BaseException:
            sheet.abandon()
            raise
        return count


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
