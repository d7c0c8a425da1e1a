"""hotel dates of their own, and which questions of the form are sensitive

`hotel_check_in` and `hotel_check_out` are the hotel's dates for delegates who give no travel dates
(no airport transfer): the headcount's nights read them from the stay index, which now holds them.
`form_question.sensitive` remembers that a question's answers are stored encrypted, so that they
stay readable (for admins who ask, and by key rotation) after the question leaves the form.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_STAY = ['event_id', 'hotel_needed', 'arrival_date', 'departure_date']


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hotel_check_in', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hotel_check_out', sa.Date(), nullable=True))
        batch_op.drop_index('ix_registration_stay')
        batch_op.create_index(
            'ix_registration_stay', [*_STAY, 'hotel_check_in', 'hotel_check_out', 'status'], unique=False
        )
    with op.batch_alter_table('form_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The passport number was the only sensitive question before the form was in the event file.
    op.execute("UPDATE form_question SET sensitive = true WHERE key = 'passport_number'")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('form_question', schema=None) as batch_op:
        batch_op.drop_column('sensitive')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_stay')
        batch_op.create_index('ix_registration_stay', [*_STAY, 'status'], unique=False)
        batch_op.drop_column('hotel_check_out')
        batch_op.drop_column('hotel_check_in')
