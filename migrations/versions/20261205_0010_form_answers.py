"""the form in the event file: other answers in JSON, built-in kinds optional

An event's form (bot/core/form.py) asks the built-in kinds it wants: a form without a party or a
phone leaves those columns empty, so they take NULL (only the name stays required). Answers to
its other questions live in `custom_answers`, a JSON object on both databases; existing rows get
`{}` and lose nothing. `form_question` remembers each question's type, so that an incompatible
change of type stops start-up instead of misreading stored answers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_OPTIONAL = {
    'gender': sa.String(length=16),
    'country': sqlmodel.sql.sqltypes.AutoString(length=2),
    'organisation': sqlmodel.sql.sqltypes.AutoString(length=200),
    'position': sqlmodel.sql.sqltypes.AutoString(length=200),
    'role': sqlmodel.sql.sqltypes.AutoString(length=24),
    'email': sqlmodel.sql.sqltypes.AutoString(length=254),
    'phone': sqlmodel.sql.sqltypes.AutoString(length=20),
}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom_answers', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        for column, type_ in _OPTIONAL.items():
            batch_op.alter_column(column, existing_type=type_, nullable=True)
    op.create_table(
        'form_question',
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint('event_id', 'key'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('form_question')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        for column, type_ in _OPTIONAL.items():
            batch_op.alter_column(column, existing_type=type_, nullable=False)
        batch_op.drop_column('custom_answers')
