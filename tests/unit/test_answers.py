"""Parsing what delegates type: clean values out, a clear reason for anything else."""

from datetime import date, time

import pytest

from bot.core import input_checks as parse
from bot.core.input_checks import InvalidAnswer


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Maria   Clara  Santos ", "Maria Clara Santos"),
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("O'Brien-Smith\u200b", "O'Brien-Smith"),
    ],
)
def test_names_are_cleaned(typed, expected):
    assert parse.parse_name(typed) == expected


@pytest.mark.parametrize(
    "typed", ["A", "12345", "Agent 007", "x" * 121, "/start", "😀😀", "<b>Ana</b> Reyes", "Marie & Claire"]
)
def test_names_rejected(typed):
    with pytest.raises(InvalidAnswer):
        parse.parse_name(typed)


def test_email_normalised_and_checked():
    assert parse.parse_email(" Ana@Example.ORG ") == "Ana@example.org"
    for bad in ("ana@", "ana example.org", "ana@@x.org", ""):
        with pytest.raises(InvalidAnswer):
            parse.parse_email(bad)


def test_phone_to_e164_with_country_default():
    assert parse.parse_phone("0917 123 4567", "PH") == "+639171234567"
    assert parse.parse_phone("+62 812-3456-7890", "PH") == "+6281234567890"
    for bad in ("12", "call me", "+00 123"):
        with pytest.raises(InvalidAnswer):
            parse.parse_phone(bad, "PH")


def test_dates_day_first_or_iso_within_window():
    window = (date(2024, 7, 1), date(2024, 8, 30))
    assert parse.parse_date("29/07", *window) == date(2024, 7, 29)
    assert parse.parse_date("29.07.2024", *window) == date(2024, 7, 29)
    assert parse.parse_date("2024-07-29", *window) == date(2024, 7, 29)
    for bad in ("31/02", "tomorrow", "29/07/2023", "2024-13-01"):
        with pytest.raises(InvalidAnswer):
            parse.parse_date(bad, *window)


def test_times():
    assert parse.parse_time("14:35") == time(14, 35)
    assert parse.parse_time("9h05") == time(9, 5)
    assert parse.parse_time("2:30 pm") == time(14, 30)
    assert parse.parse_time("12 am") == time(0, 0)
    for bad in ("25:00", "14", "noon", "14:75"):
        with pytest.raises(InvalidAnswer):
            parse.parse_time(bad)


def test_flights_and_passports():
    assert parse.parse_flight("pr431") == "PR 431"
    assert parse.parse_flight("5J 810") == "5J 810"
    for bad in ("431", "flight", "PR"):
        with pytest.raises(InvalidAnswer):
            parse.parse_flight(bad)
    assert parse.parse_passport("p 1234-567a") == "P1234567A"
    with pytest.raises(InvalidAnswer):
        parse.parse_passport("12")


def test_error_carries_values_for_the_message():
    with pytest.raises(InvalidAnswer) as caught:
        parse.parse_name("y" * 500)
    assert caught.value.values == {"limit": parse.NAME_MAX}


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("ana@gmial.com", "ana@gmail.com"),
        ("ana@gmai.com", "ana@gmail.com"),
        ("ana@yahooo.com", "ana@yahoo.com"),
        ("ana@hotmail.con", "ana@hotmail.com"),
        ("ana@outlok.com", "ana@outlook.com"),
        ("ana@gmail.com", None),
        ("ana@akbayan.org", None),  # a party's own domain
        ("ana@ymail.com", None),  # real providers near a common one
        ("ana@me.com", None),
        ("ana@yahoo.fr", None),
    ],
)
def test_likely_email_typos_are_named(typed, suggestion):
    assert parse.likely_email_typo(typed) == suggestion
