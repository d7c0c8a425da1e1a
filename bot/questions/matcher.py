"""Recognising a question typed in the chat: what answers it (a FAQ entry, a programme session, a
day or half-day of the programme, the bot's own guide), in which language it is written, and
whether the bot is sure enough to answer.

Every text that can recognise an answer (a FAQ entry's question and its variants in every
language, a session's titles, the guide's example questions) is indexed twice:
- as words and character n-grams weighted by TF-IDF, so that typos, inflections and scripts
  written without spaces (Thai, Khmer, Burmese, Chinese, Japanese) match as well as whole words;
- as a sentence embedding (bot/questions/semantic.py), so that a question worded unlike any text
  still finds the one that means the same, in any language.
The two similarities are added; the best answer is given when its score reaches the threshold
and clearly beats the next one. A question that names a programme day asks for that day (or its
morning or afternoon: bot/questions/when.py); a question made of two parts that each have a sure
answer gets both. Anything else (off-topic questions, or questions the event file does not
answer) is left to a human.

The language of the question is detected (script, then lingua among the Latin-script languages),
helped by which language's texts matched best and by the delegate's language.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from lingua import IsoCode639_1, IsoCode639_3, Language, LanguageDetectorBuilder
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.event import FALLBACK_LANGUAGE, Answerable, Event, Topic
from bot.questions.guide import guide_data, guide_questions
from bot.questions.semantic import SemanticIndex
from bot.questions.when import ProgrammePartFinder

# How a question is scored against an entry (see FaqMatcher.search). Tuned on the development
# part of bench/questions.yaml and on bench/questions_realistic_dev*.yaml only; bench/faq_accuracy.py
# reports the held-out part and bench/questions_independent.yaml.
THRESHOLD = 0.33  # keyword score needed to answer, while the embeddings are not ready
MARGIN = 0.03  # lead needed over the next entry (else: ambiguous, not sure)
# With the embeddings: the score is the cosine plus LEXICAL_WEIGHT times the keyword score. The
# best answer is sure at SEMANTIC_THRESHOLD, or at CLEAR_THRESHOLD when it leads the next one by
# CLEAR_LEAD. A session has one title per language where a FAQ entry has many variants, so its
# best text is further from any question: it needs less.
LEXICAL_WEIGHT = 0.2
SEMANTIC_THRESHOLD = 0.95
SESSION_THRESHOLD = 0.92
CLEAR_THRESHOLD = 0.92
CLEAR_LEAD = 0.05
# The runner-up of a message about two things is its second answer from CLEAR_THRESHOLD when a
# part of the message is about it; from PAIR_THRESHOLD when neither answer is sure alone and each
# is what a part of the message is about ("if I withdraw, do you delete my data?").
PAIR_THRESHOLD = 0.90
# Added to the score of the answers of the kind a question asks for (when, where), by its
# question words (guide.yaml `asks`): meaning alone reads "où se passe le dialogue ?" near "quand
# a lieu le dialogue ?".
ASKED_BONUS = 0.03
_ASKED = {
    Topic.DATES: "when",
    Topic.DEADLINE: "when",
    Topic.VENUE: "where",
    Topic.HOTEL: "where",
    Topic.DOCUMENTS: "where",
}
# Answers about the programme as a whole, which a named day or a session makes more precise.
_WHOLE_PROGRAMME = ("faq:programme", "faq:dates")
_QUESTION_NORM = 0.25  # 0.5 is the cosine; lower forgives questions longer than the text they match
_WHOLE_ENTRY = 0.3  # weight of the entry's texts taken together, against its single best text
_COVERAGE = 0.5  # weight of the share of the question the entry's words explain
_GRAM_WEIGHT = 0.3  # a word's letter trigrams, against the word itself (typos, inflections)
_UNKNOWN_RUN = 0.7  # weight of unknown n-grams in unspaced scripts, relative to unknown words

# A question nearer by this much to one of the questions about none of the answers (guide.yaml
# `elsewhere`: money, weather, sights, small talk) than to any answer's text is off topic.
ELSEWHERE = "elsewhere"
ELSEWHERE_LEAD = 0.01

_MAX_QUESTION = 300  # characters looked at: questions are short, pasted essays are not questions

# Scripts written without spaces between words (and Korean, whose words carry particles): matched
# on character n-grams.
_CONTINUOUS = re.compile(
    r"[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
)
# Scripts whose single characters carry meaning (Chinese characters, Korean syllables).
_SYLLABIC = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Scripts that name one language among those the bot may meet; others need a closer look.
_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u1780-\u17ff]"), "km"),
    (re.compile(r"[\u1000-\u109f]"), "my"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),  # kana: Japanese even when mixed with Han
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"), "ko"),
    (re.compile(r"[\u0980-\u09ff]"), "bn"),
    (re.compile(r"[\u0600-\u06ff\u0750-\u077f]"), "ur"),
    (re.compile(r"[\u0400-\u04ff]"), "mn"),
    (_HAN, "zh"),
)
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")


_CLAUSE_END = re.compile(r"[.?!;:。？！؟।॥၊။។\n,，、]+")
# A sentence with the marks that end it (a question mark tells a question from a story).
_SENTENCE = re.compile(r"[^.?!;。？！؟।॥။។\n]+[.?!;。？！؟।॥။។\n]*")
_QUESTION_MARKS = frozenset("?¿？؟⸮\u037e︖﹖⁇⁈⁉‽፧՞")
_MIN_PART = 4  # letters of a part of a message in a spaced script that may be about something alone
_MAX_CLAUSES = 6  # parts of a message matched on their own: the last ones (the question comes last)


def has_question_mark(text: str) -> bool:
    """Whether the text has a question mark of any script."""
    return not _QUESTION_MARKS.isdisjoint(text)


# Languages that put a space between phrases rather than between words, and seldom end a sentence
# with a mark: a space ends a clause. Burmese and Khmer end theirs with `၊ ။` and `។`: their
# phrases alone ("where", "can I get it") are too short to be about anything.
_SPACE_BETWEEN_PHRASES = frozenset({"th"})


def _any_of(words: set[str]) -> re.Pattern[str]:
    """Any of the words, longest first: whole words in spaced scripts, anywhere in the others."""
    ordered = sorted(words, key=len, reverse=True)
    spaced = [rf"(?<!\w){re.escape(word)}(?!\w)" for word in ordered if not _CONTINUOUS.search(word)]
    unspaced = [re.escape(word) for word in ordered if _CONTINUOUS.search(word)]
    return re.compile("|".join(spaced + unspaced), re.IGNORECASE)


@cache
def _joins(language: str) -> re.Pattern[str]:
    """Words that join two questions in the language (and in English, often mixed in; guide.yaml)."""
    joins = guide_data()["joins"]
    return _any_of({*joins.get(language, ()), *joins[FALLBACK_LANGUAGE]})


@cache
def _courtesies() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Greetings and thanks of every language (guide.yaml), at the start and at the end of a text."""
    words = {word for words in guide_data()["courtesies"].values() for word in words}
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return (
        re.compile(rf"^(?:[\W_]*(?:{alternatives})(?!\w))+[\W_]*", re.IGNORECASE),
        re.compile(rf"(?:(?<!\w)(?:{alternatives})[\W_]*)+$", re.IGNORECASE),
    )


def without_courtesies(text: str) -> str:
    """The text without the greetings and thanks that open or close it ("Hola, buenas tardes. …
    Gracias de antemano!"): they say nothing about the question, and the end of a long message,
    embedded alone, would be about thanking. The text itself if nothing else is left."""
    start, end = _courtesies()
    core = start.sub("", text)
    cut = max(0, len(core) - 80)  # a courtesy is short: its end is enough to look at
    core = core[:cut] + end.sub("", core[cut:])
    return core if sum(char.isalpha() for char in core) >= 2 else text


@cache
def _shorthand(language: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    words = {
        word.casefold(): meaning for word, meaning in guide_data()["shorthand"].get(language, {}).items()
    }
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), words


def spelled_out(text: str, language: str) -> str:
    """The text with the chat shorthand of its language spelled out (guide.yaml `shorthand`:
    Spanish `xq` is `porque`)."""
    found = _shorthand(language)
    if found is None:
        return text
    pattern, words = found
    return pattern.sub(lambda match: words[match.group().casefold()], text)


@cache
def _needs() -> dict[str, re.Pattern[str]]:
    """Per guide answer that needs one, the words of every language one of which a question must
    hold (guide.yaml `needs`): the start of a word in spaced scripts, anywhere in the others."""
    needs = {}
    for topic, by_language in guide_data().get("needs", {}).items():
        words = {normalize(word) for words in by_language.values() for word in words}
        ordered = sorted(words, key=len, reverse=True)
        spaced = [rf"(?<!\w){re.escape(word)}" for word in ordered if not _CONTINUOUS.search(word)]
        unspaced = [re.escape(word) for word in ordered if _CONTINUOUS.search(word)]
        needs[f"guide:{topic}"] = re.compile("|".join(spaced + unspaced))
    return needs


def lacks(key: str, text: str) -> bool:
    """Whether the question lacks every word the answer needs (guide.yaml `needs`)."""
    pattern = _needs().get(key)
    return pattern is not None and pattern.search(normalize(text)) is None


@cache
def _question_words(language: str) -> dict[str, re.Pattern[str]]:
    """Per kind (when, where), the question words of the language and of English."""
    return {
        kind: _any_of({*words.get(language, ()), *words[FALLBACK_LANGUAGE]})
        for kind, words in guide_data()["asks"].items()
    }


def asked_kind(text: str, language: str) -> str | None:
    """When or where, if the question's words ask for exactly one of them."""
    kinds = [kind for kind, pattern in _question_words(language).items() if pattern.search(text)]
    return kinds[0] if len(kinds) == 1 else None


def clauses(text: str, language: str) -> list[str]:
    """The parts of a message between sentence ends, commas and joining words, when it has more
    than one (else empty): at most the last six, each with two letters or more. In a message of
    several sentences of which some read as questions (a question mark, a question word of the
    language or of English), only their parts: the others tell a story ("we plan to send two women
    and one man. Do we need a visa?"), which is not a question."""
    found = _SENTENCE.findall(text[:_MAX_QUESTION])
    marked = has_question_mark(text)
    sentences = [
        (sentence, index == len(found) - 1 or asks(sentence, language, marked))
        for index, sentence in enumerate(found)
    ]
    parts = [
        (part.strip(), question)
        for sentence, question in sentences
        for phrase in _phrases(sentence, language)
        for part in _joins(language).split(phrase)
    ]
    parts = [(part, question) for part, question in parts if sum(char.isalpha() for char in part) >= 2]
    kept = [part for part, question in parts if question]
    return kept[-_MAX_CLAUSES:] if len(parts) > 1 else []


def asks(sentence: str, language: str, marked: bool = False) -> bool:
    """Whether a sentence of a message may be its question: short, or reading as a question (a
    question mark, a question or request word of the language or of English); a longer one that
    does not tells a story. In a `marked` message (one with a question mark), a longer sentence
    asks only with a mark of its own: its question words alone tell a story ("¿hasta qué fecha
    podemos inscribirnos? Es que todavía no sabemos quién va a viajar…")."""
    from bot.questions.detection import LONG, reads_as_question  # it uses normalize(), below

    if len(sentence.strip()) < LONG:
        return True
    return has_question_mark(sentence) if marked else reads_as_question(sentence, (language,))


def _phrases(sentence: str, language: str) -> list[str]:
    phrases = _CLAUSE_END.split(sentence)
    if language in _SPACE_BETWEEN_PHRASES:
        phrases = [word for phrase in phrases for word in phrase.split()]
    return phrases


def _is_latin(char: str) -> bool:
    return char < "\u0250" or "\u1e00" <= char <= "\u1eff"


@lru_cache(maxsize=8192)  # bounded: questions may bring any characters
def _kind(char: str) -> tuple[str, bool, str]:
    """A character's kind (`L` letters and digits, `M` marks, a space for the rest), whether it
    reads as Latin, and, for a Latin letter, itself without accents."""
    category = unicodedata.category(char)[0]
    latin = _is_latin(char)
    if category in "LN":
        if latin:
            char = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        return "L", latin, char
    return ("M" if category == "M" else " "), latin, char


def normalize(text: str, keep_accents: bool = False) -> str:
    """Case-folded words separated by single spaces; accents dropped from Latin letters only
    (`hôtel` = `hotel`, `khach san` = `khách sạn`), marks of other scripts kept (Thai vowels)."""
    folded = unicodedata.normalize("NFKC", text[:_MAX_QUESTION]).casefold()
    kept: list[str] = []
    after_latin = False  # a mark after a Latin letter (or a space) is an accent
    for char in folded:
        kind, latin, bare = _kind(char)  # cached: the index normalizes thousands of texts
        if kind == "L":
            kept.append(char if keep_accents else bare)
            after_latin = latin
        elif kind == "M":
            if keep_accents or not after_latin:
                kept.append(char)
                after_latin = False
        else:
            kept.append(" ")  # punctuation, symbols, zero-width spaces, apostrophes
            after_latin = True
    return " ".join("".join(kept).split())


def _features(
    words: Iterable[tuple[str, str]], seen: dict[tuple[str, str], tuple[tuple[str, float], ...]] | None = None
) -> Counter[str]:
    """Words (`w:`, accents kept: French `où` is not `ou`) with the letter trigrams of the word
    without accents (`n:`) in spaced scripts; character n-grams (`g:`) in the others. `seen`: the
    features of the words already met (the index's texts share most of their words)."""
    features: Counter[str] = Counter()
    for pair in words:
        grams = seen.get(pair) if seen is not None else None
        if grams is None:
            grams = _word_features(*pair)
            if seen is not None:
                seen[pair] = grams
        for gram, weight in grams:
            features[gram] += weight
    return features


def _word_features(exact: str, word: str) -> tuple[tuple[str, float], ...]:
    """The features of one word (cached: the index's texts share most of their words)."""
    features: Counter[str] = Counter()
    if _CONTINUOUS.search(word):
        for size in (1, 2, 3) if _SYLLABIC.search(word) else (2, 3):
            for start in range(max(1, len(word) - size + 1)):
                features["g:" + word[start : start + size]] += 1
        return tuple(features.items())
    features["w:" + exact] += 1
    padded = f" {word} "
    for start in range(len(padded) - 2):
        features["n:" + padded[start : start + 3]] += _GRAM_WEIGHT
    return tuple(features.items())


@dataclass(frozen=True)
class Result:
    """The outcome of a search: `answers` is empty when the bot is not sure, and has two entries
    for a question about two things."""

    answers: tuple[Answerable, ...]
    language: str
    score: float
    runner_up: float
    best: Answerable | None

    @property
    def answer(self) -> Answerable | None:
        return self.answers[0] if self.answers else None


Vector = dict[str, float]


class _Postings:
    """For each gram, the vectors having it and its weight there: one sorted run per gram in two
    flat arrays (a dictionary of small arrays took most of the start-up)."""

    def __init__(self, vectors: list[Vector]):
        codes: dict[str, int] = {}  # gram -> a number, sorted as numbers (not as wide strings)
        numbers = np.fromiter(
            (codes.setdefault(gram, len(codes)) for vector in vectors for gram in vector), np.int64
        )
        indexes = np.repeat(np.arange(len(vectors)), [len(vector) for vector in vectors])
        weights = np.fromiter(
            (weight for vector in vectors for weight in vector.values()), float, len(numbers)
        )
        order = np.argsort(numbers, kind="stable")
        self.indexes, self.weights = indexes[order], weights[order]
        starts = np.searchsorted(numbers[order], np.arange(len(codes))).tolist()
        ends = [*starts[1:], len(order)]
        self.runs = {gram: (starts[code], ends[code]) for gram, code in codes.items()}
        self.size = len(vectors)

    def __contains__(self, gram: str) -> bool:
        return gram in self.runs

    def having(self, gram: str) -> np.ndarray:
        start, end = self.runs[gram]
        return self.indexes[start:end]

    def dots(self, vector: Vector) -> np.ndarray:
        """Dot product of the vector with each indexed vector."""
        dots = np.zeros(self.size)
        for gram, weight in vector.items():
            run = self.runs.get(gram)
            if run is not None:
                dots[self.indexes[run[0] : run[1]]] += weight * self.weights[run[0] : run[1]]
        return dots


class FaqMatcher:
    """`semantic`: also match by meaning, once the embeddings are built (`start()`); `cache_dir`
    keeps them between runs."""

    def __init__(self, event: Event, *, semantic: bool = True, cache_dir: Path | None = None):
        raw = list(_answerable_texts(event))
        # Embedded besides: the questions about none of them (guide.yaml `elsewhere`).
        elsewhere = [text for texts in guide_data()["elsewhere"].values() for text in texts]
        keys = [key for key, _, _ in raw] + [ELSEWHERE] * len(elsewhere)
        # Each key's best similarity is one reduction over the texts in key order (a Python loop
        # over thousands of texts cost more than the rest of the ranking).
        self._meaning_keys = list(dict.fromkeys(keys))
        place = {key: index for index, key in enumerate(self._meaning_keys)}
        self._by_key = np.argsort([place[key] for key in keys], kind="stable")
        counts = Counter(keys)
        self._key_starts = np.cumsum([0] + [counts[key] for key in self._meaning_keys[:-1]])
        texts = [text for _, _, text in raw] + elsewhere
        self._semantic = SemanticIndex(texts, cache_dir) if semantic else None
        self._days = ProgrammePartFinder(event)
        self._kinds = {f"faq:{entry.id}": _ASKED[entry.topic] for entry in event.faq if entry.topic in _ASKED}
        self._kinds |= {f"session:{session.id}": "when" for _, session in event.programme.sessions()}
        self._kinds["guide:ticket"] = "where"
        # Each text's words as written (accents kept) and without accents.
        spelled = [
            (normalize(text, keep_accents=True).split(), normalize(text).split()) for _, _, text in raw
        ]
        self._words = {word for _, folded in spelled for word in folded if not _CONTINUOUS.search(word)}
        self._exact = {word for exact, _ in spelled for word in exact}
        # A word typed without its accents stands for the known word with them (`hotel` -> `hôtel`).
        self._accented = {
            folded_word: exact_word
            for exact, folded in spelled
            for exact_word, folded_word in zip(exact, folded, strict=False)
        }
        # An unknown word may be a known one cut short or with an ending (`konferensinya`).
        self._long_words = sorted(word for word in self._words if len(word) >= 4)
        # Typo correction looks among the known words of five letters or more with the same first
        # letter: short words and other initials are too easily another word ("dress" is not "address").
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._words):
            if len(word) >= 5:
                self._by_initial[word[0]].append(word)
        # The index's own words are all known: nothing to correct.
        seen: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {}
        features = [
            (key, language, _features(zip(exact, folded, strict=False), seen))
            for (key, language, _), (exact, folded) in zip(raw, spelled, strict=True)
        ]
        documents: dict[str, Counter[str]] = defaultdict(Counter)
        for key, _language, grams in features:
            documents[key].update(grams)
        # Inverse document frequency over answerables: what many entries share ("what", "when",
        # "the") weighs little, what one entry has ("visa", "hotel") weighs much.
        frequency: Counter[str] = Counter()
        for grams in documents.values():
            frequency.update(grams.keys())
        self._idf = {
            gram: math.log((1 + len(documents)) / (1 + count)) + 1 for gram, count in frequency.items()
        }
        self._unknown = math.log(1 + len(documents)) + 1
        self._vocabulary = {key: set(grams) for key, grams in documents.items()}
        self._answerables = list(documents)
        # Inverted lists (gram -> texts having it, with its weight there), and the same for whole
        # entries: a question's similarity to every text is a few array additions per gram.
        texts = [self._vector(grams) for _, _, grams in features]
        entries = [self._vector(documents[key]) for key in self._answerables]
        self._text_postings = _Postings([vector for vector, _ in texts])
        self._entry_postings = _Postings([vector for vector, _ in entries])
        self._text_norms = np.array([norm for _, norm in texts])
        self._entry_norms = np.array([norm for _, norm in entries])
        position = {key: index for index, key in enumerate(self._answerables)}
        self._text_entry = np.array([position[key] for key, _, _ in features])
        self.languages = sorted({language for _, language, _ in raw})
        self._language_texts = {
            language: np.array([index for index, (_, lang, _) in enumerate(features) if lang == language])
            for language in self.languages
        }
        self._detector = _detector(tuple(self.languages))

    def _weight(self, gram: str) -> float:
        if gram in self._idf:
            return self._idf[gram]
        return self._unknown * (_UNKNOWN_RUN if gram.startswith("g:") else 1.0)

    def _vector(self, grams: Counter[str]) -> tuple[Vector, float]:
        vector = {
            gram: (1 + math.log(count) if count >= 1 else count) * self._weight(gram)
            for gram, count in grams.items()
        }
        return vector, math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0

    def _corrected(self, text: str) -> list[tuple[str, str]]:
        """(word as written, word without accents) of each word; unknown words replaced by a known
        one: a close spelling (`hotle` -> `hotel`), else one it starts with or that starts with it
        (`konferensinya` -> `konferensi`)."""
        words = []
        for exact, word in zip(
            normalize(text, keep_accents=True).split(), normalize(text).split(), strict=False
        ):
            if exact in self._exact:
                words.append((exact, word))
                continue
            if word not in self._words and len(word) >= 4 and not _CONTINUOUS.search(word):
                found = process.extractOne(
                    word,
                    self._by_initial.get(word[0], ()),
                    scorer=OSA.normalized_similarity,
                    score_cutoff=0.79,  # one typo in five letters
                )
                if found is not None:
                    word = found[0]
                else:
                    stems = self._stems(word)
                    if stems:
                        word = max(stems, key=len)
            words.append((self._accented.get(word, word), word))
        return words

    def _stems(self, word: str) -> list[str]:
        """Known words of four letters or more that the word starts with, or that start with it."""
        found = [word[:end] for end in range(4, len(word)) if word[:end] in self._words]
        for known in self._long_words[bisect_left(self._long_words, word) :]:
            if not known.startswith(word):
                break
            found.append(known)
        return found

    def _scores(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """Score of every answerable, and the best similarity among each language's texts."""
        vector, norm = self._vector(_features(self._corrected(text)))
        if not vector:
            return {}, {}
        question = norm ** (2 * _QUESTION_NORM)
        text_dots = self._text_postings.dots(vector)
        text_scores = text_dots / (question * self._text_norms ** (2 - 2 * _QUESTION_NORM))
        best = np.zeros(len(self._answerables))
        np.maximum.at(best, self._text_entry, text_scores)
        entry_dots = self._entry_postings.dots(vector)
        whole = entry_dots / (question * self._entry_norms ** (2 - 2 * _QUESTION_NORM))
        blended = (1 - _WHOLE_ENTRY) * best + _WHOLE_ENTRY * whole
        # The share of the question's weight that each entry's words explain.
        explained = np.zeros(len(self._answerables))
        for gram, weight in vector.items():
            if gram in self._entry_postings:
                explained[self._entry_postings.having(gram)] += weight * weight
        total = sum(weight * weight for weight in vector.values())
        scores = blended ** (1 - _COVERAGE) * (explained / total) ** _COVERAGE
        by_language = {
            language: float(text_scores[indexes].max()) for language, indexes in self._language_texts.items()
        }
        return dict(zip(self._answerables, scores.tolist(), strict=True)), by_language

    def start(self) -> None:
        """Build the embeddings in the background; until then, keywords alone answer."""
        if self._semantic is not None:
            self._semantic.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the embeddings (tests, benchmarks); True once they answer."""
        return self._semantic is not None and self._semantic.wait(timeout)

    def _ranking(
        self, text: str, embedded: str | None, language: str, scores: dict[str, float]
    ) -> tuple[list[tuple[str, float]], bool]:
        """Answerables by score, best first, from their keyword `scores` and the meaning of
        `embedded` (None: keywords alone, with their own threshold); whether meaning was used."""
        similarities = self._semantic.similarities(embedded) if embedded is not None else None
        if similarities is not None:
            best = np.maximum.reduceat(similarities[self._by_key], self._key_starts)
            meaning = dict(zip(self._meaning_keys, best.tolist(), strict=True))
            # Nearer by meaning to a question about none of them than to any answer: off topic.
            elsewhere = meaning.pop(ELSEWHERE, -1.0)
            if elsewhere > max(meaning.values()) + ELSEWHERE_LEAD:
                return [], True
            asked = asked_kind(text, language)
            scores = {
                key: meaning[key]
                + LEXICAL_WEIGHT * scores.get(key, 0.0)
                + (ASKED_BONUS if asked is not None and self._kinds.get(key) == asked else 0.0)
                for key in meaning
            }
        # An answer lacking the words it needs ("change" alone is not about the language) is not
        # one: it ranks last.
        scores = {key: score - (1.0 if lacks(key, text) else 0.0) for key, score in scores.items()}
        return sorted(scores.items(), key=lambda item: -item[1]), similarities is not None

    def _sure(self, ranking: list[tuple[str, float]], semantic: bool) -> str | None:
        if not ranking:
            return None
        best_key, best = ranking[0]
        lead = best - (ranking[1][1] if len(ranking) > 1 else 0.0)
        if not semantic:
            return best_key if best >= THRESHOLD and lead >= MARGIN else None
        threshold = SESSION_THRESHOLD if best_key.startswith("session:") else SEMANTIC_THRESHOLD
        return best_key if best >= threshold or (best >= CLEAR_THRESHOLD and lead >= CLEAR_LEAD) else None

    def search(self, text: str, hint_language: str | None = None) -> Result:
        """What answers the question, if the bot is sure (see `_sure`); both answers of a
        question about two things; the day or half-day a question about the programme names."""
        core = without_courtesies(text)
        scores, by_language = self._scores(core)
        language = self.detect_language(text, hint_language, by_language)
        spelled = spelled_out(core, language)  # "xq", "tb": words neither index knows
        if spelled != core:
            core = spelled
            scores, _ = self._scores(core)
        # A long message is embedded from its last sentences, where its question is: up to the
        # last that asks, not the story after it.
        ready = self._semantic is not None and self._semantic.ready
        marked = has_question_mark(core)
        embedded = (
            self._semantic.tail(core, lambda sentence: asks(sentence, language, marked)) if ready else None
        )
        ranking, semantic = self._ranking(core, embedded, language, scores)
        best_key, best = ranking[0] if ranking else (None, 0.0)
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        sure = self._sure(ranking, semantic)
        answers = self._both_answers(core, language, ranking, sure) if semantic else [sure] if sure else []
        part = self._days.find(text) if ranking else None
        if part is not None and (
            sure is None or all(key.startswith((*_WHOLE_PROGRAMME, "session:")) for key in answers)
        ):
            # "What is on the second day?": that day, not the whole programme or its dates, nor a
            # session held that day that the day's words alone found ("day 1" is in the variants of
            # its first session), nor answers the bot is not sure of (found in the story around
            # it: "my flight lands at noon"); a session the rest of the question names keeps its
            # answer.
            asked = embedded or core  # the question without the story around it
            answers = [self._named_session(asked, [key for key, _ in ranking[:2]]) or part.key]
        found = Answerable(best_key) if best_key else None
        return Result(tuple(Answerable(key) for key in answers), language, best, runner_up, found)

    def _named_session(self, text: str, likely: list[str]) -> str | None:
        """The session the question names besides its day: sure by the keywords of the rest of
        the question, and among the `likely` answers of the whole by meaning ("de qué se habla"
        is in a session's variants, but does not name it)."""
        scores, _ = self._scores(self._days.without(text))
        sure = self._sure(sorted(scores.items(), key=lambda item: -item[1]), semantic=False)
        return sure if sure is not None and sure.startswith("session:") and sure in likely else None

    def _part_answers(self, text: str, language: str) -> set[str]:
        """What each part of the message is about, by keywords alone (a millisecond each,
        where embedding each part would double the CPU of the answer)."""
        found = set()
        for clause in clauses(text, language):
            if not _CONTINUOUS.search(clause) and sum(char.isalpha() for char in clause) < _MIN_PART:
                continue  # "sí o sí", "mil gracias": a word too short to be about anything
            scores, _ = self._scores(clause)
            found.add(self._sure(sorted(scores.items(), key=lambda item: -item[1]), semantic=False))
        return found - {None}

    def _both_answers(
        self, text: str, language: str, ranking: list[tuple[str, float]], sure: str | None
    ) -> list[str]:
        """Two answers for a message about two things, when its runner-up is close to an answer
        and a part of the message is about it: beside the sure answer ("how do I register, and is
        it too late?"), or, with none sure, with the best one when another part is about that
        ("who organises it, and what is it about?"). The parts are those of the whole message: a
        long one is embedded from its end, but its first question counts as much. A session's
        answer has its day and time: no answer about the whole programme beside it."""
        if len(ranking) < 2 or ranking[1][1] < PAIR_THRESHOLD:
            return [sure] if sure else []
        best, runner_up = ranking[0][0], ranking[1][0]
        parts = self._part_answers(text, language)
        if runner_up not in parts or (sure is None and best not in parts):
            return [sure] if sure else []
        if ranking[1][1] < CLEAR_THRESHOLD and (sure is not None or best not in parts):
            return [sure] if sure else []
        keys = (best, runner_up)
        if (
            sure
            and any(key.startswith("session:") for key in keys)
            and any(key.startswith(_WHOLE_PROGRAMME) for key in keys)
        ):
            return [sure]
        return [best, runner_up]

    def detect_language(
        self, text: str, hint: str | None = None, evidence: dict[str, float] | None = None
    ) -> str:
        """The language the question is written in, among the languages the event file knows."""
        evidence = evidence or {}
        known = set(self.languages)
        for pattern, language in _SCRIPTS:
            if pattern.search(text):
                if language == "zh":
                    return next((code for code in self.languages if code.startswith("zh")), "zh")
                return language
        if _DEVANAGARI.search(text):
            candidates = [code for code in ("hi", "ne", "mr") if code in known] or ["hi"]
            return max(candidates, key=lambda code: (evidence.get(code, 0.0), code == hint))
        confidences = {
            code: value
            for code, value in (
                (_code(confidence.language), confidence.value)
                for confidence in self._detector.compute_language_confidence_values(text[:_MAX_QUESTION])
            )
            if code in known
        }
        if not confidences:
            return hint or FALLBACK_LANGUAGE
        if hint in known and max(confidences.values()) < 0.5:
            return hint  # too short to tell ("hotel?"): the delegate's own language
        # The detector decides clear cases; close calls (Indonesian and Malay, a single word)
        # lean to the language whose texts matched and to the delegate's own language.
        return max(
            confidences,
            key=lambda code: (
                confidences[code] + 0.5 * evidence.get(code, 0.0) + (0.3 if code == hint else 0.0)
            ),
        )


def _answerable_texts(event: Event) -> Iterable[tuple[str, str, str]]:
    """(answerable key, language, text) of every text that recognises a question."""
    for entry in event.faq:
        key = f"faq:{entry.id}"
        for language, text in entry.question.items():
            yield key, language, text
        for language, variants in entry.variants.items():
            for text in variants:
                yield key, language, text
        # Names found in the section an entry shows ("who is Machris?", "is it in Manila?").
        for language, text in _section_names(event, entry.topic):
            yield key, language, text
    for topic, examples in guide_questions().items():
        for language, texts in examples.items():
            for text in texts:
                yield f"guide:{topic.value}", language, text
    for _day, session in event.programme.sessions():
        for language, text in session.title.items():
            yield f"session:{session.id}", language, text
        for language, variants in session.variants.items():
            for text in variants:
                yield f"session:{session.id}", language, text
        for name in session.speakers:
            yield f"session:{session.id}", FALLBACK_LANGUAGE, name


def _section_names(event: Event, topic: Topic | None) -> Iterable[tuple[str, str]]:
    places = {Topic.VENUE: event.venue, Topic.HOTEL: event.hotel}
    if topic in places and places[topic] is not None:
        place = places[topic]
        # A placeholder names nothing yet ("to be announced"; the city alone is in many questions
        # that are not about the venue: restaurants, taxis, sights).
        if not place.placeholder:
            yield from place.name.items()
            yield from place.address.items()
    elif topic == Topic.CONTACTS:
        yield from ((FALLBACK_LANGUAGE, contact.name) for contact in event.contacts)
    elif topic == Topic.DOCUMENTS:
        yield from (item for document in event.documents for item in document.title.items())


# lingua names Filipino "Tagalog" and has one Chinese; the event file uses the bot's codes.
_LINGUA_NAMES = {"fil": "tl", "zh_Hant": "zh", "zh_Hans": "zh"}


def _lingua_language(code: str) -> Language | None:
    base = _LINGUA_NAMES.get(code, code.split("_", 1)[0])
    try:
        iso = IsoCode639_1.from_str(base) if len(base) == 2 else IsoCode639_3.from_str(base)
    except ValueError:
        return None
    try:
        return Language.from_iso_code_639_1(iso) if len(base) == 2 else Language.from_iso_code_639_3(iso)
    except ValueError:
        return None


# Recognised by their script above; lingua only tells apart the languages written in Latin letters.
_BY_SCRIPT = frozenset({"km", "my", "th", "ja", "ko", "bn", "ur", "mn", "zh", "hi", "ne", "mr"})


@cache
def _detector(codes: tuple[str, ...]):
    latin = [code for code in codes if code.split("_", 1)[0] not in _BY_SCRIPT]
    languages = {language for language in map(_lingua_language, latin) if language is not None}
    if len(languages) < 2:
        languages |= {Language.ENGLISH, Language.FRENCH}
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _code(language: Language) -> str:
    iso = language.iso_code_639_1.name.lower()
    return {"tl": "fil", "zh": "zh_Hant"}.get(iso, iso)
