"""who answered a question, and when

The organisers' chat marks a question's post answered ("✅ Answered by Olga, …") and asks before
a second answer is sent: the question keeps the latest answer's organiser (id and name) and time.
Questions answered before this revision get their first reply's organiser and time (no name: the
replies never kept one).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import bot.core.models.base


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by', sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column('answered_by_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(
            sa.Column('answered_at', bot.core.models.base.UTCDateTime(timezone=True), nullable=True)
        )

    first_reply = (
        "SELECT {column} FROM question_reply WHERE question_reply.question_id = question.id "
        "ORDER BY question_reply.sent_at, question_reply.id LIMIT 1"
    )
    op.execute(
        sa.text(
            f"UPDATE question SET answered_by = ({first_reply.format(column='organiser_id')}), "
            f"answered_at = ({first_reply.format(column='sent_at')}) WHERE status = 'answered'"
        )
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by_name')
        batch_op.drop_column('answered_by')
