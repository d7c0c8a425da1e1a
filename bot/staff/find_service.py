"""/find: registrations by name, registration code or email, ignoring case and accents."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select

from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.models import Registration
from bot.core.models.registration import fold
from bot.core.registration_codes import normalize_code

QUERY_MAX = 100


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

        Neither SQLite nor PostgreSQL (without an extension) removes accents: the name and email
        are stored folded (`search_name`, `search_email`, see bot/core/models/registration.py) and the
        query is folded the same way, so a plain LIKE matches. Ties are in folded-name order
        (code point order on both databases), then by id; the total comes in the same statement.
        """
        needle = fold(query[:QUERY_MAX])
        words = needle.split()
        if not words:
            return SearchResult([], 0)
        code = normalize_code(query)
        r = Registration
        name, email = col(r.search_name), col(r.search_email)
        every_word = and_(*(name.contains(word, autoescape=True) for word in words))
        ranks = [
            (name == needle, 1),
            (name.startswith(needle, autoescape=True), 2),
            (every_word, 3),
        ]
        matches = [every_word, email.contains(needle, autoescape=True)]
        if code is not None:
            ranks.insert(0, (r.code == code, 0))
            matches.append(r.code == code)
        statement = (
            select(r.id, r.code, r.full_name, r.country, r.status, func.count().over())
            .where(r.event_id == self.event.id, col(r.code).is_not(None), or_(*matches))
            .order_by(case(*ranks, else_=4), name, col(r.id))
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.exec(statement)).all()
        found = [
            Found(id_, code_, full_name or "", country or "", status)
            for id_, code_, full_name, country, status, _total in rows
        ]
        return SearchResult(found, rows[0][-1] if rows else 0)
