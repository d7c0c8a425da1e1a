"""`python -m bot [run | webhook | db upgrade | purge | keys new | keys rotate]`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher

from bot.app import build_bot, build_dispatcher, privacy_service
from bot.core.clock import Clock
from bot.core.crypto import new_key
from bot.core.db import create_engine, upgrade_schema
from bot.core.settings import Settings, load_settings
from bot.kit.services import Services
from bot.runtime.logs import configure_logging
from bot.runtime.polling import poll
from bot.runtime.webhook import check_webhook_settings, serve_webhook

log = logging.getLogger("bot")


async def prepare(settings: Settings) -> tuple[Dispatcher, Bot]:
    """What polling and webhook mode do before taking updates: migrations and start-up checks."""
    dp = build_dispatcher(settings)
    services: Services = dp["services"]
    if settings.migrate_on_start:
        await upgrade_schema(services.engine)
    await services.registrations.record_form()
    unreadable = await services.privacy.unreadable_passports()
    if unreadable:
        raise SystemExit(
            f"Invalid setting PASSPORT_KEY: {unreadable} stored passport numbers cannot be decrypted "
            "with it (after adding a key, keep the old one after it: PASSPORT_KEY=new,old)"
        )
    bot = build_bot(settings)
    # What start-up made (about 380,000 objects, mostly aiogram's pydantic models) lives as long
    # as the process: kept out of the garbage collector's full sweeps, each 300 ms long.
    gc.collect()
    gc.freeze()
    return dp, bot


async def run(settings: Settings) -> None:
    if not settings.bot_token:
        # No token: the same bot, polling the local emulator, which serves a web chat.
        from bot.runtime.emulated import local_emulator

        async with local_emulator(settings) as emulated:
            await run(emulated)
        return
    dp, bot = await prepare(settings)
    await poll(dp, bot, settings.telegram_api_base, dp["services"].event.id)


async def webhook(settings: Settings) -> None:
    if not settings.bot_token:
        raise SystemExit("Invalid setting BOT_TOKEN: missing (get one from @BotFather, see README)")
    check_webhook_settings(settings)
    dp, bot = await prepare(settings)
    await serve_webhook(settings, dp, bot, dp["services"].engine)


async def db_upgrade(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_schema(engine)
    finally:
        await engine.dispose()


async def purge(settings: Settings, force: bool) -> None:
    """The retention purge, for organisers (the running bot also checks daily)."""
    async with privacy_service(settings) as privacy:
        now = Clock(settings.event_clock).now()
        if not privacy.purge_due(now) and not force:
            raise SystemExit(
                f"The retention period ends after {privacy.kept_until.isoformat()} "
                f"(RETENTION_DAYS={settings.retention_days}); use --force to erase now."
            )
        report = await privacy.purge(now)
        print(f"{report.registrations} registrations erased, {report.users} users' other data deleted.")


async def rotate_keys(settings: Settings) -> None:
    async with privacy_service(settings) as privacy:
        count = await privacy.rotate_passports()
        print(f"{count} passport numbers re-encrypted with the first key of PASSPORT_KEY.")


def run_until_done(work: Coroutine[Any, Any, None]) -> None:
    """On uvloop where it is installed (not on Windows): asyncio's loop written in C, 13% less CPU
    per registration step, measured in one process (docs/performance.md)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(work)
    else:
        uvloop.run(work)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start long polling (default); without BOT_TOKEN, the local emulator")
    commands.add_parser("webhook", help="serve Telegram's webhook (production, several replicas)")
    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=["upgrade"], help="apply schema migrations")
    purge_command = commands.add_parser("purge", help="erase personal data after the retention period")
    purge_command.add_argument("--force", action="store_true", help="erase now, before the period ends")
    keys = commands.add_parser("keys", help="passport encryption keys")
    keys.add_argument(
        "action", choices=["new", "rotate"], help="print a new key / re-encrypt under the first key"
    )
    i18n = commands.add_parser("i18n", help="extract messages, update and check the catalogs")
    i18n.add_argument("--only", nargs="+", metavar="LANG", help="only these catalogs (fr es ...)")
    content = commands.add_parser("content-missing", help="list event-file texts missing per language")
    content.add_argument("--only", nargs="+", metavar="LANG", help="only these languages (fil th ...)")
    args = parser.parse_args()
    if args.command == "content-missing":
        from bot.core.content_check import main as content_main

        raise SystemExit(content_main(load_settings().event_file, args.only))
    if args.command == "i18n":
        from bot.core.i18n_check import main as i18n_main

        raise SystemExit(i18n_main(args.only))
    if args.command == "keys" and args.action == "new":
        print(new_key())
        return
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "db":
        run_until_done(db_upgrade(settings))
    elif args.command == "purge":
        run_until_done(purge(settings, args.force))
    elif args.command == "keys":
        run_until_done(rotate_keys(settings))
    elif args.command == "webhook":
        run_until_done(webhook(settings))
    else:
        run_until_done(run(settings))


if __name__ == "__main__":
    main()
