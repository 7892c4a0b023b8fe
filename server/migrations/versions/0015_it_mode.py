"""IT重説 mode: hosts' licence photos, admins' checklists, and each
meeting's checklists with their ticks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('licence_photos',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('blob_key', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_licence_photos_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_licence_photos'))
    )
    op.create_table('checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists'))
    )
    op.create_table('meeting_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('collapsed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_meeting_checklists_checklist_id_checklists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_checklists_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_checklists'))
    )
    op.create_index(op.f('ix_meeting_checklists_meeting_id'), 'meeting_checklists', ['meeting_id'], unique=False)
    op.create_table('meeting_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_checklist_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('ticked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ticked_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['meeting_checklist_id'], ['meeting_checklists.id'], name=op.f('fk_meeting_checklist_items_meeting_checklist_id_meeting_checklists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_checklist_items'))
    )
    op.create_index(op.f('ix_meeting_checklist_items_meeting_checklist_id'), 'meeting_checklist_items', ['meeting_checklist_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_meeting_checklist_items_meeting_checklist_id'), table_name='meeting_checklist_items')
    op.drop_table('meeting_checklist_items')
    op.drop_index(op.f('ix_meeting_checklists_meeting_id'), table_name='meeting_checklists')
    op.drop_table('meeting_checklists')
    op.drop_table('checklists')
    op.drop_table('licence_photos')
