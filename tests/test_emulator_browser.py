"""A newcomer without a bot token: `python -m bot run` starts the emulator, and a delegate registers
in French by clicking and typing in the web chat, in headless Chromium (Debian's `chromium`, driven
by Playwright; no browser download). The screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.core.db import create_engine
from bot.core.event import localized
from bot.core.settings import PROJECT_ROOT
from bot.core.summary import GENDER_LABELS
from tests.test_emulator import MARIE, free_port
from tests.test_registration_flow import stored, translated

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
START_TIMEOUT = 60.0


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")


def fr(msgid: str) -> str:
    return translated(msgid, "fr")


def question(msgid: str) -> str:
    """The start of a question as the page shows it: tags gone, up to the first placeholder."""
    return re.sub(r"<[^>]+>", "", fr(msgid)).split("{")[0].strip()[:40]


async def start_bot_without_token(tmp_path: Path, port: int) -> asyncio.subprocess.Process:
    """`make run` on a fresh machine: no .env (the working directory is empty), no token."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "EMULATOR_PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.core.db'}",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    for name in ("BOT_TOKEN", "ADMIN_IDS", "EVENT_CLOCK", "PASSPORT_KEY", "REDIS_URL", "TELEGRAM_API_BASE"):
        env.pop(name, None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_until_serving(url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert process.returncode is None, "the bot stopped: " + (await process.stderr.read()).decode()
            try:
                async with http.get(f"{url}/api/state") as response:
                    if response.status == 200 and (await response.json())["chats"]:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"the emulator did not answer on {url} within {START_TIMEOUT}s")


class Delegate:
    """Marie, in the page: what she clicks and types, and what she waits for."""

    def __init__(self, page: Page):
        self.page = page
        self.last = page.locator(".message.in").last

    async def sees(self, text: str) -> None:
        await expect(self.last).to_contain_text(text, timeout=15_000)

    async def click(self, label: str, then: str) -> None:
        await self.page.locator(".inline-button", has_text=label).last.click()
        await self.sees(then)

    async def type(self, text: str, then: str) -> None:
        await self.page.fill("#input", text)
        await self.page.press("#input", "Enter")
        await self.sees(then)


@pytest.mark.slow
async def test_newcomer_registers_in_french_in_the_web_chat(tmp_path, event):
    require_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await start_bot_without_token(tmp_path, port)
    try:
        await wait_until_serving(url, process)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                await register(page, url, event)
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=ARTIFACTS / "emulator-registration-fr.png")
                assert not errors, errors
            finally:
                await browser.close()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    logs = stderr.decode()
    assert process.returncode == 0, logs[-3000:]
    assert f"Open {url}" in stdout.decode()
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert records and not [r for r in records if r["level"] in ("error", "critical")], logs[-3000:]
    for personal in ("Marie Dubois", "marie.dubois@example.org", "33612345678", "Parti socialiste"):
        assert personal not in logs, f"{personal!r} logged at INFO"

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.core.db'}")
    try:
        [registration] = await stored(engine)
    finally:
        await engine.dispose()
    assert (registration.full_name, registration.language) == ("Marie Dubois", "fr")
    assert registration.organisation == "Parti socialiste <PS>" and registration.phone == "+33612345678"
    assert (tmp_path / "data" / "emulator.json").exists(), "the chats are kept for the next start"


async def register(page: Page, url: str, event) -> None:
    await page.goto(url)
    await expect(page.locator("#banner")).to_contain_text("Local emulator")
    # Unless EVENT_CLOCK is set, the bot lives on the morning of the invitation letter.
    await expect(page.locator("#clock")).to_contain_text("10 April 2024")
    await page.locator(f'[data-chat-id="{MARIE}"]').click()
    await expect(page.locator(".persona-chip")).to_contain_text("Marie Dubois")
    await expect(page.locator(".persona-chip")).to_contain_text("Telegram language fr")

    marie = Delegate(page)
    await page.get_by_role("button", name="START").click()
    await marie.sees("Bienvenue")
    await expect(marie.last.locator(".text b").first).to_be_visible()  # Telegram's HTML, rendered
    await marie.click("Français", then=question("🔒 <b>Your data</b>\n\n{notice}\n\nDo you agree?"))
    await marie.click(
        fr("✅ I agree"), then=question("What is your <b>full name</b>, exactly as written in your passport?")
    )
    await marie.type("Marie Dubois", then=fr(GENDER_LABELS["woman"]))
    await marie.click(
        fr(GENDER_LABELS["woman"]),
        then=question("Which <b>country</b> do you come from? Pick it below or type its name."),
    )
    await marie.type("France", then="Polynésie française")
    await page.get_by_role("button", name="France", exact=True).click()
    await marie.sees(question("Which <b>party or organisation</b> do you represent?"))
    position = (
        "What is your <b>position</b> in your party or organisation? For example: International Secretary."
    )
    await marie.type("Parti socialiste <PS>", then=question(position))
    await marie.type("Secrétaire internationale", then=question("How will you take part?"))
    email = "What is your <b>email address</b>? We send the programme and practical information there."
    await marie.click(localized(event.role("delegate").label, "fr"), then=question(email))
    phone = (
        "What is your <b>mobile phone number</b>? Press the button below to share it, or type it "
        "with the country code."
    )
    await marie.type("marie.dubois@example.org", then=question(phone))

    # The share-contact button of the reply keyboard, with Telegram's confirmation.
    await page.locator(".reply-button", has_text=fr("📱 Share my phone number")).click()
    await expect(page.locator("#modal")).to_contain_text("+33612345678")
    await page.get_by_role("button", name="Share").click()
    await expect(page.locator("#reply-keyboard")).to_be_hidden()
    await marie.sees(fr("🚫 No airport transfer needed").split(" ", 1)[1][:10])

    await marie.type(
        "29/07",
        then=question("🕑 At what time does your flight land? Local time in {city}, for example 14:35."),
    )
    await marie.type("14:35", then=question("What is the flight number? For example PR 431."))
    await marie.type(
        "PR 431", then=question("🛫 On which day do you <b>leave</b>? Pick a day or type a date (day/month).")
    )
    await marie.click(
        fr("🚫 No airport transfer needed"),
        then=question("🏨 Do you need a hotel room booked by the organisers?"),
    )
    await marie.click(fr("No"), then=question("🛂 Do you need an invitation letter for your visa?"))
    await marie.click(fr("No"), then=fr("Done"))
    await marie.click(fr("Done"), then=fr("No special needs"))
    await marie.click(fr("No special needs"), then="Marie Dubois")

    # What she typed comes back as text: the page renders only Telegram's entities.
    await expect(marie.last).to_contain_text("Parti socialiste <PS>")
    assert await page.locator(".message.in .text ps").count() == 0
    await marie.click(fr("✅ Confirm my registration"), then="Marie Dubois")

    ticket = page.locator(".message.in img.photo").last
    await expect(ticket).to_be_visible(timeout=15_000)
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 200", arg=await ticket.element_handle()
    )
    caption = page.locator(".message.in", has=page.locator("img.photo")).last
    await expect(caption).to_contain_text("QR")
    await caption.evaluate("node => node.scrollIntoView({block: 'start'})")  # for the screenshot
