"""search columns and the countries-with-delegations index

/find answers from the database: the name and email folded (lower case, no accents) in
`search_name` and `search_email`, filled here for the existing rows with the same Python `fold`
the bot uses (the mapper events of bot/core/models/registration.py keep them afterwards). The country
index gains the delegation and the dietary needs (whose own index goes), so the headcount counts
the three in one pass.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from bot.core.models.registration import search_values


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000
_FOLDED = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', _FOLDED, nullable=True))
        batch_op.add_column(sa.Column('search_email', _FOLDED, nullable=True))
        batch_op.drop_index('ix_registration_country')
        batch_op.drop_index('ix_registration_dietary')
        batch_op.create_index(
            'ix_registration_country',
            ['event_id', 'country', 'delegation_id', 'dietary', 'status'],
            unique=False,
        )

    connection = op.get_bind()
    update = sa.text(
        "UPDATE registration SET search_name = :search_name, search_email = :search_email WHERE id = :id"
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, full_name, email FROM registration WHERE id > :last ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        connection.execute(
            update, [{"id": id_, **search_values(name, email)} for id_, name, email in rows]
        )
        last = rows[-1][0]


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_country')
        batch_op.create_index('ix_registration_country', ['event_id', 'country', 'status'], unique=False)
        batch_op.create_index('ix_registration_dietary', ['event_id', 'dietary', 'status'], unique=False)
        batch_op.drop_column('search_email')
        batch_op.drop_column('search_name')
