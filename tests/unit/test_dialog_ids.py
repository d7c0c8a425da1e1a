"""Dialogues opened within the same second get different ids (bot/kit/dialog_ids.py)."""

import time

from aiogram_dialog.api.entities import Stack

from bot.app import build_dispatcher
from tests.support.app import make_settings


def test_ids_made_within_one_second_do_not_collide(monkeypatch):
    build_dispatcher(make_settings())  # installs the ids
    monkeypatch.setattr(time, "time", lambda: 1_722_300_000.0)  # 30 July 2024, frozen
    ids = {Stack().push("RegistrationSG:language", None).id for _ in range(10_000)}
    # aiogram-dialog's own ids: at most 100 different ones within a second.
    assert len(ids) == 10_000
    assert max(len(intent_id) for intent_id in ids) <= 6
