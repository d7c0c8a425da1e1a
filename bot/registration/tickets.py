"""The delegate's ticket: registration code and a QR code that staff scan at the entrance."""

from __future__ import annotations

import io
from html import escape

import zxingcpp
from aiogram import Bot
from aiogram.types import BufferedInputFile
from PIL import Image

from bot.core.event import Event, localized
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.models import Registration

CHECKIN_PREFIX = "ci"


async def checkin_link(bot: Bot, registration: Registration) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={CHECKIN_PREFIX}_{registration.checkin_token}"


def qr_png(data: str) -> bytes:
    # Error correction "Q" survives a cracked phone screen or a glare at the entrance.
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    # 10 pixels a module and the 4-module quiet zone scanners need.
    pixels = code.to_image(scale=10, add_quiet_zones=True)
    height, width = pixels.shape
    image = Image.frombuffer("L", (width, height), pixels, "raw", "L", 0, 1)
    buffer = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(buffer, "PNG")
    return buffer.getvalue()


async def send_ticket(bot: Bot, chat_id: int, registration: Registration, event: Event) -> None:
    language = get_i18n().current_locale
    caption = _(
        "✅ <b>You are registered</b> for {event_name}.\n\n"
        "Your registration code: <b>{code}</b>\n"
        "Show this QR code at the entrance to check in."
    ).format(event_name=escape(localized(event.name, language)), code=registration.code)
    png = qr_png(await checkin_link(bot, registration))
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename=f"{registration.code}.png"),
        caption=caption,
    )
