"""Whether a text the FAQ matcher did not answer is a question at all.

Text typed where a dialogue expects a button is as often an answer typed instead of tapped (a
name, a link, an email, a number) as a question; outside a dialogue it may be a greeting. Only a
question is worth the organisers' time, so the "Ask the organisers" hand-off is offered for text
that reads like one:

- it holds a question mark of any script (?, ？, ؟, ¿, the Greek ;…), links and emails set aside
  (a link's query string has a "?");
- or a question or request word of the delegate's language, of the language the text is written
  in, or of English (the conference's common language): anywhere ("where", "kapan", "कहाँ"),
  at its start ("is", "can") or at its end (particles: Thai "ไหม", Burmese "လား", Japanese
  "ですか");
- or it is long: a request in several sentences may carry neither and still wants an answer.

Words are looked for as whole words in spaced scripts, as parts of the text in scripts written
without spaces (and in Korean, whose words carry their particles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.questions.matcher import has_question_mark, normalize

_LINKS_AND_EMAILS = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|\b[\w-]+(?:\.[\w-]+)+/\S*", re.IGNORECASE
)
LONG = 60  # characters from which a text is taken as a message for the organisers


@dataclass(frozen=True)
class _Words:
    anywhere: tuple[str, ...]  # words or phrases found anywhere in the text
    starts: tuple[str, ...]  # only at the start ("is", "can": elsewhere not a question)
    ends: tuple[str, ...]  # only at the end (sentence-final particles)
    unspaced: bool  # matched inside words: scripts without spaces, Korean particles


def _words(anywhere: str = "", starts: str = "", ends: str = "", unspaced: bool = False) -> _Words:
    """Word lists written as "what|when|where"."""
    return _Words(*(tuple(filter(None, words.split("|"))) for words in (anywhere, starts, ends)), unspaced)


_WORDS: dict[str, _Words] = {
    "en": _words(
        anywhere="what|when|where|who|whom|whose|why|how|which|please|help",
        starts=(
            "is|are|am|was|were|do|does|did|can|could|would|should|shall|have|has|will i|will we|"
            "will you|will there|may i|may we|tell me|i need|i want|i would like"
        ),
    ),
    "fr": _words(
        anywhere=(
            "qui|quoi|où|quand|comment|pourquoi|combien|quel|quelle|quels|quelles|lequel|laquelle|"
            "est ce|y a t il|peut on|puis je|dois je|faut il|avez vous|pouvez vous|s il vous plait|"
            "s il vous plaît|svp|aide"
        ),
        starts="je voudrais|j aimerais|j ai besoin",
    ),
    "es": _words(
        anywhere=(
            "qué|quién|quiénes|cuándo|dónde|adónde|cómo|por qué|cuál|cuáles|cuánto|cuánta|cuántos|"
            "cuántas|quien|donde|cual|cuanto|cuantos|por favor|ayuda"
        ),
        starts="hay|puedo|podemos|se puede|es posible|necesito|quisiera",
    ),
    "fil": _words(
        anywhere="ano|saan|nasaan|kailan|sino|bakit|paano|ilan|magkano|alin|ba|pwede|puwede|pakiusap|tulong",
    ),
    "id": _words(
        anywhere=(
            "apa|apakah|mana|dimana|kapan|siapa|mengapa|kenapa|bagaimana|gimana|berapa|bisakah|bolehkah|"
            "adakah|tolong|mohon"
        ),
    ),
    "ms": _words(
        anywhere=(
            "apa|apakah|mana|bila|bilakah|siapa|mengapa|kenapa|bagaimana|berapa|bolehkah|adakah|tolong|mohon"
        ),
    ),
    "vi": _words(
        anywhere=(
            "gì|đâu|khi nào|bao giờ|ai|tại sao|vì sao|thế nào|bao nhiêu|nào|vui lòng|làm ơn|xin hỏi|"
            "khi nao|bao gio|tai sao|vi sao|the nao|bao nhieu"
        ),
        ends="không|chưa|hả|à",
    ),
    "th": _words(
        anywhere=("อะไร|ที่ไหน|ไหน|เมื่อไร|เมื่อไหร่|อย่างไร|ยังไง|ทำไม|ใคร|กี่|เท่าไร|เท่าไหร่|หรือเปล่า|กรุณา|ช่วย"),
        ends="ไหม|มั้ย|หรือ|ไหมคะ|ไหมครับ",
        unspaced=True,
    ),
    "km": _words(
        anywhere="អ្វី|កន្លែងណា|នៅឯណា|ពេលណា|អ្នកណា|ហេតុអ្វី|យ៉ាងម៉េច|ដូចម្តេច|ប៉ុន្មាន|មែនទេ|ឬទេ|សូម",
        ends="ទេ|ទេបាទ|ទេចាស|ឬ",
        unspaced=True,
    ),
    "my": _words(
        anywhere="ဘာ|ဘယ်|ဘာကြောင့်|ဘယ်လောက်|ဘယ်သူ|ဘယ်မှာ|ဘယ်တော့|ဘယ်လို",
        ends="လား|လဲ|သလဲ|လားခင်ဗျာ|လားရှင့်",
        unspaced=True,
    ),
    "mn": _words(anywhere="юу|юү|хаана|хэзээ|хэн|яагаад|яаж|хэд|хэдэн|ямар|аль|вэ|бэ|уу|үү|туслаач|гуйя"),
    "hi": _words(anywhere="क्या|कहाँ|कहां|कब|कौन|क्यों|कैसे|कैसा|कैसी|कितना|कितने|कितनी|किस|किसे|कृपया|मदद"),
    "ne": _words(anywhere="के|कहाँ|कहिले|किन|कसरी|कति|कुन|कृपया|मद्दत"),
    "bn": _words(anywhere="কি|কী|কোথায়|কখন|কে|কেন|কিভাবে|কীভাবে|কত|কোন|দয়া করে|অনুগ্রহ|সাহায্য"),
    "ur": _words(anywhere="کیا|کہاں|کب|کون|کیوں|کیسے|کتنا|کتنے|کتنی|کونسا|کس|براہ کرم|مہربانی|مدد"),
    "ja": _words(
        anywhere="何|なに|どこ|いつ|誰|だれ|なぜ|どうして|どう|どの|どれ|いくら|いくつ|ください|下さい|お願い",
        ends="ですか|ますか|でしょうか|のか|かな",
        unspaced=True,
    ),
    "ko": _words(
        anywhere="무엇|뭐|어디|언제|누구|누가|왜|어떻게|몇|얼마|어느|주세요|부탁",
        ends="까|까요|나요|가요|는지요",
        unspaced=True,
    ),
    "zh": _words(
        anywhere="嗎|吗|什麼|甚麼|什么|哪|何時|何时|如何|為何|为何|幾|几|多少|誰|谁|為什麼|为什么|怎麼|怎么|怎樣|怎样|是否|請|请|麻煩|麻烦",
        ends="呢",
        unspaced=True,
    ),
}


def _base(language: str) -> str:
    """The word lists' key of a language code: `zh_Hant` -> `zh`."""
    return language.replace("-", "_").split("_")[0].lower()


def _has_words(text: str, words: _Words) -> bool:
    if words.unspaced:
        squeezed = text.replace(" ", "")
        return any(word in text for word in words.anywhere) or squeezed.endswith(words.ends)
    padded = f" {text} "
    return (
        any(f" {word} " in padded for word in words.anywhere)
        or any(padded.startswith(f" {word} ") for word in words.starts)
        or any(padded.endswith(f" {word} ") for word in words.ends)
    )


def looks_like_question(text: str, languages: Iterable[str]) -> bool:
    """Whether `text` reads like a question or a request, for a delegate of one of `languages`
    (their own, the one the text is written in); English is always looked at."""
    text = _LINKS_AND_EMAILS.sub(" ", text).strip()
    return bool(text) and (len(text) >= LONG or reads_as_question(text, languages))


def reads_as_question(text: str, languages: Iterable[str]) -> bool:
    """Whether `text` has a question mark, or a question or request word of one of `languages` or
    of English; however long it is (a sentence of a message, telling a story or asking)."""
    if has_question_mark(text):
        return True
    words = normalize(text, keep_accents=True)
    bases = {_base(language) for language in languages} | {"en"}
    return any(_has_words(words, _WORDS[base]) for base in bases if base in _WORDS)
