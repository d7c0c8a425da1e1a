"""What a person meets first: the language they pick, confirmed in it and followed at once by their
command menu; and organisers' own entry points, the staff home (/start) and /help with their
commands, while delegates keep theirs."""

from __future__ import annotations

from bot.app import DELEGATE_COMMANDS
from bot.core.i18n import DEFAULT_LANGUAGE, language_name, supported_languages, telegram_language_code
from bot.registration.start import help_text
from bot.staff.commands import ADMIN_COMMANDS, STAFF_COMMANDS
from tests.support.chat import Chat
from tests.support.walk import S, prompt, register, translated

ADMIN = 900  # in ADMIN_IDS (tests/support/app.py)
STAFF = 950  # granted the staff role in the tests that need it

CONFIRMATION = "✅ Language: {language}"


def confirmation(language: str) -> str:
    return translated(CONFIRMATION, language).format(language=language_name(language))


def menu_in(language: str, commands) -> list[tuple[str, str]]:
    return [(name, translated(text, language)) for name, text in commands]


def chat_menu(chat: Chat, language_code: str = "") -> list[tuple[str, str]]:
    """The menu the fake Bot API keeps for the chat (for one Telegram language, or for any)."""
    menu = chat.fake.my_commands({"type": "chat", "chat_id": chat.user_id}, language_code)
    return [(command["command"], command["description"]) for command in menu]


def menu_calls(chat: Chat) -> list[dict]:
    return [
        call.params
        for call in chat.fake.calls_of("setMyCommands")
        if call.params["scope"] == {"type": "chat", "chat_id": chat.user_id}
    ]


def staff_lines(commands) -> list[str]:
    return [f"/{name} – {text}" for name, text in commands]


# --------------------------------------------------------------------------- the language


async def test_language_is_confirmed_in_it_and_the_menu_follows_at_once(app, engine):
    chat = app.chat(language_code="en")
    await chat.send("/language")
    await chat.tap("lang:fr")
    assert chat.last_text == confirmation("fr") != confirmation("en")
    [call] = menu_calls(chat)
    assert call.get("language_code") is None, "a menu for any Telegram language: the chat's own"
    assert [(c["command"], c["description"]) for c in call["commands"]] == menu_in("fr", DELEGATE_COMMANDS)
    assert chat_menu(chat) != menu_in("en", DELEGATE_COMMANDS)

    await chat.send("/language")
    await chat.tap("lang:ja")
    assert chat.last_text == confirmation("ja")
    assert chat_menu(chat) == menu_in("ja", DELEGATE_COMMANDS), "the menu follows each change"


async def test_language_confirmed_above_the_dialogue_underneath(app, engine):
    """In the middle of the registration: the picker becomes the confirmation, the question comes
    again below it in the new language."""
    chat = app.chat(language_code="en")
    await chat.send("/start")
    await chat.tap("lang:en")
    await chat.tap("agree")
    question = chat.last_text
    await chat.send("/language")
    picker = chat.last.message_id
    await chat.tap("lang:fr")
    [confirmed] = [m for m in chat.fake.chat(chat.user_id) if m.message_id == picker]
    assert confirmed.text == confirmation("fr") and not confirmed.inline_keyboard
    assert chat.last.message_id > picker and chat.last_text != question
    assert prompt(S.full_name, "fr") in chat.last_text
    assert chat_menu(chat) == menu_in("fr", DELEGATE_COMMANDS)


async def test_language_picked_on_the_registration_first_window(app, engine):
    chat = app.chat(language_code="en")
    await chat.send("/start")
    welcome = chat.last.message_id
    await chat.tap("lang:fr")
    [confirmed] = [m for m in chat.fake.chat(chat.user_id) if m.message_id == welcome]
    assert confirmed.text == confirmation("fr")
    assert chat.last.message_id > welcome, "the privacy notice comes below, in French"
    assert translated("✅ I agree", "fr") in chat.buttons()
    assert chat_menu(chat) == menu_in("fr", DELEGATE_COMMANDS)


async def test_staff_menus_switch_language_with_them(app, engine):
    """A staff menu is set for each Telegram language: all of them follow the language chosen."""
    admin = app.chat(ADMIN, language_code="en")
    await app.dp["services"].menus.install(app.bot)
    full_menu = [*DELEGATE_COMMANDS, *STAFF_COMMANDS, *ADMIN_COMMANDS]
    assert chat_menu(admin, "ja") == menu_in("ja", full_menu), "before: each language its own"
    await admin.send("/language")
    await admin.tap("lang:fr")
    assert admin.last_text == confirmation("fr")
    others = [telegram_language_code(language) for language in supported_languages()[1:]]
    assert len(others) == len(supported_languages()) - 1 and supported_languages()[0] == DEFAULT_LANGUAGE
    for code in [*others, ""]:
        assert chat_menu(admin, code) == menu_in("fr", full_menu), code or "any language"

    # Granted the role after choosing a language: the staff menu comes in it.
    sam = app.chat(STAFF, language_code="en")
    await sam.send("/language")
    await sam.tap("lang:ur")
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    await app.dp["services"].menus.refresh(app.bot, STAFF)
    assert chat_menu(sam, "fr") == chat_menu(sam) == menu_in("ur", [*DELEGATE_COMMANDS, *STAFF_COMMANDS])
    # Revoked: the delegate menu, still in their language.
    await app.dp["services"].staff.revoke(ADMIN, STAFF)
    await app.dp["services"].menus.refresh(app.bot, STAFF)
    assert chat_menu(sam, "fr") == [], "the per-language staff menus are gone"
    assert chat_menu(sam) == menu_in("ur", DELEGATE_COMMANDS)


# --------------------------------------------------------------------------- the staff home


async def test_admin_start_shows_the_staff_home_not_a_registration(app, engine):
    admin = app.chat(ADMIN)
    await admin.send("/start")
    home = admin.last_text
    for line in staff_lines([*STAFF_COMMANDS, *ADMIN_COMMANDS]):
        assert line in home
    assert "Welcome" not in home and admin.buttons() == ["📝 Register as a delegate"]

    await admin.press("Register as a delegate")
    assert "Welcome" in admin.last_text and "lang:en" in admin.button_data(), "a registration begins"
    await admin.tap("lang:en")
    await admin.send("/start")
    assert admin.last_text == home, "the home again; the registration waits"
    await admin.press("Register as a delegate")
    assert "Your data" in admin.last_text, "back at the question they were at"


async def test_staff_home_per_role_and_for_a_registered_organiser(app, engine):
    await app.dp["services"].staff.grant(ADMIN, STAFF)
    sam = app.chat(STAFF, first_name="Sam")
    await sam.send("/start")
    await sam.press("Register as a delegate")
    await register(sam, since=S.language)
    await sam.send("/start")
    home = sam.last_text
    for line in staff_lines(STAFF_COMMANDS):
        assert line in home
    assert "/staff" not in home and "/purge" not in home, "admin commands for admins only"
    assert sam.buttons() == ["📋 My registration"]
    await sam.press("My registration")
    assert "Ana Reyes" in sam.last_text and "withdraw" in sam.button_data()


async def test_staff_home_button_leaves_a_staff_dialogue_for_the_registration(app, engine):
    admin = app.chat(ADMIN)
    await admin.send("/invite")  # a staff dialogue, left open
    await admin.send("/start")
    await admin.press("Register as a delegate")
    assert "Welcome" in admin.last_text


async def test_staff_deep_links_still_reach_their_feature(app, engine):
    admin = app.chat(ADMIN)
    await admin.send("/start ci_AAAAAAAAAAAAAAAAAAAAAA")
    assert "No registration has this QR code" in admin.last_text, "the check-in, not the home"


# --------------------------------------------------------------------------- /help


async def test_help_lists_staff_commands_after_the_delegate_ones(app, engine):
    delegate = app.chat(1001)
    await delegate.send("/help")
    assert delegate.last_text == help_text(), "delegates see exactly what they saw"

    admin = app.chat(ADMIN)
    await admin.send("/help")
    delegate_part, staff_part = admin.last_text.split("\n\n🛡 Your staff commands\n")
    assert delegate_part == help_text()
    assert staff_part.splitlines() == staff_lines([*STAFF_COMMANDS, *ADMIN_COMMANDS])

    await app.dp["services"].staff.grant(ADMIN, STAFF)
    sam = app.chat(STAFF)
    await sam.send("/help")
    assert sam.last_text.endswith("\n".join(staff_lines(STAFF_COMMANDS)))


async def test_help_for_staff_in_their_language(app, engine):
    admin = app.chat(ADMIN, language_code="en")
    await admin.send("/language")
    await admin.tap("lang:fr")
    await admin.send("/help")
    assert translated(STAFF_COMMANDS[0][1], "fr") in admin.last_text


async def test_a_language_chosen_over_my_registration_leaves_one_card_in_it(app):
    """The card underneath is drawn again in the new language below the confirmation, and its copy
    in the old language above is deleted: the chat holds one card."""
    chat = app.chat()
    await register(chat)
    await chat.send("/me")
    await chat.send("/language")
    await chat.tap("lang:fr")
    cards = [
        m
        for m in chat.fake.chat(chat.user_id)
        if m.from_bot and not m.deleted and (m.text or "").startswith("🎫")
    ]
    assert len(cards) == 1 and cards[0].text.startswith("🎫 Votre inscription"), [c.text[:40] for c in cards]
    assert chat.last.message_id == cards[0].message_id
