"""Catalog slips: the event's name keeps its article once inserted (French, Spanish), a status after
a document's title agrees with no title in particular, and what delegates read is not published
is exactly what the event file lacks."""

from __future__ import annotations

import re
from html import escape

import pytest

from bot.core import event_texts
from bot.core.content_check import main as content_missing
from bot.core.event import Document, Event, Programme, Topic, localized
from bot.core.i18n import get_i18n
from bot.core.i18n import gettext as _
from bot.core.i18n_check import (
    _ITEM_STATUS,
    AGREEING_WORDS,
    NAME_GRAMMAR,
    event_name_slip,
    grammar_problems,
)
from tests.support.app import BEFORE_DEADLINE, EVENT_FILE

FR_NAME = "Dialogue de l'Alliance progressiste avec le SDAP Asie-Pacifique"
ES_NAME = "Diálogo de la Alianza Progresista con la SDAP Asia-Pacífico"


def test_catalogs_have_no_grammar_slips(event):
    assert grammar_problems(event.name) == []


@pytest.mark.parametrize(
    ("language", "string", "name"),
    [
        # What the catalogs said before: "pour Dialogue…", "de Dialogue…", "Dialogue… aura lieu".
        ("fr", "Votre accès équipe pour {event} a pris fin.", FR_NAME),
        ("fr", "🛡 Vous faites désormais partie de l'équipe de {event}. Vos commandes", FR_NAME),
        ("fr", "📅 <b>{event}</b> aura lieu à {city} les {dates}.", FR_NAME),
        ("fr", "Vous êtes inscrit·e à {event_name}.", FR_NAME),
        ("es", "Su acceso de equipo para {event} ha terminado.", ES_NAME),
        ("es", "📅 <b>{event}</b> se celebrará en {city} los días {dates}.", ES_NAME),
        # A name given with its article needs the contracted forms ("au", "du", "al", "del").
        ("fr", "Vous êtes inscrit·e à {event}.", "le Dialogue"),
        ("fr", "L'équipe de {event}.", "les Journées"),
        ("es", "Forma parte del equipo de {event}.", "el Diálogo"),
    ],
)
def test_a_name_without_its_article_is_a_slip(language, string, name):
    assert event_name_slip(string, name, NAME_GRAMMAR[language])


@pytest.mark.parametrize(
    ("language", "string", "name"),
    [
        ("fr", "Votre accès équipe pour l'événement {event} a pris fin.", FR_NAME),
        ("fr", "📅 L'événement <b>{event}</b> aura lieu à {city} les {dates}.", FR_NAME),
        ("fr", "{rows} inscriptions, {event}.", FR_NAME),
        ("fr", "Vous êtes inscrit·e pour {event}.", "le Dialogue"),
        ("es", "📅 El evento <b>{event}</b> se celebrará en {city} los días {dates}.", ES_NAME),
    ],
)
def test_a_name_in_apposition_reads_right(language, string, name):
    assert event_name_slip(string, name, NAME_GRAMMAR[language]) is None


@pytest.mark.parametrize(
    ("language", "string", "agrees"),
    [
        ("fr", "{title}\u00a0: pas encore publié.", True),  # "Informations techniques : … publié"
        ("es", "{title}: aún no publicado.", True),  # "Información técnica: … publicado"
        ("hi", "{title}: अभी प्रकाशित नहीं हुआ है।", True),
        ("ur", "{title}: ابھی شائع نہیں ہوا۔", True),
        ("fr", "{title}\u00a0: à paraître.", False),
        ("es", "{title}: pendiente de publicación.", False),
        ("hi", "{title}: अभी प्रकाशित होना बाकी है।", False),
        ("ur", "{title}: ابھی شائع ہونا باقی ہے۔", False),
    ],
)
def test_a_status_after_a_title_must_not_agree_with_it(language, string, agrees):
    status = _ITEM_STATUS.match(string)
    assert bool(status and AGREEING_WORDS[language].search(status.group(1))) is agrees


def test_french_and_spanish_texts_read_with_the_event_name(event):
    with get_i18n().use_locale("fr"):
        opening = f"📅 L'événement <b>{escape(FR_NAME)}</b> aura lieu"
        assert event_texts.dates_text(event, "fr").startswith(opening)
        ended = _("Your staff role for {event} has ended.").format(event=FR_NAME)
        assert f"pour l'événement {FR_NAME}" in ended
        documents = event_texts.documents_text(event, "fr")
        assert "Informations techniques\u00a0: à paraître." in documents and "publié" not in documents
        without_documents = event_texts.documents_text(event.model_copy(update={"documents": ()}), "fr")
        assert without_documents.endswith("Informations à venir.")  # no "communiqué" under "Documents"
    with get_i18n().use_locale("es"):
        assert event_texts.dates_text(event, "es").startswith(f"📅 El evento <b>{ES_NAME}</b>")
        assert "Información técnica: pendiente de publicación." in event_texts.documents_text(event, "es")


# --- "not published yet" said only of what the event file lacks --------------------------------


def _told_unpublished(event: Event) -> set[str]:
    """What the English texts of /info, /faq and typed answers say is not published yet."""
    texts = [event_texts.topic_text(event, topic, "en", BEFORE_DEADLINE) for topic in Topic]
    texts += [event_texts.faq_answer(event, entry, "en", BEFORE_DEADLINE) for entry in event.faq]
    told = set()
    for line in "\n".join(texts).splitlines():
        if "programme is not published" in line:
            told.add("programme")
        elif found := re.fullmatch(r"• (.+): not published yet\.", line):
            told |= {f"documents[{d.id}]" for d in event.documents if localized(d.title, "en") == found[1]}
        else:
            assert "not published" not in line, line
    return told


def _variants(event: Event) -> list[Event]:
    programme_pdf = Document(id="programme", title={"en": "Provisional programme"}, url="https://x.org/p.pdf")
    technical = event.document("technical")
    return [
        event,
        event.model_copy(update={"programme": Programme()}),
        event.model_copy(update={"documents": (programme_pdf, technical)}),
        event.model_copy(update={"documents": (programme_pdf, technical), "programme": Programme()}),
        event.model_copy(update={"documents": ()}),
    ]


def test_texts_say_unpublished_exactly_what_the_event_file_lacks(event):
    with get_i18n().use_locale("en"):
        for variant in _variants(event):
            told = _told_unpublished(variant)
            assert told == set(variant.unpublished())
            if variant.programme.days:  # /programme shows it: no text may call it unpublished
                assert not told & {"programme", "documents[programme]"}


def test_the_programme_document_points_to_the_programme_it_has(event):
    assert event.programme.days and not (event.document("programme").url or event.document("programme").file)
    assert event.unpublished() == ["documents[technical]"]
    with get_i18n().use_locale("en"):
        documents = event_texts.documents_text(event, "en")
        assert "• Provisional programme: send /programme to browse it." in documents
        assert "• Technical information: not published yet." in documents
        empty = event.model_copy(update={"programme": Programme()})
        assert "• Provisional programme: not published yet." in event_texts.documents_text(empty, "en")
        assert "The programme is not published yet." in event_texts.programme_text(empty, "en")


def test_content_missing_lists_what_is_not_published(capsys):
    assert content_missing(EVENT_FILE, ["fr"]) == 0
    assert "Delegates read “not published yet” for: documents[technical]" in capsys.readouterr().out
