"""waiting room and prepared meetings: admission state of guests, defaults per
site and per host, a prepared meeting's date, a join link's own expiry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_room_default', sa.Boolean(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_room_default', sa.Boolean(), nullable=True))
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admission', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('knock_meeting_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('knocked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('entered_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('refusal_note', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_guests_knock_meeting_id'), ['knock_meeting_id'], unique=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prepared', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('join_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('join_links', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('scheduled_at')
        batch_op.drop_column('prepared')
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guests_knock_meeting_id'))
        batch_op.drop_column('refusal_note')
        batch_op.drop_column('entered_name')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('knocked_at')
        batch_op.drop_column('knock_meeting_id')
        batch_op.drop_column('admission')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('waiting_room_default')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('waiting_room_default')
