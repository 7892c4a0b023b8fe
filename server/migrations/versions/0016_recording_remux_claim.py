"""recordings: when a process claimed a stopped recording's remux

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recordings') as batch:
        batch.add_column(sa.Column('remux_claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recordings') as batch:
        batch.drop_column('remux_claimed_at')
