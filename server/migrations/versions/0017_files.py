"""files sent in a meeting, uploads in progress (their pieces in the blob store) and the admin's file policy

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('guest_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('blob_key', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_files_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_user_id'], ['users.id'], name=op.f('fk_meeting_files_sender_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_meeting_files_guest_id_guests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_files'))
    )
    with op.batch_alter_table('meeting_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_files_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('file_uploads',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('guest_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_file_uploads_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_user_id'], ['users.id'], name=op.f('fk_file_uploads_sender_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_file_uploads_guest_id_guests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_uploads'))
    )
    with op.batch_alter_table('file_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_uploads_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_uploads_updated_at'), ['updated_at'], unique=False)

    op.create_table('file_upload_pieces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.String(length=32), nullable=False),
    sa.Column('start', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('blob_key', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['file_uploads.id'], name=op.f('fk_file_upload_pieces_upload_id_file_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_upload_pieces')),
    sa.UniqueConstraint('upload_id', 'start', name=op.f('uq_file_upload_pieces_upload_id_start'))
    )
    with op.batch_alter_table('file_upload_pieces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_upload_pieces_upload_id'), ['upload_id'], unique=False)

    op.create_table('file_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('senders', sa.String(length=8), nullable=False),
    sa.Column('guest_executables_blocked', sa.Boolean(), nullable=False),
    sa.Column('blocked_extensions', sa.JSON(), nullable=False),
    sa.Column('blocked_types', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_policies'))
    )


def downgrade() -> None:
    op.drop_table('file_policies')
    with op.batch_alter_table('file_upload_pieces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_upload_pieces_upload_id'))
    op.drop_table('file_upload_pieces')
    with op.batch_alter_table('file_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_uploads_updated_at'))
        batch_op.drop_index(batch_op.f('ix_file_uploads_meeting_id'))
    op.drop_table('file_uploads')
    with op.batch_alter_table('meeting_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_files_meeting_id'))
    op.drop_table('meeting_files')
