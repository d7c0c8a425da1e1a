"""What every bench shares: the instrumented fake Bot API, bot processes, throwaway databases,
process memory and CPU readings, and the tables they print."""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from bot.core.settings import PROJECT_ROOT
from tests.support.fake_telegram import ApiError, Call, FakeTelegram, StoredMessage

POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
# Registration is open at this instant (ten days after the invitation letter).
BEFORE_DEADLINE = "2024-04-20T10:00:00+08:00"
BOT_TOKEN = "123456:BENCH-token"
# A Fernet key for the passport numbers (any valid key: the bench's data is made up).
PASSPORT_KEY = "IeAxn9CZkGqCBUWUB1IAh-OiwskEMZeJKOXiax4Upg0="
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# The module that defines the fake: its request decoding is reused as is by the lean variant.
_FAKE = inspect.getmodule(FakeTelegram)
ChatPredicate = Callable[[StoredMessage | None], bool]


# ---------------------------------------------------------------- the fake Bot API, instrumented


@dataclass
class _Waiter:
    predicate: ChatPredicate
    future: asyncio.Future[float]
    pushed_at: float
    seen_version: int


class BenchTelegram(FakeTelegram):
    """The tests' fake Bot API, timing how long the bot takes to answer each chat.

    `validate=False` skips the spec check of each request (the fake still decodes parameters,
    keeps chats and renders Telegram's HTML): measured side by side, so the load generator's
    own cost can be told apart from the bot's.
    """

    def __init__(self, validate: bool = True) -> None:
        super().__init__(poll_timeout_cap=10.0)
        self.validate = validate
        self.first_poll_at: float | None = None
        self.bot_requests = 0
        self._waiters: dict[int, _Waiter] = {}
        self._versions: dict[int, int] = {}  # chat -> how many bot requests changed it

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method == "getupdates" and self.first_poll_at is None:
            self.first_poll_at = time.monotonic()
        if self.validate or method not in self.methods:
            return await super()._handle_method(request)
        return await self._handle_unchecked(request)

    async def _handle_unchecked(self, request: web.Request) -> web.Response:
        params, files, filenames = await _FAKE._read_params(request)
        spec = self.methods[request.match_info["method"].lower()]
        coerce = _FAKE._Validator(self.spec, files).coerce
        types = {f["name"]: f["types"] for f in spec.get("fields", [])}
        params = {k: coerce(v, types[k]) if k in types else v for k, v in params.items()}
        call = Call(spec["name"], params, files, filenames)
        try:
            result = await self._dispatch(call)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, call: Call) -> Any:
        if call.method != "getUpdates":
            self.bot_requests += 1
        result = await super()._dispatch(call)
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, int):
            self._versions[chat_id] = self._versions.get(chat_id, 0) + 1
            self._check_waiter(chat_id)
        return result

    def _check_waiter(self, chat_id: int) -> None:
        waiter = self._waiters.get(chat_id)
        if waiter is None or self._versions.get(chat_id, 0) == waiter.seen_version:
            return
        if waiter.predicate(self.last_message(chat_id)):
            del self._waiters[chat_id]
            if not waiter.future.done():
                waiter.future.set_result(time.monotonic() - waiter.pushed_at)

    async def push_and_wait(
        self, chat_id: int, update: dict[str, Any], reply: ChatPredicate, seconds: float
    ) -> float:
        """Push `update`; seconds until the bot's requests make `reply` true for the chat's last
        message (only requests made after the push count)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[chat_id] = _Waiter(reply, future, time.monotonic(), self._versions.get(chat_id, 0))
        self.push_update(update)
        try:
            return await asyncio.wait_for(future, seconds)
        finally:
            self._waiters.pop(chat_id, None)

    def forget_calls(self) -> None:
        """The load keeps no call log (the tests' inspection helpers are not used here)."""
        self.calls.clear()


def widget_ids(message: StoredMessage | None) -> set[str]:
    """The dialogue widget ids of a message's inline buttons (`lang`, `agree`, `g`...)."""
    if message is None:
        return set()
    ids = set()
    for row in message.inline_keyboard:
        for button in row:
            data = button.get("callback_data", "").split("\x1d", 1)[-1]
            ids.add(data.split(":", 1)[0])
    return ids


# ---------------------------------------------------------------- processes


@dataclass
class ProcessStats:
    rss_mb: float
    cpu_s: float


def process_stats(pid: int) -> ProcessStats:
    """Resident memory and CPU time (user + system) of a live process, from /proc."""
    with open(f"/proc/{pid}/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu_ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ProcessStats(resident_pages * PAGE_SIZE / 2**20, cpu_ticks / CLOCK_TICKS)


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    started_at: float
    log_path: Path
    startup_s: float = 0.0
    at_rest: ProcessStats | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stats(self) -> ProcessStats:
        return process_stats(self.pid)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# Set by `--profile DIR` (an existing folder): py-spy samples every bot process under load into it.
PROFILE_DIR: Path | None = None


@asynccontextmanager
async def bot_process(
    fake: BenchTelegram,
    argv: Sequence[str],
    env: dict[str, str],
    workdir: Path,
    name: str = "bot",
    cwd: Path = PROJECT_ROOT,
) -> AsyncIterator[BotProcess]:
    """Start a bot process polling `fake`; yields once it has made its first getUpdates.

    `cwd`: where it runs (another checkout of the project runs its own `python -m bot` there).
    Stopped with SIGTERM at the end; a Traceback or ERROR in its log fails the bench.
    """
    log_path = workdir / f"bot-{uuid.uuid4().hex[:6]}.log"
    full_env = {
        **os.environ,
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE": fake.base_url,
        "EVENT_CLOCK": BEFORE_DEADLINE,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "PASSPORT_KEY": PASSPORT_KEY,
        # The benches time updates; the embeddings' first build (a minute of one core) would
        # weigh on whichever bot started first. bench/faq_accuracy.py measures the matcher.
        "SEMANTIC_ANSWERS": "false",
        **env,
    }
    fake.first_poll_at = None
    with log_path.open("wb") as log:
        started_at = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=full_env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
    running = BotProcess(process, started_at, log_path)
    try:
        while fake.first_poll_at is None:
            if process.returncode is not None or time.monotonic() - started_at > 60:
                raise RuntimeError(f"the bot did not start polling:\n{running.log()}")
            await asyncio.sleep(0.002)
        running.startup_s = fake.first_poll_at - started_at
        await asyncio.sleep(1.0)  # settle: imports done, first poll waiting
        running.at_rest = running.stats()
        async with _profiled(running.pid, name):
            yield running
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
    log_text = running.log()
    if "Traceback" in log_text or " ERROR " in log_text:
        raise RuntimeError(f"the bot logged an error:\n{log_text[-4000:]}")


@asynccontextmanager
async def _profiled(pid: int, name: str) -> AsyncIterator[None]:
    """py-spy's collapsed stacks of the process (flamegraph.pl or speedscope read them)."""
    if PROFILE_DIR is None:
        yield
        return
    output = PROFILE_DIR / (re.sub(r"\W+", "-", name).strip("-") + ".txt")
    spy = await asyncio.create_subprocess_exec(
        Path(sys.executable).with_name("py-spy"),
        *("record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--gil", "--output", str(output)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        await spy.wait()


def bot_command() -> list[str]:
    return [sys.executable, "-m", "bot", "run"]


# ---------------------------------------------------------------- databases


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """An empty database URL for the bot: a SQLite file, or a throwaway PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            yield f"sqlite+aiosqlite:///{folder}/bot.db"
        return
    name = f"bot_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ---------------------------------------------------------------- figures and tables


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Row:
    """One measured figure next to its baseline measured in the same run."""

    name: str
    figure: float
    baseline: float
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else float("nan")


@dataclass
class Table:
    title: str
    baseline_name: str
    rows: list[Row] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Row:
        self.rows.append(Row(*args, **kwargs))
        return self.rows[-1]

    def render(self) -> str:
        header = ("figure", "value", f"baseline: {self.baseline_name}", "ratio", "target", "")
        lines = [
            (
                row.name,
                f"{_fmt(row.figure)} {row.unit}",
                f"{_fmt(row.baseline)} {row.unit}",
                "–" if math.isnan(row.ratio) else f"{row.ratio:.2f}",  # nothing to divide by: 0 / 0
                row.target,
                " ".join(filter(None, ({True: "met", False: "MISSED", None: ""}[row.met], row.note))),
            )
            for row in self.rows
        ]
        widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
        out = [f"\n## {self.title}\n"]
        for n, cells in enumerate([header, *lines]):
            out.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())
            if n == 0:
                out.append("-+-".join("-" * width for width in widths))
        return "\n".join(out)


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
