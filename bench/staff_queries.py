"""Staff queries at scale: /headcount, /find and the XLSX export over 100,000 registrations.

The registrations are bulk-inserted with SQLAlchemy Core into a fresh SQLite file and a throwaway
PostgreSQL database, migrated like the bot's. Each figure is measured through the bot's own
services, next to a plain baseline in the same run:

- headcount (HeadcountService.count, one UNION ALL of grouped queries read from covering
  indexes) / a bare `SELECT count(*)`; on PostgreSQL also after a VACUUM, as autovacuum leaves the
  table soon after such a load (the visibility map lets index-only scans skip the table; right
  after the bulk insert they cannot, and the headcount reads the table once, grouped by GROUPING
  SETS: the note says which statement was used);
- /headcount's whole work (the counts, the texts and the chart PNG) / the same bare count;
- /find (SearchService.find, a LIKE on the folded search columns) / a bare SQL `LIKE` on the names;
- XLSX export (ExportService.write), time and peak resident memory of a process doing only
  that / a plain csv.writer of the same registrations in a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import Table, database, process_stats
from bot.core.db import create_engine, create_session_factory, upgrade_schema
from bot.core.event import Event, load_event
from bot.core.i18n import supported_languages
from bot.core.models import Registration
from bot.core.models.registration import search_values
from bot.core.registration_codes import CODE_ALPHABET
from bot.core.settings import Settings

TARGET_HEADCOUNT_MS = 100
TARGET_EXPORT_S = 15
TARGET_EXPORT_MB = 300
REPEATS = 5
BATCH = 5000

FIRST_NAMES = (
    "Ana Maria Jose Luis Siti Nur Aung Thida Kim Min Ji Priya Rahul Aisha Omar Mei Ling Hiroshi Yuki "
    "Sokha Dara Bat Erdene Tran Thi Nguyen Van Maya Arjun Fatima Ahmed Lina Pedro Juan Carmen Elena "
    "Chen Wei Jun Sari Budi Dewi Rizal Nadia Imran Ayesha Bilal Sung Hye"
).split()
LAST_NAMES = (
    "Reyes Santos Cruz Bautista Ocampo Garcia Tan Lim Wong Nguyen Tran Le Pham Kim Lee Park Choi "
    "Sharma Singh Patel Khan Ahmed Rahman Hossain Aung Win Tun Sok Chea Bat Dorj Suzuki Sato Tanaka "
    "Wijaya Santoso Hidayat Abdullah Ibrahim Ismail Perera Silva Fernando Dela Cruz Mendoza Rivera"
).split()
COUNTRIES = (
    "PH ID MY TH VN KH LA MM SG BN TL KR JP CN TW MN IN PK BD NP LK AU NZ FJ PG DE SE FR GB US BR ZA"
).split()


CUSTOM_OPTIONS = ("economy", "climate", "democracy", "labour")


def with_custom_question(event: Event) -> Event:
    """The event with a choice question of the form's own at the end: its answers are counted
    from the JSON column, not from a covering index."""
    question = {
        "id": "session_choice",
        "type": "choice",
        "text": {"en": "Which parallel session?"},
        "options": [{"id": option, "label": {"en": option.title()}} for option in CUSTOM_OPTIONS],
    }
    raw = event.model_dump(mode="json", by_alias=True)
    raw["form"] = [*raw["form"]["questions"], question]
    return Event.model_validate(raw)


def fake_registrations(event: Event, count: int, seed: int = 8):
    """Batches of plausible registrations (every required column, most optional ones)."""
    rng = random.Random(seed)
    roles = [role.id for role in event.roles]
    diets = [option.id for option in event.dietary_options]
    languages = list(supported_languages())
    now = datetime(2024, 4, 20, tzinfo=UTC)
    batch = []
    for n in range(count):
        digits = "".join(CODE_ALPHABET[(n // 25**k) % 25] for k in range(6))
        arrival = event.starts_on - timedelta(days=rng.randint(0, 3)) if rng.random() < 0.8 else None
        departure = event.ends_on + timedelta(days=rng.randint(0, 3)) if rng.random() < 0.8 else None
        visa = rng.random() < 0.3
        full_name, email = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", f"delegate{n}@example.org"
        batch.append(
            {
                "event_id": event.id,
                "user_id": 1_000_000 + n,
                "code": f"{digits[:3]}-{digits[3:]}",
                "checkin_token": f"bench{n:020d}",
                "status": rng.choices(["registered", "pending", "withdrawn"], [90, 5, 5])[0],
                "language": rng.choice(languages),
                "consent_version": event.privacy.version,
                "consent_at": now,
                "full_name": full_name,
                "gender": rng.choice(["woman", "man", "another", "undisclosed"]),
                "country": rng.choice(COUNTRIES),
                "organisation": f"Party {rng.randint(1, 400)}",
                "position": "International Secretary",
                "role": rng.choice(roles),
                "email": email,
                "phone": f"+63917{n:07d}",
                "arrival_date": arrival,
                "arrival_time": day_time(rng.randint(0, 23), rng.choice([0, 15, 30, 45]))
                if arrival
                else None,
                "arrival_flight": f"PR {rng.randint(100, 999)}" if arrival else None,
                "departure_date": departure,
                "departure_time": day_time(rng.randint(0, 23), 5) if departure else None,
                "departure_flight": None,
                "hotel_needed": rng.random() < 0.6,
                "visa_needed": visa,
                "nationality": rng.choice(COUNTRIES) if visa else None,
                "dietary": ",".join(rng.sample(diets, rng.randint(0, 2))) or None if diets else None,
                "dietary_notes": "No peanuts" if rng.random() < 0.05 else None,
                "accessibility": "Wheelchair" if rng.random() < 0.02 else None,
                # The answer to a question of the form's own (`with_custom_question`).
                "custom_answers": {"session_choice": rng.choice(CUSTOM_OPTIONS)},
                "created_at": now,
                "updated_at": now,
                # What the bot's mapper events store on an ORM insert (Core inserts skip them).
                **search_values(full_name, email),
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def fill(url: str, event: Event, count: int) -> float:
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        started = time.monotonic()
        async with engine.begin() as connection:
            for batch in fake_registrations(event, count):
                await connection.execute(insert(Registration), batch)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execute(select(func.count()).select_from(Registration))
            # Fresh statistics, as autovacuum would have after such a load.
            async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
                await connection.exec_driver_sql("ANALYZE registration")
        else:
            async with engine.begin() as connection:
                await connection.exec_driver_sql("ANALYZE")
        return time.monotonic() - started
    finally:
        await engine.dispose()


async def timed(call, repeats: int = REPEATS) -> tuple[float, float]:
    """(first, median of the next `repeats`) wall times in milliseconds."""
    started = time.perf_counter()
    await call()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times)


async def count_registrations(engine, event: Event) -> None:
    """The baseline of the headcount: a bare count of the event's registrations."""
    async with engine.connect() as connection:
        await connection.execute(
            select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
        )


async def measure_queries(url: str, event: Event) -> dict[str, tuple[float, float]]:
    from bot.kit.charts import bar_charts_png
    from bot.staff.find_service import SearchService
    from bot.staff.headcount_service import HeadcountService
    from bot.staff.views import headcount_panels, headcount_sections, pack

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    headcounts, search = HeadcountService(sessions, event), SearchService(sessions, event)
    with_custom = HeadcountService(sessions, with_custom_question(event))

    async def whole_headcount():
        counts = await headcounts.count()
        now = datetime(2024, 4, 20, tzinfo=UTC)
        pack(headcount_sections(counts, event, "en", now))
        await asyncio.to_thread(bar_charts_png, "Headcount", headcount_panels(counts, event, "en"))

    async def bare_like():
        async with engine.connect() as connection:
            await connection.execute(
                select(Registration.id, Registration.full_name)
                .where(Registration.event_id == event.id, func.lower(Registration.full_name).like("%reyes%"))
                .limit(10)
            )

    try:
        return {
            "headcount": await timed(headcounts.count),
            "headcount with a custom choice": await timed(with_custom.count),
            "count": await timed(lambda: count_registrations(engine, event)),
            "whole headcount": await timed(whole_headcount, 2),
            "find": await timed(lambda: search.find("reyes")),
            "find code": await timed(lambda: search.find("334-333")),
            "like": await timed(bare_like),
        }
    finally:
        await engine.dispose()


async def measure_vacuumed_headcount(url: str, event: Event) -> dict[str, tuple[float, float]]:
    """PostgreSQL: the headcount again once VACUUM has set the visibility map."""
    from bot.staff.headcount_service import HeadcountService

    engine = create_engine(url)
    try:
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            await connection.exec_driver_sql("VACUUM ANALYZE registration")
        headcounts = HeadcountService(create_session_factory(engine), event)

        return {
            "headcount": await timed(headcounts.count),
            "count": await timed(lambda: count_registrations(engine, event)),
        }
    finally:
        await engine.dispose()


def run_child(kind: str, url: str, path: Path) -> dict[str, float]:
    """Run one export in a process of its own: its peak memory is the export's alone."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.staff_queries", "--child", kind, "--url", url, "--out", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"export child {kind} failed:\n{output.stderr[-3000:]}")
    return {**json.loads(output.stdout.strip().splitlines()[-1]), "file_mb": path.stat().st_size / 2**20}


async def child(kind: str, url: str, path: Path) -> None:
    from bot.staff.export_service import ExportFormat, ExportService

    event = load_event(Settings(_env_file=None).event_file)  # type: ignore[call-arg]
    engine = create_engine(url)
    async with engine.connect() as connection:  # driver loaded and connected before measuring
        await connection.execute(select(func.count()).select_from(Registration))
    rss_before = process_stats(os.getpid()).rss_mb
    started = time.monotonic()
    if kind == "csv-baseline":
        rows = await _plain_csv(engine, event, path)
    else:
        export = ExportService(create_session_factory(engine), event)
        rows = await export.write(path, ExportFormat(kind), "en")
    seconds = time.monotonic() - started
    await engine.dispose()
    peak_mb = _peak_rss_mb()
    result = {"seconds": seconds, "peak_mb": peak_mb, "growth_mb": peak_mb - rss_before, "rows": rows}
    print(json.dumps(result))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike getrusage's maximum, not inherited
    from the parent that started it)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


async def _plain_csv(engine, event: Event, path: Path) -> int:
    """The baseline: every column of the event's registrations, as the database gives them."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as file:  # noqa: ASYNC230 (the baseline is naive on purpose)
        writer = csv.writer(file)
        async with engine.connect() as connection:
            result = await connection.stream(
                select(Registration.__table__)
                .where(Registration.event_id == event.id)
                .execution_options(yield_per=2000)
            )
            async for batch in result.partitions():
                writer.writerows(batch)
                rows += len(batch)
    return rows


async def headcount_statement(url: str) -> str:
    """Which statement the headcount reads with now: PostgreSQL's depends on the visibility map."""
    from bot.staff.headcount_service import reads_in_one_scan

    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            one_scan = await reads_in_one_scan(session)
    finally:
        await engine.dispose()
    return "one scan, GROUPING SETS" if one_scan else "UNION ALL of index scans"


async def bench_backend(backend: str, count: int, event: Event) -> Table:
    table = Table(f"Staff queries, {count:,} registrations, {backend}", "plain query or csv.writer")
    async with database(backend) as url:
        fill_s = await fill(url, event, count)
        print(f"  {backend}: {count:,} registrations inserted in {fill_s:.1f} s", file=sys.stderr)
        statements = {"loaded": await headcount_statement(url)}
        q = await measure_queries(url, event)
        with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
            xlsx = run_child("xlsx", url, Path(folder) / "export.xlsx")
            csv_export = run_child("csv", url, Path(folder) / "export.csv")
            baseline = run_child("csv-baseline", url, Path(folder) / "plain.csv")
        if backend == "postgresql":  # last: the exports are read from the table as it was loaded
            vacuumed = await measure_vacuumed_headcount(url, event)
            q |= {f"vacuumed {key}": value for key, value in vacuumed.items()}
            statements["vacuumed"] = await headcount_statement(url)
    head, count_q = q["headcount"], q["count"]
    table.add(
        "/headcount counts (warm median)",
        head[1],
        count_q[1],
        "ms",
        f"< {TARGET_HEADCOUNT_MS} ms",
        head[1] < TARGET_HEADCOUNT_MS,
        statements["loaded"],
    )
    table.add("/headcount counts (first run)", head[0], count_q[0], "ms")
    custom = q["headcount with a custom choice"]
    table.add("/headcount counts with a choice of the form's own (warm median)", custom[1], count_q[1], "ms")
    if "vacuumed headcount" in q:
        vacuumed = q["vacuumed headcount"][1]
        table.add(
            "/headcount counts after VACUUM (warm median)",
            vacuumed,
            q["vacuumed count"][1],
            "ms",
            f"< {TARGET_HEADCOUNT_MS} ms",
            vacuumed < TARGET_HEADCOUNT_MS,
            statements["vacuumed"],
        )
    table.add("/headcount counts, texts and chart", q["whole headcount"][1], count_q[1], "ms")
    table.add("/find reyes (warm median)", q["find"][1], q["like"][1], "ms")
    table.add("/find by code (warm median)", q["find code"][1], q["like"][1], "ms")
    rows_note = f"{xlsx['rows']:,} rows, {xlsx['file_mb']:.1f} MB file"
    table.add(
        "XLSX export: time",
        xlsx["seconds"],
        baseline["seconds"],
        "s",
        f"< {TARGET_EXPORT_S} s",
        xlsx["seconds"] < TARGET_EXPORT_S,
        rows_note,
    )
    table.add(
        "XLSX export: peak RSS of the process",
        xlsx["peak_mb"],
        baseline["peak_mb"],
        "MB",
        f"< {TARGET_EXPORT_MB} MB",
        xlsx["peak_mb"] < TARGET_EXPORT_MB,
    )
    table.add("XLSX export: RSS growth while exporting", xlsx["growth_mb"], baseline["growth_mb"], "MB")
    table.add("CSV export (bot's): time", csv_export["seconds"], baseline["seconds"], "s")
    table.add("CSV export (bot's): peak RSS", csv_export["peak_mb"], baseline["peak_mb"], "MB")
    return table


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        await child(args.child, args.url, args.out)
        return
    event = load_event(Settings(_env_file=None).event_file)  # type: ignore[call-arg]
    tables = [await bench_backend(backend, args.registrations, event) for backend in args.backends]
    for table in tables:
        print(table.render())


if __name__ == "__main__":
    asyncio.run(main())
