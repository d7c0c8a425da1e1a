"""aiogram FSM records (dialogue stacks and contexts) kept in the database."""

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


class DialogState(SQLModel, table=True):
    __tablename__ = "dialog_state"

    key: str = Field(sa_column=Column(Text, primary_key=True))
    state: str | None = Field(default=None, sa_column=Column(Text))
    data: dict | None = Field(default=None, sa_column=Column(JSON))
