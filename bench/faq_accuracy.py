"""How well typed questions are recognised: `python bench/faq_accuracy.py [--split dev|held_out|all]`.

Runs every question of bench/questions.yaml through the bot's matcher (bot/questions/matcher.py) and,
in the same run, through a baseline (plain keyword matching: the entry sharing the most words
with the question), and prints per language: the share of questions answered right (the
expected entry, or an honest "not sure" for `none`), the share of `none` questions that got an
answer anyway (false answers), and how often the question's language was detected right.

A third of the set (chosen by a hash of the question text, not by hand) is held out: the matcher
is tuned on the rest (`--split dev`) and the held-out part tells how it does on new questions.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.event import load_event  # noqa: E402
from bot.questions.matcher import FaqMatcher, _answerable_texts, normalize  # noqa: E402

QUESTIONS = ROOT / "bench" / "questions.yaml"
EVENT_FILE = ROOT / "events" / "manila-2024.yaml"


@dataclass
class Question:
    text: str
    language: str
    expected: frozenset[str]  # answerable keys ("faq:hotel", "session:opening") or "none"

    @property
    def split(self) -> str:
        return "held_out" if zlib.crc32(self.text.encode()) % 3 == 0 else "dev"

    @property
    def off_topic(self) -> bool:
        return self.expected == {"none"}


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    questions = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        expected = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        keys = frozenset(key if key == "none" or ":" in key else f"faq:{key}" for key in expected)
        questions.append(Question(item["q"], item["lang"], keys))
    return questions


class KeywordBaseline:
    """The entry sharing the most words with the question (any language); none if no word is shared."""

    def __init__(self, event):
        self.words: dict[str, set[str]] = defaultdict(set)
        for key, _language, text in _answerable_texts(event):
            self.words[key] |= set(normalize(text).split())
        # Words in several entries ("what", "is") say nothing about which one is meant.
        counts: dict[str, int] = defaultdict(int)
        for words in self.words.values():
            for word in words:
                counts[word] += 1
        self.words = {key: {w for w in words if counts[w] == 1} for key, words in self.words.items()}

    def answer(self, text: str) -> str:
        words = set(normalize(text).split())
        best = max(self.words, key=lambda key: len(words & self.words[key]))
        return best if words & self.words[best] else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "held_out", "all"], default="all")
    parser.add_argument("--show-errors", action="store_true", help="list the questions the matcher got wrong")
    args = parser.parse_args()

    event = load_event(EVENT_FILE)
    started = time.perf_counter()
    matcher = FaqMatcher(event)
    built = time.perf_counter() - started
    baseline = KeywordBaseline(event)
    questions = [q for q in load_questions() if args.split in ("all", q.split)]

    rows: dict[str, list[tuple[bool, bool, bool, bool, bool]]] = defaultdict(list)
    errors = []
    started = time.perf_counter()
    for question in questions:
        result = matcher.search(question.text, hint_language="en")
        got = result.answer.key if result.answer else "none"
        base = baseline.answer(question.text)
        right = got in question.expected
        rows[question.language].append(
            (
                right,
                base in question.expected,
                question.off_topic and got != "none",
                question.off_topic and base != "none",
                result.language == question.language,
            )
        )
        if not right or result.language != question.language:
            errors.append((question, got, result))
    elapsed = time.perf_counter() - started

    def share(values: list[bool]) -> str:
        return f"{100 * sum(values) / len(values):5.1f}%" if values else "    –"

    print(f"split: {args.split}, {len(questions)} questions in {len(rows)} languages")
    print(f"{'lang':8} {'n':>4} {'matcher':>8} {'baseline':>9} {'lang ok':>8}")
    all_rows = []
    for language in sorted(rows, key=lambda code: (-len(rows[code]), code)):
        items = rows[language]
        all_rows += items
        print(
            f"{language:8} {len(items):4} {share([r[0] for r in items]):>8} "
            f"{share([r[1] for r in items]):>9} {share([r[4] for r in items]):>8}"
        )
    accuracy = sum(r[0] for r in all_rows) / len(all_rows)
    base_accuracy = sum(r[1] for r in all_rows) / len(all_rows)
    off_topic = [q for q in questions if q.off_topic]
    false_answers = sum(r[2] for r in all_rows)
    base_false = sum(r[3] for r in all_rows)
    print(
        f"{'all':8} {len(all_rows):4} {100 * accuracy:7.1f}% {100 * base_accuracy:8.1f}% "
        f"{share([r[4] for r in all_rows]):>8}"
    )
    print(
        f"false answers on the {len(off_topic)} off-topic/unanswerable questions: matcher "
        f"{100 * false_answers / len(off_topic):.1f}%, baseline {100 * base_false / len(off_topic):.1f}%"
    )
    print(f"correct answers, matcher / baseline: {accuracy / base_accuracy:.2f}x")
    print(f"index built in {1000 * built:.0f} ms; {1000 * elapsed / len(questions):.1f} ms per question")
    if args.show_errors:
        for question, got, result in errors:
            print(
                f"  [{question.language}->{result.language}] {question.text!r}: expected "
                f"{'/'.join(sorted(question.expected))}, got {got} "
                f"(best {result.best.key if result.best else None} {result.score:.2f}, next {result.runner_up:.2f})"
            )


if __name__ == "__main__":
    main()
