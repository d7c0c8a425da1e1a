"""Dialogue throughput: N delegates register at once with the bot in its own process.

Each simulated delegate goes through the whole registration (/start, language, consent, every
question the form asks, confirm: the tests' walk of the form, bench/walk_steps.py) against the
fake Bot API, waiting for the bot's answer to each step before the next. Two loads:

- saturated: no pause between answers, every delegate at once; gives updates per second;
- paced: each delegate pauses 0.5-1.5 s between answers (people reading and typing); gives
  the time from update to reply that people feel.

The latency of a step is the time from pushing the update to the fake receiving the bot's
request that shows the next question (a send or an edit of that chat). The baseline is a bare
aiogram echo bot (bench/echo_bot.py) under the same load on the same fake server. A bare
aiogram-dialog bot (bench/dialog_bot.py) runs the same load too: the floor of the decided stack,
without the bot's database, middlewares and texts. A bare python-telegram-bot bot
(bench/ptb_bot.py: a ConversationHandler making the same Bot API requests per step) runs it as
well: the stack not chosen, against the bare aiogram-dialog bot in a table of its own. It needs
the `bench` extra (`pip install -e '.[bench]'`); without PTB installed it is left out.
Also measured: start-up time to the first getUpdates and resident memory (the footprint).

Before and after a change of the bot, side by side in one run: `--compare-with PATH` runs the
real bot of another checkout of the project too (`python -m bot run` with that folder as working
directory and PYTHONPATH, on this .venv), on the same backends and loads, and prints this tree's
CPU per update against it. Its delegates answer as that checkout's own tests' walk does (its
button ids and questions; bench/walk_steps.py run there), so the two may answer a different
number of updates: the compared figure is per update, and the table shows both counts.
`--rounds N` repeats both bots, alternating which goes first, to show the noise (every run's
figure is listed). E.g., against the commit before the form moved to the event file:

    git worktree add /tmp/base-adf2fbc adf2fbc
    .venv/bin/python -m bench dialogue --compare-with /tmp/base-adf2fbc --rounds 3 --backends sqlite
    git worktree remove /tmp/base-adf2fbc
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import common, walk_steps
from bench.common import (
    BenchTelegram,
    BotProcess,
    ProcessStats,
    Table,
    bot_command,
    bot_process,
    database,
    machine_busy,
    p50,
    percentile,
    process_stats,
    widget_ids,
)
from tests.support.fake_telegram import StoredMessage

Expect = Callable[[StoredMessage | None], bool]
STEP_TIMEOUT = 60.0


def shows(widget: str) -> Expect:
    return lambda message: widget in widget_ids(message)


@dataclass(frozen=True)
class Step:
    kind: str  # "text" or "tap" (widget data, e.g. "o:woman")
    value: str
    reply: Expect  # holds once the bot has shown the next question


def asks(question: str) -> Expect:
    return lambda message: message is not None and question in (message.text or "")


def walked(walk: list[dict[str, str]], delegate: int) -> list[Step]:
    """What a delegate answers (a walk of bench/walk_steps.py), and what the bot shows next: the
    next question, then the delegate's registration (/me) once confirmed."""
    return [
        Step(
            step["kind"],
            step["value"].replace("{delegate}", str(delegate)),  # an email of the delegate's own
            asks(step["asks"]) if "asks" in step else shows(step["shows"]),
        )
        for step in walk
    ]


# This tree's bot is walked by this tree's walk.
registration_steps = partial(walked, walk_steps.steps())
STEPS_PER_DELEGATE = len(registration_steps(0))


@cache
def checkout_steps(checkout: Path) -> Callable[[int], list[Step]]:
    """The steps of another checkout's bot: its own tests' walk, read by running
    bench/walk_steps.py there (this tree's walk fits this tree's form only)."""
    found = subprocess.run(
        [sys.executable, walk_steps.__file__],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        check=True,
    )
    return partial(walked, json.loads(found.stdout))


def echo_steps(delegate: int) -> list[Step]:
    """The same number of updates for the echo bot; its answer is the text sent."""

    def echoed(text: str) -> Expect:
        return lambda message: message is not None and message.text == text

    return [Step("text", f"{delegate}: {n}", echoed(f"{delegate}: {n}")) for n in range(STEPS_PER_DELEGATE)]


def dialog_floor_steps(delegate: int) -> list[Step]:
    """The registration's updates (same typed and tapped answers) for the bare dialogue bot."""

    def question(number: int) -> Expect:
        return lambda message: message is not None and message.text == f"Question {number}"

    steps = [Step("text", "/start", question(1))]
    for number, step in enumerate(registration_steps(delegate)[1:], start=2):
        steps.append(Step(step.kind, "next" if step.kind == "tap" else step.value, question(number)))
    return steps


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=dict)  # "<number> <answer>" -> latencies
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Share of the run's time each was busy, in cores (2 = the whole machine).
    machine_cores: float = 0.0
    bench_cores: float = 0.0
    bot_cores: float = 0.0

    @property
    def updates_per_s(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")

    def p50_ms(self) -> float:
        return p50(self.latencies) * 1000

    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


def _tap_update(fake: BenchTelegram, user_id: int, widget_data: str) -> dict:
    message = fake.last_message(user_id)
    assert message is not None
    for row in message.inline_keyboard:
        for button in row:
            if button.get("callback_data", "").split("\x1d", 1)[-1] == widget_data:
                return fake.callback_update(user_id, message.message_id, button["callback_data"])
    raise AssertionError(f"no button {widget_data!r} in {sorted(widget_ids(message))}")


async def delegate(
    fake: BenchTelegram,
    user_id: int,
    steps: list[Step],
    think: Callable[[], float],
    result: LoadResult,
) -> None:
    for number, step in enumerate(steps):
        pause = think()
        if pause:
            await asyncio.sleep(pause)
        try:
            if step.kind == "text":
                update = fake.message_update(user_id, step.value)
            else:
                update = _tap_update(fake, user_id, step.value)
            latency = await fake.push_and_wait(user_id, update, step.reply, STEP_TIMEOUT)
        except (TimeoutError, AssertionError) as error:
            last = fake.last_message(user_id)
            result.failures.append(
                f"user {user_id} step {number} ({step.value}): {type(error).__name__} {error}; "
                f"last message: {(last.text or last.caption or '')[:80] if last else None!r} "
                f"buttons {sorted(widget_ids(last))}"
            )
            return
        result.latencies.append(latency)
        answer = step.value if step.kind == "tap" or step.value.startswith("/") else "(typed)"
        result.by_step.setdefault(f"{number} {answer}", []).append(latency)


async def run_load(
    fake: BenchTelegram,
    first_user: int,
    delegates: int,
    script: Callable[[int], list[Step]],
    think: Callable[[], float],
) -> LoadResult:
    result = LoadResult()
    users = range(first_user, first_user + delegates)
    for user_id in users:
        fake.user(user_id, first_name="Ana", language_code="en")
    started, machine, bench = time.monotonic(), machine_busy()[0], process_stats(os.getpid()).cpu_s
    await asyncio.gather(*(delegate(fake, u, script(u), think, result) for u in users))
    result.seconds = time.monotonic() - started
    result.machine_cores = (machine_busy()[0] - machine) / result.seconds
    result.bench_cores = (process_stats(os.getpid()).cpu_s - bench) / result.seconds
    fake.forget_calls()
    return result


def no_pause() -> float:
    return 0.0


def human_pause(rng: random.Random) -> Callable[[], float]:
    return lambda: rng.uniform(0.5, 1.5)


@dataclass
class BotFigures:
    """What one bot process did under the loads, and its footprint."""

    name: str
    startup_s: float
    at_rest: ProcessStats
    after: ProcessStats | None = None
    loads: dict[tuple[str, int], LoadResult] = field(default_factory=dict)
    cpu_ms_per_update: dict[int, float] = field(default_factory=dict)
    judged: bool = True  # held to the targets (the bot), or only shown (the bare dialogue bot)
    updates_per_delegate: int = 0


async def measure(
    name: str,
    fake: BenchTelegram,
    argv: list[str],
    env: dict[str, str],
    script: Callable[[int], list[Step]],
    sizes: list[int],
    paced: bool,
    workdir: Path,
    on_done: Callable[[int], object] | None = None,
    cwd: Path = common.PROJECT_ROOT,
) -> BotFigures:
    rng = random.Random(8)
    async with bot_process(fake, argv, env, workdir, name, cwd) as bot:
        assert bot.at_rest is not None
        figures = BotFigures(
            name,
            bot.startup_s,
            bot.at_rest,
            judged=script is not dialog_floor_steps,
            updates_per_delegate=len(script(0)),
        )
        first_user = 10_000
        for size in sizes:
            before = bot.stats()
            figures.loads[("saturated", size)] = load = await run_load(
                fake, first_user, size, script, no_pause
            )
            used = bot.stats().cpu_s - before.cpu_s
            load.bot_cores = used / load.seconds
            figures.cpu_ms_per_update[size] = used * 1000 / max(1, len(load.latencies))
            _report_failures(name, load)
            first_user += size
            if on_done:
                await on_done(size - len(load.failures))
            if paced:
                before = bot.stats()
                figures.loads[("paced", size)] = load = await run_load(
                    fake, first_user, size, script, human_pause(rng)
                )
                load.bot_cores = (bot.stats().cpu_s - before.cpu_s) / load.seconds
                _report_failures(name, load)
                first_user += size
        figures.after = bot.stats()
        _print_progress(figures, bot)
    return figures


def _report_failures(name: str, load: LoadResult) -> None:
    if load.failures:
        print(f"  {name}: {len(load.failures)} delegates failed, first: {load.failures[0]}", file=sys.stderr)


def _print_progress(figures: BotFigures, bot: BotProcess) -> None:
    for (mode, size), load in figures.loads.items():
        print(
            f"  {figures.name:<22} {mode:<9} {size:>5} delegates: {load.updates_per_s:7.0f} updates/s, "
            f"p50 {load.p50_ms():6.1f} ms, p99 {load.p99_ms():7.1f} ms, {load.seconds:5.1f} s; "
            f"bot CPU {load.bot_cores * load.seconds * 1000 / max(1, len(load.latencies)):.2f} ms/update; "
            f"cores busy: machine {load.machine_cores:.2f}, bot {load.bot_cores:.2f}, "
            f"fake and delegates {load.bench_cores:.2f}",
            file=sys.stderr,
            flush=True,
        )
        slowest = sorted(load.by_step.items(), key=lambda item: -percentile(item[1], 0.99))[:4]
        print(
            "    slowest steps (p99): "
            + ", ".join(f"{step} {percentile(times, 0.99) * 1000:.0f} ms" for step, times in slowest),
            file=sys.stderr,
            flush=True,
        )


async def count_registrations(database_url: str) -> int:
    """Rows of the registration table, in SQL: whichever checkout's bot made the schema."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("SELECT count(*) FROM registration"))).scalar_one()
    finally:
        await engine.dispose()


def checkout_path(value: str) -> Path:
    """--compare-with's folder, absolute: the bot runs from there."""
    return Path(value).resolve()


def checkout_label(checkout: Path) -> str:
    """The short commit of another checkout (its folder's name if git cannot tell)."""
    try:
        found = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return checkout.name
    return found.stdout.strip()


async def bench_bot(
    backend: str,
    validate: bool,
    sizes: list[int],
    paced: bool,
    workdir: Path,
    checkout: Path | None = None,
) -> BotFigures:
    """The real bot: this tree's, or that of another `checkout` of the project (run from there)."""
    async with database(backend) as url, BenchTelegram(validate=validate) as fake:
        expected = 0

        async def registered(count: int) -> None:
            nonlocal expected
            expected += count
            stored = await count_registrations(url)
            if stored != expected:
                raise AssertionError(
                    f"{backend}: {stored} registrations stored, {expected} delegates confirmed"
                )

        name = f"bot, {backend}" + ("" if validate else ", lean fake")
        env = {"DATABASE_URL": url}
        cwd = common.PROJECT_ROOT
        steps = registration_steps
        if checkout is not None:
            name = f"bot {checkout_label(checkout)}, {backend}" + ("" if validate else ", lean fake")
            cwd = checkout
            env["PYTHONPATH"] = str(cwd)  # its bot package first, before this tree's editable install
            steps = checkout_steps(checkout)
        figures = await measure(
            name,
            fake,
            bot_command(),
            env,
            steps,
            sizes,
            paced,
            workdir,
            registered,
            cwd,
        )
        fake.assert_no_violations()
        return figures


# The baselines: a script of bench/ each, its name, and what its delegates answer.
ECHO = ("echo_bot.py", "echo bot", echo_steps)
DIALOG_FLOOR = ("dialog_bot.py", "bare dialogue bot", dialog_floor_steps)
PTB = ("ptb_bot.py", "bare PTB bot", dialog_floor_steps)


def ptb_installed() -> bool:
    return importlib.util.find_spec("telegram") is not None


async def bench_baseline(
    baseline: tuple[str, str, Callable[[int], list[Step]]],
    validate: bool,
    sizes: list[int],
    paced: bool,
    workdir: Path,
) -> BotFigures:
    script, name, steps = baseline
    async with BenchTelegram(validate=validate) as fake:
        argv = [sys.executable, str(Path(__file__).with_name(script))]
        name += "" if validate else ", lean fake"
        figures = await measure(name, fake, argv, {}, steps, sizes, paced, workdir)
        fake.assert_no_violations()
        return figures


def throughput_table(bots: list[BotFigures], echo: BotFigures) -> Table:
    table = Table(f"Dialogue throughput (registration, {STEPS_PER_DELEGATE} updates per delegate)", echo.name)
    for figures in bots:
        for (mode, size), load in figures.loads.items():
            base = echo.loads[(mode, size)]
            label = f"{figures.name}, {size} delegates, {mode}"
            if figures.updates_per_delegate != STEPS_PER_DELEGATE:  # another checkout's form
                label += f" ({figures.updates_per_delegate} updates each)"
            if mode == "saturated":
                judged = figures.judged
                table.add(
                    f"{label}: updates/s",
                    load.updates_per_s,
                    base.updates_per_s,
                    "/s",
                    "ratio >= 0.5" if judged else "",
                    load.updates_per_s >= 0.5 * base.updates_per_s if judged else None,
                )
                table.add(
                    f"{label}: CPU per update",
                    figures.cpu_ms_per_update[size],
                    echo.cpu_ms_per_update[size],
                    "ms",
                )
            table.add(f"{label}: p50", load.p50_ms(), base.p50_ms(), "ms")
            target = size == 100 and mode == "paced" and figures.judged
            table.add(
                f"{label}: p99",
                load.p99_ms(),
                base.p99_ms(),
                "ms",
                "< 50 ms" if target else "",
                load.p99_ms() < 50 if target else None,
            )
            if load.failures:
                table.rows[-1].note = f"{len(load.failures)} delegates failed"
    return table


def footprint_table(bots: list[BotFigures], echo: BotFigures) -> Table:
    table = Table("Footprint (bot process)", echo.name)
    for figures in bots:
        table.add(f"{figures.name}: start-up to first poll", figures.startup_s, echo.startup_s, "s")
        table.add(f"{figures.name}: RSS at rest", figures.at_rest.rss_mb, echo.at_rest.rss_mb, "MB")
        if figures.after and echo.after:
            table.add(f"{figures.name}: RSS after the loads", figures.after.rss_mb, echo.after.rss_mb, "MB")
    return table


def stacks_table(ptb: BotFigures, floor: BotFigures) -> Table:
    """The stack not chosen against the decided one, both bare, on the same steps and requests."""
    table = Table("The stacks: python-telegram-bot against aiogram + aiogram-dialog, both bare", floor.name)
    for (mode, size), load in ptb.loads.items():
        base = floor.loads[(mode, size)]
        label = f"{ptb.name}, {size} delegates, {mode}"
        if mode == "saturated":
            table.add(f"{label}: updates/s", load.updates_per_s, base.updates_per_s, "/s")
            table.add(
                f"{label}: CPU per update", ptb.cpu_ms_per_update[size], floor.cpu_ms_per_update[size], "ms"
            )
        table.add(f"{label}: p50", load.p50_ms(), base.p50_ms(), "ms")
        table.add(f"{label}: p99", load.p99_ms(), base.p99_ms(), "ms")
        if load.failures:
            table.rows[-1].note = f"{len(load.failures)} delegates failed"
    table.add(f"{ptb.name}: start-up to first poll", ptb.startup_s, floor.startup_s, "s")
    table.add(f"{ptb.name}: RSS at rest", ptb.at_rest.rss_mb, floor.at_rest.rss_mb, "MB")
    if ptb.after and floor.after:
        table.add(f"{ptb.name}: RSS after the loads", ptb.after.rss_mb, floor.after.rss_mb, "MB")
    return table


def _brief(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def compare_table(
    after: dict[str, list[BotFigures]], before: dict[str, list[BotFigures]], label: str
) -> Table:
    """This tree's bot against another checkout's, run alternately in the same run: medians over
    the rounds, every round's figures in the last column (this tree's / the other's)."""
    table = Table(f"Before and after: this tree's bot against {label}, same run", f"bot {label}")

    def add(name: str, unit: str, value: Callable[[BotFigures], float]) -> None:
        mine = [value(figures) for figures in runs]
        theirs = [value(figures) for figures in before[backend]]
        row = table.add(name, statistics.median(mine), statistics.median(theirs), unit)
        if len(mine) > 1 or len(theirs) > 1:
            row.note = "runs: " + ", ".join(map(_brief, mine)) + " / " + ", ".join(map(_brief, theirs))

    for backend, runs in after.items():
        # Each bot answers its own form: the figures below are per update, or per load.
        add(f"{backend}: updates per delegate", "", lambda f: f.updates_per_delegate)
        for mode, size in runs[0].loads:
            prefix = f"{backend}, {size} delegates, {mode}"
            if mode == "saturated":
                add(f"{prefix}: CPU per update", "ms", lambda f, s=size: f.cpu_ms_per_update[s])
                add(f"{prefix}: updates/s", "/s", lambda f, k=(mode, size): f.loads[k].updates_per_s)
            add(f"{prefix}: p50", "ms", lambda f, k=(mode, size): f.loads[k].p50_ms())
            add(f"{prefix}: p99", "ms", lambda f, k=(mode, size): f.loads[k].p99_ms())
        add(f"{backend}: start-up to first poll", "s", lambda f: f.startup_s)
        add(f"{backend}: RSS at rest", "MB", lambda f: f.at_rest.rss_mb)
    return table


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--delegates", type=int, nargs="+", default=[100], help="load sizes (e.g. 100 1000: ~20 min)"
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--no-paced", dest="paced", action="store_false", help="skip the paced loads")
    parser.add_argument(
        "--lean", action="store_true", help="also run bot and echo on the fake without spec validation"
    )
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of the bots under load here")
    parser.add_argument("--no-ptb", dest="ptb", action="store_false", help="skip the bare PTB bot")
    parser.add_argument(
        "--compare-with",
        type=checkout_path,
        metavar="CHECKOUT",
        help="also run the bot of this other checkout of the project (e.g. a git worktree of an\n"
        "older commit) and print this tree's CPU per update against it",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs of this tree's bot (and of --compare-with's), alternating which goes first",
    )
    parser.add_argument(
        "--no-bot",
        dest="bot",
        action="store_false",
        help="skip this tree's bot (e.g. while it is mid-edit); baselines and --compare-with only",
    )
    args = parser.parse_args(argv)
    common.PROFILE_DIR = args.profile
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.compare_with and not (args.compare_with / "bot" / "__main__.py").is_file():
        parser.error(f"--compare-with {args.compare_with}: no bot/__main__.py there")
    if args.ptb and not ptb_installed():
        print(
            "  bare PTB bot left out: python-telegram-bot is not installed (the bench extra)", file=sys.stderr
        )
        args.ptb = False
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as folder:
        workdir = Path(folder)
        echo = await bench_baseline(ECHO, True, args.delegates, args.paced, workdir)
        floor = await bench_baseline(DIALOG_FLOOR, True, args.delegates, args.paced, workdir)
        ptb = await bench_baseline(PTB, True, args.delegates, args.paced, workdir) if args.ptb else None
        # The bot of this tree and that of --compare-with, alternately: round 1 this tree first.
        contenders: list[tuple[Path | None, dict[str, list[BotFigures]]]] = []
        after: dict[str, list[BotFigures]] = {b: [] for b in args.backends} if args.bot else {}
        before: dict[str, list[BotFigures]] = {b: [] for b in args.backends} if args.compare_with else {}
        if args.bot:
            contenders.append((None, after))
        if args.compare_with:
            contenders.append((args.compare_with, before))
        for round_ in range(args.rounds):
            for backend in args.backends:
                for checkout, runs in contenders[:: -1 if round_ % 2 else 1]:
                    runs[backend].append(
                        await bench_bot(backend, True, args.delegates, args.paced, workdir, checkout)
                    )
        bots = [runs[0] for runs in after.values()] + [runs[0] for runs in before.values()]
        shown = [*bots, floor, *([ptb] if ptb else [])]
        tables = [throughput_table(shown, echo)]
        if args.lean:
            lean_echo = await bench_baseline(ECHO, False, args.delegates, args.paced, workdir)
            lean_bots = [
                await bench_bot(b, False, args.delegates, args.paced, workdir) for b in args.backends
            ]
            tables.append(throughput_table(lean_bots, lean_echo))
            tables[-1].title += ": fake without spec validation"
        tables.append(footprint_table(shown, echo))
        if ptb:
            tables.append(stacks_table(ptb, floor))
        if after and before:
            tables.append(compare_table(after, before, checkout_label(args.compare_with)))
    for table in tables:
        print(table.render())


if __name__ == "__main__":
    asyncio.run(main())
