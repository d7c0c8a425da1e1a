"""Staff services without Telegram, on SQLite and PostgreSQL: delegations and gender balance,
check-in, headcount, search and exports."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update
from sqlalchemy import text as sql

from bot.core.answers import Answers
from bot.core.crypto import PassportCipher
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.event import Event, GenderBalancePolicy
from bot.core.i18n import get_i18n
from bot.core.models import Delegation, Registration, RegistrationStatus
from bot.core.models.registration import fold
from bot.core.registration_codes import normalize_code
from bot.delegations.service import Balance, DelegationService, JoinOutcome
from bot.kit.charts import Panel, bar_charts_png, can_draw, panel_texts
from bot.registration.service import RegistrationService
from bot.staff import export_service as export_module
from bot.staff import headcount_service as headcount_module
from bot.staff.checkin_service import CheckinOutcome, CheckinService
from bot.staff.export_service import ExportFormat, ExportService
from bot.staff.find_service import SearchService
from bot.staff.headcount_service import HeadcountService
from tests.support.app import BEFORE_DEADLINE, PASSPORT_KEY, sample_answers

NOW = BEFORE_DEADLINE
STAFF_ID = 900


def answers(**changes) -> Answers:
    return sample_answers(**{"full_name": "Marie Cabreros", "email": "marie@example.org", **changes})


class World:
    """The services of one event on the test database."""

    def __init__(self, engine, event: Event):
        self.sessions = create_session_factory(engine)
        self.event = event
        self.cipher = PassportCipher([PASSPORT_KEY])
        self.registrations = RegistrationService(self.sessions, event, self.cipher)
        self.delegations = DelegationService(self.sessions, event)
        self.checkins = CheckinService(self.sessions, event)
        self.headcounts = HeadcountService(self.sessions, event)
        self.search = SearchService(self.sessions, event)
        self.exports = ExportService(self.sessions, event)
        self._next_user = 5000

    async def register(self, **changes) -> Registration:
        self._next_user += 1
        registration, _created = await self.registrations.register(self._next_user, answers(**changes), NOW)
        return registration

    async def set(self, registration: Registration, **values) -> None:
        async with self.sessions() as session:
            stored = await session.get(Registration, registration.id)
            stored.sqlmodel_update(values)
            session.add(stored)
            await session.commit()


@pytest.fixture
def world(engine, event) -> World:
    return World(engine, event)


@pytest.fixture
def strict_world(engine, event) -> World:
    return World(engine, event.model_copy(update={"gender_balance": GenderBalancePolicy.REQUIRE}))


# --- delegations --------------------------------------------------------------------------------


async def test_invitation_token_fits_a_deep_link(world):
    delegation = await world.delegations.create("Akbayan", "PH", 4, STAFF_ID, NOW)
    payload = f"inv_{delegation.token}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert len(delegation.token) >= 22  # 128 bits
    assert (await world.delegations.by_token(delegation.token)).id == delegation.id
    assert await world.delegations.by_token("guessed-token") is None


async def test_first_member_leads_and_staff_can_designate_another(world):
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    ana = await world.register(full_name="Ana", gender="woman")
    ben = await world.register(full_name="Ben", gender="man")
    first = await world.delegations.join(ana.id, delegation.id)
    second = await world.delegations.join(ben.id, delegation.id)
    assert first.outcome is JoinOutcome.JOINED and second.outcome is JoinOutcome.JOINED
    assert second.roster.head.id == ana.id and second.roster.size == 2
    assert second.roster.balance == Balance(women=1, men=1)
    assert (await world.delegations.designate_head(delegation.id, ben.id)).id == ben.id
    assert (await world.delegations.roster(delegation.id)).head.id == ben.id
    # The designated head withdraws: the earliest active member leads again.
    await world.registrations.withdraw(ben.user_id, NOW)
    roster = await world.delegations.roster(delegation.id)
    assert roster.head.id == ana.id and roster.size == 1
    assert await world.delegations.designate_head(delegation.id, ben.id) is None


async def test_maximum_size_is_kept_even_when_members_join_at_once(world):
    delegation = await world.delegations.create("PDI-P", "ID", 2, STAFF_ID, NOW)
    members = [await world.register(full_name=f"Member {n}") for n in range(5)]
    results = await asyncio.gather(*(world.delegations.join(m.id, delegation.id) for m in members))
    outcomes = sorted(result.outcome for result in results)
    assert outcomes.count(JoinOutcome.JOINED) == 2 and outcomes.count(JoinOutcome.FULL) == 3
    roster = await world.delegations.roster(delegation.id)
    assert roster.size == 2 and roster.full
    refused = [result.registration for result in results if result.outcome is JoinOutcome.FULL]
    assert all(registration.delegation_id is None for registration in refused)


async def test_summaries_give_size_and_balance(world):
    balanced = await world.delegations.create("Akbayan", "PH", 4, STAFF_ID, NOW)
    lopsided = await world.delegations.create("Nepali Congress", "NP", None, STAFF_ID, NOW)
    await world.delegations.create("Empty", "TH", 3, STAFF_ID, NOW)
    for gender in ("woman", "man"):
        await world.delegations.join((await world.register(gender=gender)).id, balanced.id)
    for gender in ("man", "man", "man", "undisclosed"):
        await world.delegations.join((await world.register(gender=gender)).id, lopsided.id)
    summaries = {s.delegation.party: s for s in await world.delegations.summaries()}
    assert summaries["Akbayan"].size == 2 and summaries["Akbayan"].balance.balanced
    assert summaries["Nepali Congress"].size == 4
    assert summaries["Nepali Congress"].balance == Balance(women=0, men=3, others=1)
    assert not summaries["Nepali Congress"].balance.balanced
    assert summaries["Empty"].size == 0


async def test_advise_never_holds_a_registration(world):
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    for _ in range(3):
        result = await world.delegations.join((await world.register(gender="man")).id, delegation.id)
        assert result.outcome is JoinOutcome.JOINED
        assert result.registration.status == RegistrationStatus.REGISTERED


async def test_require_holds_what_unbalances_and_confirms_when_balanced(strict_world):
    world = strict_world
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    men = [await world.register(full_name=f"Man {n}", gender="man") for n in range(3)]
    results = [await world.delegations.join(man.id, delegation.id) for man in men]
    # One man alone is within the tolerance of one; the second and third wait.
    assert [r.outcome for r in results] == [JoinOutcome.JOINED, JoinOutcome.HELD, JoinOutcome.HELD]
    assert results[2].registration.status == RegistrationStatus.PENDING
    assert results[2].registration.held_for_balance
    undisclosed = await world.delegations.join((await world.register(gender="undisclosed")).id, delegation.id)
    assert undisclosed.outcome is JoinOutcome.JOINED and not undisclosed.promoted
    woman = await world.delegations.join((await world.register(gender="woman")).id, delegation.id)
    # 1 woman, 1 man confirmed: one held man fits the tolerance again, the earliest.
    assert woman.outcome is JoinOutcome.JOINED
    assert [m.id for m in woman.promoted] == [men[1].id]
    async with world.sessions() as session:
        statuses = {m.id: (await session.get(Registration, m.id)).status for m in men}
    assert statuses == {
        men[0].id: RegistrationStatus.REGISTERED,
        men[1].id: RegistrationStatus.REGISTERED,
        men[2].id: RegistrationStatus.PENDING,
    }
    second_woman = await world.delegations.join((await world.register(gender="woman")).id, delegation.id)
    assert [m.id for m in second_woman.promoted] == [men[2].id]


async def test_require_welcomes_whoever_narrows_the_gap(strict_world):
    world = strict_world
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    # Confirmed before the policy was strict: three men.
    for _ in range(3):
        man = await world.register(gender="man")
        await world.set(man, delegation_id=delegation.id)
    woman = await world.delegations.join((await world.register(gender="woman")).id, delegation.id)
    assert woman.outcome is JoinOutcome.JOINED  # 1 woman, 3 men: still unbalanced, but better


# --- check-in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [("ABC-DEF", "ABC-DEF"), ("abcdef", "ABC-DEF"), (" abc def ", "ABC-DEF"), ("abc–def", "ABC-DEF")],
)
def test_codes_are_read_tolerantly(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize("typed", ["", "abc", "abcdefg", "<b>"])
def test_what_cannot_be_a_code(typed):
    assert normalize_code(typed) is None


async def test_check_in_once_even_when_scanned_twice_at_once(world):
    registration = await world.register()
    results = await asyncio.gather(
        world.checkins.check_in(registration.id, 900, NOW),
        world.checkins.check_in(registration.id, 901, NOW + timedelta(seconds=1)),
    )
    assert sorted(r.outcome for r in results) == [CheckinOutcome.ALREADY, CheckinOutcome.CHECKED_IN]
    first = next(r for r in results if r.outcome is CheckinOutcome.CHECKED_IN)
    again = await world.checkins.check_in(registration.id, 902, NOW + timedelta(hours=1))
    assert again.outcome is CheckinOutcome.ALREADY
    assert again.registration.checked_in_by == first.registration.checked_in_by
    assert again.registration.checked_in_at == first.registration.checked_in_at


async def test_withdrawn_registrations_are_not_checked_in(world):
    registration = await world.register()
    await world.registrations.withdraw(registration.user_id, NOW)
    result = await world.checkins.check_in(registration.id, 900, NOW)
    assert result.outcome is CheckinOutcome.INACTIVE and result.registration.checked_in_at is None


async def test_find_by_token_and_code(world):
    registration = await world.register()
    assert (await world.checkins.by_token(registration.checkin_token)).id == registration.id
    assert (await world.checkins.by_code(registration.code.lower().replace("-", ""))).id == registration.id
    assert await world.checkins.by_token("nope") is None
    assert await world.checkins.by_code("ZZZ-ZZZ") is None


# --- headcount ----------------------------------------------------------------------------------


async def test_headcount_breakdowns_and_logistics(world, engine, monkeypatch):
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    ana = await world.register(
        gender="woman",
        language="fr",
        hotel_needed=True,
        arrival_date=date(2024, 7, 29),
        arrival_time=time(14, 35),
        departure_date=date(2024, 8, 1),
        departure_time=time(9, 5),
        dietary="halal,vegetarian",
    )
    await world.delegations.join(ana.id, delegation.id)
    ben = await world.register(
        gender="man",
        role="observer",
        **_visa_letter(world),
        hotel_needed=True,
        arrival_date=date(2024, 7, 29),
        arrival_time=time(14, 50),
        dietary="halal",
        dietary_notes="no nuts",
        accessibility="wheelchair",
    )
    await world.delegations.join(ben.id, delegation.id)
    # Hotel without dates yet: the day before to the day after the event (29 Jul - 1 Aug).
    await world.register(gender="undisclosed", country="ID", hotel_needed=True, arrival_date=None)
    gone = await world.register(gender="man", country="NP", hotel_needed=True, visa_needed=True)
    await world.registrations.withdraw(gone.user_id, NOW)
    await world.checkins.check_in(ana.id, STAFF_ID, NOW)

    h = await world.headcounts.count()
    assert h.statuses == {"registered": 3, "withdrawn": 1} and h.active == 3 and h.checked_in == 1
    assert dict(h.genders) == {"woman": 1, "man": 1, "undisclosed": 1}
    assert h.countries == [("ID", 2), ("PH", 1)]
    assert h.delegations == [("Akbayan", "PH", 2), (None, None, 1)]
    assert dict(h.roles) == {"delegate": 2, "observer": 1} and dict(h.languages) == {"en": 2, "fr": 1}
    assert h.hotel_guests == 3 and h.hotel_dates_unknown == 2
    assert h.hotel_nights == [(date(2024, 7, 29), 3), (date(2024, 7, 30), 3), (date(2024, 7, 31), 3)]
    assert h.pickups == [(date(2024, 7, 29), 14, 2)]
    assert h.dropoffs == [(date(2024, 8, 1), 9, 1)]
    assert h.visa_letters == 1 and h.accessibility == 1 and h.dietary_notes == 1
    assert dict(h.dietary) == {"halal": 2, "vegetarian": 1}
    if _is_postgresql(engine):  # both of its statements
        assert await _headcount_from(world, monkeypatch, one_scan=True) == h
        assert await _headcount_from(world, monkeypatch, one_scan=False) == h


async def test_hotel_nights_from_the_hotels_own_dates(world, engine, monkeypatch):
    """Without travel dates (no airport transfer), the nights are the check-in's to the check-out's."""
    await world.register(
        hotel_needed=True,
        arrival_date=None,
        departure_date=None,
        hotel_check_in=date(2024, 7, 30),
        hotel_check_out=date(2024, 8, 1),
    )
    await world.register(hotel_needed=True, arrival_date=date(2024, 7, 29), departure_date=date(2024, 7, 31))
    h = await world.headcounts.count()
    assert h.hotel_guests == 2 and h.hotel_dates_unknown == 0
    assert h.hotel_nights == [(date(2024, 7, 29), 1), (date(2024, 7, 30), 2), (date(2024, 7, 31), 1)]
    if _is_postgresql(engine):
        assert await _headcount_from(world, monkeypatch, one_scan=True) == h


async def test_headcount_of_an_empty_event(world, engine, monkeypatch):
    for one_scan in (False, True) if _is_postgresql(engine) else (False,):
        h = await _headcount_from(world, monkeypatch, one_scan)
        assert h.active == 0 and h.statuses == {} and h.hotel_nights == [] and h.pickups == []


def _is_postgresql(engine) -> bool:
    return engine.dialect.name == "postgresql"


async def _headcount_from(world: World, monkeypatch, one_scan: bool):
    """The headcount as read by one of the service's two statements (PostgreSQL has both)."""

    async def chosen(_session) -> bool:
        return one_scan

    with monkeypatch.context() as patch:
        patch.setattr(headcount_module, "reads_in_one_scan", chosen)
        return await world.headcounts.count()


async def _bulk_registrations(engine, event: Event, count: int) -> None:
    """`count` varied registrations (the staff bench's), some erased, checked in, in delegations or
    with flights but no times."""
    from bench.staff_queries import fake_registrations

    async with engine.begin() as connection:
        for batch in fake_registrations(event, count, seed=3):
            await connection.execute(insert(Registration), batch)
        parties = []
        for n, country in enumerate(("PH", "ID", "NP")):
            parties.append(
                (
                    await connection.execute(
                        insert(Delegation)
                        .values(
                            event_id=event.id,
                            party=f"Party {n}",
                            country=country,
                            token=f"headcount-{n}",
                            created_by=STAFF_ID,
                            created_at=NOW,
                        )
                        .returning(Delegation.id)
                    )
                ).scalar_one()
            )
        ids = (await connection.execute(select(Registration.id).order_by(Registration.id))).scalars().all()
        for n, party in enumerate(parties):
            chosen = ids[n::7]
            await connection.execute(
                update(Registration).where(Registration.id.in_(chosen)).values(delegation_id=party)
            )
        await connection.execute(
            update(Registration)
            .where(Registration.id.in_(ids[::11]))
            .values(status=RegistrationStatus.ERASED)
        )
        await connection.execute(
            update(Registration).where(Registration.id.in_(ids[::5])).values(checked_in_at=NOW)
        )
        await connection.execute(  # flights without a time yet
            update(Registration)
            .where(Registration.id.in_(ids[::13]))
            .values(arrival_time=None, departure_time=None)
        )


async def test_headcount_reads_the_same_in_one_scan_as_from_the_indexes(world, engine, event, monkeypatch):
    """PostgreSQL counts in one scan (GROUPING SETS) while its table is not marked all-visible,
    else, like SQLite, from a UNION ALL of index scans: the same headcount either way."""
    await _bulk_registrations(engine, event, 600)
    from_indexes = await _headcount_from(world, monkeypatch, one_scan=False)
    assert set(from_indexes.statuses) == {"registered", "pending", "withdrawn", "erased"}
    assert from_indexes.checked_in and from_indexes.hotel_guests and from_indexes.visa_letters
    assert from_indexes.dietary_notes and from_indexes.dietary and from_indexes.hotel_dates_unknown
    assert {party for party, _country, _members in from_indexes.delegations} == {
        "Party 0",
        "Party 1",
        "Party 2",
        None,
    }
    assert any(hour == -1 for _day, hour, _people in from_indexes.pickups + from_indexes.dropoffs)
    assert sum(people for _day, _hour, people in from_indexes.pickups) < from_indexes.active
    if _is_postgresql(engine):
        assert await _headcount_from(world, monkeypatch, one_scan=True) == from_indexes
    assert await world.headcounts.count() == from_indexes


async def test_headcount_in_one_scan_until_vacuum_marks_the_table_visible(world, engine, event, monkeypatch):
    if not _is_postgresql(engine):
        pytest.skip("SQLite has no GROUPING SETS (and no visibility map)")
    await _bulk_registrations(engine, event, 300)
    used = []
    one_scan = HeadcountService._grouping_sets_statement
    from_indexes = HeadcountService._statement
    monkeypatch.setattr(
        HeadcountService, "_grouping_sets_statement", lambda s: used.append("one scan") or one_scan(s)
    )
    monkeypatch.setattr(HeadcountService, "_statement", lambda s: used.append("indexes") or from_indexes(s))
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as connection:
        await connection.exec_driver_sql("ANALYZE registration")  # as after a bulk load: no page all-visible
    fresh = await world.headcounts.count()
    async with autocommit.connect() as connection:
        await connection.exec_driver_sql("VACUUM ANALYZE registration")
    assert await world.headcounts.count() == fresh
    assert used == ["one scan", "indexes"]


# --- search -------------------------------------------------------------------------------------


def test_fold_ignores_case_accents_and_spaces():
    assert fold("  JOSÉ   Núñez ") == "jose nunez"


async def test_find_by_name_code_or_email_ignoring_accents(world):
    jose = await world.register(full_name="José Núñez", email="jose@example.org")
    await world.register(full_name="Josefina Reyes", email="fina@example.org")
    await world.register(full_name="Ana Reyes", email="ana@partido.es")
    assert [f.id for f in (await world.search.find("jose nunez")).found] == [jose.id]
    assert [f.full_name for f in (await world.search.find("JOSE")).found] == ["José Núñez", "Josefina Reyes"]
    assert (await world.search.find("reyes")).total == 2
    assert [f.id for f in (await world.search.find(jose.code.lower().replace("-", ""))).found] == [jose.id]
    assert [f.full_name for f in (await world.search.find("partido.es")).found] == ["Ana Reyes"]
    assert (await world.search.find("nobody")).found == []
    assert (await world.search.find("   ")).total == 0


async def test_find_ranks_code_then_name_then_email_and_counts_every_match(world):
    prefix = await world.register(full_name="Reyes Bautista", email="rb@example.org")
    contains = await world.register(full_name="Ana Reyes", email="ana@example.org")
    exact = await world.register(full_name="REYES", email="x@example.org")
    by_email = await world.register(full_name="Someone Else", email="reyes@partido.org")
    await world.register(full_name="Ana Cruz", email="ana.cruz@example.org")
    result = await world.search.find("reyes", limit=3)
    assert [f.id for f in result.found] == [exact.id, prefix.id, contains.id] and result.total == 4
    assert [f.id for f in (await world.search.find("reyes")).found][-1] == by_email.id
    # The code comes first, whatever else matches.
    coded = await world.search.find(by_email.code)
    assert coded.found[0].id == by_email.id
    # Every word must be in the name; the words of an email search are not split.
    assert (await world.search.find("ana reyes")).total == 1
    assert (await world.search.find("bautista ana")).total == 0


async def test_find_reads_percent_and_underscore_as_themselves(world):
    underscore = await world.register(full_name="Ana_Maria Cruz", email="am@example.org")
    await world.register(full_name="Ana Maria Cruz", email="am2@example.org")
    await world.register(full_name="Ben Tan", email="ben@example.org")
    assert [f.id for f in (await world.search.find("a_m")).found] == [underscore.id]
    assert (await world.search.find("%")).total == 0


async def test_search_columns_follow_every_change_of_name_and_email(world):
    jose = await world.register(full_name="José Núñez", email="Jose@Example.org")
    assert (jose.search_name, jose.search_email) == ("jose nunez", "jose@example.org")
    await world.registrations.update(jose.id, answers(full_name="Åsa Öberg", email="asa@partido.se"), NOW)
    assert (await world.search.find("jose")).total == 0
    assert [f.full_name for f in (await world.search.find("asa oberg")).found] == ["Åsa Öberg"]
    assert [f.id for f in (await world.search.find("partido.se")).found] == [jose.id]
    # Any ORM write keeps them (here a staff correction of the name only).
    await world.set(jose, full_name="Asa  Oberg-Lind")
    async with world.sessions() as session:
        stored = await session.get(Registration, jose.id)
    assert (stored.search_name, stored.search_email) == ("asa oberg-lind", "asa@partido.se")
    assert [f.id for f in (await world.search.find("lind")).found] == [jose.id]
    # Withdrawn registrations are still found; a repeat registration refills the columns.
    await world.registrations.withdraw(jose.user_id, NOW)
    again, _created = await world.registrations.register(jose.user_id, answers(full_name="Zoë Lee"), NOW)
    assert again.id == jose.id and again.search_name == "zoe lee"
    assert [f.id for f in (await world.search.find("zoe")).found] == [jose.id]


async def test_migration_0008_fills_the_search_columns_of_existing_rows(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade_schema(engine, "0007")
    people = [("José  NÚÑEZ", "Jose@Example.org"), ("Ana_Reyes", "ana@partido.es"), ("", "")]
    async with engine.begin() as connection:
        for number, (name, email) in enumerate(people):
            await connection.execute(
                sql(
                    "INSERT INTO registration (event_id, user_id, code, checkin_token, status, language, "
                    "consent_version, consent_at, full_name, gender, country, organisation, position, "
                    "role, email, phone, hotel_needed, visa_needed, delegation_head, held_for_balance, "
                    "created_at, updated_at) VALUES ('manila-2024', :user, :code, :token, 'registered', "
                    "'en', 'v1', '2024-04-20 02:00:00', :name, 'woman', 'PH', 'Akbayan', 'Secretary', "
                    "'delegate', :email, '+63917', 0, 0, 0, 0, '2024-04-20 02:00:00', "
                    "'2024-04-20 02:00:00')"
                ),
                {
                    "user": number,
                    "code": f"AAA-AA{number}",
                    "token": f"t{number}",
                    "name": name,
                    "email": email,
                },
            )
    await upgrade_schema(engine)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(sql("SELECT search_name, search_email FROM registration ORDER BY id"))
        ).all()
    assert [tuple(row) for row in rows] == [
        ("jose nunez", "jose@example.org"),
        ("ana_reyes", "ana@partido.es"),
        (None, None),
    ]
    await engine.dispose()


# --- exports ------------------------------------------------------------------------------------


def _visa_letter(world: World) -> dict:
    """From abroad (Indonesia), with a visa letter: the form does not ask it of the host
    country's nationals."""
    return {
        "country": "ID",
        "visa_needed": True,
        "nationality": "ID",
        "passport_number": world.cipher.encrypt("P1234567"),
    }


async def _people(world: World) -> None:
    delegation = await world.delegations.create("Akbayan", "PH", None, STAFF_ID, NOW)
    ana = await world.register(
        full_name="Ana Reyes",
        arrival_date=date(2024, 7, 29),
        arrival_time=time(14, 35),
        dietary="halal",
    )
    await world.delegations.join(ana.id, delegation.id)
    await world.register(full_name="=HYPERLINK(x)", email="=cmd@example.org", **_visa_letter(world))
    await world.checkins.check_in(ana.id, STAFF_ID, NOW)


async def test_xlsx_export_in_the_staff_language(world, tmp_path):
    await _people(world)
    await world.register(full_name="Bell\x0b Ringer", email="bell@example.org")  # no XML for \x0b
    path = tmp_path / "out.xlsx"
    with get_i18n().use_locale("fr"):
        rows = await world.exports.write(path, ExportFormat.XLSX, "fr")
        columns = world.exports.columns("fr")
        expected = [header for _key, header in columns]
    assert rows == 3
    sheet = load_workbook(path).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0] == expected and "Nom complet" in expected and "Pays" in expected
    keys = [key for key, _header in columns]
    by_name = {row[keys.index("full_name")]: dict(zip(keys, row, strict=True)) for row in table[1:]}
    ana = by_name["Ana Reyes"]
    assert (ana["country"], ana["country_code"], ana["gender"]) == ("Philippines", "PH", "Femme")
    assert ana["delegation"] == "Akbayan" and ana["hotel_needed"] == "Non" and ana["dietary"] == "Halal"
    assert ana["arrival_date"].date() == date(2024, 7, 29) and ana["arrival_time"] == time(14, 35)
    # Spreadsheets have no time zones: the event's local time (UTC+8).
    assert ana["checked_in_at"] == NOW.astimezone(world.event.tz).replace(tzinfo=None)
    # Dates and times are numbers shown in date formats, as before (openpyxl wrote the first exports).
    row = 2 + [r[keys.index("full_name")] for r in table[1:]].index("Ana Reyes")
    formats = {key: sheet.cell(row=row, column=keys.index(key) + 1).number_format for key in keys}
    assert formats["arrival_date"] == "yyyy-mm-dd" and formats["arrival_time"] == "h:mm:ss"
    assert formats["checked_in_at"] == "yyyy-mm-dd h:mm:ss" and formats["full_name"] == "General"
    assert by_name["Bell Ringer"]["email"] == "bell@example.org"
    formula = by_name["=HYPERLINK(x)"]
    assert formula["country"] == "Indonésie" and formula["delegation"] is None
    # Kept as text, never run as a formula.
    row = 2 + [r[keys.index("full_name")] for r in table[1:]].index("=HYPERLINK(x)")
    assert sheet.cell(row=row, column=keys.index("full_name") + 1).data_type == "s"


async def test_xlsx_export_of_no_one_has_its_headers(world, tmp_path):
    path = tmp_path / "empty.xlsx"
    with get_i18n().use_locale("en"):
        assert await world.exports.write(path, ExportFormat.XLSX, "en") == 0
        expected = [header for _key, header in world.exports.columns("en")]
    table = [[cell.value for cell in row] for row in load_workbook(path).active.iter_rows()]
    assert table == [expected] and "Registered at (Manila)" in expected


def test_xlsx_headers_stay_distinct_whatever_the_translation():
    """The headers are the writer's record keys: two alike would merge two columns into one."""
    assert export_module._distinct(["Pays", "Code", "Pays", "Pays"]) == [
        "Pays",
        "Code",
        "Pays (2)",
        "Pays (3)",
    ]


async def test_xlsx_export_abandoned_midway_stops_its_writer(world, tmp_path, monkeypatch):
    """A failure while the rows are read (the database gone) ends the export with that error,
    and the writer thread stops instead of waiting for rows forever."""
    for number in range(5):
        await world.register(full_name=f"Delegate {number}")
    monkeypatch.setattr(export_module, "BATCH", 2)
    sheets = []
    original = export_module._XlsxSheet

    class FailingSheet(original):
        def __init__(self, *args):
            super().__init__(*args)
            sheets.append(self)
            self.batches = 0

        async def write(self, rows):
            self.batches += 1
            if self.batches == 2:
                raise ConnectionResetError("database gone")
            await super().write(rows)

    monkeypatch.setattr(export_module, "_XlsxSheet", FailingSheet)
    with get_i18n().use_locale("en"), pytest.raises(ConnectionResetError):
        await world.exports.write(tmp_path / "broken.xlsx", ExportFormat.XLSX, "en")
    writer = sheets[0]._writer
    await asyncio.wait_for(asyncio.wait([writer]), timeout=5)
    assert isinstance(writer.exception(), export_module._Abandoned)


async def test_passport_numbers_only_when_revealed(world, tmp_path):
    await _people(world)
    path = tmp_path / "out.csv"
    with get_i18n().use_locale("en"):
        await world.exports.write(path, ExportFormat.CSV, "en", reveal_passport=world.cipher.decrypt)
    with path.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    header = table[0]
    assert "Passport number" in header
    row = next(r for r in table if r[header.index("Full name")] == "Ana Reyes")
    other = next(r for r in table if r is not header and r[header.index("Full name")] != "Ana Reyes")
    assert other[header.index("Passport number")] == "P1234567" and row[header.index("Passport number")] == ""
    # OWASP: a cell that starts like a formula is written as text.
    assert other[header.index("Full name")] == "'=HYPERLINK(x)"
    assert other[header.index("Email")] == "'=cmd@example.org"
    assert row[header.index("Phone")] == '="+639171234567"'
    without = tmp_path / "plain.csv"
    with get_i18n().use_locale("en"):
        await world.exports.write(without, ExportFormat.CSV, "en")
    assert "P1234567" not in without.read_text(encoding="utf-8-sig")
    assert "Passport number" not in without.read_text(encoding="utf-8-sig")


# --- chart ----------------------------------------------------------------------------------------


def test_chart_is_a_png_and_falls_back_where_the_font_cannot_draw():
    panels = [Panel("Gender", [("Woman", 3), ("Man", 2)]), Panel("Empty", [])]
    assert bar_charts_png("Headcount", panels).startswith(b"\x89PNG")
    assert can_draw(
        panel_texts("Effectifs", [Panel("Pays", [("Pérou", 1), ("Việt Nam", 2), ("Монголия", 1)])])
    )
    for text in ("ประเทศไทย", "नेपाल", "日本", "پاکستان"):
        assert not can_draw([text])


def test_languages_in_the_chart_are_named_in_the_reader_language(event: Event):
    """Delegates' languages are named in the staff member's language, so that an English chart
    has no glyph its font lacks (a native name such as 日本語 would be drawn as empty boxes)."""
    from bot.staff.headcount_service import Headcount
    from bot.staff.views import headcount_panels

    counts = Headcount(languages=[("ja", 3), ("km", 2), ("hi", 1), ("fr", 1)])
    with get_i18n().use_locale("en"):
        panels = headcount_panels(counts, event, "en")
    languages = next(panel for panel in panels if panel.title == "Languages")
    assert [label for label, _count in languages.bars] == ["Japanese", "Khmer", "Hindi", "French"]
    assert can_draw(panel_texts("Headcount", panels))
    with get_i18n().use_locale("fr"):
        panels = headcount_panels(counts, event, "fr")
    assert ("Japonais", 3) in next(panel for panel in panels if panel.title == "Langues").bars
