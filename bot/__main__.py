"""`python -m bot [run | db upgrade]`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.app import build_bot, build_dispatcher
from bot.config import Settings, load_settings
from bot.db import create_engine, upgrade_schema

log = logging.getLogger("bot")


async def run(settings: Settings) -> None:
    if not settings.bot_token:
        raise SystemExit("Invalid setting BOT_TOKEN: missing (get one from @BotFather, see README)")
    dp = build_dispatcher(settings)
    if settings.migrate_on_start:
        await upgrade_schema(dp["engine"])
    bot = build_bot(settings)
    log.info("polling %s for event %s", settings.telegram_api_base, dp["conference"].id)
    # Pending updates are kept: they are what delegates sent while the bot was down.
    await dp.start_polling(bot, handle_signals=True)


async def db_upgrade(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_schema(engine)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start long polling (default)")
    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=["upgrade"], help="apply schema migrations")
    commands.add_parser("i18n", help="extract messages, update and check every catalog")
    args = parser.parse_args()
    if args.command == "i18n":
        from bot.i18n_tools import main as i18n_main

        raise SystemExit(i18n_main())
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "db":
        asyncio.run(db_upgrade(settings))
    else:
        asyncio.run(run(settings))


if __name__ == "__main__":
    main()
