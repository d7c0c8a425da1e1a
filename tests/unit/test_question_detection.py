"""Which texts read like a question (bot/questions/detection.py): those are offered to the
organisers when the bot is not sure; names, links, emails and numbers are not."""

from __future__ import annotations

import pytest

from bot.questions.detection import LONG, looks_like_question

# A question of each of the 18 languages, without a question mark, with the delegate's language.
QUESTIONS = [
    ("en", "where is the hotel"),
    ("en", "can I bring my spouse"),
    ("fr", "Faut-il un visa pour Manille"),
    ("fr", "où est l'hôtel"),
    ("es", "dónde está el hotel"),
    ("fil", "saan ang hotel"),
    ("id", "kapan batas akhir pendaftaran"),
    ("ms", "bila tarikh akhir pendaftaran"),
    ("vi", "khách sạn ở đâu"),
    ("th", "โรงแรมอยู่ที่ไหน"),
    ("km", "សណ្ឋាគារនៅកន្លែងណា"),
    ("my", "ဟိုတယ်ရှိလား"),
    ("mn", "зочид буудал хаана байдаг вэ"),
    ("ne", "होटल कहाँ छ"),
    ("hi", "होटल कहाँ है"),
    ("bn", "হোটেল কোথায়"),
    ("ur", "ہوٹل کہاں ہے"),
    ("ja", "ホテルはどこですか"),
    ("ko", "호텔은 어디에 있나요"),
    ("zh_Hant", "飯店在哪裡"),
]

# Answers typed where buttons are expected, and greetings: no question.
NOT_QUESTIONS = [
    ("en", "Ana Reyes"),
    ("en", "hello"),
    ("en", "42"),
    ("en", "+63 917 123 4567"),
    ("fr", "Marie-Claire Dupont"),
    ("fr", "ana@example.org"),
    ("es", "https://example.org/form?id=3&lang=es"),
    ("fil", "www.akbayan.org/about"),
    ("vi", "Nguyễn Thị Lan"),
    ("th", "สมชาย ใจดี"),
    ("km", "សុខ ទេវី"),
    ("my", "အောင်ဆန်း"),
    ("mn", "Батбаяр"),
    ("hi", "राहुल शर्मा"),
    ("bn", "রহিম উদ্দিন"),
    ("ur", "علی خان"),
    ("ja", "田中太郎"),
    ("ko", "김민수"),
    ("zh_Hant", "陳大文"),
]


@pytest.mark.parametrize(("language", "text"), QUESTIONS)
def test_a_question_without_its_mark_is_told_by_its_words(language, text):
    assert looks_like_question(text, [language])


@pytest.mark.parametrize(("language", "text"), NOT_QUESTIONS)
def test_names_links_emails_numbers_and_greetings_are_no_questions(language, text):
    assert not looks_like_question(text, [language])


@pytest.mark.parametrize("mark", ["?", "？", "؟", "¿", "\u037e"])
def test_a_question_mark_of_any_script_makes_a_question(mark):
    assert looks_like_question(f"hotel{mark}", ["en"])


def test_english_is_always_looked_at_and_other_languages_only_when_named():
    assert looks_like_question("where is the hotel", ["ja"])
    assert looks_like_question("saan ang hotel", ["fil"])
    assert not looks_like_question("saan ang hotel", ["fr"])


def test_a_long_text_is_a_message_for_the_organisers():
    request = "I would rather have a room close to the venue because I walk with difficulty"
    assert len(request) >= LONG and looks_like_question(request.replace("I would", "We would"), ["en"])
    assert not looks_like_question("https://example.org/" + "a" * LONG, ["en"])
