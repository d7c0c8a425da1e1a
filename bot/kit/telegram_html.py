"""Staff-written HTML, checked the way Telegram's HTML parse mode reads it.

A broadcast goes to hundreds of chats: text that Telegram would refuse ("can't parse entities")
must be caught while the staff member is still writing it, with a reason they can act on.
The rules are those of the Bot API's "HTML style" section: a fixed set of tags, properly nested
and closed, and only the character references &lt; &gt; &amp; &quot; and numeric ones.
"""

from __future__ import annotations

import re

from bot.core.i18n import N_
from bot.core.input_checks import InvalidAnswer

TEXT_LIMIT = 4096  # characters of a message after entity parsing
CAPTION_LIMIT = 1024  # characters of a photo or document caption

_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_VALUE = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9.-]+)"""
_START_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z_:-][^\s=>]*(?:\s*=\s*{_VALUE})?)*)\s*>")
_ATTRIBUTE = re.compile(rf"([A-Za-z_:-][^\s=>]*)(?:\s*=\s*({_VALUE}))?")
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")


def _reference(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if 0 < code <= 0x10FFFF else None


def _unquote(raw: str) -> str | None:
    if not raw:
        return None  # an attribute without "=value"
    value = raw[1:-1] if raw[:1] in "\"'" else raw
    return _REFERENCE.sub(lambda m: _reference(m) or m.group(0), value)


def _snippet(text: str, at: int) -> str:
    return text[at : at + 20]


def _check_start_tag(name: str, raw_attributes: str) -> None:
    attributes = {key.lower(): _unquote(value) for key, value in _ATTRIBUTE.findall(raw_attributes)}
    for key, value in attributes.items():
        if value is None and (name, key) != ("blockquote", "expandable"):
            raise InvalidAnswer(
                N_("In the tag &lt;{tag}&gt;, the attribute “{attribute}” needs a value in quotes."),
                tag=name,
                attribute=key,
            )
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise InvalidAnswer(N_('Telegram only accepts &lt;span class="tg-spoiler"&gt; (a spoiler).'))
    if name == "tg-emoji" and not (attributes.get("emoji-id") or "").isdigit():
        raise InvalidAnswer(N_("A &lt;tg-emoji&gt; tag needs a numeric emoji-id."))


def _tag(text: str, at: int, open_tags: list[str]) -> re.Match[str]:
    """The start or end tag at `at`, checked as Telegram checks it; `open_tags` follows it."""
    end = _END_TAG.match(text, at)
    if end is not None:
        name = end.group(1).lower()
        if not open_tags:
            raise InvalidAnswer(N_("&lt;/{tag}&gt; closes a tag that was never opened."), tag=name)
        expected = open_tags.pop()
        if name != expected:
            raise InvalidAnswer(
                N_("&lt;/{found}&gt; is where &lt;/{expected}&gt; should be: tags must be closed in order."),
                found=name,
                expected=expected,
            )
        return end
    start = _START_TAG.match(text, at)
    if start is None:
        raise InvalidAnswer(
            N_(
                "Telegram cannot read the tag at “{snippet}”. Check its quotes, or write &amp;lt; "
                "for a “&lt;” sign."
            ),
            snippet=_snippet(text, at),
        )
    name = start.group(1).lower()
    if name not in _TAGS:
        raise InvalidAnswer(
            N_(
                "Telegram does not support the tag &lt;{tag}&gt;. Use &lt;b&gt;, &lt;i&gt;, &lt;u&gt;, "
                '&lt;s&gt;, &lt;a href="…"&gt;, &lt;code&gt;, &lt;pre&gt;, &lt;blockquote&gt; '
                "or &lt;tg-spoiler&gt;."
            ),
            tag=name,
        )
    _check_start_tag(name, start.group(2))
    open_tags.append(name)
    return start


def check_html(text: str, limit: int = TEXT_LIMIT) -> str:
    """The text ready to send with parse_mode=HTML, or InvalidAnswer saying what Telegram would refuse.

    A '&' that starts no character reference is escaped (Telegram shows it as typed anyway).
    """
    out: list[str] = []
    plain: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            match = _REFERENCE.match(text, i)
            decoded = _reference(match) if match else None
            if match is None or decoded is None:
                out.append("&amp;")
                plain.append("&")
                i += 1
            else:
                out.append(match.group())
                plain.append(decoded)
                i = match.end()
            continue
        if char != "<":
            out.append(char)
            plain.append(char)
            i += 1
            continue
        match = _tag(text, i, open_tags)
        out.append(match.group())
        i = match.end()
    if open_tags:
        raise InvalidAnswer(
            N_("The tag &lt;{tag}&gt; is never closed: add &lt;/{tag}&gt;."), tag=open_tags[-1]
        )
    visible = "".join(plain)
    if not visible.strip():
        raise InvalidAnswer(N_("The message has no visible text."))
    # Telegram counts UTF-16 code units: an emoji outside the BMP counts twice.
    length = len(visible.encode("utf-16-le")) // 2
    if length > limit:
        raise InvalidAnswer(
            N_("The text is {length} characters long; Telegram allows {limit} here."),
            length=length,
            limit=limit,
        )
    return "".join(out)
