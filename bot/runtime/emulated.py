"""`make run` without BOT_TOKEN: the bot against the local emulator, with a web chat to try it.

The emulator (package `emulator`) knows nothing of the bot. This module starts it and points the
bot's settings at it (a dummy token, TELEGRAM_API_BASE), so that the bot runs the production code:
long polling over HTTP. For a newcomer it also fills in what a first try needs: an admin (the
emulator's organiser) when ADMIN_IDS is empty, the organisers' group, the event clock on the
morning of the invitation letter when EVENT_CLOCK is not set (registration is then open), and a
passport key kept beside the local database when PASSPORT_KEY is not set.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.core.crypto import new_key
from bot.core.settings import PROJECT_ROOT, Settings, SettingsError, sqlite_path
from emulator.server import DEFAULT_PERSONAS, GROUP_ID, Emulator, EmulatorInfo

log = logging.getLogger(__name__)

# The invitation letter is dated 10 April 2024, Berlin.
LETTER_MORNING = datetime.fromisoformat("2024-04-10T09:00:00+02:00")


def data_dir(settings: Settings) -> Path:
    """Beside the SQLite database (data/ by default), so that deleting one resets both."""
    database = sqlite_path(settings.database_url)
    return database.parent if database is not None else PROJECT_ROOT / "data"


def local_passport_key(directory: Path) -> str:
    """A key for this computer's trial data only; production sets PASSPORT_KEY."""
    path = directory / "emulator-passport.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key() + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@asynccontextmanager
async def local_emulator(settings: Settings) -> AsyncIterator[Settings]:
    """Start the emulator; yield the bot's settings pointing at it; stop it afterwards."""
    organiser = next(p for p in DEFAULT_PERSONAS if p.role == "organiser")
    admin_ids = settings.admin_ids or frozenset({organiser.id})
    clock = settings.event_clock or LETTER_MORNING
    # The organisers' group, where the bot hands delegates' questions over: the emulator's.
    group_id = settings.organiser_chat_id or GROUP_ID
    overrides: dict[str, Any] = {"admin_ids": admin_ids, "event_clock": clock, "organiser_chat_id": group_id}
    directory = data_dir(settings)
    if settings.passport_key is None:
        overrides["passport_key"] = SecretStr(local_passport_key(directory))

    notes = []
    if not settings.admin_ids:
        notes.append(f"ADMIN_IDS is empty: {organiser.name} is the admin.")
    emulator = Emulator(
        personas=[replace(p, admin=p.id in admin_ids) for p in DEFAULT_PERSONAS],
        group_id=group_id,
        state_file=directory / "emulator.json",
        info=EmulatorInfo(clock=clock, clock_set_by_emulator=settings.event_clock is None, notes=notes),
    )
    try:
        await emulator.start(port=settings.emulator_port)
    except OSError as error:
        raise SettingsError(
            f"Invalid setting EMULATOR_PORT: cannot listen on 127.0.0.1:{settings.emulator_port} "
            f"({error.strerror}); set another port"
        ) from None
    token = f"{emulator.bot_user['id']}:local-emulator"
    overrides.update(bot_token=token, telegram_api_base=emulator.base_url)
    print(
        f"\n  No BOT_TOKEN: the bot runs against the local emulator.\n"
        f"  Open {emulator.base_url} in your browser to chat with it.\n",
        flush=True,
    )
    try:
        yield settings.model_copy(update=overrides)
    finally:
        await emulator.stop()
