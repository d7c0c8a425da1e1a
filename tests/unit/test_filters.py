"""The bot's filters and handlers run in the event loop, not in aiogram's worker threads."""

from aiogram import Router
from aiogram.types import Chat, Message

from bot.app import build_dispatcher
from bot.kit.filters import PRIVATE_CHAT
from tests.support.app import make_settings


def routers(router: Router):
    yield router
    for sub_router in router.sub_routers:
        yield from routers(sub_router)


def test_no_filter_or_handler_of_the_bot_runs_in_a_worker_thread():
    """aiogram runs a plain callable (a bare `F...` magic filter, a sync function) with
    `asyncio.to_thread`: under load, every update waited for threads (bench/dialogue.py).
    Filters go through `bot.kit.filters.Inline`. aiogram-dialog's own background-update
    observer (`aiogd_update`, used only by `manager.bg()`) is its business."""
    dp = build_dispatcher(make_settings())
    in_threads = []
    for router in routers(dp):
        for name, observer in router.observers.items():
            if name == "aiogd_update":
                continue
            for handler in [observer._handler, *observer.handlers]:
                if handler is not observer._handler and not handler.awaitable:
                    in_threads.append(f"{router.name}.{name}: handler {handler.callback!r}")
                for event_filter in handler.filters or []:
                    if not event_filter.awaitable:
                        in_threads.append(f"{router.name}.{name}: filter {event_filter.magic!r}")
    assert in_threads == []


async def test_inline_magic_filters_still_filter():
    private = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": Chat(id=5, type="private").model_dump(), "text": "hi"}
    )
    group = private.model_copy(update={"chat": Chat(id=-5, type="group")})
    assert await PRIVATE_CHAT(private) is True
    assert await PRIVATE_CHAT(group) is False
    assert await (~PRIVATE_CHAT)(group) is True
