"""The local emulator: the fake Bot API server plus a web chat in which one person plays several
Telegram users (delegates, an organiser, a staff member) and the organisers' group.

The bot talks to it over HTTP exactly as to Telegram (long polling with getUpdates); the page talks
to the JSON routes under /api and follows changes through server-sent events (/api/events). Chats,
files and counters are kept in a JSON file, so that a restart neither loses the conversation nor
reuses a message id the bot may still want to edit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import itertools
import json
import logging
import mimetypes
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import zxingcpp
from aiohttp import web
from PIL import Image

from emulator.botapi import Call, FakeTelegram, StoredMessage

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
STATE_VERSION = 1
SAVE_DELAY = 0.5  # seconds: a burst of bot requests is saved once
MAX_TEXT = 4096  # Telegram's limit for a message's text
MAX_UPLOAD = 20 * 2**20
KEEPALIVE = 15.0  # seconds between SSE comments, so that proxies keep the stream open
PAGE_SECURITY = {
    # The page renders the bot's messages from entities with DOM text nodes; the policy is a
    # second line of defence.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}
LANGUAGES = {
    # language_code values a Telegram client may send (IETF tags, as Telegram spells them)
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "tl": "Filipino (tl)",
    "id": "Indonesian",
    "ms": "Malay",
    "th": "Thai",
    "vi": "Vietnamese",
    "km": "Khmer",
    "my": "Burmese",
    "mn": "Mongolian",
    "ne": "Nepali",
    "hi": "Hindi",
    "bn": "Bengali",
    "ur": "Urdu",
    "ja": "Japanese",
    "ko": "Korean",
    "zh-hant": "Chinese (Traditional)",
    "pt-br": "Portuguese (Brazil)",
}


@dataclass
class Persona:
    """A Telegram user the person at the keyboard can play."""

    id: int
    first_name: str
    last_name: str | None
    language_code: str
    role: str  # delegate, organiser, staff
    phone: str  # what the share-contact button shares
    admin: bool = False  # in the bot's ADMIN_IDS (set by the launcher)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


DEFAULT_PERSONAS = (
    Persona(7000001, "Marie", "Dubois", "fr", "delegate", "+33612345678"),
    Persona(7000002, "Ana", "Reyes", "en", "delegate", "+639171234567"),
    Persona(7000003, "Lucía", "García", "es", "delegate", "+34612345678"),
    Persona(7000004, "Budi", "Santoso", "id", "delegate", "+628123456789"),
    Persona(7000010, "Jonas", "Weber", "de", "organiser", "+4915123456789"),
    Persona(7000011, "Sam", "Cruz", "en", "staff", "+639189876543"),
)
# Telegram opens t.me links to a bot with a start parameter of these characters only.
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
LINK_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
GROUP_ID = -1001000000001
GROUP_TITLE = "Organisers"
BOT_PROFILE = {"first_name": "Registration Bot", "username": "registration_bot"}


@dataclass
class EmulatorInfo:
    """What the page shows about the bot's set-up (given by whoever starts the bot)."""

    clock: datetime | None = None  # the bot's frozen "now" (EVENT_CLOCK)
    clock_set_by_emulator: bool = False
    notes: list[str] = field(default_factory=list)
    # The real time (Unix seconds) at which the bot started reading `clock`: the page shows a
    # message sent n seconds later at `clock` + n, so that chats happen on the event's day.
    since: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        clock = None
        if self.clock is not None:
            offset = self.clock.strftime("%z")
            clock = {
                "iso": self.clock.isoformat(),
                "label": f"{self.clock:%a} {self.clock.day} {self.clock:%B %Y, %H:%M} "
                f"(UTC{offset[:3]}:{offset[3:]})",
                "timestamp": self.clock.timestamp(),
                "utc_offset": int(self.clock.utcoffset().total_seconds()),  # EVENT_CLOCK has an offset
                "since": self.since,
            }
        return {"clock": clock, "clock_set_by_emulator": self.clock_set_by_emulator, "notes": self.notes}


class Emulator(FakeTelegram):
    def __init__(
        self,
        personas: tuple[Persona, ...] | list[Persona] = DEFAULT_PERSONAS,
        group_id: int = GROUP_ID,
        group_title: str = GROUP_TITLE,
        state_file: Path | None = None,
        info: EmulatorInfo | None = None,
    ) -> None:
        # Long polls may wait as long as the bot asks (aiogram: 10 s); the tests' cap is 1 s.
        super().__init__(poll_timeout_cap=30.0)
        self.bot_user.update(BOT_PROFILE)
        self.personas: dict[int, Persona] = {}
        for persona in personas:
            self.add_persona(persona)
        self.group_id = group_id
        self.chat_titles[group_id] = group_title
        self.state_file = state_file
        self.info = info or EmulatorInfo()
        self.toasts: list[dict[str, Any]] = []  # answers to button presses, for the page
        self._query_chats: dict[str, int] = {}
        self._save_task: asyncio.Task[None] | None = None
        self._closing = False
        self._reported = 0  # spec violations already logged
        if state_file is not None and state_file.exists():
            try:
                self._restore(json.loads(state_file.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError) as error:
                kept = state_file.with_suffix(".broken")
                state_file.replace(kept)
                log.warning("emulator state unreadable (%s), kept as %s: starting afresh", error, kept)

    def add_persona(self, persona: Persona) -> Persona:
        self.personas[persona.id] = persona
        self.user(persona.id, persona.first_name, persona.last_name, None, persona.language_code)
        return persona

    @property
    def group_members(self) -> list[Persona]:
        return [p for p in self.personas.values() if p.role in ("organiser", "staff")]

    # -- lifecycle

    def application(self) -> web.Application:
        app = super().application()
        app.router.add_get("/", self._page)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._api_state)
        app.router.add_get("/api/chats/{chat_id}", self._api_chat)
        app.router.add_post("/api/chats/{chat_id}/send", self._api_send)
        app.router.add_post("/api/chats/{chat_id}/press", self._api_press)
        app.router.add_post("/api/chats/{chat_id}/contact", self._api_contact)
        app.router.add_post("/api/chats/{chat_id}/sticker", self._api_sticker)
        app.router.add_post("/api/chats/{chat_id}/users", self._api_share_users)
        app.router.add_post("/api/chats/{chat_id}/upload", self._api_upload)
        app.router.add_post("/api/chats/{chat_id}/scan", self._api_scan)
        app.router.add_post("/api/personas", self._api_new_persona)
        app.router.add_post("/api/links/open", self._api_open_link)
        app.router.add_get("/api/files/{file_id}", self._api_file)
        app.router.add_get("/api/events", self._api_events)
        return app

    async def stop(self) -> None:
        self._closing = True  # ends the pages' event streams
        await super().stop()
        if self._save_task is not None:
            self._save_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._save_task
        self.save()

    # -- persistence

    def _touch(self) -> None:
        super()._touch()
        if self.state_file is not None and (self._save_task is None or self._save_task.done()):
            with contextlib.suppress(RuntimeError):  # no running loop: saved at stop
                self._save_task = asyncio.get_running_loop().create_task(self._save_soon())

    async def _save_soon(self) -> None:
        await asyncio.sleep(SAVE_DELAY)
        self.save()

    def save(self) -> None:
        if self.state_file is None:
            return
        state = {
            "version": STATE_VERSION,
            "next_update_id": self._peek("_update_ids"),
            "next_id": self._peek("_ids"),
            "chats": {
                str(chat_id): [
                    {
                        "data": m.data,
                        "from_bot": m.from_bot,
                        "reply_markup": m.reply_markup,
                        "deleted": m.deleted,
                    }
                    for m in messages
                ]
                for chat_id, messages in self._chats.items()
            },
            "files": {file_id: base64.b64encode(content).decode() for file_id, content in self.files.items()},
            "commands": [
                [scope, language, commands] for (scope, language), commands in self._commands.items()
            ],
            "updates": self._updates,
            "personas": [asdict(p) for p in self.personas.values()],
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.state_file)

    def _peek(self, counter: str) -> int:
        value = next(getattr(self, counter))
        setattr(self, counter, itertools.count(value))
        return value

    def _restore(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            log.warning("emulator state in %s has another format: starting afresh", self.state_file)
            return
        # Everything is read before anything is applied: a damaged file changes nothing.
        chats = {
            int(chat_id): [
                StoredMessage(m["data"], m["from_bot"], m["reply_markup"], m["deleted"]) for m in messages
            ]
            for chat_id, messages in state["chats"].items()
        }
        files = {file_id: base64.b64decode(content) for file_id, content in state["files"].items()}
        commands = {(scope, language): listed for scope, language, listed in state["commands"]}
        added = [Persona(**{**p, "admin": False}) for p in state["personas"] if p["id"] not in self.personas]
        self._update_ids = itertools.count(int(state["next_update_id"]))
        self._ids = itertools.count(int(state["next_id"]))
        self._chats, self.files, self._commands = chats, files, commands
        self._updates = list(state["updates"])
        for persona in added:  # delegates added in the page
            self.add_persona(persona)

    # -- Bot API behaviour the page needs

    async def _handle_method(self, request: web.Request) -> web.Response:
        response = await super()._handle_method(request)
        # Telegram would refuse these requests: say so where the person trying the bot looks.
        for violation in self.violations[self._reported :]:
            log.warning("Telegram would refuse this request: %s", violation)
        self._reported = len(self.violations)
        return response

    def callback_update(
        self,
        user_id: int,
        message_id: int,
        data: str,
        check_button: bool = True,
        *,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        update = super().callback_update(user_id, message_id, data, check_button, chat_id=chat_id)
        self._query_chats[update["callback_query"]["id"]] = user_id if chat_id is None else chat_id
        return update

    def _answer_callback_query(self, call: Call) -> bool:
        answered = super()._answer_callback_query(call)
        chat_id = self._query_chats.pop(call.params["callback_query_id"], None)
        if call.params.get("text") and chat_id is not None:
            self.toasts.append(
                {
                    "chat_id": chat_id,
                    "text": call.params["text"],
                    "alert": bool(call.params.get("show_alert")),
                }
            )
            self._touch()
        return answered

    def delivered_in_group(self, message: dict[str, Any]) -> bool:
        """Telegram's privacy mode: in groups a bot gets commands, replies to its own messages
        and mentions of its username, not the rest of the conversation."""
        text = message.get("text") or ""
        reply = message.get("reply_to_message") or {}
        return (
            text.startswith("/")
            or (reply.get("from") or {}).get("id") == self.bot_user["id"]
            or f"@{self.bot_user['username']}".lower() in text.lower()
        )

    def commands_for(self, chat_id: int, language_code: str) -> list[dict[str, Any]]:
        """The command menu a user sees, by Telegram's rules: the most specific scope set, each
        first for the user's language, then for all languages."""
        kind = "all_private_chats" if chat_id > 0 else "all_group_chats"
        languages = [language_code, language_code.split("-")[0], ""]
        for scope in ({"type": "chat", "chat_id": chat_id}, {"type": kind}, {"type": "default"}):
            for language in languages:
                commands = self._commands.get(self._scope_key({"scope": scope, "language_code": language}))
                if commands:
                    return commands
        return []

    def current_reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard shown in the chat, with the id of the message that brought it."""
        current = None
        for message in self.chat(chat_id):
            markup = message.reply_markup or {}
            if message.from_bot and ("keyboard" in markup or "remove_keyboard" in markup):
                current = {"message_id": message.message_id, **markup} if "keyboard" in markup else None
        return current

    def start_command(self, link: str) -> str:
        """What a Telegram client sends on opening a link to this bot: /start and the link's
        start parameter. ValueError for a link that does not open this bot."""
        link = link.strip()
        url = urlsplit(link if "://" in link else f"https://{link}")
        query = parse_qs(url.query)
        if url.scheme == "tg" and url.netloc == "resolve":
            username = query.get("domain", [""])[0]
        elif url.scheme in ("http", "https") and url.hostname in LINK_HOSTS:
            username = url.path.strip("/")
        else:
            raise ValueError(f"not a Telegram link: {link[:100]}")
        if username.lower() != self.bot_user["username"].lower():
            raise ValueError(f"not a link to @{self.bot_user['username']}: {link[:100]}")
        parameter = query.get("start", [""])[0]
        if not parameter:
            return "/start"
        if not START_PARAMETER.fullmatch(parameter):
            raise ValueError("Telegram drops start parameters other than 1-64 of A-Z, a-z, 0-9, _ and -")
        return f"/start {parameter}"

    # -- the page's API

    async def _page(self, request: web.Request) -> web.Response:
        response = web.FileResponse(STATIC / "index.html")
        response.headers.update(PAGE_SECURITY)
        return response

    async def _api_state(self, request: web.Request) -> web.Response:
        chats = [self._chat_summary(p.id, p.name, "private", persona=p) for p in self.personas.values()]
        group = self._chat_summary(self.group_id, self.chat_titles[self.group_id], "group")
        group["members"] = [p.id for p in self.group_members]
        return web.json_response(
            {
                "bot": self.bot_user,
                "info": self.info.as_dict(),
                "revision": self.revision,
                "chats": [*chats, group],
                "languages": LANGUAGES,
            }
        )

    def _chat_summary(
        self, chat_id: int, title: str, kind: str, persona: Persona | None = None
    ) -> dict[str, Any]:
        live = [m for m in self.chat(chat_id) if not m.deleted]
        last = live[-1].data if live else None
        summary: dict[str, Any] = {
            "id": chat_id,
            "kind": kind,
            "title": title,
            "bot_messages": sum(1 for m in live if m.from_bot),
            "last": _preview(last) if last else None,
        }
        if persona is not None:
            summary["persona"] = {**asdict(persona), "name": persona.name}
        return summary

    async def _api_chat(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request)
        language = self.personas[chat_id].language_code if chat_id in self.personas else "en"
        messages = [{**m.data, "from_bot": m.from_bot} for m in self.chat(chat_id) if not m.deleted]
        return web.json_response(
            {
                "id": chat_id,
                "revision": self.revision,
                "messages": messages,
                "reply_keyboard": self.current_reply_keyboard(chat_id),
                "commands": self.commands_for(chat_id, language),
            }
        )

    async def _api_send(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request)
        body = await _json_body(request)
        sender = self._sender(chat_id, body)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise web.HTTPBadRequest(text="empty message")
        if len(text) > MAX_TEXT:
            raise web.HTTPBadRequest(text=f"a message holds at most {MAX_TEXT} characters")
        if chat_id > 0:
            self.push_update(self.message_update(sender, text))
            return web.json_response({"delivered": True})
        reply_to = body.get("reply_to")
        try:
            update = self.group_message_update(
                chat_id, sender, text, reply_to if isinstance(reply_to, int) else None
            )
        except Exception as error:  # the message replied to is gone
            raise web.HTTPConflict(text=str(error)) from error
        delivered = self.delivered_in_group(update["message"])
        if delivered:
            self.push_update(update)
        return web.json_response({"delivered": delivered})

    async def _api_press(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request)
        body = await _json_body(request)
        sender = self._sender(chat_id, body)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise web.HTTPBadRequest(text="message_id and data expected")
        try:
            update = self.callback_update(sender, message_id, data, chat_id=chat_id if chat_id < 0 else None)
        except AssertionError as error:  # the message or its button is gone
            raise web.HTTPConflict(text=str(error)) from error
        self.push_update(update)
        return web.json_response({"delivered": True})

    async def _api_contact(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request, private=True)
        self.push_update(self.contact_update(chat_id, self.personas[chat_id].phone))
        return web.json_response({"delivered": True})

    async def _api_share_users(self, request: web.Request) -> web.Response:
        """A request_users button: the people picked in the page's list of users."""
        chat_id = self._known_chat(request, private=True)
        body = await _json_body(request)
        request_id, picked = body.get("request_id"), body.get("user_ids")
        if not isinstance(request_id, int) or not isinstance(picked, list) or not picked:
            raise web.HTTPBadRequest(text="request_id and user_ids expected")
        if any(user_id not in self.personas or user_id == chat_id for user_id in picked):
            raise web.HTTPBadRequest(text="only other emulated users can be picked")
        users = [
            {
                "user_id": p.id,
                "first_name": p.first_name,
                **({"last_name": p.last_name} if p.last_name else {}),
            }
            for p in (self.personas[user_id] for user_id in picked)
        ]
        shared = {"users_shared": {"request_id": request_id, "users": users}}
        self.push_update(self._user_message(chat_id, shared))
        return web.json_response({"delivered": True})

    async def _api_sticker(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request, private=True)
        self.push_update(self.sticker_update(chat_id, "👍"))
        return web.json_response({"delivered": True})

    async def _api_upload(self, request: web.Request) -> web.Response:
        chat_id = self._known_chat(request, private=True)
        if request.content_length and request.content_length > MAX_UPLOAD:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=request.content_length)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="a file is expected")
        content = upload.file.read()
        caption = form.get("caption") if isinstance(form.get("caption"), str) else None
        if (upload.content_type or "").startswith("image/"):
            self.push_update(self.photo_update(chat_id, caption or None, content))
        else:
            self.push_update(
                self.document_update(chat_id, upload.filename or "file", content, caption or None)
            )
        return web.json_response({"delivered": True})

    async def _api_open_link(self, request: web.Request) -> web.Response:
        """A t.me link opened by the chosen user, as from another app or a pasted link."""
        body = await _json_body(request)
        user_id, link = self._chosen_user(body), body.get("link")
        if not isinstance(link, str):
            raise web.HTTPBadRequest(text="a link is expected")
        try:
            command = self.start_command(link)
        except ValueError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        self.push_update(self.message_update(user_id, command))
        return web.json_response({"delivered": True, "chat_id": user_id, "text": command})

    async def _api_scan(self, request: web.Request) -> web.Response:
        """A photo in a chat scanned with the chosen user's phone: the link in its QR code opens
        the bot for that user (how staff check delegates in with their tickets)."""
        chat_id = self._known_chat(request)
        body = await _json_body(request)
        user_id, message_id = self._chosen_user(body), body.get("message_id")
        photo = next(
            (
                m.data["photo"]
                for m in self.chat(chat_id)
                if m.message_id == message_id and not m.deleted and "photo" in m.data
            ),
            None,
        )
        if photo is None:
            raise web.HTTPNotFound(text="no such photo")
        # Decoding a large photo takes a moment: the bot's requests go on meanwhile.
        found = await asyncio.to_thread(_read_qr, self.files[photo[-1]["file_id"]])
        if found is None:
            raise web.HTTPUnprocessableEntity(text="No QR code found in this photo.")
        try:
            command = self.start_command(found)
        except ValueError:
            raise web.HTTPUnprocessableEntity(
                text=f"The QR code does not open @{self.bot_user['username']}: it holds {found[:200]}"
            ) from None
        self.push_update(self.message_update(user_id, command))
        return web.json_response({"delivered": True, "chat_id": user_id, "text": command, "link": found})

    async def _api_new_persona(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        first_name = str(body.get("first_name") or "").strip()[:64]
        language = str(body.get("language_code") or "en")
        if not first_name or language not in LANGUAGES:
            raise web.HTTPBadRequest(text="a first name and a known language are expected")
        new_id = max(self.personas) + 1
        last_name = str(body.get("last_name") or "").strip()[:64] or None
        # A valid-looking Philippine mobile number, different for each new delegate.
        phone = f"+63917{new_id % 10_000_000:07d}"
        persona = self.add_persona(Persona(new_id, first_name, last_name, language, "delegate", phone))
        self._touch()
        return web.json_response({**asdict(persona), "name": persona.name})

    async def _api_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        content = self.files.get(file_id)
        if content is None:
            raise web.HTTPNotFound(text="no such file")
        name = self._file_name(file_id)
        content_type = (
            _sniff_image(content) or mimetypes.guess_type(name or "")[0] or "application/octet-stream"
        )
        headers = {"Cache-Control": "private, max-age=86400, immutable", "X-Content-Type-Options": "nosniff"}
        if not content_type.startswith("image/") or request.query.get("download"):
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name or file_id)}"
        return web.Response(body=content, content_type=content_type, headers=headers)

    def _file_name(self, file_id: str) -> str | None:
        for messages in self._chats.values():
            for message in messages:
                document = message.data.get("document")
                if document and document.get("file_id") == file_id:
                    return document.get("file_name")
        return None

    async def _api_events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: `change` with the revision, `toast` for button answers."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        revision, toasts_sent = -1, len(self.toasts)
        try:
            while not self._closing:
                if revision != self.revision:
                    revision = self.revision
                    await response.write(
                        f"event: change\ndata: {json.dumps({'revision': revision})}\n\n".encode()
                    )
                for toast in self.toasts[toasts_sent:]:
                    await response.write(
                        f"event: toast\ndata: {json.dumps(toast, ensure_ascii=False)}\n\n".encode()
                    )
                toasts_sent = len(self.toasts)
                if await self.wait_change(revision, KEEPALIVE) == revision:
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    def _known_chat(self, request: web.Request, private: bool = False) -> int:
        try:
            chat_id = int(request.match_info["chat_id"])
        except ValueError:
            raise web.HTTPNotFound(text="no such chat") from None
        if chat_id in self.personas or (chat_id == self.group_id and not private):
            return chat_id
        raise web.HTTPNotFound(text="no such chat")

    def _chosen_user(self, body: dict[str, Any]) -> int:
        user_id = body.get("user_id")
        if user_id not in self.personas:
            raise web.HTTPBadRequest(text="user_id of an emulated user expected")
        return int(user_id)

    def _sender(self, chat_id: int, body: dict[str, Any]) -> int:
        """The user writing: the chat's own in a private chat, a member in the group."""
        if chat_id > 0:
            return chat_id
        sender = body.get("from")
        if sender not in {p.id for p in self.group_members}:
            raise web.HTTPBadRequest(text="only the organisers' group members write there")
        return int(sender)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="JSON body expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    return body


def _read_qr(content: bytes) -> str | None:
    try:
        image = Image.open(io.BytesIO(content))
        found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except OSError:  # not an image Pillow reads
        return None
    return found.text if found else None


def _preview(message: dict[str, Any]) -> dict[str, Any]:
    """One line for the chat list."""
    if message.get("text"):
        text = message["text"]
    elif message.get("caption"):
        text = message["caption"]
    else:
        kinds = ("photo", "document", "venue", "location", "contact", "sticker")
        text = next((f"[{kind}]" for kind in kinds if kind in message), "[message]")
    return {"text": text.split("\n", 1)[0][:80], "date": message["date"]}


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def _sniff_image(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _IMAGE_MAGIC if content.startswith(magic)), None)


def _quote(name: str) -> str:
    return quote(name, safe="")
