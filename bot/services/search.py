"""/find: registrations by name, registration code or email, ignoring case and accents."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import col, select

from bot.db import SessionFactory
from bot.event import Event
from bot.services.checkin import normalize_code
from models import Registration

QUERY_MAX = 100


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: `  JOSÉ  Núñez` -> `jose nunez`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).split())


@dataclass(frozen=True)
class Found:
    id: int
    code: str
    full_name: str
    country: str
    status: str


@dataclass
class SearchResult:
    found: list[Found]
    total: int


class SearchService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    async def find(self, query: str, limit: int = 10) -> SearchResult:
        """Matches, best first: the code, then names and emails that contain every typed word.

        Folding happens here rather than in SQL: neither SQLite nor PostgreSQL (without an
        extension) removes accents, and only four short columns are read.
        """
        needle = fold(query[:QUERY_MAX])
        words = needle.split()
        if not words:
            return SearchResult([], 0)
        code = normalize_code(query)
        r = Registration
        async with self._sessions() as session:
            rows = (
                await session.exec(
                    select(r.id, r.code, r.full_name, r.email, r.country, r.status)
                    .where(r.event_id == self.event.id, col(r.code).is_not(None))
                    .order_by(col(r.id))
                )
            ).all()
        ranked: list[tuple[int, str, Found]] = []
        for id_, code_, name, email, country, status in rows:
            folded_name = fold(name or "")
            if code is not None and code_ == code:
                rank = 0
            elif folded_name == needle:
                rank = 1
            elif folded_name.startswith(needle):
                rank = 2
            elif all(word in folded_name for word in words):
                rank = 3
            elif needle in fold(email or ""):
                rank = 4
            else:
                continue
            ranked.append((rank, folded_name, Found(id_, code_, name or "", country or "", status)))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return SearchResult([found for _rank, _name, found in ranked[:limit]], len(ranked))
