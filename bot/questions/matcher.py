"""Recognising a question typed in the chat: which FAQ entry or programme session answers it, in
which language it is written, and whether the bot is sure enough to answer.

Every text that can recognise an answer (a FAQ entry's question and its variants in every
language, a session's titles) is indexed as character n-grams weighted by TF-IDF, so that typos,
inflections and scripts written without spaces (Thai, Khmer, Burmese, Chinese, Japanese) match
as well as whole words do. A question is compared with each text; the entry of the best text
answers when its similarity reaches the threshold and clearly beats the next entry. Anything
else (off-topic questions, or questions the event file does not answer) is left to a human.

The language of the question is detected (script, then lingua among the Latin-script languages),
helped by which language's texts matched best and by the delegate's language.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, IsoCode639_3, Language, LanguageDetectorBuilder
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.event import FALLBACK_LANGUAGE, Answerable, Event, Topic

# How a question is scored against an entry (see FaqMatcher.search). Tuned on the development
# part of bench/questions.yaml only; bench/faq_accuracy.py reports the held-out part.
THRESHOLD = 0.33  # score needed to answer
MARGIN = 0.03  # lead needed over the next entry (else: ambiguous, not sure)
_QUESTION_NORM = 0.25  # 0.5 is the cosine; lower forgives questions longer than the text they match
_WHOLE_ENTRY = 0.3  # weight of the entry's texts taken together, against its single best text
_COVERAGE = 0.5  # weight of the share of the question the entry's words explain
_GRAM_WEIGHT = 0.3  # a word's letter trigrams, against the word itself (typos, inflections)
_UNKNOWN_RUN = 0.7  # weight of unknown n-grams in unspaced scripts, relative to unknown words

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


def _is_latin(char: str) -> bool:
    return char < "\u0250" or "\u1e00" <= char <= "\u1eff"


def normalize(text: str, keep_accents: bool = False) -> str:
    """Case-folded words separated by single spaces; accents dropped from Latin letters only
    (`hôtel` = `hotel`, `khach san` = `khách sạn`), marks of other scripts kept (Thai vowels)."""
    folded = unicodedata.normalize("NFKC", text[:_MAX_QUESTION]).casefold()
    kept: list[str] = []
    for char in folded:
        category = unicodedata.category(char)
        if category[0] in "LN":
            if _is_latin(char) and not keep_accents:
                char = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
            kept.append(char)
        elif category[0] == "M" and (keep_accents or not (kept and kept[-1] and _is_latin(kept[-1][-1]))):
            kept.append(char)
        elif category[0] != "M":
            kept.append(" ")  # punctuation, symbols, zero-width spaces, apostrophes
    return " ".join("".join(kept).split())


def _features(words: Iterable[tuple[str, str]]) -> Counter[str]:
    """Words (`w:`, accents kept: French `où` is not `ou`) with the letter trigrams of the word
    without accents (`n:`) in spaced scripts; character n-grams (`g:`) in the others."""
    features: Counter[str] = Counter()
    for exact, word in words:
        if _CONTINUOUS.search(word):
            for size in (1, 2, 3) if _SYLLABIC.search(word) else (2, 3):
                for start in range(max(1, len(word) - size + 1)):
                    features["g:" + word[start : start + size]] += 1
            continue
        features["w:" + exact] += 1
        padded = f" {word} "
        for start in range(len(padded) - 2):
            features["n:" + padded[start : start + 3]] += _GRAM_WEIGHT
    return features


@dataclass(frozen=True)
class Result:
    """The outcome of a search: `answer` is None when the bot is not sure."""

    answer: Answerable | None
    language: str
    score: float
    runner_up: float
    best: Answerable | None


Vector = dict[str, float]


@dataclass(frozen=True)
class _Text:
    key: str
    language: str
    vector: Vector
    norm: float


class FaqMatcher:
    def __init__(self, event: Event, threshold: float = THRESHOLD, margin: float = MARGIN):
        self.threshold = threshold
        self.margin = margin
        raw = list(_answerable_texts(event))
        self._words = {
            word for _, _, text in raw for word in normalize(text).split() if not _CONTINUOUS.search(word)
        }
        self._exact = {word for _, _, text in raw for word in normalize(text, keep_accents=True).split()}
        # A word typed without its accents stands for the known word with them (`hotel` -> `hôtel`).
        self._accented = {
            folded: exact
            for _, _, text in raw
            for exact, folded in zip(
                normalize(text, keep_accents=True).split(), normalize(text).split(), strict=False
            )
        }
        # Typo correction looks among the known words of five letters or more with the same first
        # letter: short words and other initials are too easily another word ("dress" is not "address").
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._words):
            if len(word) >= 5:
                self._by_initial[word[0]].append(word)
        features = [(key, language, _features(self._corrected(text))) for key, language, text in raw]
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
        self._texts = [_Text(key, language, *self._vector(grams)) for key, language, grams in features]
        self._entries = {key: self._vector(grams) for key, grams in documents.items()}
        self.languages = sorted({language for _, language, _ in raw})
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
                    stems = [
                        known
                        for known in self._words
                        if len(known) >= 4 and (word.startswith(known) or known.startswith(word))
                    ]
                    if stems:
                        word = max(stems, key=len)
            words.append((self._accented.get(word, word), word))
        return words

    def _scores(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """Score of every answerable, and the best similarity among each language's texts."""
        vector, norm = self._vector(_features(self._corrected(text)))
        if not vector:
            return {}, {}

        def similarity(other: Vector, other_norm: float) -> float:
            dot = sum(weight * other.get(gram, 0.0) for gram, weight in vector.items())
            return dot / (norm ** (2 * _QUESTION_NORM) * other_norm ** (2 - 2 * _QUESTION_NORM))

        best: dict[str, float] = {}
        by_language: dict[str, float] = {}
        for candidate in self._texts:
            score = similarity(candidate.vector, candidate.norm)
            best[candidate.key] = max(best.get(candidate.key, 0.0), score)
            by_language[candidate.language] = max(by_language.get(candidate.language, 0.0), score)
        total = sum(weight * weight for weight in vector.values())
        scores = {}
        for key, (entry, entry_norm) in self._entries.items():
            blended = (1 - _WHOLE_ENTRY) * best[key] + _WHOLE_ENTRY * similarity(entry, entry_norm)
            explained = sum(
                weight * weight for gram, weight in vector.items() if gram in self._vocabulary[key]
            )
            scores[key] = blended ** (1 - _COVERAGE) * (explained / total) ** _COVERAGE
        return scores, by_language

    def search(self, text: str, hint_language: str | None = None) -> Result:
        """What answers the question, if the bot is sure: its best entry scores at least the
        threshold, ahead of the next one by the margin."""
        scores, by_language = self._scores(text)
        ranking = sorted(scores.items(), key=lambda item: -item[1])
        best_key, best = ranking[0] if ranking else (None, 0.0)
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        language = self.detect_language(text, hint_language, by_language)
        found = Answerable(best_key) if best_key else None
        sure = found is not None and best >= self.threshold and best - runner_up >= self.margin
        return Result(found if sure else None, language, best, runner_up, found)

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
    for _day, session in event.programme.sessions():
        for language, text in session.title.items():
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
