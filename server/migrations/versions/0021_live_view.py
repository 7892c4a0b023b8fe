"""live view (issue #16): a guest's live view of their page is off, asked, on or paused

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('guests') as batch:
        batch.add_column(sa.Column('live_view', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('guests') as batch:
        batch.drop_column('live_view')
