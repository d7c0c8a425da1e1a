"""A fake Telegram Bot API server on loopback that validates every request against the spec.

The tests' fake server (imported there as `tests.fake_telegram`) and the core of the local
emulator. Usage::

    async with FakeTelegram() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot("42:TEST", session=session)
        ...
        fake.assert_no_violations()

The spec is ``emulator/data/telegram-bot-api.json`` (Bot API 10.1, format of
PaulSonOfLars/telegram-bot-api-spec). Requests are checked for: known method, required fields,
unknown fields, JSON types (recursively through the spec's types, "X or Y" unions included),
"N-M characters/bytes/items" limits from the descriptions, and Telegram's HTML parse mode.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

SPEC_PATH = Path(__file__).parent / "data" / "telegram-bot-api.json"
BOT_USER: dict[str, Any] = {
    "id": 42,
    "is_bot": True,
    "first_name": "Test Bot",
    "username": "test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query id is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"

# Allowlist of what aiogram 3.31 (Bot API 10.3) may send although the 10.1 spec file lacks it.
# Values of tolerated fields are not validated: the file has no type for them.
_NEWER_METHODS = frozenset(  # Bot API 10.3 ephemeral messages
    {
        "deleteephemeralmessage",
        "editephemeralmessagecaption",
        "editephemeralmessagemedia",
        "editephemeralmessagereplymarkup",
        "editephemeralmessagetext",
    }
)
_SEND_EXTRAS = frozenset({"ephemeral_message_parameters"})  # 10.3, on every aiogram send* method
_INPUT_MEDIA_EXTRAS = frozenset({"reply_markup"})
_TOLERATED_FIELDS: dict[str, frozenset[str]] = {
    # Deprecated but still accepted by Telegram; aiogram sends it implicitly when
    # DefaultBotProperties(link_preview_is_disabled=...) is set.
    "sendMessage": frozenset({"disable_web_page_preview"}),
    "editMessageText": frozenset({"disable_web_page_preview"}),
    # Bot API 10.2/10.3 fields present in aiogram's types.
    "InlineKeyboardButton": frozenset({"disabled"}),
    "BotCommand": frozenset({"is_ephemeral"}),
    "ReplyParameters": frozenset({"ephemeral_message_id"}),
    # aiogram-dialog 2.6 MessageManager.edit_media() passes reply_markup to the InputMedia*
    # constructor and aiogram serialises that extra key; Telegram ignores it.
    "InputMediaAnimation": _INPUT_MEDIA_EXTRAS,
    "InputMediaAudio": _INPUT_MEDIA_EXTRAS,
    "InputMediaDocument": _INPUT_MEDIA_EXTRAS,
    "InputMediaPhoto": _INPUT_MEDIA_EXTRAS,
    "InputMediaVideo": _INPUT_MEDIA_EXTRAS,
}

# Media kinds a message can carry, with the extra fields aiogram requires on each object.
_MEDIA_KINDS: dict[str, dict[str, Any]] = {
    "photo": {"width": 1280, "height": 960},
    "document": {},
    "video": {"width": 640, "height": 480, "duration": 1},
    "animation": {"width": 320, "height": 240, "duration": 1},
    "audio": {"duration": 1},
    "voice": {"duration": 1},
    "video_note": {"length": 240, "duration": 1},
    "sticker": {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
}
_MEDIA_METHODS = {"send" + kind.replace("_", ""): kind for kind in _MEDIA_KINDS}
_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "InputFile": lambda v: isinstance(v, str) and v.startswith("attach://"),
}
_LIMIT_RE = re.compile(r"(\d+)-(\d+) (characters|bytes|items)", re.IGNORECASE)
_CONST_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?$')
_PARSE_MODES = frozenset({"", "html", "markdown", "markdownv2"})
_STRING_INSTEAD = "String can be used instead of this object"
# "Exactly one of the fields other than text, ... must be used", "one of the optional fields"
_ONE_OF_RE = re.compile(
    r"(exactly|at most) one of the (?:fields other than (.+?) must|optional fields)", re.I
)


# ---------------------------------------------------------------- Telegram HTML parse mode

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"<(/?)([^\s>]*)")
_END_TAG = re.compile(r"</([^\s>]*)\s*>")
_START_TAG = re.compile(r"""<[^\s>]+((?:\s+[^\s=>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9.-]+))?)*)\s*>""")
_ATTRIBUTE = re.compile(r"""([^\s=>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[A-Za-z0-9.-]+))?""")
_ENTITY_ARGUMENT = {"a": "url", "pre": "language", "tg-emoji": "custom_emoji_id"}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_ref(ref: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = ref.groups()
    if named:
        return _NAMED_REFS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if 0 < code < 0x10FFFF else None


def _attribute_value(raw: str) -> str:
    """Unquote; references are decoded, a bare '&' is kept literally (as tdlib does)."""
    value = raw[1:-1] if raw[:1] in "\"'" else raw.lower()
    return _CHAR_REF.sub(lambda m: _decode_ref(m) or m.group(0), value)


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, Any]], str | None]:
    """Parse like Telegram's HTML mode: (plain text, MessageEntity dicts, error or None)."""
    plain: list[str] = []
    utf16 = 0
    stack: list[list[Any]] = []  # [tag, utf16 start offset, argument]
    entities: list[dict[str, Any]] = []
    i = 0

    def fail(problem: str, pos: int, detail: str = "") -> tuple[str, list[dict[str, Any]], str]:
        at = f"at byte offset {len(text[:pos].encode())}"
        return "".join(plain), [], f"can't parse entities: {problem} {at}{detail}"

    while i < len(text):
        char = text[i]
        if char == "&":
            ref = _CHAR_REF.match(text, i)
            decoded = _decode_ref(ref) if ref else None
            if ref is None or decoded is None:
                return fail('unescaped "&" (use &amp;)', i)
            plain.append(decoded)
            utf16 += _utf16_len(decoded)
            i = ref.end()
            continue
        if char != "<":
            plain.append(char)
            utf16 += _utf16_len(char)
            i += 1
            continue
        name_match = _TAG_NAME.match(text, i)
        assert name_match is not None  # the pattern always matches at '<'
        slash, name = name_match.group(1), name_match.group(2).lower()
        if slash:
            end = _END_TAG.match(text, i)
            if not stack:
                return fail("Unexpected end tag", i)
            if end is None:
                return fail("Unclosed end tag", i)
            tag, start, argument = stack.pop()
            if name and name != tag:
                return fail("Unmatched end tag", i, f', expected "</{tag}>", found "</{name}>"')
            if tag == "code" and argument and stack and stack[-1][0] == "pre":
                stack[-1][2] = argument  # <pre><code class="language-x"> is one pre entity
            elif utf16 > start:
                entity: dict[str, Any] = {
                    "type": _HTML_TAGS[tag],
                    "offset": start,
                    "length": utf16 - start,
                }
                if argument and tag in _ENTITY_ARGUMENT:
                    entity[_ENTITY_ARGUMENT[tag]] = argument
                if tag == "blockquote" and argument:
                    entity["type"] = "expandable_blockquote"
                if tag != "a" or argument:
                    entities.append(entity)
            i = end.end()
            continue
        if text.find(">", i) < 0:
            return fail("Unclosed start tag", i)
        if name not in _HTML_TAGS:
            return fail(f'Unsupported start tag "{name}"', i)
        start_tag = _START_TAG.match(text, i)
        if start_tag is None:
            return fail(f'Bad attributes in start tag "{name}"', i)
        attributes = {
            key.lower(): None if value == "" else _attribute_value(value)
            for key, value in _ATTRIBUTE.findall(start_tag.group(1))
        }
        if any(
            value is None for key, value in attributes.items() if (name, key) != ("blockquote", "expandable")
        ):
            return fail(f'Expected equal sign in an attribute of the tag "{name}"', i)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            return fail('Tag "span" must have class "tg-spoiler"', i)
        if name == "tg-emoji" and not (attributes.get("emoji-id") or "").isdigit():
            return fail("Invalid custom emoji identifier specified", i)
        language = attributes.get("class") or ""
        argument = {
            "a": attributes.get("href"),
            "code": language[9:] if language.startswith("language-") else None,
            "tg-emoji": attributes.get("emoji-id"),
            "blockquote": "expandable" if "expandable" in attributes else None,
        }.get(name)
        stack.append([name, utf16, argument])
        i = start_tag.end()
    if stack:
        error = f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"'
        return "".join(plain), [], f"can't parse entities: {error}"
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities, None


def check_telegram_html(text: str) -> tuple[str, str | None]:
    """Check `text` as Telegram's parse_mode=HTML would: (plain text, error or None).

    Stricter than Telegram in one way: a bare '&' in text is an error (Telegram keeps it).
    """
    plain, _, error = parse_telegram_html(text)
    return plain, error


# ---------------------------------------------------------------- spec validation


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _const(field_spec: dict[str, Any]) -> str | None:
    """Discriminator value of a 'type'/'source'/'status' field ('always "photo"')."""
    match = _CONST_RE.search(field_spec["description"])
    return match.group(1) if match and field_spec["name"] in ("type", "source", "status") else None


def _governing_parse_mode(name: str, field_names: set[str]) -> str | None:
    """The sibling field holding the parse mode of string field `name`, if any."""
    if f"{name}_parse_mode" in field_names:
        return f"{name}_parse_mode"
    if "parse_mode" in field_names and (
        f"{name}_entities" in field_names or (name in ("text", "message_text") and "entities" in field_names)
    ):
        return "parse_mode"
    return None


class _Validator:
    """Checks one request; collects human-readable errors as 'path: problem'."""

    def __init__(self, spec: dict[str, Any], files: Mapping[str, bytes]) -> None:
        self.types: dict[str, Any] = spec["types"]
        self.files = files

    def expand(self, types: list[str]) -> list[str]:
        """Concrete alternatives: abstract types become their subtypes; types whose
        description allows a String instead (KeyboardButton) get String too."""
        out: list[str] = []
        for name in types:
            spec = self.types.get(name, {})
            if spec.get("subtypes"):
                out.extend(self.expand(spec["subtypes"]))
                continue
            out.append(name)
            if _STRING_INSTEAD in " ".join(spec.get("description", [])):
                out.append("String")
        return out

    def kind_ok(self, value: Any, type_name: str) -> bool:
        if type_name.startswith("Array of "):
            return isinstance(value, list)
        if type_name in _PRIMITIVES:
            return _PRIMITIVES[type_name](value)
        subtypes = self.types.get(type_name, {}).get("subtypes")
        if subtypes:
            return any(self.kind_ok(value, sub) for sub in subtypes)
        return isinstance(value, dict)

    def coerce(self, raw: Any, types: list[str]) -> Any:
        """Decode a top-level form/JSON string the way Telegram does (numbers, JSON objects)."""
        if not isinstance(raw, str) or types == ["String"] or raw.startswith("attach://"):
            return raw
        try:
            decoded = json.loads(raw)
        except ValueError:
            return raw
        fits = any(t != "String" and self.kind_ok(decoded, t) for t in self.expand(types))
        return decoded if fits else raw

    def check_value(self, value: Any, types: list[str], path: str) -> list[str]:
        """Errors of `value` against the union `types` (empty if any alternative fits)."""
        if isinstance(value, str) and value.startswith("attach://") and value[9:] not in self.files:
            return [f"{path}: {value} names no uploaded file part"]
        candidates = [t for t in self.expand(types) if self.kind_ok(value, t)]
        if not candidates:
            got = type(value).__name__ if value is not None else "null"
            return [f"{path}: expected {' or '.join(types)}, got {got} {value!r:.60}"]
        results = []
        for type_name in candidates:
            errors = self.check_one(value, type_name, path)
            if not errors:
                return []
            results.append((self.rank(value, type_name), len(errors), errors))
        return min(results, key=lambda r: r[:2])[2]

    def check_one(self, value: Any, type_name: str, path: str) -> list[str]:
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            return [
                e for n, item in enumerate(value) for e in self.check_value(item, [inner], f"{path}[{n}]")
            ]
        spec = self.types.get(type_name)
        if spec is None or "fields" not in spec:
            return []  # primitive (kind already checked) or a field-less placeholder type
        return self.check_object(type_name, spec["fields"], value, path)

    def rank(self, value: Any, type_name: str) -> int:
        """How plausible `type_name` is for a failing union value (lower is better)."""
        fields = self.types.get(type_name, {}).get("fields")
        if not fields or not isinstance(value, dict):
            return 0
        if any(_const(f) not in (None, value.get(f["name"])) for f in fields):
            return 2
        return 0 if all(f["name"] in value for f in fields if f["required"]) else 1

    def check_object(
        self, owner: str, fields: list[dict[str, Any]], obj: dict[str, Any], path: str
    ) -> list[str]:
        names = {f["name"] for f in fields}
        tolerated = _TOLERATED_FIELDS.get(owner, frozenset())
        if owner.startswith("send"):
            tolerated |= _SEND_EXTRAS
        errors = [f"{path}.{key}: unknown field" for key in obj if key not in names and key not in tolerated]
        errors += self.check_one_of(owner, fields, obj, path)
        for f in fields:
            name, where = f["name"], f"{path}.{f['name']}"
            if name not in obj:
                if f["required"]:
                    errors.append(f"{where}: required field is missing")
                continue
            value = obj[name]
            value_errors = self.check_value(value, f["types"], where)
            const = _const(f)
            if not value_errors and const is not None and value != const:
                value_errors = [f'{where}: must be "{const}", got {value!r}']
            if not value_errors and name.endswith("parse_mode") and value.lower() not in _PARSE_MODES:
                value_errors = [f"{where}: unsupported parse_mode {value!r}"]
            if not value_errors:
                mode_field = _governing_parse_mode(name, names)
                mode = obj.get(mode_field) if mode_field else None
                value_errors = self.check_limits(value, f["description"], mode, where)
            errors.extend(value_errors)
        return errors

    def check_one_of(
        self, owner: str, fields: list[dict[str, Any]], obj: dict[str, Any], path: str
    ) -> list[str]:
        """The "exactly/at most one of the fields ..." rule of a type's description."""
        rule = _ONE_OF_RE.search(" ".join(self.types.get(owner, {}).get("description", [])))
        if rule is None:
            return []
        quantity, others = rule.group(1).lower(), rule.group(2)
        exempt = set(re.findall(r"\w+", others)) if others else {f["name"] for f in fields if f["required"]}
        used = [f["name"] for f in fields if f["name"] in obj and f["name"] not in exempt]
        if len(used) > 1 or (not used and quantity == "exactly"):
            return [
                f"{path}: {quantity} one of the fields other than {sorted(exempt)} must be used, got {used}"
            ]
        return []

    @staticmethod
    def check_limits(value: Any, description: str, parse_mode: Any, path: str) -> list[str]:
        """HTML parse mode, then "N-M characters/bytes/items" (text measured after parsing)."""
        html = isinstance(value, str) and isinstance(parse_mode, str) and parse_mode.lower() == "html"
        if html:
            value, error = check_telegram_html(value)
            if error:
                return [f"{path}: {error}"]
        limit = _LIMIT_RE.search(description)
        if not limit:
            return []
        low, high, unit = int(limit.group(1)), int(limit.group(2)), limit.group(3).lower()
        if isinstance(value, list) and unit == "items":
            size = len(value)
        elif isinstance(value, str) and unit == "bytes":
            size = len(value.encode())
        elif isinstance(value, str) and unit == "characters":
            size = len(value) if value.strip() else 0  # Telegram trims whitespace-only text
        else:
            return []
        if low <= size <= high:
            return []
        parsed = " after entities parsing" if html else ""
        return [f"{path}: must be {low}-{high} {unit}{parsed}, got {size}"]


# ---------------------------------------------------------------- server state


@dataclass
class Call:
    """One recorded request; params are decoded (numbers, booleans and JSON objects)."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)


@dataclass
class StoredMessage:
    """A message in a chat as Telegram keeps it; `data` is the Message object returned."""

    data: dict[str, Any]
    from_bot: bool
    reply_markup: dict[str, Any] | None = None  # as sent, reply keyboards included
    deleted: bool = False
    edits: list[Call] = field(default_factory=list)

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    @property
    def text(self) -> str | None:
        return self.data.get("text")

    @property
    def caption(self) -> str | None:
        return self.data.get("caption")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return (self.data.get("reply_markup") or {}).get("inline_keyboard") or []


class ApiError(Exception):
    """A Telegram error answer: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, description: str, error_code: int = 400, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.description, self.error_code, self.retry_after = description, error_code, retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.error_code)


@dataclass
class FakeUser:
    """A Telegram user; its methods build updates, push them and return them."""

    fake: FakeTelegram = field(repr=False)
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def as_dict(self) -> dict[str, Any]:
        user = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        return {key: value for key, value in user.items() if value is not None}

    def send(self, text: str) -> dict[str, Any]:
        return self.fake.push_update(self.fake.message_update(self.id, text))

    def press(self, button_text: str) -> dict[str, Any]:
        """Press the inline button whose text contains `button_text` in the latest keyboard."""
        message, data = self.fake._find_button(self.id, button_text)
        return self.fake.push_update(self.fake.callback_update(self.id, message.message_id, data))

    def share_contact(self, phone_number: str) -> dict[str, Any]:
        return self.fake.push_update(self.fake.contact_update(self.id, phone_number))

    def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        return self.fake.push_update(self.fake.sticker_update(self.id, emoji))

    def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        return self.fake.push_update(self.fake.photo_update(self.id, caption))


class FakeTelegram:
    """Fake Bot API server behaving like Telegram for private chats (groups: chat_id < 0)."""

    def __init__(self, spec_path: Path = SPEC_PATH, poll_timeout_cap: float = 1.0) -> None:
        self.spec = load_spec(spec_path)
        self.methods: dict[str, dict[str, Any]] = {
            name.lower(): m for name, m in self.spec["methods"].items()
        }
        self.poll_timeout_cap = poll_timeout_cap
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.blocked_chats: set[int] = set()
        self.files: dict[str, bytes] = {}  # file_id -> content, served by getFile + /file/
        self._results: dict[str, Any] = {}  # lower-case method -> canned result
        self._chats: dict[int, list[StoredMessage]] = {}
        self._users: dict[int, FakeUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)  # file ids, callback query ids, media groups
        self._open_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._faults: dict[str, list[ApiError]] = {}
        self._delays: dict[str, list[float]] = {}
        self._new_update = asyncio.Event()
        self.bot_user: dict[str, Any] = dict(BOT_USER)  # what getMe answers
        self.chat_titles: dict[int, str] = {}  # group chat id -> title
        # Bumped on every change to a chat (message stored, edited or deleted): watchers wait on it.
        self.revision = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._handlers: dict[str, Callable[[Call], Any]] = {
            "getme": lambda call: self.bot_user,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "getfile": self._get_file,
            "setmycommands": self._set_commands,
            "getmycommands": lambda call: self._commands.get(self._scope_key(call.params), []),
            "deletemycommands": self._delete_commands,
            "answercallbackquery": self._answer_callback_query,
            "editmessagetext": self._edit_text,
            "editmessagecaption": self._edit_caption,
            "editmessagereplymarkup": lambda call: self._edit(call, lambda data: None),
            "editmessagemedia": self._edit_media,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "sendmediagroup": self._send_media_group,
            "copymessage": self._copy_message,
        }

    # -- lifecycle

    def application(self) -> web.Application:
        """The Bot API routes (a subclass may add its own, as the emulator's web chat does)."""
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            self._new_update.set()  # release long polls
            self._changed.set()  # and watchers
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- inspection

    def assert_no_violations(self) -> None:
        if self.violations:
            raise AssertionError("Bot API spec violations:\n  " + "\n  ".join(self.violations))

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def chat(self, chat_id: int) -> list[StoredMessage]:
        """All messages of the chat (user's and bot's, deleted ones flagged), oldest first."""
        return self._chats.setdefault(chat_id, [])

    def last_message(self, chat_id: int) -> StoredMessage | None:
        return next((m for m in reversed(self.chat(chat_id)) if m.from_bot and not m.deleted), None)

    def find_button(self, chat_id: int, text_substring: str) -> str:
        """callback_data of the button containing `text_substring` in the latest keyboard."""
        return self._find_button(chat_id, text_substring)[1]

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard currently shown in the chat (None if never sent or removed)."""
        keyboard = None
        for message in self.chat(chat_id):
            markup = message.reply_markup or {}
            if message.from_bot and ("keyboard" in markup or "remove_keyboard" in markup):
                keyboard = markup if "keyboard" in markup else None
        return keyboard

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return self._commands.get(self._scope_key({"scope": scope, "language_code": language_code}), [])

    async def wait_change(self, revision: int, seconds: float) -> int:
        """Wait until `revision` is no longer current (or `seconds` pass); the current revision."""
        if self.revision == revision:
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), seconds)
            except TimeoutError:
                pass
        return self.revision

    def _touch(self) -> None:
        self.revision += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 3.0) -> None:
        """Wait until `predicate()` holds (e.g. the bot answered), or fail the test."""
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                recent = ", ".join(call.method for call in self.calls[-10:])
                raise AssertionError(f"condition not met in {seconds}s; last calls: {recent}")
            await asyncio.sleep(0.01)

    # -- canned answers and fault injection

    def set_result(self, method: str, result: Any) -> None:
        """Answer `method` with `result` (for methods the fake otherwise answers with True)."""
        self._results[method.lower()] = result

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        default = {
            400: "Bad Request: injected error",
            403: BLOCKED,
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
        }.get(error_code, "Injected error")
        error = ApiError(description or default, error_code, retry_after)
        self._faults.setdefault(method.lower(), []).extend([error] * times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls of `method` only after `seconds` (a slow Telegram)."""
        self._delays.setdefault(method.lower(), []).extend([seconds] * times)

    # -- incoming updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update for getUpdates (update_id assigned if missing)."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            latest = update["update_id"]
            self._update_ids = itertools.count(max(latest + 1, next(self._update_ids)))
        self._updates.append(update)
        self._new_update.set()
        return update

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Register (or replace) a user profile used by the update builders."""
        self._users[user_id] = FakeUser(self, user_id, first_name, last_name, username, language_code)
        return self._users[user_id]

    def message_update(self, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text, **extra}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        return self._user_message(user_id, content)

    def callback_update(
        self,
        user_id: int,
        message_id: int,
        data: str,
        check_button: bool = True,
        *,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A press on a button of a stored bot message (its callback_data must exist there),
        in the user's private chat unless `chat_id` names a group."""
        chat_id = user_id if chat_id is None else chat_id
        message = next((m for m in self.chat(chat_id) if m.message_id == message_id), None)
        if message is None or message.deleted:
            raise AssertionError(f"no live message {message_id} in chat {chat_id}")
        datas = [b.get("callback_data") for row in message.inline_keyboard for b in row]
        if check_button and data not in datas:
            raise AssertionError(f"message {message_id} has no button {data!r}; has {datas}")
        query_id = str(next(self._ids))
        self._open_queries.add(query_id)
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": self._user(user_id).as_dict(),
                "chat_instance": str(chat_id),
                "message": copy.deepcopy(message.data),
                "data": data,
            },
        }

    def contact_update(self, user_id: int, phone_number: str) -> dict[str, Any]:
        """The user shares their own contact (e.g. via a request_contact button)."""
        user = self._user(user_id)
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user_id}
        return self._user_message(user_id, {"contact": contact})

    def sticker_update(self, user_id: int, emoji: str = "👍") -> dict[str, Any]:
        sticker = {**self._media_object("sticker", f"sticker-{next(self._ids)}"), "emoji": emoji}
        return self._user_message(user_id, {"sticker": sticker})

    def photo_update(
        self, user_id: int, caption: str | None = None, content: bytes = b"\xff\xd8fake-jpeg"
    ) -> dict[str, Any]:
        file_id = f"photo-{next(self._ids)}"
        self.files[file_id] = content
        message: dict[str, Any] = {"photo": self._media_object("photo", file_id)}
        if caption is not None:
            message["caption"] = caption
        return self._user_message(user_id, message)

    def document_update(
        self, user_id: int, file_name: str, content: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = f"document-{next(self._ids)}"
        self.files[file_id] = content
        message: dict[str, Any] = {
            "document": {**self._media_object("document", file_id), "file_name": file_name}
        }
        if caption is not None:
            message["caption"] = caption
        return self._user_message(user_id, message)

    def voice_update(self, user_id: int, content: bytes = b"OggS-fake-voice") -> dict[str, Any]:
        file_id = f"voice-{next(self._ids)}"
        self.files[file_id] = content
        return self._user_message(user_id, {"voice": self._media_object("voice", file_id)})

    def location_update(self, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
        return self._user_message(user_id, {"location": {"latitude": latitude, "longitude": longitude}})

    def edited_message_update(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits the text of one of their messages in their private chat."""
        message = self._message(user_id, message_id, "message to edit not found")
        if message.from_bot:
            raise AssertionError(f"message {message_id} is the bot's, not the user's")
        message.data = {**message.data, "text": text, "edit_date": int(time.time())}
        message.data.pop("entities", None)
        return {"update_id": next(self._update_ids), "edited_message": copy.deepcopy(message.data)}

    def group_message_update(
        self, chat_id: int, user_id: int, text: str, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        """A user writes in a group (chat_id < 0), optionally replying to one of its messages."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if reply_to_message_id is not None:
            original = self._message(chat_id, reply_to_message_id, "message to reply not found")
            content["reply_to_message"] = copy.deepcopy(original.data)
        return self._user_message(user_id, content, chat_id=chat_id)

    def _user(self, user_id: int) -> FakeUser:
        return self._users.get(user_id) or FakeUser(self, user_id, f"User{user_id}")

    def _user_message(
        self, user_id: int, content: dict[str, Any], chat_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        message = self._store(chat_id, content, from_bot=False, sender=user_id)
        return {"update_id": next(self._update_ids), "message": message.data}

    def _find_button(self, chat_id: int, text_substring: str) -> tuple[StoredMessage, str]:
        keyboards = [m for m in self.chat(chat_id) if m.from_bot and not m.deleted and m.inline_keyboard]
        if not keyboards:
            raise AssertionError(f"no message with an inline keyboard in chat {chat_id}")
        buttons = [b for row in keyboards[-1].inline_keyboard for b in row]
        for button in buttons:
            if text_substring in button["text"] and "callback_data" in button:
                return keyboards[-1], button["callback_data"]
        raise AssertionError(
            f"no callback button containing {text_substring!r} in message "
            f"{keyboards[-1].message_id}; buttons: "
            f"{[(b['text'], b.get('callback_data')) for b in buttons]}"
        )

    # -- HTTP

    async def _handle_method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        try:
            params, files, filenames = await _read_params(request)
        except ValueError as error:
            self.violations.append(f"{name}: {error}")
            return ApiError(f"Bad Request: {error}").response()
        spec = self.methods.get(name.lower())
        validator = _Validator(self.spec, files)
        if spec is not None:
            types = {f["name"]: f["types"] for f in spec.get("fields", [])}
            params = {k: validator.coerce(v, types[k]) if k in types else v for k, v in params.items()}
        call = Call(spec["name"] if spec else name, params, files, filenames)
        self.calls.append(call)
        if spec is None:
            if name.lower() in _NEWER_METHODS:
                return web.json_response({"ok": True, "result": True})
            self.violations.append(f"{name}: unknown Bot API method")
            return ApiError("Not Found", 404).response()
        errors = validator.check_object(spec["name"], spec.get("fields", []), params, spec["name"])
        if errors:
            self.violations.extend(errors)
            return ApiError(f"Bad Request: {errors[0]}").response()
        try:
            result = await self._dispatch(call)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, call: Call) -> Any:
        key = call.method.lower()
        if self._delays.get(key):
            await asyncio.sleep(self._delays[key].pop(0))
        if self._faults.get(key):
            raise self._faults[key].pop(0)
        chat_id = call.params.get("chat_id")
        sends = key.startswith("send") or key in ("copymessage", "forwardmessage")
        if sends and chat_id in self.blocked_chats:
            raise ApiError(BLOCKED, 403)
        if key in self._results:
            return self._results[key]
        handler = self._handlers.get(key)
        if handler is None and self.methods[key].get("returns") == ["Message"]:
            handler = self._send
        result = handler(call) if handler else True
        return await result if asyncio.iscoroutine(result) else result

    async def _handle_file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["path"].removeprefix("files/"))
        if content is None:
            return ApiError("Not Found", 404).response()
        return web.Response(body=content)

    # -- method handlers

    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        offset = call.params.get("offset", 0)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and call.params.get("timeout", 0) > 0 and self._runner:
            self._new_update.clear()
            wait = min(call.params["timeout"], self.poll_timeout_cap)
            try:
                await asyncio.wait_for(self._new_update.wait(), wait)
            except TimeoutError:
                pass
        return self._updates[: call.params.get("limit", 100)]

    def _delete_webhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_file(self, call: Call) -> dict[str, Any]:
        file_id = call.params["file_id"]
        if file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_commands(self, call: Call) -> bool:
        self._commands[self._scope_key(call.params)] = call.params["commands"]
        return True

    def _delete_commands(self, call: Call) -> bool:
        self._commands.pop(self._scope_key(call.params), None)
        return True

    def _answer_callback_query(self, call: Call) -> bool:
        query_id = call.params["callback_query_id"]
        if query_id not in self._open_queries:
            raise ApiError(QUERY_INVALID)  # unknown or already answered
        self._open_queries.remove(query_id)
        return True

    def _send(self, call: Call) -> dict[str, Any]:
        p = call.params
        content: dict[str, Any] = {}
        if call.method == "sendMessage":
            _set_text(content, "text", p["text"], p.get("parse_mode"), p.get("entities"))
        kind = _MEDIA_METHODS.get(call.method.lower())
        if kind:
            content[kind] = self._media(kind, p[kind], call)
        if "caption" in p:
            _set_text(content, "caption", p["caption"], p.get("parse_mode"), p.get("caption_entities"))
        if "latitude" in p:
            content["location"] = {"latitude": p["latitude"], "longitude": p["longitude"]}
        if call.method == "sendVenue":
            content["venue"] = {
                "location": content["location"],
                "title": p["title"],
                "address": p["address"],
            }
        if call.method == "sendContact":
            content["contact"] = {k: p[k] for k in ("phone_number", "first_name", "last_name") if k in p}
        return self._store(self._chat_id(p["chat_id"]), content, p.get("reply_markup")).data

    def _send_media_group(self, call: Call) -> list[dict[str, Any]]:
        chat_id, group_id = self._chat_id(call.params["chat_id"]), str(next(self._ids))
        sent = []
        for item in call.params["media"]:
            content = {
                "media_group_id": group_id,
                item["type"]: self._media(item["type"], item["media"], call),
            }
            if "caption" in item:
                _set_text(
                    content,
                    "caption",
                    item["caption"],
                    item.get("parse_mode"),
                    item.get("caption_entities"),
                )
            sent.append(self._store(chat_id, content).data)
        return sent

    def _copy_message(self, call: Call) -> dict[str, int]:
        p = call.params
        source = self._message(p["from_chat_id"], p["message_id"], "message to copy not found")
        content = {
            k: v
            for k, v in source.data.items()
            if k in _MEDIA_KINDS
            or k in ("text", "entities", "caption", "caption_entities", "contact", "location")
        }
        if "caption" in p:
            _set_text(content, "caption", p["caption"], p.get("parse_mode"), p.get("caption_entities"))
        copied = self._store(self._chat_id(p["chat_id"]), content, p.get("reply_markup"))
        return {"message_id": copied.message_id}

    def _edit(self, call: Call, apply: Callable[[dict[str, Any]], None]) -> dict[str, Any] | bool:
        """Edit a stored bot message like Telegram (errors for unknown/unchanged messages)."""
        p = call.params
        if "inline_message_id" in p:
            return True
        if "chat_id" not in p or "message_id" not in p:
            raise ApiError("Bad Request: message identifier is not specified")
        message = self._message(p["chat_id"], p["message_id"], "message to edit not found")
        if not message.from_bot:
            raise ApiError("Bad Request: message can't be edited")
        old = {k: v for k, v in message.data.items() if k != "edit_date"}
        new = copy.deepcopy(old)
        apply(new)
        _set_markup(new, p.get("reply_markup"))
        if new == old:
            raise ApiError(NOT_MODIFIED)
        message.data = {**new, "edit_date": int(time.time())}
        message.reply_markup = p.get("reply_markup")
        message.edits.append(call)
        self._touch()
        return message.data

    def _edit_text(self, call: Call) -> dict[str, Any] | bool:
        def apply(data: dict[str, Any]) -> None:
            if "text" not in data:
                raise ApiError("Bad Request: there is no text in the message to edit")
            p = call.params
            _set_text(data, "text", p["text"], p.get("parse_mode"), p.get("entities"))

        return self._edit(call, apply)

    def _edit_caption(self, call: Call) -> dict[str, Any] | bool:
        def apply(data: dict[str, Any]) -> None:
            if "text" in data:
                raise ApiError("Bad Request: there is no caption in the message to edit")
            p = call.params
            _set_text(data, "caption", p.get("caption"), p.get("parse_mode"), p.get("caption_entities"))

        return self._edit(call, apply)

    def _edit_media(self, call: Call) -> dict[str, Any] | bool:
        media = call.params["media"]

        def apply(data: dict[str, Any]) -> None:
            for key in [*_MEDIA_KINDS, "text", "entities"]:
                data.pop(key, None)
            data[media["type"]] = self._media(media["type"], media["media"], call)
            _set_text(
                data,
                "caption",
                media.get("caption"),
                media.get("parse_mode"),
                media.get("caption_entities"),
            )

        return self._edit(call, apply)

    def _delete_message(self, call: Call) -> bool:
        p = call.params
        self._message(p["chat_id"], p["message_id"], "message to delete not found").deleted = True
        self._touch()
        return True

    def _delete_messages(self, call: Call) -> bool:
        chat_id = self._chat_id(call.params["chat_id"])
        for message in self.chat(chat_id):
            if message.message_id in call.params["message_ids"]:
                message.deleted = True
        self._touch()
        return True

    # -- message store

    def _chat_id(self, chat_id: Any) -> int:
        if not isinstance(chat_id, int):
            raise ApiError("Bad Request: chat not found")  # @usernames are unknown here
        return chat_id

    def _message(self, chat_id: Any, message_id: int, not_found: str) -> StoredMessage:
        for message in self.chat(self._chat_id(chat_id)):
            if message.message_id == message_id and not message.deleted:
                return message
        raise ApiError(f"Bad Request: {not_found}")

    def _chat_dict(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": self._user(chat_id).first_name}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": self.chat_titles.get(chat_id, "Test Group")}

    def _store(
        self,
        chat_id: int,
        content: dict[str, Any],
        reply_markup: dict[str, Any] | None = None,
        from_bot: bool = True,
        sender: int | None = None,
    ) -> StoredMessage:
        """`sender`: the user writing (in a group); in a private chat, the chat's user."""
        messages = self.chat(chat_id)
        data = {
            "message_id": len(messages) + 1,
            "date": int(time.time()),
            "chat": self._chat_dict(chat_id),
            "from": self.bot_user if from_bot else self._user(sender or chat_id).as_dict(),
            **content,
        }
        _set_markup(data, reply_markup)
        messages.append(StoredMessage(data, from_bot, reply_markup))
        self._touch()
        return messages[-1]

    def _media(self, kind: str, ref: str, call: Call) -> Any:
        """Media object for a sent file: an upload ("attach://part"), a file_id or a URL."""
        if ref.startswith("attach://"):
            part = ref.removeprefix("attach://")
            file_id = f"{kind}-{next(self._ids)}"
            self.files[file_id] = call.files[part]
            media = self._media_object(kind, file_id)
            if kind == "document":
                media["file_name"] = call.filenames.get(part, part)
            return media
        if ref.startswith(("http://", "https://")):
            return self._media_object(kind, f"{kind}-{next(self._ids)}")
        return self._media_object(kind, ref)

    def _media_object(self, kind: str, file_id: str) -> Any:
        media = {"file_id": file_id, "file_unique_id": f"u-{file_id}", **_MEDIA_KINDS[kind]}
        if file_id in self.files:
            media["file_size"] = len(self.files[file_id])
        if kind == "photo":  # Telegram sends several sizes, the largest last
            thumb = {
                "file_id": f"{file_id}-s",
                "file_unique_id": f"u-{file_id}-s",
                "width": 90,
                "height": 90,
            }
            return [thumb, media]
        return media


def _set_text(
    data: dict[str, Any],
    key: str,
    text: str | None,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
) -> None:
    """Store text/caption as Telegram returns it: plain text plus entities."""
    entities_key = "entities" if key == "text" else f"{key}_entities"
    data.pop(key, None)
    data.pop(entities_key, None)
    if not text:
        return
    if (parse_mode or "").lower() == "html":
        text, entities, _ = parse_telegram_html(text)  # already validated
    data[key] = text  # Markdown modes are stored unparsed
    if entities:
        data[entities_key] = entities


def _set_markup(data: dict[str, Any], markup: dict[str, Any] | None) -> None:
    """Only non-empty inline keyboards are part of a Message object."""
    if markup and markup.get("inline_keyboard"):
        data["reply_markup"] = markup
    else:
        data.pop("reply_markup", None)


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, bytes], dict[str, str]]:
    """Query string plus a JSON, urlencoded or multipart body -> (params, files, filenames)."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    filenames: dict[str, str] = {}
    if request.content_type == "application/json":
        body = await request.text()
        try:
            decoded = json.loads(body) if body else {}
        except ValueError as error:
            raise ValueError(f"request body is not valid JSON: {error}") from error
        if not isinstance(decoded, dict):
            raise ValueError("request body must be a JSON object")
        params.update(decoded)
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
                filenames[key] = value.filename
            else:
                params[key] = value
    return params, files, filenames
