"""Recognising typed questions (bot/questions/matcher.py): every fact of the invitation letter in
several languages, typos, scripts without spaces, off-topic questions, language detection."""

from __future__ import annotations

import pytest

from bot.core.event import Event
from bot.core.settings import PROJECT_ROOT
from bot.questions.matcher import FaqMatcher, normalize

pytestmark = pytest.mark.xdist_group("embeddings")  # with tests/unit/test_semantic_answers.py


@pytest.fixture(scope="module")
def matcher(event: Event) -> FaqMatcher:
    """The matcher as the bot runs it: keywords and meaning (embeddings kept in data/cache)."""
    matcher = FaqMatcher(event, cache_dir=PROJECT_ROOT / "data" / "cache")
    matcher.start()
    assert matcher.wait(timeout=600)
    return matcher


def answer_of(matcher: FaqMatcher, text: str, hint: str = "en") -> str:
    result = matcher.search(text, hint_language=hint)
    return result.answer.key if result.answer else "none"


# Every fact of the letter (dates, city, deadline, contact, organisers, gender balance wish),
# asked in the delegates' own words in several languages.
LETTER_FACTS = [
    # dates
    ("en", "when does the dialogue take place?", "faq:dates"),
    ("fr", "Le dialogue a lieu quels jours ?", "faq:dates"),
    ("es", "¿Qué días es el diálogo?", "faq:dates"),
    ("id", "tanggal berapa dialognya?", "faq:dates"),
    ("th", "การประชุมวันไหนครับ", "faq:dates"),
    ("ja", "開催日はいつ？", "faq:dates"),
    # city / venue
    ("en", "where is the meeting held?", "faq:venue"),
    ("fr", "où se passe le dialogue ?", "faq:venue"),
    ("fil", "saan po ang venue?", "faq:venue"),
    ("vi", "địa điểm tổ chức ở đâu?", "faq:venue"),
    ("km", "សន្និសីទធ្វើនៅទីកន្លែងណា?", "faq:venue"),
    # registration deadline
    ("en", "whats the deadline to register", "faq:deadline"),
    ("es", "¿cuál es la fecha límite de inscripción?", "faq:deadline"),
    ("ms", "bila tarikh tutup pendaftaran?", "faq:deadline"),
    ("ko", "등록 마감일 알려주세요", "faq:deadline"),
    ("my", "မှတ်ပုံတင် နောက်ဆုံးရက် ဘယ်တော့လဲ", "faq:deadline"),
    # contact
    ("en", "what email can I write to?", "faq:contact"),
    ("fr", "quelle est l'adresse email de contact ?", "faq:contact"),
    ("id", "nomor telepon panitia berapa?", "faq:contact"),
    ("zh_Hant", "請問聯絡方式？", "faq:contact"),
    # organisers
    ("en", "who are the organizers?", "faq:organisers"),
    ("es", "¿quiénes son los organizadores?", "faq:organisers"),
    ("fil", "sino ang organizer nito?", "faq:organisers"),
    ("hi", "आयोजक कौन है?", "faq:organisers"),
    # gender balance wish
    ("en", "does the delegation need both women and men?", "faq:gender_balance"),
    ("fr", "faut-il respecter la parité dans la délégation ?", "faq:gender_balance"),
    ("es", "¿hace falta paridad de género en la delegación?", "faq:gender_balance"),
    ("vi", "có cần cân bằng giới trong đoàn không?", "faq:gender_balance"),
]


@pytest.mark.parametrize(("language", "question", "expected"), LETTER_FACTS)
def test_every_fact_of_the_letter_in_several_languages(matcher, language, question, expected):
    result = matcher.search(question, hint_language="en")
    assert result.answer is not None and result.answer.key == expected, (question, result)
    assert result.language == language


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("wich hotle do we stay in", "faq:hotel"),  # two typos
        ("do i need a vissa", "faq:visa"),
        ("is there an airport pickup from NAIA", "faq:airport_transfer"),
        ("agenda pls", "faq:programme"),
        ("hébergement ?", "faq:hotel"),
        ("hebergement", "faq:hotel"),  # without accents
        ("what time is the closing session", "session:closing"),
    ],
)
def test_typos_informal_wording_and_sessions(matcher, question, expected):
    assert answer_of(matcher, question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What's the weather like in Berlin?",
        "best restaurants in Makati?",
        "Quel temps fait-il à Berlin ?",
        "¿Dónde puedo comer barato?",
        "cuaca di Berlin bagaimana?",
        "ร้านอาหารอร่อยแถวนี้",
        "ベルリンの天気を教えて",
        "write me a poem about cats",
        "who will win the election in the US",
    ],
)
def test_off_topic_questions_get_no_answer(matcher, question):
    assert answer_of(matcher, question) == "none"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "?!", "👍👍👍", "<b>hotel</b>" * 500, "a" * 10_000, "\u200b\u200b", "/start"],
)
def test_anything_typed_is_handled(matcher, text):
    result = matcher.search(text, hint_language="fr")
    assert result.language  # a language is always given


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Apakah ada penjemputan dari bandara?", "id"),
        ("Bilakah tarikh tutup pendaftaran?", "ms"),
        ("Kailan po ang deadline?", "fil"),
        ("Hội nghị tổ chức ở đâu?", "vi"),
        ("Où est l'hôtel ?", "fr"),
        ("ဗီဇာ လိုအပ်ပါသလား", "my"),
        ("តើខ្ញុំត្រូវការវីសាទេ?", "km"),
        ("Виз хэрэгтэй юу?", "mn"),
        ("ভিসা লাগবে?", "bn"),
        ("ویزا چاہیے؟", "ur"),
        ("비자가 필요해요?", "ko"),
        ("ビザは必要？", "ja"),
        ("需要簽證嗎", "zh_Hant"),
    ],
)
def test_language_of_the_question(matcher, text, expected):
    assert matcher.search(text, hint_language="en").language == expected


def test_a_word_shared_by_languages_is_read_in_the_delegates_language(matcher):
    assert matcher.search("hotel?", hint_language="es").language == "es"
    assert matcher.search("hotel?", hint_language="id").language == "id"


def test_normalize_drops_latin_accents_only():
    assert normalize("Hôtel, s'il vous plaît!") == "hotel s il vous plait"
    assert normalize("Khách sạn") == "khach san"
    assert normalize("โรงแรมที่ไหน") == "โรงแรมที่ไหน"  # Thai vowel and tone marks stay
    assert normalize("ホテル\u200bは") == "ホテル は"


def test_what_the_event_file_does_not_say_is_not_guessed(matcher):
    # On topic, but no entry answers it: the organisers are better placed than a guess.
    assert answer_of(matcher, "who pays for my flight ticket?") == "none"
