"""The emulator alone, with a bot client: the test plays the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.runtime.emulated import LETTER_MORNING
from emulator.server import Emulator, EmulatorInfo


@pytest.fixture
async def emulator(tmp_path) -> AsyncIterator[Emulator]:
    """On the invitation letter's morning, as `make run` starts it; its chats kept in tmp_path."""
    server = Emulator(state_file=tmp_path / "emulator.json", info=EmulatorInfo(clock=LETTER_MORNING))
    await server.start()
    yield server
    await server.stop()
    server.assert_no_violations()


@pytest.fixture
async def bot(emulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    async with Bot("42:local-emulator", session=session) as client:
        yield client
