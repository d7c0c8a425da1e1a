"""End to end: /info agrees with /programme about the programme, and French reads right around the
event's name and the documents' titles."""

from __future__ import annotations


async def test_info_documents_agree_with_the_programme(app):
    chat = app.chat()
    await chat.send("/programme")
    assert "not published" not in chat.last_text and "d:2024-07-30" in chat.button_data()
    await chat.send("/info")
    await chat.tap("t:documents")
    documents = chat.last_text
    assert "Provisional programme: send /programme to browse it." in documents
    assert "Technical information: not published yet." in documents
    assert documents.count("not published") == 1
    await chat.send("/programme")
    assert "d:2024-07-30" in chat.button_data()


async def test_french_keeps_the_article_and_agreement(app):
    chat = app.chat(language_code="fr")
    await chat.send("/info")
    await chat.tap("t:dates")
    assert chat.last_text.startswith(
        "📅 L'événement Dialogue de l'Alliance progressiste avec le SDAP Asie-Pacifique aura lieu à Manille"
    )
    await chat.tap("back")
    await chat.tap("t:documents")
    documents = chat.last_text
    # The line's wording is new (English until the catalogs are merged); the title is French.
    assert "Programme provisoire" in documents and "/programme" in documents
    assert "Informations techniques\u00a0: à paraître." in documents
    assert "publié" not in documents
