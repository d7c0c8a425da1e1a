"""What the tests share about the bot under test: the test event and its clock, the settings, the
bot on top of the fake Bot API, a delegate's answers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Dispatcher

from bot.core.answers import Answers
from bot.core.crypto import new_key
from bot.core.settings import PROJECT_ROOT, Settings
from tests.support.chat import Chat
from tests.support.fake_telegram import FakeTelegram

POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
# One Redis database per pytest-xdist worker (15, 14...): tests that empty theirs run side by side.
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{15 - int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:])}"
EVENT_FILE = PROJECT_ROOT / "events" / "manila-2024.yaml"
# Ten days after the invitation letter: registration is open.
BEFORE_DEADLINE = datetime.fromisoformat("2024-04-20T10:00:00+08:00")
AFTER_DEADLINE = datetime.fromisoformat("2024-05-20T10:00:00+08:00")
# Passport numbers are stored encrypted: one key for the whole run.
PASSPORT_KEY = new_key()


def sample_answers(**changes: object) -> Answers:
    """A delegate's answers to the required questions (Ana Reyes, Akbayan, Philippines); `changes`
    override or add answers."""
    values: dict[str, object] = {
        "language": "en",
        "consent_version": "2024-04-10",
        "consent_at": BEFORE_DEADLINE,
        "full_name": "Ana Reyes",
        "gender": "woman",
        "country": "PH",
        "organisation": "Akbayan",
        "position": "International Secretary",
        "role": "delegate",
        "email": "ana@example.org",
        "phone": "+639171234567",
    }
    values.update(changes)
    return Answers.model_validate(values)


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": "123456:TEST-token",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "event_file": EVENT_FILE,
        "event_clock": BEFORE_DEADLINE,
        "admin_ids": frozenset({900}),
        "redis_url": None,
        "passport_key": PASSPORT_KEY,
        # Keywords alone: answers that do not change when the embeddings become ready in the
        # background. tests/unit/test_faq_matcher.py and test_semantic_answers.py match by meaning.
        "semantic_answers": False,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class App:
    fake: FakeTelegram
    dp: Dispatcher
    bot: Bot

    def chat(self, user_id: int = 1001, language_code: str | None = "en", first_name: str = "Ana") -> Chat:
        self.fake.user(user_id, first_name=first_name, language_code=language_code)
        return Chat(self.fake, self.dp, self.bot, user_id)
