"""Questions typed by delegates: kept with what the bot answered, passed on to the organisers on
request, and the organisers' replies."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select, update

from bot.core.db import SessionFactory
from bot.core.models import Question, QuestionReply, QuestionStatus

QUESTION_MAX = 1000  # characters kept; longer texts are cut (a question, not a document)


def _answered_by(organiser_id: int, name: str, now: datetime) -> dict[str, object]:
    return {
        "status": QuestionStatus.ANSWERED,
        "answered_by": organiser_id,
        "answered_by_name": name,
        "answered_at": now,
    }


class QuestionService:
    def __init__(self, sessions: SessionFactory, event_id: str):
        self._sessions = sessions
        self.event_id = event_id

    async def record(
        self,
        user_id: int,
        text: str,
        *,
        language: str,
        user_language: str,
        matched: str | None,
        score: float,
        now: datetime,
    ) -> Question:
        question = Question(
            event_id=self.event_id,
            user_id=user_id,
            text=text[:QUESTION_MAX],
            language=language,
            user_language=user_language,
            matched=matched,
            score=round(score, 4),
            created_at=now,
        )
        async with self._sessions() as session:
            session.add(question)
            await session.commit()
        return question

    async def get(self, question_id: int) -> Question | None:
        async with self._sessions() as session:
            return await session.get(Question, question_id)

    async def mark_sent(self, question_id: int, chat_id: int, message_id: int, now: datetime) -> bool:
        """Record the post in the organisers' chat; False when the question was already sent."""
        async with self._sessions() as session:
            result = await session.exec(
                update(Question)
                .where(col(Question.id) == question_id, col(Question.status) == QuestionStatus.UNSENT)
                .values(
                    status=QuestionStatus.OPEN,
                    sent_at=now,
                    organiser_chat_id=chat_id,
                    organiser_message_id=message_id,
                )
            )
            await session.commit()
            return result.rowcount == 1

    async def by_organiser_post(self, chat_id: int, message_id: int) -> Question | None:
        async with self._sessions() as session:
            return (
                await session.exec(
                    select(Question).where(
                        Question.organiser_chat_id == chat_id, Question.organiser_message_id == message_id
                    )
                )
            ).first()

    async def claim_answer(self, question_id: int, organiser_id: int, name: str, now: datetime) -> bool:
        """Mark an open question answered by this organiser before their answer is sent; False when
        it was answered already (or is not open): a second answer is sent only when confirmed."""
        async with self._sessions() as session:
            result = await session.exec(
                update(Question)
                .where(col(Question.id) == question_id, col(Question.status) == QuestionStatus.OPEN)
                .values(_answered_by(organiser_id, name, now))
            )
            await session.commit()
            return result.rowcount == 1

    async def release_answer(self, question_id: int, organiser_id: int, now: datetime) -> None:
        """Open again a question claimed by `claim_answer` whose answer could not be delivered."""
        async with self._sessions() as session:
            await session.exec(
                update(Question)
                .where(
                    col(Question.id) == question_id,
                    col(Question.answered_by) == organiser_id,
                    col(Question.answered_at) == now,
                )
                .values(status=QuestionStatus.OPEN, answered_by=None, answered_by_name=None, answered_at=None)
            )
            await session.commit()

    async def add_reply(
        self, question_id: int, organiser_id: int, name: str, text: str, now: datetime
    ) -> Question | None:
        """An answer delivered to the delegate: kept, and the question shows it as its latest."""
        async with self._sessions() as session:
            session.add(
                QuestionReply(question_id=question_id, organiser_id=organiser_id, text=text, sent_at=now)
            )
            await session.exec(
                update(Question)
                .where(col(Question.id) == question_id)
                .values(_answered_by(organiser_id, name, now))
            )
            await session.commit()
            return await session.get(Question, question_id, populate_existing=True)

    async def replies(self, question_id: int) -> list[QuestionReply]:
        async with self._sessions() as session:
            return list(
                (
                    await session.exec(
                        select(QuestionReply)
                        .where(QuestionReply.question_id == question_id)
                        .order_by(col(QuestionReply.sent_at))
                    )
                ).all()
            )

    async def open_questions(self, limit: int = 20) -> tuple[list[Question], int]:
        """The oldest questions sent to the organisers and not answered yet, and how many there are."""
        where = (col(Question.event_id) == self.event_id, col(Question.status) == QuestionStatus.OPEN)
        async with self._sessions() as session:
            found = list(
                (
                    await session.exec(
                        select(Question).where(*where).order_by(col(Question.sent_at)).limit(limit)
                    )
                ).all()
            )
            total = len((await session.exec(select(Question.id).where(*where))).all())
        return found, total
