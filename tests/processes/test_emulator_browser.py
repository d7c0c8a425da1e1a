"""A newcomer without a bot token: `python -m bot run` starts the emulator, and a delegate registers
in French by clicking and typing in the web chat, on a laptop and on a phone, in headless Chromium
(Debian's `chromium`, driven by Playwright; no browser download); then the page alone on a phone,
with a bot client in the test. The screenshots are kept in tests/artifacts/."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile, KeyboardButton, ReplyKeyboardMarkup
from aiogram_dialog.utils import CB_SEP
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.core.db import create_engine
from bot.core.event import localized
from bot.core.settings import PROJECT_ROOT
from emulator.server import Emulator
from tests.support.emulator import ANA, MARIE, qr_code
from tests.support.processes import free_port, run_bot
from tests.support.walk import At, Given, Press, S, Typed, prompt, register, skip_of, stored, translated

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
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
# The newest message is in the chat's visible part (its bottom too).
NEWEST_IN_VIEW = """() => {
  const box = document.getElementById("messages").getBoundingClientRect();
  const last = document.querySelector("#messages > :last-child").getBoundingClientRect();
  return last.bottom <= box.bottom + 1 && last.bottom > box.top;
}"""


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")


def fr(msgid: str) -> str:
    return translated(msgid, "fr")


async def start_bot_without_token(tmp_path: Path, port: int) -> asyncio.subprocess.Process:
    """`make run` on a fresh machine: no .env (the working directory is empty), no token."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "EMULATOR_PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.core.db'}",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        # Where `make run` keeps the question matcher's embeddings (data/cache of the checkout):
        # built once per machine, not once per test.
        "EMBEDDINGS_DIR": str(PROJECT_ROOT / "data" / "cache"),
    }
    for name in ("BOT_TOKEN", "ADMIN_IDS", "EVENT_CLOCK", "PASSPORT_KEY", "REDIS_URL", "TELEGRAM_API_BASE"):
        env.pop(name, None)
    # Its stdout holds the page's address.
    return await run_bot("run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE)


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
    """Marie, in the page, in French: what she clicks and types, and what she waits for. On a
    phone she sends with the Send button, on a laptop with Enter. She finds a dialogue widget's
    button by the label the page shows for it (read from the page's API)."""

    def __init__(self, page: Page, url: str, phone: bool):
        self.page, self.url, self.phone = page, url, phone
        self.last = page.locator(".message.in").last

    async def sees(self, text: str) -> None:
        await expect(self.last).to_contain_text(text, timeout=15_000)

    async def asked(self, state: At) -> None:
        await self.sees(prompt(state, "fr"))
        await page_settled(self.page)

    async def press(self, label: str) -> None:
        await self.page.locator(".inline-button", has_text=label).last.click()

    async def tap(self, widget: str) -> None:
        response = await self.page.request.get(f"{self.url}/api/chats/{MARIE}")
        labels = {
            button.get("callback_data", "").split(CB_SEP, 1)[-1]: button["text"]
            for message in (await response.json())["messages"]
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        }
        await self.page.get_by_role("button", name=labels[widget], exact=True).last.click()

    async def send(self, text: str) -> None:
        await self.page.fill("#input", text)
        if self.phone:
            await self.page.get_by_role("button", name="Send", exact=True).click()
        else:
            await self.page.press("#input", "Enter")


async def page_settled(page: Page) -> None:
    """The newest message in view, the message box and Send whole on the screen."""
    await page.wait_for_function(NEWEST_IN_VIEW, timeout=5_000)
    viewport = page.viewport_size
    for control in ("#input", "#send"):
        box = await page.locator(control).bounding_box()
        assert box is not None, f"{control} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (control, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (control, box)
    assert (await page.locator("#input").bounding_box())["width"] >= viewport["width"] / 3


async def launch(playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


async def open_chat(page: Page, chat_id: int) -> None:
    """Pick a chat in the list; on a phone the list is a drawer, opened first and closed by the pick."""
    drawer = page.get_by_role("button", name="Chats", exact=True)
    phone = await drawer.is_visible()
    if phone:
        await drawer.click()
    await page.locator(f'[data-chat-id="{chat_id}"]').click()
    if phone:
        await expect(page.locator("#sidebar")).to_be_hidden()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("viewport", "screenshot"),
    [(LAPTOP, "emulator-registration-fr.png"), (PHONE, "emulator-registration-fr-390.png")],
    ids=["laptop", "phone"],
)
async def test_newcomer_registers_in_french_in_the_web_chat(tmp_path, event, viewport, screenshot):
    require_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await start_bot_without_token(tmp_path, port)
    try:
        await wait_until_serving(url, process)
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page(viewport=viewport)
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                await marie_registers(page, url, event, phone=viewport == PHONE)
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=ARTIFACTS / screenshot)
                await organiser_scans_the_ticket(page)
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


async def marie_registers(page: Page, url: str, event, phone: bool) -> None:
    await page.goto(url)
    await expect(page.locator("#banner")).to_contain_text("Local emulator")
    # Unless EVENT_CLOCK is set, the bot lives on the morning of the invitation letter.
    await expect(page.locator("#clock")).to_contain_text("10 April 2024")
    await open_chat(page, MARIE)
    await expect(page.locator(".persona-chip")).to_contain_text("Marie Dubois")
    await expect(page.locator(".persona-chip")).to_contain_text("Telegram language fr")

    marie = Delegate(page, url, phone)
    await page.get_by_role("button", name="START").click()
    await marie.sees("Bienvenue")
    await expect(marie.last.locator(".text b").first).to_be_visible()  # Telegram's HTML, rendered
    opening = {"language": Press("Français"), "consent": Press(fr("✅ I agree")), "full_name": "Marie Dubois"}
    await register(marie, since=S.language, until=S.country, **opening)
    await marie.send("France")
    await marie.sees("Polynésie française")
    await page.get_by_role("button", name="France", exact=True).click()
    about_her = {"organisation": "Parti socialiste <PS>", "position": "Secrétaire internationale"}
    about_her |= {"role": Press(localized(event.role("delegate").label, "fr"))}
    await register(marie, since=S.organisation, until=S.phone, **about_her, email="marie.dubois@example.org")

    # The share-contact button of the reply keyboard, with Telegram's confirmation.
    await page.locator(".reply-button", has_text=fr("📱 Share my phone number")).click()
    await expect(page.locator("#modal")).to_contain_text("+33612345678")
    await page.get_by_role("button", name="Share").click()
    await expect(page.locator("#reply-keyboard")).to_be_hidden()
    await marie.sees(skip_of("arrival", "fr").split(" ", 1)[1][:10])

    await register(
        marie, since=S.arrival_date, until=S.review, arrival_date=Typed("29/07"), country=Given("FR")
    )
    await marie.sees("Marie Dubois")

    # What she typed comes back as text: the page renders only Telegram's entities.
    await expect(marie.last).to_contain_text("Parti socialiste <PS>")
    assert await page.locator(".message.in .text ps").count() == 0
    await marie.press(fr("✅ Confirm my registration"))
    await marie.sees("Marie Dubois")

    ticket = page.locator(".message.in img.photo").last
    await expect(ticket).to_be_visible(timeout=15_000)
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 200", arg=await ticket.element_handle()
    )
    await page_settled(page)
    # The chat happens on the event clock's day, not today.
    await expect(page.locator(".day").last).to_have_text(re.compile("10 April|April 10"))
    caption = page.locator(".message.in", has=page.locator("img.photo")).last
    await expect(caption).to_contain_text("QR")
    await caption.evaluate("node => node.scrollIntoView({block: 'start'})")  # for the screenshot


async def organiser_scans_the_ticket(page: Page) -> None:
    """At the entrance Jonas, the organiser (an admin, so staff), scans Marie's ticket."""
    await page.locator(".message.in .media-menu").last.click()
    await page.get_by_role("menuitem", name="Scan this QR code as…").click()
    await page.locator(".pick-row", has_text="Jonas Weber").click()
    await page.get_by_role("button", name="Scan", exact=True).click()
    await expect(page.locator(".persona-chip")).to_contain_text("Jonas Weber")
    await expect(page.locator(".message.out").last).to_contain_text("/start ci_")
    await expect(page.locator(".message.in").last).to_contain_text("Marie Dubois", timeout=15_000)
    await expect(page.locator(".message.in").last).to_contain_text("✅")


URDU = "شکریہ!\nآپ کا اندراج مکمل ہو گیا ہے، کانفرنس میں آپ کا انتظار رہے گا اور ہم جلد ملیں گے۔"
DRAWER_OPEN = "() => document.getElementById('sidebar').getBoundingClientRect().left === 0"
# How far the first line of a message's text stands from the text's right edge, in pixels.
FIRST_LINE_GAP = """node => {
  const range = document.createRange();
  range.setStart(node.firstChild, 0);
  range.setEnd(node.firstChild, node.firstChild.data.indexOf("\\n"));
  return node.getBoundingClientRect().right - range.getBoundingClientRect().right;
}"""


async def test_the_page_on_a_phone(emulator, bot):
    require_chromium()
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(viewport=PHONE, locale="en-GB")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(emulator.base_url)
            await expect(page.locator("#sidebar")).to_be_hidden()
            await open_chat(page, ANA)
            await expect(page.locator(".persona-chip")).to_contain_text("Ana Reyes")
            await follows_the_newest_message(page, bot)
            await right_to_left_text_starts_at_the_right(page, bot)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=ARTIFACTS / "emulator-phone-390.png")
            await times_follow_the_event_clock(page)
            await page.get_by_role("button", name="Chats", exact=True).click()
            await page.wait_for_function(DRAWER_OPEN)
            await page.screenshot(path=ARTIFACTS / "emulator-phone-390-chats.png")
            await page.keyboard.press("Escape")
            await links_open_as_the_chosen_user(page, bot, emulator)
            await staff_scan_a_qr_code(page, bot)
            assert not errors, errors
        finally:
            await browser.close()


async def follows_the_newest_message(page: Page, bot: Bot) -> None:
    for number in range(1, 25):
        await bot.send_message(ANA, f"Message {number}")
    await expect(page.locator(".message.in").last).to_have_text(re.compile("Message 24"))
    await page_settled(page)
    # A reply keyboard takes room under the chat: the newest message stays in view.
    rows = [[KeyboardButton(text=f"Choice {n}")] for n in range(1, 5)]
    await bot.send_message(ANA, "Pick one below", reply_markup=ReplyKeyboardMarkup(keyboard=rows))
    await expect(page.locator("#reply-keyboard")).to_be_visible()
    await page_settled(page)
    # The bot edits its last message in place, longer: its end stays in view.
    last = await bot.send_message(ANA, "Short")
    await page_settled(page)
    longer = "\n".join(f"Line {n} of the edited message" for n in range(1, 15))
    await bot.edit_message_text(longer, chat_id=ANA, message_id=last.message_id)
    await expect(page.locator(".message.in").last).to_contain_text("Line 14")
    await page_settled(page)
    # Send works on a phone, and what is sent is in view.
    await page.fill("#input", "Choice 2")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.locator(".message.out").last).to_have_text(re.compile("Choice 2"))
    await page_settled(page)
    # A reader scrolled up into older messages is brought back when a new one arrives.
    await page.locator("#messages").evaluate("box => box.scrollTop = 0")
    await bot.send_message(ANA, "Keyboard changed", reply_markup=ReplyKeyboardMarkup(keyboard=rows[:2]))
    await expect(page.locator(".reply-button")).to_have_count(2)
    await page_settled(page)


async def right_to_left_text_starts_at_the_right(page: Page, bot: Bot) -> None:
    await bot.send_message(ANA, URDU)
    text = page.locator(".message.in .text").last
    await expect(text).to_contain_text("شکریہ")
    await page_settled(page)
    assert await text.evaluate("node => getComputedStyle(node).direction") == "rtl"
    assert await text.evaluate(FIRST_LINE_GAP) < 2, "the short first line ends at the right"
    english = page.locator(".message.in .text", has_text="Line 1 of").last
    assert await english.evaluate("node => getComputedStyle(node).direction") == "ltr"


async def times_follow_the_event_clock(page: Page) -> None:
    """The bot lives on 10 April 2024 from 09:00 (Berlin), and the chat too, whatever today is."""
    await expect(page.locator(".day")).to_have_text(["10 April"])
    times = await page.locator(".message .meta > span:not([class])").all_inner_texts()
    assert times and all(re.fullmatch(r"09:0\d", time) for time in times), times


async def links_open_as_the_chosen_user(page: Page, bot: Bot, emulator: Emulator) -> None:
    # A staff member got an invitation link; a delegate new to the bot opens it.
    await bot.send_message(ANA, "Forward this: https://t.me/registration_bot?start=dl_inv1te")
    await page.get_by_role("link", name="https://t.me/registration_bot?start=dl_inv1te").click()
    await page.get_by_role("menuitem", name="Open this link as…").click()
    await page.get_by_role("button", name="+ A new delegate…").click()
    await page.get_by_placeholder("First name").fill("Aung")
    await page.locator(".persona-form select").select_option("my")
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.locator(".persona-chip")).to_contain_text("Aung")
    await expect(page.locator(".message.out").last).to_have_text(re.compile("/start dl_inv1te"))
    aung = max(emulator.personas)
    assert emulator.personas[aung].language_code == "my"
    assert [m.data["text"] for m in emulator.chat(aung)] == ["/start dl_inv1te"]
    await page_settled(page)

    # A link pasted in the page, opened by Sam, the staff member.
    await page.get_by_role("button", name="Chats", exact=True).click()
    await page.get_by_role("button", name="Open a link").click()
    await page.get_by_role("textbox", name="Link").fill("t.me/registration_bot?start=dl_pasted")
    await page.locator(".pick-row", has_text="Sam Cruz").click()
    await page.get_by_role("button", name="Open", exact=True).click()
    await expect(page.locator(".persona-chip")).to_contain_text("Sam Cruz")
    await expect(page.locator(".message.out").last).to_have_text(re.compile("/start dl_pasted"))


async def staff_scan_a_qr_code(page: Page, bot: Bot) -> None:
    ticket = qr_code("https://t.me/registration_bot?start=ci_sc4n")
    await bot.send_photo(ANA, BufferedInputFile(ticket, "ticket.png"), caption="Your ticket")
    await open_chat(page, ANA)
    await page.locator(".message.in .media-menu").last.click()
    await page.get_by_role("menuitem", name="Scan this QR code as…").click()
    # The staff member is the one chosen unless the person at the keyboard picks another.
    await expect(page.locator(".pick-row", has_text="Sam Cruz").locator("input")).to_be_checked()
    await page.get_by_role("button", name="Scan", exact=True).click()
    await expect(page.locator(".persona-chip")).to_contain_text("Sam Cruz")
    await expect(page.locator(".message.out").last).to_have_text(re.compile("/start ci_sc4n"))
    await page_settled(page)
