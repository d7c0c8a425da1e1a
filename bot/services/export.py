"""Registrations as a spreadsheet (XLSX) or CSV, streamed: rows are read from the database in
batches and written as they come (XlsxWriter's constant-memory mode keeps memory flat), in a
worker thread so that the bot keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import csv
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from xlsxwriter import Workbook

from bot.db import SessionFactory
from bot.event import Event, localized
from bot.i18n import N_, country_name, gettext, language_name, supported_languages, zone_name
from models import Delegation, Registration

BATCH = 2000


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


STATUS_NAMES = {
    "registered": N_("registered"),
    "pending": N_("pending"),
    "withdrawn": N_("withdrawn"),
    "erased": N_("erased"),
}
GENDER_NAMES = {
    "woman": N_("Woman"),
    "man": N_("Man"),
    "another": N_("Another gender"),
    "undisclosed": N_("Prefer not to say"),
}

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

# Spreadsheet programs run a cell that starts like a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class _Labels:
    """Everything translated, prepared in the staff member's language before writing starts."""

    headers: list[str]
    statuses: dict[str, str]
    genders: dict[str, str]
    roles: dict[str, str]
    diets: dict[str, str]
    languages: dict[str, str]
    yes: str
    no: str
    language: str


class ExportService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    def _labels(self, language: str, with_passports: bool) -> _Labels:
        zone = zone_name(self.event.tz, language)
        return _Labels(
            headers=[
                gettext(header).format(zone=zone)
                for key, header in COLUMNS
                if with_passports or key != "passport_number"
            ],
            statuses={key: gettext(label) for key, label in STATUS_NAMES.items()},
            genders={key: gettext(label) for key, label in GENDER_NAMES.items()},
            roles={role.id: localized(role.label, language) for role in self.event.roles},
            diets={option.id: localized(option.label, language) for option in self.event.dietary_options},
            languages={code: language_name(code, language) for code in supported_languages()},
            yes=gettext("Yes"),
            no=gettext("No"),
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
        sheet = _XlsxSheet(path) if export_format is ExportFormat.XLSX else _CsvSheet(path)
        to_row = self._row_maker(labels, reveal_passport)
        count = 0
        try:
            await asyncio.to_thread(sheet.write, [labels.headers])
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
                    await asyncio.to_thread(sheet.write, [to_row(row) for row in batch])
                    count += len(batch)
            await asyncio.to_thread(sheet.close)
        except BaseException:
            sheet.abandon()
            raise
        return count

    def _row_maker(
        self, labels: _Labels, reveal_passport: Callable[[str], str] | None
    ) -> Callable[[Any], list[Any]]:
        zone = self.event.tz

        def local(moment: datetime | None) -> datetime | None:
            # Spreadsheets have no time zones: the event's local time, as its header says.
            return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None

        countries: dict[str, str] = {}

        def country(code: str | None) -> str | None:
            if code and code not in countries:
                countries[code] = country_name(code, labels.language)
            return countries.get(code) if code else None

        def yes_no(value: bool) -> str:
            return labels.yes if value else labels.no

        def to_row(row: Any) -> list[Any]:
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
                yes_no(head) if party else None,
                arrival_date,
                arrival_time,
                arrival_flight,
                departure_date,
                departure_time,
                departure_flight,
                yes_no(hotel),
                yes_no(visa),
                country(nationality),
                nationality,
            ]
            if reveal_passport is not None:
                values.append(reveal_passport(passport) if passport else None)
            values += [
                ", ".join(labels.diets.get(option, option) for option in (dietary or "").split(",") if option)
                or None,
                dietary_notes,
                accessibility,
                local(created_at),
                local(checked_in_at),
            ]
            return values

        return to_row


# Characters XML 1.0 cannot hold: dropped from the text (tab, line feed and carriage return stay).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Number formats of the cells holding dates and times (a spreadsheet stores them as numbers).
_DATE_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: "yyyy-mm-dd", time: 21}  # 21: h:mm:ss


class _XlsxSheet:
    """One sheet, rows appended in order; each row goes to a temporary file as it comes."""

    def __init__(self, path: Path):
        self.path = path
        self.folder = tempfile.TemporaryDirectory(prefix="export-")
        self.workbook = Workbook(str(path), {"constant_memory": True, "tmpdir": self.folder.name})
        self.sheet = self.workbook.add_worksheet("Sheet")
        self.formats = {
            kind: self.workbook.add_format({"num_format": number_format})
            for kind, number_format in _DATE_FORMATS.items()
        }
        self.rows = 0

    def write(self, rows: Iterable[list[Any]]) -> None:
        sheet, formats = self.sheet, self.formats
        for row in rows:
            number = self.rows
            for column, value in enumerate(row):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    # Always text, never a formula, even when it starts with "=".
                    sheet.write_string(number, column, _ILLEGAL_CHARACTERS.sub("", value))
                elif kind in formats:
                    sheet.write_datetime(number, column, value, formats[kind])
                else:
                    sheet.write(number, column, value)
            self.rows += 1

    def close(self) -> None:
        try:
            self.workbook.close()
        finally:
            self.folder.cleanup()

    def abandon(self) -> None:
        self.folder.cleanup()


class _CsvSheet:
    def __init__(self, path: Path):
        # UTF-8 with a byte order mark: Excel then reads accents and scripts correctly.
        self.file = path.open("w", newline="", encoding="utf-8-sig")
        self.writer = csv.writer(self.file)

    def write(self, rows: Iterable[list[Any]]) -> None:
        self.writer.writerows([[self._text(value) for value in row] for row in rows])

    @staticmethod
    def _text(value: Any) -> str:
        if value is None:
            return ""
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
        if text.startswith(_FORMULA_START) and not _PHONE.match(text):
            return "'" + text
        return text

    def close(self) -> None:
        self.file.close()

    def abandon(self) -> None:
        self.file.close()


# E.164 phone numbers are checked when typed: "+63…" is shown as it is.
_PHONE = re.compile(r"^\+\d{6,15}$")
