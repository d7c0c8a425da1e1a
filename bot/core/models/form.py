"""The form's questions as stored answers know them: a changed type must not reread old answers."""

from sqlalchemy import Boolean, Column, false
from sqlmodel import Field, SQLModel


class FormQuestion(SQLModel, table=True):
    __tablename__ = "form_question"

    event_id: str = Field(max_length=40, primary_key=True)
    # The answer's key (a group's question: `<group>_<id>`) and the type its answers were given in.
    key: str = Field(max_length=80, primary_key=True)
    type: str = Field(max_length=16)
    # Its answers are stored encrypted: still decrypted, and re-encrypted by key rotation, once the
    # question has left the form.
    sensitive: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
