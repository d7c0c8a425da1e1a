"""Kill the bot in the middle of a registration, start it again: it goes on where the delegate was."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from bot.app import build_bot, build_dispatcher
from bot.core.settings import PROJECT_ROOT
from tests.conftest import BEFORE_DEADLINE, PASSPORT_KEY, App
from tests.test_registration_flow import stored


async def test_new_dispatcher_and_storage_continue_the_dialogue(settings, engine, fake):
    """A new process state (dispatcher, storage, bot session) on the same database."""
    first = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = first.chat(language_code="fr")
    await chat.send("/start")
    await chat.tap("lang:en")
    await chat.tap("agree")
    await chat.send("Ana Reyes")
    await chat.tap("g:woman")
    await chat.tap("c:PH")
    await chat.send("Akbayan")
    await first.bot.session.close()

    second = App(fake, build_dispatcher(settings, engine=engine), build_bot(settings))
    chat = second.chat(language_code="fr")
    await chat.send("International Secretary")  # answers the question asked before the restart
    assert "take part" in chat.last_text
    await chat.tap("r:delegate")
    await chat.send("ana@example.org")
    await chat.send("+63 917 123 4567")
    for widget in ("none", "none", "no", "no", "done", "none"):
        await chat.tap(widget)
    review = chat.last_text
    assert "Ana Reyes" in review and "Akbayan" in review and "International Secretary" in review
    await chat.tap("confirm")
    [registration] = await stored(engine)
    assert registration.organisation == "Akbayan" and registration.language == "en"
    await second.bot.session.close()


async def start_bot_process(fake, database_url: str, **settings: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST-token",
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": database_url,
        "EVENT_CLOCK": BEFORE_DEADLINE.isoformat(),
        "REDIS_URL": "",
        "PASSPORT_KEY": PASSPORT_KEY,
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.slow
async def test_sigkill_mid_registration_then_restart(fake, tmp_path):
    """The real entry point, long polling the fake server; SIGKILL between two answers."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.core.db'}"
    user = fake.user(2002, first_name="Marie", language_code="fr")
    bot_messages = lambda: [m for m in fake.chat(user.id) if m.from_bot and not m.deleted]  # noqa: E731

    process = await start_bot_process(fake, database_url)
    try:
        user.send("/start")
        await fake.wait_for(lambda: any("Français" in str(m.inline_keyboard) for m in bot_messages()), 30)
        user.press("Français")
        await fake.wait_for(lambda: "agree" in str(fake.last_message(user.id).inline_keyboard), 10)
        user.press("✅")
        await fake.wait_for(lambda: "✅" not in str(fake.last_message(user.id).inline_keyboard), 10)
        user.send("Marie Curie")
        await fake.wait_for(lambda: "g:woman" in str(fake.last_message(user.id).inline_keyboard), 10)
        question = fake.last_message(user.id).text
        # aiogram-dialog saves the dialogue just after showing the next question: let it.
        await asyncio.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    sent_before = len(fake.calls_of("sendMessage"))
    process = await start_bot_process(fake, database_url)
    try:
        user.send("/start")  # resumes at the same question
        await fake.wait_for(lambda: len(fake.calls_of("sendMessage")) > sent_before, 30)
        assert fake.last_message(user.id).text == question
        message = fake.last_message(user.id)
        woman = next(
            b["callback_data"]
            for row in message.inline_keyboard
            for b in row
            if b["callback_data"].endswith("g:woman")
        )
        fake.push_update(fake.callback_update(user.id, message.message_id, woman))
        await fake.wait_for(lambda: "c:PH" in str(fake.last_message(user.id).inline_keyboard), 10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()


def test_the_bot_process_runs_on_uvloop_where_installed():
    """`python -m bot` commands run on uvloop (the tests above start such processes); without it
    (Windows), on asyncio's own loop."""
    uvloop = pytest.importorskip("uvloop")
    from bot.__main__ import run_until_done

    loops = []

    async def work() -> None:
        loops.append(type(asyncio.get_running_loop()))

    run_until_done(work())
    assert loops == [uvloop.Loop]
