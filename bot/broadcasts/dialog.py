"""/broadcast (staff): audience, text (optional attachment and language versions), preview, send.

The preview messages go through `bot.broadcasts.outbox.send_content`, the function that later sends to
every recipient: what staff see is what delegates get. Sending creates an outbox job; the
worker (bot/broadcasts/outbox.py) does the rest and reports in a progress message.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime, timedelta
from html import escape
from typing import Any

from aiogram.enums import ContentType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, Select, SwitchTo

from bot.broadcasts.audiences import KINDS_WITH_VALUE, Audience, AudienceKind, AudienceService, Option
from bot.broadcasts.outbox import fmt_when, progress_keyboard, progress_text, send_content
from bot.broadcasts.service import Content
from bot.core import input_checks as parse
from bot.core.event import Event, localized
from bot.core.form import QuestionType, plain_text
from bot.core.i18n import (
    N_,
    collation_key,
    country_name,
    fmt_number,
    language_name,
    supported_languages,
    zone_name,
)
from bot.core.i18n import gettext as _
from bot.core.input_checks import InvalidAnswer
from bot.core.labels import STATUSES, label, yes_no
from bot.core.summary import option_label, step_label
from bot.kit.filters import staff_only
from bot.kit.services import Services, services_of
from bot.kit.telegram_html import CAPTION_LIMIT, TEXT_LIMIT, check_html
from bot.kit.widgets import UNEXPECTED_INPUT, T, back_text, choices, current_language, say_invalid
from bot.states import BroadcastSG

log = logging.getLogger(__name__)
S = BroadcastSG

KIND_LABELS = {
    AudienceKind.ALL: N_("Everyone registered ({count})"),
    AudienceKind.STATUS: N_("By status…"),
    AudienceKind.COUNTRY: N_("By country…"),
    AudienceKind.DELEGATION: N_("By delegation…"),
    AudienceKind.ROLE: N_("By role…"),
    AudienceKind.LANGUAGE: N_("By language…"),
    AudienceKind.ANSWER: N_("By an answer to the form…"),
    AudienceKind.MISSING: N_("Not answered a new question yet…"),
    AudienceKind.UNFINISHED: N_("Unfinished registrations ({count})"),
    AudienceKind.NOT_CHECKED_IN: N_("Not checked in yet ({count})"),
}
# How the chosen audience reads in the preview and the progress message.
AUDIENCE_NAMES = {
    AudienceKind.ALL: N_("everyone registered"),
    AudienceKind.STATUS: N_("status: {value}"),
    AudienceKind.COUNTRY: N_("country: {value}"),
    AudienceKind.DELEGATION: N_("delegation: {value}"),
    AudienceKind.ROLE: N_("role: {value}"),
    AudienceKind.LANGUAGE: N_("language: {value}"),
    AudienceKind.ANSWER: N_("answered {value}"),
    AudienceKind.MISSING: N_("not answered yet: {value}"),
    AudienceKind.UNFINISHED: N_("unfinished registrations"),
    AudienceKind.NOT_CHECKED_IN: N_("registered, not checked in yet"),
}
# Telegram's own formatting, as opposed to entities it adds by itself (links, mentions...).
FORMATTING = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "blockquote",
        "expandable_blockquote",
    }
)


def value_label(kind: AudienceKind, option: Option, event: Event, language: str) -> str:
    """A value of an audience kind as staff read it (plain text: buttons, or escaped later)."""
    if kind is AudienceKind.STATUS:
        return label(STATUSES, option.value)
    if kind is AudienceKind.COUNTRY:
        return country_name(option.value, language)
    if kind is AudienceKind.DELEGATION:
        return f"{option.party} ({country_name(option.country or '', language)})"
    if kind is AudienceKind.ROLE:
        role = event.role(option.value)
        return localized(role.label, language) if role else option.value
    if kind is AudienceKind.ANSWER:
        return answer_label(option.value, event, language)
    if kind is AudienceKind.MISSING:
        step = event.form.step(option.value)
        return plain_text(step_label(step, event, language)) if step else option.value
    return language_name(option.value, language)


def answer_label(value: str, event: Event, language: str) -> str:
    """`hotel_needed=yes` as staff read it: "Hotel: Yes"."""
    key, _sep, chosen = value.partition("=")
    step = event.form.step(key)
    if step is None:
        return value
    if step.question.type is QuestionType.YES_NO:
        shown = yes_no(chosen == "yes")
    else:
        shown = plain_text(option_label(step.question, chosen, language))
    return f"{plain_text(step_label(step, event, language))}: {shown}"


async def audience_name(audience: Audience, audiences: AudienceService, event: Event, language: str) -> str:
    value = audience.value or ""
    if audience.kind is AudienceKind.DELEGATION:
        delegation = await audiences.delegation(value)
        if delegation is not None:  # else deleted meanwhile: its number stays
            option = Option(value, 0, delegation.party, delegation.country)
            value = value_label(audience.kind, option, event, language)
    elif audience.value is not None:
        value = value_label(audience.kind, Option(audience.value, 0), event, language)
    return _(AUDIENCE_NAMES[audience.kind]).format(value=value)


def _audience(manager: DialogManager) -> Audience:
    return Audience.from_json(manager.dialog_data["audience"])


def _content(manager: DialogManager, language: str | None = None) -> Content:
    data = manager.dialog_data
    text = data["variants"].get(language) if language else None
    return Content(text or data["text"], data.get("media_kind"), data.get("media_file_id"))


# --- audience --------------------------------------------------------------------------------


async def _kinds_getter(services: Services, **_kw) -> dict:
    language = current_language()
    kinds = []
    for kind, kind_label in KIND_LABELS.items():
        count = 0 if kind in KINDS_WITH_VALUE else await services.audiences.count(Audience(kind))
        kinds.append((kind.value, _(kind_label).format(count=fmt_number(count, language))))
    return {"kinds": kinds}


async def _on_kind(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    if value not in AudienceKind.__members__.values():
        return  # forged button data: the question stays
    kind = AudienceKind(value)
    if kind in KINDS_WITH_VALUE:
        manager.dialog_data["kind"] = kind.value
        await manager.switch_to(S.audience_value)
        return
    manager.dialog_data["audience"] = Audience(kind).as_json()
    await manager.switch_to(S.text)


async def _options(manager: DialogManager) -> list[Option]:
    return await services_of(manager).audiences.options(AudienceKind(manager.dialog_data["kind"]))


async def _values_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    kind = AudienceKind(dialog_manager.dialog_data["kind"])
    language = current_language()
    values = [
        (
            option.value,
            f"{value_label(kind, option, services.event, language)} ({fmt_number(option.count, language)})",
        )
        for option in await _options(dialog_manager)
    ]
    if kind is not AudienceKind.STATUS:  # statuses in their own order, the others by name
        name_key = collation_key(language)
        values.sort(key=lambda item: name_key(item[1]))
    return {"values": values, "empty": not values}


async def _on_value(_c: CallbackQuery, _w: Select, manager: DialogManager, value: str) -> None:
    if value not in {option.value for option in await _options(manager)}:
        return  # stale or forged: the list is shown again as it is now
    manager.dialog_data["audience"] = Audience(AudienceKind(manager.dialog_data["kind"]), value).as_json()
    await manager.switch_to(S.text)


# --- text and language versions --------------------------------------------------------------


def _html_of(message: Message) -> str:
    """Formatting made in Telegram becomes HTML; without it the text is read as typed HTML."""
    entities = message.entities or message.caption_entities or []
    if any(entity.type in FORMATTING for entity in entities):
        return message.html_text
    return message.text or message.caption or ""


def _media_of(message: Message) -> tuple[str | None, str | None]:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None, None


def _limit(manager: DialogManager) -> int:
    return CAPTION_LIMIT if manager.dialog_data.get("media_kind") else TEXT_LIMIT


async def _text_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    audience = _audience(dialog_manager)
    return {
        "audience": escape(
            await audience_name(audience, services.audiences, services.event, current_language())
        ),
        "count": fmt_number(await services.audiences.count(audience), current_language()),
        "plain": "plain" in dialog_manager.dialog_data,
    }


async def _store_text(manager: DialogManager, text: str) -> None:
    language = manager.dialog_data.get("variant")
    if language is None:
        manager.dialog_data["text"] = text
    else:
        manager.dialog_data["variants"][language] = text
    manager.dialog_data.pop("plain", None)
    await manager.switch_to(S.variants)


async def _on_text(message: Message, _w: MessageInput, manager: DialogManager) -> None:
    data = manager.dialog_data
    if data.get("variant") is None:
        if not (message.text or message.caption):
            await say_invalid(
                message,
                manager,
                InvalidAnswer(N_("Please send the text, or an attachment with the text as its caption.")),
            )
            return
        data["media_kind"], data["media_file_id"] = _media_of(message)
    try:
        text = check_html(_html_of(message), _limit(manager))
    except InvalidAnswer as error:
        # Offered when the markup is the problem: the text exactly as typed, tags and all.
        data.pop("plain", None)
        with suppress(InvalidAnswer):
            data["plain"] = check_html(escape(message.text or message.caption, quote=False), _limit(manager))
        await say_invalid(message, manager, error)
        return
    await _store_text(manager, text)


async def _as_plain_text(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    plain = manager.dialog_data.get("plain")
    if plain is not None:
        await _store_text(manager, plain)


async def _variants_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    """The recipients' languages first, most read first, with how many read each; the others, by
    name, behind a toggle (all of them when no recipient's language is known)."""
    data = dialog_manager.dialog_data
    variants = data["variants"]
    language = current_language()
    counts = await services.audiences.languages(_audience(dialog_manager))
    name_key = collation_key(language)

    def button(code: str) -> tuple[str, str]:
        label = ("✏️ " if code in variants else "➕ ") + language_name(code)
        return code, f"{label} ({fmt_number(counts[code], language)})" if counts.get(code) else label

    def by_name(code: str) -> bytes:
        return name_key(language_name(code))

    read = sorted(
        (code for code in supported_languages() if counts.get(code)),
        key=lambda code: (-counts[code], by_name(code)),
    )
    others = sorted((code for code in supported_languages() if code not in read), key=by_name)
    # Languages with a version of their own always show.
    optional = [code for code in others if code not in variants] if read else []
    folded = bool(optional) and not data.get("all_languages")
    shown = read + [code for code in others if not (folded and code in optional)]
    return {
        "languages": [button(code) for code in shown],
        "hidden": fmt_number(len(optional), language),
        "can_show": folded,
        "can_hide": bool(optional) and not folded,
        "versions": ", ".join(language_name(code) for code in supported_languages() if code in variants),
        "has_versions": bool(variants),
        "no_versions": not variants,
    }


async def _on_variant(_c: CallbackQuery, _w: Select, manager: DialogManager, code: str) -> None:
    if code in supported_languages():
        manager.dialog_data["variant"] = code
        await manager.switch_to(S.variant_text)


async def _variant_getter(dialog_manager: DialogManager, **_kw) -> dict:
    data = dialog_manager.dialog_data
    return {
        "language": language_name(data["variant"]),
        "exists": data["variant"] in data["variants"],
        "plain": "plain" in data,
        "attachment": bool(data.get("media_kind")),
    }


async def _toggle_languages(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data["all_languages"] = not manager.dialog_data.get("all_languages", False)


async def _remove_variant(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data["variants"].pop(manager.dialog_data["variant"], None)
    await _back_to_variants(_c, _b, manager)


async def _back_to_variants(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("plain", None)
    await manager.switch_to(S.variants)


async def _edit_text(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    manager.dialog_data["variant"] = None
    manager.dialog_data.pop("plain", None)
    await manager.switch_to(S.text)


# --- preview and sending ---------------------------------------------------------------------


async def _show_preview(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    """Each version, sent exactly as recipients will receive it, then the summary below."""
    variants = manager.dialog_data["variants"]
    versions: list[tuple[str | None, str]] = (
        [(None, _("👇 Main text, for everyone else:"))] if variants else [(None, "")]
    )
    versions += [
        (code, _("👇 {language} version:").format(language=language_name(code)))
        for code in supported_languages()
        if code in variants
    ]
    chat_id = callback.message.chat.id
    for language, _heading in versions[1:]:
        # An attachment added after a version was written limits it to a caption's length.
        try:
            check_html(variants[language], _limit(manager))
        except InvalidAnswer as error:
            manager.dialog_data["variant"] = language
            await say_invalid(callback.message, manager, error)
            await manager.switch_to(S.variant_text)
            return
    for language, heading in versions:
        if heading:
            await callback.bot.send_message(chat_id, heading)
        try:
            await send_content(callback.bot, chat_id, _content(manager, language))
        except TelegramBadRequest as error:
            # The attachment or text was refused: say so rather than send it to everyone.
            await callback.message.answer(
                _("⚠️ Telegram refused this message: {error}").format(error=escape(error.message))
            )
            return
    manager.show_mode = ShowMode.SEND
    await manager.switch_to(S.preview)


async def _preview_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    audience = _audience(dialog_manager)
    counts = await services.audiences.languages(audience)
    variants = dialog_manager.dialog_data["variants"]
    lines = []
    if variants:
        main = sum(count for code, count in counts.items() if code not in variants)
        lines.append(_("• main text: {count}").format(count=fmt_number(main, language)))
        lines += [
            _("• {language} version: {count}").format(
                language=language_name(code), count=fmt_number(counts.get(code, 0), language)
            )
            for code in supported_languages()
            if code in variants
        ]
    count = sum(counts.values())
    return {
        "audience": escape(await audience_name(audience, services.audiences, services.event, language)),
        "count": fmt_number(count, language),
        "breakdown": "\n".join(lines),
        "anyone": count > 0,
        "nobody": count == 0,
    }


async def _create(callback: CallbackQuery, manager: DialogManager, send_at: datetime) -> None:
    """Put the broadcast in the outbox and show its progress message."""
    services = services_of(manager)
    broadcasts, event = services.broadcasts, services.event
    data = manager.dialog_data
    audience = _audience(manager)
    language = current_language()
    # Closed first: a second press finds no dialogue and sends nothing; the buttons go.
    await manager.done(show_mode=ShowMode.NO_UPDATE)
    with suppress(TelegramBadRequest):
        await callback.message.edit_reply_markup(reply_markup=None)
    job = await broadcasts.create(
        audience=audience,
        audience_label=await audience_name(audience, services.audiences, event, language),
        text=data["text"],
        variants=data["variants"],
        media_kind=data.get("media_kind"),
        media_file_id=data.get("media_file_id"),
        send_at=send_at,
        language=language,
        created_by=callback.from_user.id,
    )
    await broadcasts.start_due(services.clock.now())  # "now": the recipients are counted at once
    job = await broadcasts.get(job.id)  # started here, or by the worker meanwhile
    progress = await broadcasts.progress(job.id)
    await services.staff.audit(
        callback.from_user.id,
        "broadcast.create",
        subject=f"broadcast:{job.id}",
        audience=audience.as_json(),
        recipients=progress.total,
        send_at=send_at.isoformat(),
    )
    message = await callback.message.answer(
        progress_text(job, progress, event, language), reply_markup=progress_keyboard(job)
    )
    await broadcasts.set_progress_message(job.id, message.chat.id, message.message_id)
    services.outbox.wake()
    log.info("broadcast %s created for %s recipients", job.id, progress.total)


async def _send_now(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _create(callback, manager, services_of(manager).clock.now())


async def _schedule_getter(dialog_manager: DialogManager, services: Services, **_kw) -> dict:
    language = current_language()
    event = services.event
    example = services.clock.now().astimezone(event.tz) + timedelta(days=1)
    send_at = dialog_manager.dialog_data.get("send_at")
    return {
        "zone": escape(zone_name(event.tz, language)),
        "example": example.strftime("%d/%m 18:00"),
        "when": fmt_when(datetime.fromisoformat(send_at), language, event) if send_at else "",
    }


def parse_send_time(text: str, now: datetime, event: Event) -> datetime:
    """`25/04 18:00`, `2024-04-25 18:00` or `18:00` (today), in the event's time zone, in the future."""
    parts = parse.clean_text(text).replace("T", " ").rsplit(" ", 1)
    local_now = now.astimezone(event.tz)
    moment = parse.parse_time(parts[-1])
    if len(parts) == 1:
        day = local_now.date()
    else:
        day = parse.parse_date(
            parts[0], local_now.date(), local_now.date() + timedelta(days=365), current_language()
        )
    send_at = datetime.combine(day, moment, tzinfo=event.tz)
    if send_at <= now:
        raise InvalidAnswer(N_("That moment has passed. Please give a time in the future."))
    return send_at


async def _on_send_time(message: Message, _w: TextInput, manager: DialogManager, text: str) -> None:
    services = services_of(manager)
    try:
        send_at = parse_send_time(text, services.clock.now(), services.event)
    except InvalidAnswer as error:
        await say_invalid(message, manager, error)
        return
    manager.dialog_data["send_at"] = send_at.isoformat()
    await manager.switch_to(S.schedule_confirm)


async def _schedule(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    send_at = datetime.fromisoformat(manager.dialog_data["send_at"])
    if send_at <= services_of(manager).clock.now():
        manager.dialog_data.pop("send_at")
        await callback.answer(_("That moment has passed. Please give a time in the future."), show_alert=True)
        await manager.switch_to(S.schedule)
        return
    await _create(callback, manager, send_at)


async def _on_start(start_data: Any, manager: DialogManager) -> None:
    manager.dialog_data.update({"variants": {}, "variant": None})


async def _cancelled(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await callback.message.answer(_("Nothing was sent."))


def _cancel() -> Cancel:
    return Cancel(T(N_("✖️ Cancel")), id="cancel", on_click=_cancelled)


def _audience_windows() -> list[Window]:
    """The recipients: a kind of audience, then its value when it has one."""
    return [
        Window(
            T(N_("📣 <b>New broadcast</b>\n\nWho should receive it?")),
            choices("k", "kinds", _on_kind, width=1),
            _cancel(),
            UNEXPECTED_INPUT,
            state=S.audience,
            getter=_kinds_getter,
        ),
        Window(
            T(N_("📣 Choose the recipients:")),
            T(N_("\nNobody to choose from yet."), when="empty"),
            choices("v", "values", _on_value, height=8),
            SwitchTo(back_text(), id="back", state=S.audience),
            UNEXPECTED_INPUT,
            state=S.audience_value,
            getter=_values_getter,
        ),
    ]


def _message_windows() -> list[Window]:
    """The main text, with its attachment, and the language versions."""
    return [
        Window(
            T(
                N_(
                    "✍️ <b>Message</b> to {audience} ({count} now).\n\n"
                    "Send the text. Formatting made in Telegram (bold, italic, links) is kept; you can "
                    "also type HTML tags such as &lt;b&gt;bold&lt;/b&gt;. To attach a photo or a "
                    "document, send it with the text as its caption."
                )
            ),
            MessageInput(_on_text, content_types=[ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT]),
            Button(T(N_("📝 Send it as plain text")), id="plain", on_click=_as_plain_text, when="plain"),
            SwitchTo(back_text(), id="back", state=S.audience),
            _cancel(),
            UNEXPECTED_INPUT,
            state=S.text,
            getter=_text_getter,
        ),
        Window(
            T(
                N_(
                    "🌐 <b>Language versions</b> (optional)\n\nEveryone receives the main text, except "
                    "people whose language has its own version."
                )
            ),
            T(N_("\nVersions: {versions}"), when="has_versions"),
            T(N_("\nNo language versions yet."), when="no_versions"),
            choices("l", "languages", _on_variant, height=6),
            Button(
                T(N_("🌐 Other languages ({hidden})")), id="more", on_click=_toggle_languages, when="can_show"
            ),
            Button(
                T(N_("🌐 Only the recipients' languages")),
                id="fewer",
                on_click=_toggle_languages,
                when="can_hide",
            ),
            Button(T(N_("👁 Preview")), id="preview", on_click=_show_preview),
            Button(T(N_("✏️ Change the main text")), id="edit", on_click=_edit_text),
            _cancel(),
            UNEXPECTED_INPUT,
            state=S.variants,
            getter=_variants_getter,
        ),
        Window(
            T(N_("Send the <b>{language}</b> version of the message.")),
            T(N_("It becomes the caption of the same attachment."), when="attachment"),
            MessageInput(_on_text, content_types=[ContentType.TEXT]),
            Button(T(N_("📝 Send it as plain text")), id="plain", on_click=_as_plain_text, when="plain"),
            Button(T(N_("🗑 Remove this version")), id="remove", on_click=_remove_variant, when="exists"),
            Button(back_text(), id="back", on_click=_back_to_variants),
            UNEXPECTED_INPUT,
            state=S.variant_text,
            getter=_variant_getter,
        ),
    ]


def _sending_windows() -> list[Window]:
    """The preview, then sending now or at a time given."""
    return [
        Window(
            T(N_("👆 <b>Preview</b>: recipients get exactly the message above.\n\nTo: {audience}")),
            T(N_("\nRecipients now: <b>{count}</b>\n{breakdown}"), when="anyone"),
            T(N_("\nNobody matches these recipients now."), when="nobody"),
            Row(
                Button(T(N_("📤 Send now")), id="now", on_click=_send_now, when="anyone"),
                SwitchTo(T(N_("⏰ Send later")), id="later", state=S.schedule),
            ),
            Button(T(N_("✏️ Change the message")), id="edit", on_click=_edit_text),
            _cancel(),
            UNEXPECTED_INPUT,
            state=S.preview,
            getter=_preview_getter,
        ),
        Window(
            T(
                N_(
                    "⏰ When should it be sent? Type the date and the time in {zone} time, for "
                    "example {example}."
                )
            ),
            TextInput(id="when", on_success=_on_send_time),
            SwitchTo(back_text(), id="back", state=S.preview),
            UNEXPECTED_INPUT,
            state=S.schedule,
            getter=_schedule_getter,
        ),
        Window(
            T(N_("⏰ Send on <b>{when}</b> ({zone} time)?")),
            Row(
                Button(T(N_("✅ Confirm")), id="confirm", on_click=_schedule),
                SwitchTo(T(N_("✏️ Change the time")), id="change", state=S.schedule),
            ),
            SwitchTo(back_text(), id="back", state=S.preview),
            UNEXPECTED_INPUT,
            state=S.schedule_confirm,
            getter=_schedule_getter,
        ),
    ]


def broadcast_dialog() -> Dialog:
    dialog = Dialog(*_audience_windows(), *_message_windows(), *_sending_windows(), on_start=_on_start)
    # Someone whose staff role is revoked in the middle of the dialogue can do nothing more in it.
    return staff_only(dialog)
