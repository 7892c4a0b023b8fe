"""presence leases, 64-bit event ids, capture idempotency keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('presence_leases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('instance', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_presence_leases_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_leases'))
    )
    with op.batch_alter_table('presence_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_leases_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_presence_leases_expires_at'), ['expires_at'], unique=False)

    # The socket counter is replaced by the leases: a counter nothing resets
    # showed a guest connected forever after the process holding them died.
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('guest_sockets')

    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_captures_guest_id_idempotency_key'), ['guest_id', 'idempotency_key']
        )

    if op.get_bind().dialect.name == 'postgresql':
        # SQLite's rowid is 64-bit already. On PostgreSQL the column and its
        # sequence (created AS integer by SERIAL) both stop at 2^31 - 1.
        op.alter_column('meeting_events', 'id', type_=sa.BigInteger(), existing_nullable=False)
        op.execute('ALTER SEQUENCE meeting_events_id_seq AS bigint')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER SEQUENCE meeting_events_id_seq AS integer')
        op.alter_column('meeting_events', 'id', type_=sa.Integer(), existing_nullable=False)

    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_captures_guest_id_idempotency_key'), type_='unique')
        batch_op.drop_column('idempotency_key')

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('guest_sockets', sa.Integer(), server_default=sa.text('0'), nullable=False)
        )

    with op.batch_alter_table('presence_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_leases_expires_at'))
        batch_op.drop_index(batch_op.f('ix_presence_leases_meeting_id'))

    op.drop_table('presence_leases')
