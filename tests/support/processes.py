"""Bot processes as an operator starts them (`python -m bot run`, `webhook`), on the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from bot.core.settings import PROJECT_ROOT
from tests.support.app import BEFORE_DEADLINE, PASSPORT_KEY
from tests.support.fake_telegram import FakeTelegram


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bot_environment(fake: FakeTelegram, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a bot process talking to `fake`, on the tests' clock and passport key;
    `settings` (environment names) override or add."""
    return {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-token",
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": database_url,
        "EVENT_CLOCK": BEFORE_DEADLINE.isoformat(),
        "REDIS_URL": "",
        "PASSPORT_KEY": PASSPORT_KEY,
        "LOG_LEVEL": "WARNING",
        "SEMANTIC_ANSWERS": "false",  # as in-process tests (tests/support/app.py)
        **settings,
    }


async def run_bot(
    *args: str, env: dict[str, str], cwd: Path = PROJECT_ROOT, stdout: int = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """`python -m bot <args>`; its logs (stderr) kept for `stopped`."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=stdout, stderr=asyncio.subprocess.PIPE
    )


async def start_bot_process(
    fake: FakeTelegram, database_url: str, command: str = "run", **settings: str
) -> asyncio.subprocess.Process:
    return await run_bot(command, env=bot_environment(fake, database_url, **settings))


async def stopped(process: asyncio.subprocess.Process) -> str:
    """The logs of a process that was asked to stop; it must stop cleanly."""
    _, stderr = await asyncio.wait_for(process.communicate(), 40)
    logs = stderr.decode()
    assert process.returncode == 0, logs[-3000:]
    assert "Traceback" not in logs, logs[-3000:]
    return logs
