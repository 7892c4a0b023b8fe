"""a meeting's options: waiting room, recording, IT重説 mode, browser audio

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_room', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('recording', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('it_mode', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('browser_audio', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('browser_audio')
        batch_op.drop_column('it_mode')
        batch_op.drop_column('recording')
        batch_op.drop_column('waiting_room')
