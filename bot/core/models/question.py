"""Questions delegates typed in the chat, and the organisers' replies to those passed on to them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models.base import UTCDateTime, utcnow


class QuestionStatus(StrEnum):
    # Answered by the bot, or not sure and not (yet) passed on: the delegate decides.
    UNSENT = "unsent"
    # Posted in the organisers' chat, waiting for a reply.
    OPEN = "open"
    # An organiser's answer was relayed (answered_by, answered_at).
    ANSWERED = "answered"


class Question(SQLModel, table=True):
    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("organiser_chat_id", "organiser_message_id", name="uq_question_organiser_message"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The language the question is written in (detected), and the delegate's bot language.
    language: str = Field(max_length=16)
    user_language: str = Field(max_length=16)
    # What the bot answered with ("faq:hotel", "session:opening"); None when it was not sure.
    matched: str | None = Field(default=None, max_length=64)
    score: float = 0.0
    status: QuestionStatus = Field(
        default=QuestionStatus.UNSENT, sa_column=Column(String(16), nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The post in the organisers' chat that organisers reply to.
    organiser_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    organiser_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The latest answer relayed to the delegate: which organiser (their id, and their name as the
    # organisers' chat shows it on the post) and when.
    answered_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    answered_by_name: str | None = Field(default=None, max_length=128)
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class QuestionReply(SQLModel, table=True):
    __tablename__ = "question_reply"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    organiser_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
