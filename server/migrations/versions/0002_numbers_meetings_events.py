"""numbers meetings events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.Column('guest_connected', sa.Boolean(), nullable=False),
    sa.Column('guest_sockets', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['users.id'], name=op.f('fk_meetings_host_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_host_id'), ['host_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_state'), ['state'], unique=False)

    op.create_table('guests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_guests_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_guests_site_id_sites'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guests'))
    )
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guests_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_events_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_events'))
    )
    with op.batch_alter_table('meeting_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_events_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('connection_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('guest_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_connection_numbers_claimed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_connection_numbers_guest_id_guests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_connection_numbers_meeting_id_meetings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_numbers'))
    )
    with op.batch_alter_table('connection_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_numbers_guest_id'), ['guest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connection_numbers_number'), ['number'], unique=False)

    op.create_table('number_slots',
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['connection_numbers.id'], name=op.f('fk_number_slots_holder_id_connection_numbers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_number_slots'))
    )
    with op.batch_alter_table('number_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_number_slots_held_until'), ['held_until'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('number_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_number_slots_held_until'))

    op.drop_table('number_slots')
    with op.batch_alter_table('connection_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connection_numbers_number'))
        batch_op.drop_index(batch_op.f('ix_connection_numbers_guest_id'))

    op.drop_table('connection_numbers')
    with op.batch_alter_table('meeting_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_events_meeting_id'))

    op.drop_table('meeting_events')
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guests_meeting_id'))

    op.drop_table('guests')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_state'))
        batch_op.drop_index(batch_op.f('ix_meetings_host_id'))

    op.drop_table('meetings')
