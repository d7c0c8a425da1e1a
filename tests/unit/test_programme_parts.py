"""A question that names a programme day or half-day (bot/questions/when.py), the parts of a
message about two things (bot/questions/matcher.py `clauses`), and the guide's answers
(bot/questions/guide.py): no embeddings needed."""

from __future__ import annotations

from datetime import date
from html import escape

import pytest

from bot.core import event_texts
from bot.core.event import Answerable, Event
from bot.core.i18n import get_i18n
from bot.questions.guide import GuideTopic, guide_answer, guide_data, guide_questions
from bot.questions.matcher import FaqMatcher, clauses, lacks, spelled_out, without_courtesies
from bot.questions.when import ProgrammePartFinder

DAY1, DAY2 = date(2024, 7, 30), date(2024, 7, 31)


@pytest.fixture(scope="module")
def finder(event: Event) -> ProgrammePartFinder:
    return ProgrammePartFinder(event)


@pytest.mark.parametrize(
    ("text", "day", "part"),
    [
        ("what's on the first day?", DAY1, "day"),
        ("whats happening on day 2 after lunch", DAY2, "afternoon"),
        ("Tuesday morning?", DAY1, "morning"),
        ("qu'est-ce qui est prévu mercredi matin ?", DAY2, "morning"),
        ("¿qué hay el 31 de julio por la tarde?", DAY2, "afternoon"),
        ("le 31 dans l'aprem ?", DAY2, "afternoon"),  # a day number alone when it is no month
        ("7月31日の午後は何がありますか", DAY2, "afternoon"),
        ("31일 오후엔 뭐 해요?", DAY2, "afternoon"),
        ("รสียลថ្ងៃទី៣០", DAY1, "day"),  # Khmer digits: the 30th
        ("ព្រឹកថ្ងៃទី២ ធ្វើអ្វី?", DAY2, "morning"),  # day no. 2, not the 20th or the 2nd
        ("prothom diner bikele ki ache", DAY1, "afternoon"),  # an inflected ordinal
        ("эхний өдрийн үдээс хойш юу байгаа вэ", DAY1, "afternoon"),
        ("sang thu 4 co gi", DAY2, "morning"),  # Vietnamese without accents: Wednesday morning
        ("what happens on the last day", DAY2, "day"),
    ],
)
def test_a_named_day_and_part_are_found(finder, text, day, part):
    found = finder.find(text)
    assert found is not None and (found.day, found.part) == (day, part), text


@pytest.mark.parametrize(
    "text", ["our party sends 3 men and 2 women", "what happens on day 10", "is there a hotel?"]
)
def test_no_day_is_found_where_none_is_named(finder, text):
    assert finder.find(text) is None


def test_a_named_day_asks_for_its_sessions_not_the_whole_programme(event):
    matcher = FaqMatcher(event, semantic=False)
    result = matcher.search("what is on the programme on the second day in the afternoon?")
    assert [answer.key for answer in result.answers] == ["afternoon:2024-07-31"]
    text = event_texts.answer_text(event, result.answers[0], "en", event.starts_on)
    closing = event.programme.session("closing")[1].title["en"]
    capacity = event.programme.session("capacity")[1].title["en"]
    assert closing in text and capacity not in text, "the afternoon only: the morning session is left out"


@pytest.mark.parametrize(
    ("text", "language", "parts"),
    [
        ("how do i sign up for this and is it already too late??", "en", 2),
        ("Soy vegana y mi compañero va en silla de ruedas, ¿tienen eso en cuenta?", "es", 3),
        ("งานวันไหน จัดที่ไหนครับ", "th", 2),  # Thai puts a space between phrases
        ("숙소는 주최측에서 잡아주나요? 공항 픽업도 있나요?", "ko", 2),
        ("where is the hotel", "en", 0),
        # a long sentence that asks nothing tells a story: only the question's parts
        (
            "This year we plan to send three people to the dialogue, two women and one man. Do we need a visa?",
            "en",
            1,
        ),
        # in a message with a question mark, a long sentence without one tells a story, even with a
        # question word ("quién")
        (
            "¿Cómo me doy de baja? En el partido todavía no sabemos quién va a viajar en mi lugar al "
            "final. ¿Me avisan?",
            "es",
            2,
        ),
        # a short one states a need: it counts
        ("Voy en silla de ruedas. ¿El lugar está adaptado?", "es", 2),
    ],
)
def test_a_message_is_cut_into_its_questions(text, language, parts):
    assert len(clauses(text, language)) == parts


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("Hola, buenas tardes. ¿Hasta cuándo hay plazo? Gracias de antemano!", "Hasta cuándo hay plazo? "),
        ("您好，請問要怎麼報名？謝謝", "請問要怎麼報名？"),
        ("thanks", "thanks"),  # nothing else: the text itself
        ("hiking near Manila?", "hiking near Manila?"),
    ],
)
def test_greetings_and_thanks_around_a_question_are_left_out(text, core):
    assert without_courtesies(text) == core


def test_every_guide_topic_has_examples_in_every_language_of_the_bot():
    languages = set(get_i18n().available_locales)
    for topic, examples in guide_questions().items():
        assert set(examples) == languages, topic
        assert all(len(texts) >= 5 for texts in examples.values()), topic


def test_every_guide_example_holds_a_word_its_topic_needs():
    for topic, examples in guide_questions().items():
        for language, texts in examples.items():
            assert not [text for text in texts if lacks(f"guide:{topic}", text)], (topic, language)


def test_questions_about_nothing_the_bot_answers_are_given_in_every_language():
    languages = set(get_i18n().available_locales)
    elsewhere = guide_data()["elsewhere"]
    assert set(elsewhere) == languages
    assert all(len(texts) >= 5 for texts in elsewhere.values())


@pytest.mark.parametrize(
    ("text", "language", "spelled"),
    [
        ("q dias es? pq tb quiero ir x la tarde", "es", "que dias es? porque también quiero ir por la tarde"),
        ("Xq no me llegó el QR?", "es", "porque no me llegó el QR?"),
        ("q dias es", "en", "q dias es"),  # another language's shorthand
        ("quiero", "es", "quiero"),  # whole words only
    ],
)
def test_chat_shorthand_is_spelled_out(text, language, spelled):
    assert spelled_out(text, language) == spelled


@pytest.mark.parametrize("language", ["en", "fr", "th", "ur"])
def test_guide_answers_name_the_buttons_as_the_bot_shows_them(event, language):
    with get_i18n().use_locale(language):
        withdraw = guide_answer(GuideTopic.WITHDRAW, event, language)
        ticket = guide_answer(GuideTopic.TICKET, event, language)
        button = get_i18n().gettext("🗑 Withdraw my registration")
        qr = get_i18n().gettext("🔳 Show my QR code")
        privacy = guide_answer(GuideTopic.PRIVACY, event, language)
        dietary = guide_answer(GuideTopic.DIETARY, event, language)
    assert button in withdraw and "/me" in withdraw
    assert qr in ticket
    assert "/mydata" in privacy and "/forget" in privacy
    assert escape(event.privacy.notice.get(language, event.privacy.notice["en"]))[:20] in privacy
    assert event.dietary_options[0].label.get(language, event.dietary_options[0].label["en"]) in dietary


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("how can I cancel my registration? I can't come anymore", "withdraw"),
        ("où est mon QR code pour entrer ?", "ticket"),
        ("how do I change the language of the bot", "language"),
        ("what personal data do you keep about me and for how long?", "privacy"),
    ],
)
def test_the_bots_own_features_are_answered(event, text, topic):
    matcher = FaqMatcher(event, semantic=False)
    assert matcher.search(text).answer == Answerable(f"guide:{topic}")
