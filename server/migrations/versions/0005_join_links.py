"""join links: each link admits one guest's device

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('join_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('guest_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_join_links_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_join_links_guest_id_guests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_join_links_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_links'))
    )
    with op.batch_alter_table('join_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_links_meeting_id'), ['meeting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('join_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_links_meeting_id'))
    op.drop_table('join_links')
