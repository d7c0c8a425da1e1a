"""The emulator's people (its default personas) and the pictures the tests send it."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

# Marie writes in French, Ana in English; Jonas organises (an admin once the launcher sets up the
# bot), Sam is staff.
MARIE, ANA, ORGANISER, STAFF = 7000001, 7000002, 7000010, 7000011


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def qr_code(text: str) -> bytes:
    pixels = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=8)
    return png(Image.fromarray(pixels))
