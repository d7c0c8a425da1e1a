"""The HTML checker for staff-written broadcasts, and its agreement with the fake Bot API's parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.input_checks import InvalidAnswer
from bot.kit.telegram_html import CAPTION_LIMIT, check_html
from tests.support.fake_telegram import check_telegram_html


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Hello <b>everyone</b>!", "Hello <b>everyone</b>!"),
        ('<a href="https://example.org/?a=1&amp;b=2">programme</a>', None),
        ("<B>Upper</B> <i>and <u>nested</u></i>", None),
        ("<blockquote expandable>long</blockquote><tg-spoiler>x</tg-spoiler>", None),
        ('<pre><code class="language-python">1 &lt; 2</code></pre>', None),
        ("a > b and 1 &#60; 2", None),
        ("Tom & Jerry &nbsp;", "Tom &amp; Jerry &amp;nbsp;"),
    ],
)
def test_accepts_what_telegram_accepts(text: str, sent: str | None) -> None:
    result = check_html(text)
    assert result == (sent or text)
    assert check_telegram_html(result)[1] is None


@pytest.mark.parametrize(
    ("text", "msgid_part", "values"),
    [
        ("<div>block</div>", "does not support the tag", {"tag": "div"}),
        ("<b>unclosed", "never closed", {"tag": "b"}),
        ("<b>x</i>", "closed in order", {"found": "i", "expected": "b"}),
        ("x</b>", "never opened", {"tag": "b"}),
        ("1 < 2", "cannot read the tag", {"snippet": "< 2"}),
        ("<a href=https://x.org>x</a>", "cannot read the tag", {}),
        ("<b bold>x</b>", "needs a value", {"tag": "b", "attribute": "bold"}),
        ("<span>x</span>", "tg-spoiler", {}),
        ("<tg-emoji>x</tg-emoji>", "emoji-id", {}),
    ],
)
def test_rejects_with_a_reason(text: str, msgid_part: str, values: dict) -> None:
    with pytest.raises(InvalidAnswer) as raised:
        check_html(text)
    assert msgid_part in raised.value.msgid
    assert values.items() <= raised.value.values.items()
    assert check_telegram_html(text)[1] is not None, "Telegram would refuse it too"


def test_text_must_be_visible() -> None:
    with pytest.raises(InvalidAnswer) as raised:
        check_html("<b> </b>")
    assert "no visible text" in raised.value.msgid


def test_length_is_counted_after_parsing_in_utf16_units() -> None:
    assert check_html("<b>" + "x" * CAPTION_LIMIT + "</b>", CAPTION_LIMIT)
    with pytest.raises(InvalidAnswer) as raised:
        check_html("😀" * (CAPTION_LIMIT // 2 + 1), CAPTION_LIMIT)
    assert raised.value.values == {"length": CAPTION_LIMIT + 2, "limit": CAPTION_LIMIT}


_FRAGMENTS = st.sampled_from(
    [
        "a",
        " ",
        "é",
        "😀",
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;",
        "&#169;",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<u>",
        "</u>",
        '<a href="https://x.org">',
        "</a>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        "<blockquote expandable>",
        "</blockquote>",
        '<span class="tg-spoiler">',
        "</span>",
        "<div>",
        "</div>",
        "<b x>",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12).map("".join))
def test_agrees_with_the_fake_telegram_parser(text: str) -> None:
    """What the checker passes, Telegram (as the fake implements it) parses; what Telegram parses,
    the checker passes unchanged (the fake refuses a bare '&', which the checker escapes)."""
    try:
        sent = check_html(text)
    except InvalidAnswer:
        sent = None
    if sent is not None:
        assert check_telegram_html(sent)[1] is None
    plain, error = check_telegram_html(text)
    if error is None and plain.strip():
        assert sent == text
